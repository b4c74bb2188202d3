"""Trimming a verified edit: undo each hunk the test suite does not need.

A small model's passing edit often carries more than the fix: rewritten docstrings, a
reformatted line, an extra guard no test covers. :func:`trim` takes the edit's changed
files, splits each change into hunks (``difflib`` opcodes of the lines), and tries undoing
them one at a time, first to last: an undo stays when the whole test command still passes
without the hunk, in the sandbox, on the workspace as it would be committed. What is left
is still a verified edit (the last accepted state passed), only smaller. Each try is one
run of the test command, at most ``max_runs`` tries; a hunk left untried is kept. New and
deleted files are kept whole. First the tests run once without the edit: when they pass
there too, nothing tells the needed hunks apart, and the edit is kept as it is.

Example:
    >>> before, after = "a\\nb\\nc\\n", "A\\nb\\nC\\n"
    >>> ops = hunks(before, after)
    >>> len(ops), undo(before, after, {ops[0]})
    (2, 'a\\nb\\nC\\n')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from langgraph_scaling.agents.repo.workspace import Workspace, run_in_copy
from langgraph_scaling.sandbox import Sandbox

__all__ = ["Hunk", "Trimmed", "hunks", "trim", "undo"]

Hunk = tuple[int, int, int, int]
"""One changed region: lines ``[i1, i2)`` of the old text became ``[j1, j2)`` of the new."""


@dataclass(frozen=True)
class Trimmed:
    """The edit after trimming, and what was undone."""

    changes: dict[str, str | None]
    """The kept changes (path -> new text), the same shape as the edit's."""
    undone: tuple[str, ...]
    """One line per undone hunk: ``path:line`` (of the text before the edit), and the lines
    the edit had removed (``-``) and written (``+``) there."""
    runs: int
    """Runs of the test command spent (the first on the workspace without the edit)."""


def hunks(before: str, after: str) -> list[Hunk]:
    """The changed regions between two texts, by lines, in order."""
    matcher = SequenceMatcher(None, before.splitlines(True), after.splitlines(True), False)
    return [(i1, i2, j1, j2) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def undo(before: str, after: str, undone: set[Hunk]) -> str:
    """``after`` with the hunks in ``undone`` put back as they were in ``before``."""
    old, new = before.splitlines(True), after.splitlines(True)
    out: list[str] = []
    matcher = SequenceMatcher(None, old, new, False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        back = tag != "equal" and (i1, i2, j1, j2) in undone
        out.extend(old[i1:i2] if tag == "equal" or back else new[j1:j2])
    return "".join(out)


async def _passes(
    ws: Workspace, command: Sequence[str], limit_s: float, sandbox: Sandbox | None
) -> bool:
    return (await run_in_copy(ws, command, limit_s=limit_s, sandbox=sandbox)).passed


async def trim(
    ws: Workspace,
    edit: Mapping[str, str | None],
    command: Sequence[str],
    *,
    limit_s: float = 60.0,
    max_runs: int = 8,
    sandbox: Sandbox | None = None,
) -> Trimmed:
    """Undo the hunks of ``edit`` (on top of ``ws``) that ``command`` passes without, each
    run in ``sandbox`` (default: the shared local one).

    Raises:
        SandboxError: the sandbox could not run the tests (never read as "needed").
    """
    if await _passes(ws, command, limit_s, sandbox):  # nothing to tell the needed hunks apart by
        return Trimmed(dict(edit), (), 1)
    kept = dict(edit)
    undone: list[str] = []
    runs = 1
    for path in sorted(edit):
        before, after = ws.read(path), edit[path]
        if before is None or after is None:
            continue  # a new or deleted file stays whole
        done: set[Hunk] = set()
        for hunk in hunks(before, after):
            if runs > max_runs:
                return Trimmed(kept, tuple(undone), runs)
            trial = {**kept, path: undo(before, after, done | {hunk})}
            runs += 1
            trial_ws = Workspace(ws.repo, {**ws.changes, **trial})
            if await _passes(trial_ws, command, limit_s, sandbox):
                done.add(hunk)
                kept = trial
                i1, i2, j1, j2 = hunk
                undone.append(f"{path}:{i1 + 1} (-{i2 - i1} +{j2 - j1} lines)")
        if kept.get(path) == before:
            del kept[path]  # every hunk was undone: the file is unchanged
    if not kept:  # every hunk undone (a flaky suite): keep the edit that was verified
        return Trimmed(dict(edit), (), runs)
    return Trimmed(kept, tuple(undone), runs)
