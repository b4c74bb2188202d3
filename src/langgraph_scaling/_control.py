"""What must never be swallowed: LangGraph interrupts, and checks that could not run.

anyio task groups wrap child exceptions in exception groups; a ``GraphInterrupt`` raised
by one branch must reach LangGraph as itself, and a ``SandboxError`` or ``VerifierError``
(the check itself could not run) must reach the caller as itself rather than become a
failed candidate, so both are unwrapped here.
"""

from __future__ import annotations

from langgraph.errors import GraphBubbleUp

from langgraph_scaling.errors import SandboxError, VerifierError

__all__ = ["UNCHECKABLE", "control_exception", "infrastructure_error"]

UNCHECKABLE = (SandboxError, VerifierError)
"""Errors that mean a verifier could not check a candidate at all."""


def _first(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> BaseException | None:
    """The first exception of ``kinds`` in ``exc``: itself, or inside (nested) groups."""
    if isinstance(exc, kinds):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _first(inner, kinds)
            if found is not None:
                return found
    return None


def control_exception(exc: BaseException) -> GraphBubbleUp | None:
    """The first ``GraphBubbleUp`` in ``exc`` (itself, or inside an exception group)."""
    found = _first(exc, (GraphBubbleUp,))
    return found if isinstance(found, GraphBubbleUp) else None


def infrastructure_error(exc: BaseException) -> SandboxError | VerifierError | None:
    """The first sandbox/verifier failure in ``exc`` (itself, or inside an exception group)."""
    found = _first(exc, UNCHECKABLE)
    return found if isinstance(found, SandboxError | VerifierError) else None
