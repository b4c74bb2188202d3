"""``PatchVerifier``: apply a candidate's edit to a repository copy and run its tests.

The candidate's answer is read as edits (:func:`langgraph_scaling.edits.parse_edits`:
SEARCH/REPLACE blocks, whole definitions, whole files or a unified diff) and the diff is
built from them; a malformed edit fails with the reason as feedback, naming the file.
The tests run in the sandbox: the repository is copied into the run's work dir, the diff
is applied there (``git apply``, else ``patch -p1``), and each test command runs there.

Example:
    >>> from pathlib import Path
    >>> v = PatchVerifier(Path("."), ["python", "-m", "pytest", "-q"],
    ...                   target_tests=["tests/test_x.py::test_fix"])
    >>> [t[0] for t in v.tests]
    ['tests/test_x.py::test_fix']
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import anyio

from langgraph_scaling.edits import EditError, parse_edits
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.sandbox import Sandbox, SandboxLimits
from langgraph_scaling.verifiers._trusted import (
    harness_source,
    run_failure,
    run_refereed,
    shared_sandbox,
)
from langgraph_scaling.verifiers.protocol import VerifyContext

__all__ = ["PatchVerifier"]

# A repository's tests usually run under pytest: the default sandbox shows it (and only it).
_PYTEST = ("pytest",) if importlib.util.find_spec("pytest") else ()


class PatchVerifier:
    """Passes a patch when it applies and every test passes; score = fraction passing.

    Args:
        repo: the repository to patch (copied; the original is never touched).
        test_command: the test command; each test id is appended to it, or it runs once as
            a whole when no test ids are given.
        target_tests: tests the patch should make pass (e.g. ``tests/test_x.py::test_y``).
        regression_tests: tests that passed before and must keep passing.
        timeout: seconds each test command may take.
        limits: sandbox limits (the deadline grows with the number of tests).
        sandbox: the sandbox to run in (defaults to a shared one that shows pytest, when it
            is installed, and no other package: pass ``Sandbox(packages=[...])`` when the
            repository's tests need more).
        name: the verifier's name in verdicts.
        files: where to look for the definitions of a whole-function edit that names no
            file (repository-relative; default: every ``.py`` file).

    Example:
        >>> PatchVerifier(Path("."), []).tests
        Traceback (most recent call last):
        ...
        langgraph_scaling.errors.ConfigError: PatchVerifier.test_command=[] is invalid: ...
    """

    def __init__(
        self,
        repo: Path,
        test_command: Sequence[str],
        *,
        target_tests: Sequence[str] = (),
        regression_tests: Sequence[str] = (),
        timeout: float = 60.0,
        limits: SandboxLimits | None = None,
        sandbox: Sandbox | None = None,
        name: str = "patch_tests",
        files: Sequence[str] = (),
    ) -> None:
        if not test_command or isinstance(test_command, str):
            raise ConfigError(
                "PatchVerifier.test_command", test_command, "must be a non-empty argv list"
            )
        if not Path(repo).is_dir():
            raise ConfigError("PatchVerifier.repo", str(repo), "must be an existing directory")
        if not timeout > 0:
            raise ConfigError("PatchVerifier.timeout", timeout, "must be greater than 0")
        self._name = name
        self.files = tuple(files)
        self.repo = Path(repo).resolve()
        self.timeout = timeout
        self.limits = limits or SandboxLimits(max_file_mb=256)
        self.sandbox = sandbox
        cmd = list(test_command)
        named = [("target", t) for t in target_tests] + [
            ("regression", t) for t in regression_tests
        ]
        self.kinds = {t: kind for kind, t in named}
        self.tests: list[tuple[str, list[str]]] = [(t, [*cmd, t]) for _, t in named] or [
            (" ".join(cmd), cmd)
        ]

    @property
    def name(self) -> str:
        """Name used in verdicts."""
        return self._name

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        """Apply the edit in the candidate's text and run the tests."""
        return await self.check_patch(candidate.text)

    async def check_patch(self, answer: str) -> Verdict:
        """Read ``answer`` as edits (any form), apply them to a copy and run the tests."""
        try:
            edits = await anyio.to_thread.run_sync(
                partial(parse_edits, answer, self.repo, files=self.files)
            )
        except EditError as err:
            return self._fail(str(err), edit_error={"file": err.file, "reason": err.reason})
        return await self._run(edits.diff, {"form": edits.form, "files": list(edits.paths)})

    async def _run(self, patch: str, details: dict[str, Any]) -> Verdict:
        """Apply ``patch`` to a copy of the repository in the sandbox and run the tests."""
        budget = self.timeout * len(self.tests) + 30.0
        limits = self.limits.model_copy(
            update={"timeout_s": budget, "cpu_seconds": int(budget) + 1}
        )
        spec = {
            "repo": "repo",
            "patch": "candidate.diff",
            "tests": self.tests,
            "test_timeout": self.timeout,
        }
        record, run = await run_refereed(
            self.sandbox or shared_sandbox(_PYTEST),
            harness_source("_patch_driver.py"),
            spec,
            limits=limits,
            files={"repo": self.repo, "candidate.diff": patch},
        )
        if record is None:
            return self._fail(run_failure(run), limit_hit=run.limit_hit, **details)
        if not record.get("applied"):
            why = record.get("apply_error", "")
            return self._fail(f"The patch does not apply:\n{why}", **details)
        return self._verdict(record["results"], details)

    def _fail(self, feedback: str, **details: Any) -> Verdict:
        return Verdict(
            verifier=self.name, passed=False, score=0.0, feedback=feedback, details=details
        )

    def _verdict(self, results: list[list[Any]], details: dict[str, Any]) -> Verdict:
        failed = [(name, str(out)) for name, ok, out in results if not ok]
        passed = [name for name, ok, _ in results if ok]
        total = len(results)
        if not failed:
            feedback = f"The patch applies and all {total} tests pass."
        else:
            first, output = failed[0]
            kind = self.kinds.get(first, "test")
            names = ", ".join(n for n, _ in failed)
            feedback = (
                f"The patch applies, but {len(failed)}/{total} tests fail: {names}.\n"
                f"Output of the first failing {kind} test ({first}):\n{output[-1000:]}"
            )
        return Verdict(
            verifier=self.name,
            passed=not failed,
            score=len(passed) / total if total else 0.0,
            feedback=feedback,
            details={
                **details,
                "passed": passed,
                "failed": [n for n, _ in failed],
                "total": total,
            },
        )
