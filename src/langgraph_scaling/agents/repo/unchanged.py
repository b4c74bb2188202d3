"""A second try, in the same edit step, for branches that wrote the code back unchanged.

Shown a function and asked to fix it, the embedded 0.5B model often copies it back verbatim
(268 of 688 edit branches of the adaptive router on the bug corpus): the edit parses, and
changes nothing. With ``RepoAgentContext.retry_unchanged`` (off by default: on that model
it did not help, see docs/benchmarks.md), when no branch of an edit step passed and some
copied the code, as many new branches run once more on the same request followed by one
copy and the reply that it is the code as it is, with the bug still in it. They are
verified like any branch; their attempts join the step's (numbered after its own
branches), so the feedback and ``best_effort`` see them too.

Example:
    >>> from langgraph_scaling.report import Verdict
    >>> v = Verdict(verifier="tests", passed=False, score=0.0,
    ...             details={"edit_error": {"file": "a.py", "reason": UNCHANGED + "; ..."}})
    >>> unchanged(Attempt(0, "a.py ...", v))
    True
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from langgraph_scaling.agents.repo.verify import Attempt, Recorder
from langgraph_scaling.edits import UNCHANGED
from langgraph_scaling.refine import revision_turn

__all__ = ["NUDGE", "Tries", "second_try", "unchanged"]

NUDGE = (
    "That is the code exactly as it is now: your answer changes nothing, so the bug is "
    "still in it. Find the line that computes the wrong result (the failing test shows "
    "what it gets and what it expects) and write the definitions again, in the same form, "
    "with that line fixed."
)
"""The reply to a branch that copied the code back unchanged."""


def unchanged(attempt: Attempt) -> bool:
    """Whether the branch's edit parsed but wrote every file back as it was."""
    error = attempt.verdict.details.get("edit_error")
    return isinstance(error, dict) and str(error.get("reason", "")).startswith(UNCHANGED)


@dataclass
class Tries:
    """An edit step's branches so far: their attempts, the step reports, the winner."""

    attempts: list[Attempt]
    reports: list[dict[str, Any]]
    won: Attempt | None
    retried: int = 0

    @property
    def passed(self) -> bool:
        return self.won is not None and self.won.verdict.passed


Ask = Callable[[int, Sequence[BaseMessage]], Awaitable[tuple[AIMessage, Recorder] | None]]
"""Runs ``n`` edit branches on a prompt: the answer and the recorder of its branches, or
``None`` when no branch wrote anything."""


async def second_try(tries: Tries, prompt: Sequence[BaseMessage], ask: Ask) -> Tries:
    """``tries`` with one more wave for its unchanged copies, if none passed and some copied."""
    copies = [a for a in tries.attempts if unchanged(a)]
    if tries.passed or not copies:
        return tries
    result = await ask(len(copies), [*prompt, *revision_turn(AIMessage(copies[0].text), NUDGE)])
    if result is None:
        return tries
    answer, recorder = result
    offset = 1 + max((a.index for a in tries.attempts), default=-1)
    more = [Attempt(a.index + offset, a.text, a.verdict) for a in recorder.attempts]
    report = answer.response_metadata["scaling"]
    winner = recorder.get(report.get("winner"))
    won = tries.won
    if winner is not None and winner.verdict.passed:
        won = Attempt(winner.index + offset, winner.text, winner.verdict)
    return Tries([*tries.attempts, *more], [*tries.reports, report], won, len(copies))
