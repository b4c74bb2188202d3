"""The verifier protocol: every check a candidate can face implements it.

A verifier is any object with a ``name`` and an async ``verify(candidate, context)`` that
returns a :class:`~langgraph_scaling.report.Verdict`. A *failed check* is a verdict with
``passed=False``; raising means the verifier itself broke, which the engine records as a
failing verdict with the error as feedback (the step goes on).

Example:
    >>> import anyio
    >>> from langgraph_scaling.report import Candidate, Verdict
    >>> class NonEmpty:
    ...     name = "non_empty"
    ...     async def verify(self, candidate, context):
    ...         ok = bool(candidate.text.strip())
    ...         return Verdict(verifier=self.name, passed=ok, score=float(ok))
    >>> isinstance(NonEmpty(), Verifier)
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from langchain_core.messages import BaseMessage

from langgraph_scaling.report import Candidate, Verdict

__all__ = ["Verifier", "VerifyContext"]


@dataclass(frozen=True)
class VerifyContext:
    """What a verifier may know about the step besides the candidate.

    Attributes:
        step: the step's name.
        messages: the prompt the branches answered (empty for node branches).
        tools: the bound tools as OpenAI-style function schemas
            (``{"type": "function", "function": {"name", "description", "parameters"}}``).
        state: the graph state the step ran on (node branches), else ``None``.
        extras: free-form values a graph passes to its verifiers (e.g. visible tests).
    """

    step: str = "step"
    messages: Sequence[BaseMessage] = ()
    tools: Sequence[Mapping[str, Any]] = ()
    state: Any = None
    extras: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Verifier(Protocol):
    """Checks one candidate and returns a verdict with pass/fail, score and feedback."""

    @property
    def name(self) -> str:
        """Short name used in verdicts and reports."""
        ...

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        """Judge ``candidate``; raise only when the verifier itself cannot work."""
        ...
