"""Verifiers: checks a candidate must pass before a step commits it.

Pure-Python checks (``CallableVerifier``, ``ToolCallVerifier``), a model judge scored by
the probability of "yes" (``JudgeVerifier``), and executing ones that run
candidate code in the sandbox (``UnitTestVerifier``, ``CodeExecutionVerifier``,
``PatchVerifier``, and ``GeneratedTestsVerifier`` on tests the model writes); ``AllOf`` and
``Weighted`` compose them. The protocol they share is in
:mod:`langgraph_scaling.verifiers.protocol`; ``shared_sandbox()`` is the sandbox the
executing ones use when given none (tools that run code can share it).

Example:
    >>> from langgraph_scaling.verifiers import UnitTestVerifier, shared_sandbox
    >>> UnitTestVerifier("assert f() == 1").sandbox is None  # runs in shared_sandbox()
    True
"""

from langgraph_scaling.verifiers._trusted import shared_sandbox
from langgraph_scaling.verifiers.callable import CallableVerifier
from langgraph_scaling.verifiers.compose import AllOf, Weighted
from langgraph_scaling.verifiers.execution import CodeExecutionVerifier
from langgraph_scaling.verifiers.generated_tests import GeneratedTestsVerifier
from langgraph_scaling.verifiers.judge import JudgeVerifier
from langgraph_scaling.verifiers.patch import PatchVerifier
from langgraph_scaling.verifiers.protocol import Verifier, VerifyContext
from langgraph_scaling.verifiers.tool_call import ToolCallVerifier
from langgraph_scaling.verifiers.unit_test import UnitTestVerifier

__all__ = [
    "AllOf",
    "CallableVerifier",
    "CodeExecutionVerifier",
    "GeneratedTestsVerifier",
    "JudgeVerifier",
    "PatchVerifier",
    "ToolCallVerifier",
    "UnitTestVerifier",
    "Verifier",
    "VerifyContext",
    "Weighted",
    "shared_sandbox",
]
