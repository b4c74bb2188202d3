"""What a finished edit step keeps: the winner's changes, the best near-miss, the feedback.

A verified edit becomes workspace changes (:func:`kept`), trimmed of hunks the tests do not
need when the context asks (:func:`trimmed`); a failed step tells the model what each
branch got wrong (:func:`feedback`) and keeps the best edit that parses and leaves the
tests alone, breaking none that passed, for ``best_effort`` (:func:`better`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langgraph_scaling.agents.repo.context import RepoAgentContext
from langgraph_scaling.agents.repo.prompts import EDIT_FAILED
from langgraph_scaling.agents.repo.trim import trim
from langgraph_scaling.agents.repo.verify import Attempt
from langgraph_scaling.agents.repo.workspace import Workspace
from langgraph_scaling.edits import EditError, parse_edits
from langgraph_scaling.errors import SandboxError
from langgraph_scaling.verifiers.pytest_summary import failing_tests

if TYPE_CHECKING:
    from langgraph_scaling.agents.repo.graph import RepoState

__all__ = ["better", "feedback", "kept", "trimmed"]


def kept(attempt: Attempt, root: Path) -> dict[str, str | None]:
    """The files a verified edit changes (protected ones left out when restored)."""
    edits = parse_edits(attempt.text, root, files=())
    restored = set(attempt.verdict.details.get("restored") or ())
    return {c.path: c.after for c in edits.without(restored).changes}


def feedback(attempts: list[Attempt]) -> str:
    """What every branch of a failed edit step got wrong, briefly."""
    lines = [f"{EDIT_FAILED} no branch's edit passed the tests; nothing was changed."]
    for a in sorted(attempts, key=lambda a: a.index):
        text = a.verdict.feedback.strip() or "(no feedback)"
        lines.append(f"- branch {a.index}: {text[:600]}")
    return "\n".join(lines)


def better(
    best: dict[str, Any] | None,
    attempts: list[Attempt],
    root: Path,
    known_failing: Sequence[str] = (),
) -> dict[str, Any] | None:
    """The best edit so far that parses, leaves the tests alone and breaks nothing that
    passed before (for ``best_effort``).

    ``known_failing`` holds the test ids that failed before any edit and the reproduction
    test files the agent added. An edit is kept only if its tests ran to the end and
    pytest's short summary names what still fails, all of it known: an edit that breaks a
    test or an import that passed before is worse than no edit, and one whose run timed
    out, did not apply or printed no summary (another runner) cannot be told apart from
    one. Among the rest, the higher score wins, then the fewer failing tests (a
    one-command suite scores 0 or 1, so the count is what ranks its near-misses).
    """
    known = set(known_failing)
    ranked = [(a, f) for a in attempts if (f := _still_failing(a, known)) is not None]
    if not ranked:
        return best
    top, failing = max(ranked, key=lambda r: (r[0].verdict.score, -len(r[1]), -r[0].index))
    rank = (top.verdict.score, -len(failing))
    if best is not None and (best["score"], -best.get("failing", math.inf)) >= rank:
        return best
    try:
        changes = kept(top, root)
    except EditError:
        return best
    return {
        "changes": changes,
        "score": top.verdict.score,
        "failing": len(failing),
        "feedback": top.verdict.feedback,
    }


def _still_failing(attempt: Attempt, known: set[str]) -> tuple[str, ...] | None:
    """The tests ``attempt``'s edit still fails, or ``None`` when it is not a near-miss
    :func:`better` may keep."""
    details = attempt.verdict.details
    if (
        {"edit_error", "protected", "limit_hit"} & details.keys()
        or not details.get("form")
        or "failed" not in details  # the tests did not run: no apply, sandbox or timeout
    ):
        return None
    parsed = details.get("failing_tests")  # PatchVerifier's; else read from the feedback
    failing = tuple(parsed) if parsed else failing_tests(attempt.verdict.feedback)
    if not failing or not all(t in known or t.split("::")[0] in known for t in failing):
        return None
    return failing


async def trimmed(
    ws: Workspace, edit: dict[str, str | None], state: RepoState, ctx: RepoAgentContext
) -> tuple[dict[str, str | None], str]:
    """The workspace's changes with the verified ``edit``, trimmed when ``trim_edits``."""
    if not ctx.trim_edits:
        return {**ws.changes, **edit}, ""
    try:
        command = state["test_command"]
        done = await trim(ws, edit, command, limit_s=ctx.test_timeout, sandbox=ctx.sandbox)
    except SandboxError as exc:  # the edit was verified: keep it, and say why it is whole
        return {**ws.changes, **edit}, f" It was not trimmed: the sandbox failed ({exc})."
    note = (
        f" The tests pass without {len(done.undone)} of its hunks, so they were undone "
        f"({', '.join(done.undone)}; {done.runs} test runs)."
        if done.undone
        else ""
    )
    return {**ws.changes, **done.changes}, note
