"""Control flow that must never be swallowed: LangGraph interrupts and bubble-ups.

anyio task groups wrap child exceptions in exception groups; a ``GraphInterrupt`` raised
by one branch must reach LangGraph as itself, so it is unwrapped here.
"""

from __future__ import annotations

from langgraph.errors import GraphBubbleUp

__all__ = ["control_exception"]


def control_exception(exc: BaseException) -> GraphBubbleUp | None:
    """The first ``GraphBubbleUp`` in ``exc`` (itself, or inside an exception group)."""
    if isinstance(exc, GraphBubbleUp):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = control_exception(inner)
            if found is not None:
                return found
    return None
