"""The repository agent's checks: a reproduction test must fail, and every branch is recorded.

:class:`ReproductionVerifier` passes a proposed test file only if it adds or changes test
files alone and the test command, run in the sandbox with it added, *fails* on the code as
it is (pytest's exit status 1: tests ran and failed; a collection error does not count).
:class:`Recorder` wraps any verifier and keeps each branch's answer and verdict, so the agent
can tell the model what went wrong in every branch. :func:`action_key` votes a model turn
by its action: all ``edit`` calls are one vote (the edit step then scales the edit itself),
other calls by name and arguments. :func:`change_key` votes an edit branch by the change it
makes (Agentless-style): the files it writes, Python by their AST without docstrings or
comments (other files by their text), so the same fix written as a SEARCH/REPLACE block or
as a whole function, or with other docstrings, is one vote.

Example:
    >>> import anyio
    >>> from langgraph_scaling.testing import tool_call
    >>> c = Candidate(index=0, status="ok", message=tool_call("edit", {"edit": "x"}))
    >>> anyio.run(action_key, c, VerifyContext())
    'tools:edit'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import anyio

from langgraph_scaling.agents.repo.tools import suite_text
from langgraph_scaling.agents.repo.workspace import Workspace, run_in_copy
from langgraph_scaling.edits import EditError, matches_any, parse_edits
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.sandbox import Sandbox
from langgraph_scaling.selection.keys import VoteKeyFn, compute_key, source_key, tool_calls_key
from langgraph_scaling.verifiers.protocol import Verifier, VerifyContext

__all__ = ["Attempt", "Recorder", "ReproductionVerifier", "action_key", "change_key"]


async def action_key(candidate: Candidate, context: VerifyContext) -> str:
    """Vote key of a model turn: ``edit``/``finish`` by name alone, other calls in full."""
    calls = candidate.tool_calls
    for action in ("edit", "finish"):
        if any(str(c["name"]).strip().lower() == action for c in calls):
            return f"tools:{action}"
    return tool_calls_key(calls) if calls else compute_key(candidate)


def change_key(root: Path) -> VoteKeyFn:
    """Vote key of an edit branch: the change it makes to ``root`` (normalised), or its
    text when it does not parse as an edit."""

    async def key(candidate: Candidate, context: VerifyContext) -> str:
        try:
            edits = await anyio.to_thread.run_sync(partial(parse_edits, candidate.text, root))
        except EditError:
            return compute_key(candidate)
        files = sorted(
            (c.path, "deleted" if c.after is None else source_key(c.path, c.after))
            for c in edits.changes
        )
        return "change:" + repr(files) if files else compute_key(candidate)

    return key


@dataclass(frozen=True)
class Attempt:
    """One branch's answer and the verdict it got."""

    index: int
    text: str
    verdict: Verdict


class Recorder:
    """A verifier that delegates to ``inner`` and keeps every (branch, answer, verdict)."""

    def __init__(self, inner: Verifier) -> None:
        self.inner = inner
        self.attempts: list[Attempt] = []

    @property
    def name(self) -> str:
        return self.inner.name

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        verdict = await self.inner.verify(candidate, context)
        self.attempts.append(Attempt(candidate.index, candidate.text, verdict))
        return verdict

    def get(self, index: int | None) -> Attempt | None:
        """The attempt of branch ``index`` (the last one, when it was revised)."""
        found = [a for a in self.attempts if a.index == index]
        return found[-1] if found else None


_TEST_FILE = re.compile(r"^(test_.*|.*_test)\.py$")


class ReproductionVerifier:
    """Passes a new test that fails on ``root`` as it is; score 1 or 0.

    Args:
        root: the repository (a materialised workspace) the test is for.
        test_command: the command that runs the tests.
        test_globs: where a reproduction test may be added (a new or empty
            ``test_*.py`` / ``*_test.py`` file).
        timeout: seconds the test command may take.
        sandbox: where the tests run (default: the shared local sandbox).
    """

    name = "reproduces_issue"

    def __init__(
        self,
        root: Path,
        test_command: Sequence[str],
        *,
        test_globs: Sequence[str],
        timeout: float = 60.0,
        sandbox: Sandbox | None = None,
    ) -> None:
        self.root = root
        self.command = list(test_command)
        self.test_globs = tuple(test_globs)
        self.timeout = timeout
        self.sandbox = sandbox

    def _fail(self, feedback: str, **details: object) -> Verdict:
        return Verdict(
            verifier=self.name, passed=False, score=0.0, feedback=feedback, details=details
        )

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        """Parse the proposed test file, add it to a copy, run the tests: they must fail."""
        try:
            edits = await anyio.to_thread.run_sync(partial(parse_edits, candidate.text, self.root))
        except EditError as err:
            return self._fail(str(err), edit_error={"file": err.file, "reason": err.reason})
        other = [
            c.path
            for c in edits.changes
            if c.before  # new or empty (the step touches the file it asks for), never tests lost
            or not _TEST_FILE.match(c.path.rsplit("/", 1)[-1])  # no conftest.py, no config
            or not matches_any(c.path, self.test_globs)
        ]
        if other:
            why = f"A reproduction test may only add new test files; it changes {', '.join(other)}."
            return self._fail(why, files=list(edits.paths))
        ws = Workspace(self.root, {c.path: c.after for c in edits.changes})
        run = await run_in_copy(ws, self.command, limit_s=self.timeout, sandbox=self.sandbox)
        details = {
            "files": list(edits.paths),
            "exit_code": run.exit_code,
            "failing": list(run.failing),
        }
        shown = suite_text(run.exit_code, run.output)
        if run.passed:
            why = "The tests pass with this test added: it does not reproduce the issue."
            return self._fail(why, **details)
        pytest_like = any("pytest" in part for part in self.command)
        own = [f for f in run.failing if f.split("::")[0] in edits.paths]
        if pytest_like and (run.exit_code != 1 or not own):
            return self._fail(
                f"The test does not run cleanly (not a failing assertion):\n{shown}", **details
            )
        return Verdict(
            verifier=self.name,
            passed=True,
            score=1.0,
            feedback=f"The test fails on the current code, as it should:\n{shown}",
            details=details,
        )
