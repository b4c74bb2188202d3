"""langgraph-scaling: inference-time scaling for LangGraph agent steps.

Wrap a chat model, a node, or an agent's model call so that each step runs several
branches in parallel, verifies the candidates, and commits one by vote, score or first pass,
with a router deciding how many branches within a per-step budget.

Example:
    >>> from langgraph_scaling import ScalingPolicy, Budget
    >>> ScalingPolicy(router="adaptive", budget=Budget(max_branches=8)).router.name
    'adaptive'
"""

from typing import Any

from langgraph_scaling.budget import Budget
from langgraph_scaling.errors import ConfigError, ScalingError, StepFailedError
from langgraph_scaling.langgraph import (
    ScaledChatModel,
    ScalingContext,
    collect_reports,
    scaled_node,
)
from langgraph_scaling.policy import ScalingPolicy
from langgraph_scaling.report import Candidate, StepReport, Verdict
from langgraph_scaling.routing import AdaptiveRouter, FixedRouter, HeuristicRouter
from langgraph_scaling.verifiers import CallableVerifier, ToolCallVerifier, Verifier

__all__ = [
    "AdaptiveRouter",
    "Budget",
    "CallableVerifier",
    "Candidate",
    "ConfigError",
    "FixedRouter",
    "HeuristicRouter",
    "ScaledChatModel",
    "ScalingContext",
    "ScalingError",
    "ScalingMiddleware",
    "ScalingPolicy",
    "StepFailedError",
    "StepReport",
    "ToolCallVerifier",
    "Verdict",
    "Verifier",
    "collect_reports",
    "scaled_node",
]


def __getattr__(name: str) -> Any:
    if name == "ScalingMiddleware":  # needs the optional `langchain` package
        from langgraph_scaling.langgraph.middleware import ScalingMiddleware

        return ScalingMiddleware
    raise AttributeError(name)
