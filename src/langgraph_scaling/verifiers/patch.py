"""``PatchVerifier``: apply a candidate's edit to a repository copy and run its tests.

The candidate's answer is read as edits (:func:`langgraph_scaling.edits.parse_edits`:
SEARCH/REPLACE blocks, whole definitions, whole files or a unified diff) and the diff is
built from them; a malformed edit fails with the reason as feedback, naming the file.
An edit that touches a protected test file (``protected`` globs) is rejected, or has
those changes undone before the tests run (``protect="restore"``); the verdict says which.
Target tests (failing before) must pass; regression tests that passed before the patch
(one run on the unpatched copy, cached) must still pass.
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
from typing import Any, Literal

import anyio

from langgraph_scaling.edits import EditError, EditSet, matches_any, parse_edits, safe_path
from langgraph_scaling.errors import ConfigError, VerifierError
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.sandbox import Sandbox, SandboxLimits
from langgraph_scaling.verifiers._trusted import (
    harness_source,
    run_failure,
    run_refereed,
    shared_sandbox,
)
from langgraph_scaling.verifiers.protocol import VerifyContext
from langgraph_scaling.verifiers.pytest_summary import failing_tests, summary_lines

__all__ = ["DEFAULT_PROTECTED", "PatchVerifier", "repo_limits"]

DEFAULT_PROTECTED = (
    "**/tests/**",
    "**/test/**",
    "test_*.py",
    "*_test.py",
    "tests.py",
    "conftest.py",
    "pytest.ini",
    ".pytest.ini",
    "pytest.toml",
    ".pytest.toml",
    "tox.ini",
    "setup.cfg",
    "pyproject.toml",
    "pytest.py",
    "pytest/**",
)
"""What a patch may not change: test folders at any depth, pytest's and Django's test file
names, conftest.py, the files that configure how the tests run (every file pytest reads its
options from: an ``addopts = --collect-only`` would pass every suite), and a ``pytest``
module at the root that ``python -m pytest`` would import instead. :class:`PatchVerifier`
adds the files its test command names (``python runtests.py``, ``./run.sh``)."""

# A repository's tests usually run under pytest: the default sandbox shows it (and only it).
_PYTEST = ("pytest",) if importlib.util.find_spec("pytest") else ()


_REPO_FILE_MB = 256


def _command_files(repo: Path, command: Sequence[str]) -> tuple[str, ...]:
    """The repository's files that ``command`` names (its script, a runner it passes)."""
    names = []
    for arg in command:
        if arg.startswith("-") or "\0" in arg:
            continue
        try:
            rel = safe_path(repo, arg)
        except EditError:
            continue  # absolute, outside or not a usable name: not the repository's
        if (repo / rel).is_file():
            names.append(rel)
    return tuple(names)


def repo_limits(base: SandboxLimits) -> SandboxLimits:
    """``base`` with room for a repository's files: ``max_file_mb`` at least 256.

    Example:
        >>> repo_limits(SandboxLimits(memory_mb=4096)).max_file_mb
        256
    """
    if base.max_file_mb is None or base.max_file_mb >= _REPO_FILE_MB:
        return base
    return base.model_copy(update={"max_file_mb": _REPO_FILE_MB})


class PatchVerifier:
    """Passes a patch when it applies and every test passes; score = fraction passing.

    Args:
        repo: the repository to patch (copied; the original is never touched).
        test_command: the test command; each test id is appended to it, or it runs once as
            a whole when no test ids are given.
        target_tests: tests the patch should make pass (e.g. ``tests/test_x.py::test_y``).
        regression_tests: tests that passed before and must keep passing.
        timeout: seconds each test command may take.
        limits: sandbox limits (default: the sandbox's own, with room for 256 MB files); the
            deadline and CPU time come from ``timeout`` and grow with the number of tests.
        sandbox: the sandbox to run in (defaults to a shared one that shows pytest, when it
            is installed, and no other package: pass ``Sandbox(packages=[...])`` when the
            repository's tests need more).
        name: the verifier's name in verdicts.
        files: where to look for the definitions of a whole-function edit that names no
            file (repository-relative; default: every ``.py`` file).
        protected: globs of files an edit may not change (``.gitignore``-like: a glob
            without ``/`` matches the name in any folder); ``()`` protects nothing.
        protect: ``"reject"`` fails an edit that changes a protected file; ``"restore"``
            drops those changes and tests the rest.

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
        protected: Sequence[str] = DEFAULT_PROTECTED,
        protect: Literal["reject", "restore"] = "reject",
    ) -> None:
        if not test_command or isinstance(test_command, str):
            raise ConfigError(
                "PatchVerifier.test_command", test_command, "must be a non-empty argv list"
            )
        if not Path(repo).is_dir():
            raise ConfigError("PatchVerifier.repo", str(repo), "must be an existing directory")
        if not timeout > 0:
            raise ConfigError("PatchVerifier.timeout", timeout, "must be greater than 0")
        if protect not in ("reject", "restore"):
            raise ConfigError("PatchVerifier.protect", protect, "must be 'reject' or 'restore'")
        self._name = name
        self.files = tuple(files)
        self.protected = tuple(protected) + _command_files(Path(repo), test_command)
        self.protect = protect
        self._baseline: dict[str, bool] | None = None
        self._baseline_lock = anyio.Lock()
        self.repo = Path(repo).resolve()
        self.timeout = timeout
        self.limits = limits or repo_limits(sandbox.limits if sandbox else SandboxLimits())
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
        """Read ``answer`` as edits (any form), apply them to a copy and run the tests.

        Raises:
            VerifierError: the sandbox cannot judge any patch (no git or patch, the test
                command's program missing), or the tests could not run unpatched.
        """
        try:
            edits = await anyio.to_thread.run_sync(
                partial(parse_edits, answer, self.repo, files=self.files)
            )
        except EditError as err:
            return self._fail(str(err), edit_error={"file": err.file, "reason": err.reason})
        details: dict[str, Any] = {"form": edits.form, "files": list(edits.paths)}
        edits, blocked = self._guard(edits, details)
        if blocked is not None:
            return blocked
        before = await self.baseline()
        record, failure = await self._run(edits.diff, details)
        if record is None:
            return failure
        return self._verdict(record["results"], details, before)

    def _guard(self, edits: EditSet, details: dict[str, Any]) -> tuple[EditSet, Verdict | None]:
        """Reject or undo changes to protected files, saying so in ``details``."""
        touched = [p for p in edits.paths if matches_any(p, self.protected)]
        details["protect"] = self.protect
        if not touched:
            return edits, None
        listed = ", ".join(touched)
        if self.protect == "reject":
            details["protected"] = touched
            why = f"The edit changes protected test files ({listed}); fix the code, not the tests."
            return edits, self._fail(why, **details)
        details["restored"] = touched
        kept = edits.without(set(touched))
        if not kept.changes:
            why = f"The edit only changes protected test files ({listed}), which were restored."
            return kept, self._fail(why, **details)
        return kept, None

    async def baseline(self) -> dict[str, bool] | None:
        """Which named tests pass on the unpatched repository (run once, then cached).

        ``None`` when the verifier runs the whole command (no target or regression tests).

        Raises:
            VerifierError: the tests could not run on the unpatched copy.
        """
        if not self.kinds:
            return None
        async with self._baseline_lock:
            if self._baseline is None:
                record, failure = await self._run(None, {})
                if record is None:
                    raise VerifierError(
                        f"{self.name}: the tests could not run on the unpatched repository "
                        f"{self.repo}: {failure.feedback}"
                    )
                self._baseline = {name: bool(ok) for name, ok, _ in record["results"]}
            return self._baseline

    async def _run(
        self, patch: str | None, details: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, Verdict]:
        """Apply ``patch`` (``None``: none) to a copy in the sandbox and run the tests."""
        budget = self.timeout * len(self.tests) + 30.0
        limits = self.limits.model_copy(
            update={"timeout_s": budget, "cpu_seconds": int(budget) + 1}
        )
        spec = {
            "repo": "repo",
            "patch": None if patch is None else "candidate.diff",
            "tests": self.tests,
            "test_timeout": self.timeout,
        }
        files: dict[str, Path | str] = {"repo": self.repo}
        if patch is not None:
            files["candidate.diff"] = patch
        record, run = await run_refereed(
            self.sandbox or shared_sandbox(_PYTEST),
            harness_source("_patch_driver.py"),
            spec,
            limits=limits,
            files=files,
        )
        if record is None:
            return None, self._fail(run_failure(run), limit_hit=run.limit_hit, **details)
        if record.get("error"):
            raise VerifierError(f"{self.name}: {record['error']} (repository {self.repo})")
        if not record.get("applied"):
            why = record.get("apply_error", "")
            return None, self._fail(f"The patch does not apply:\n{why}", **details)
        return record, self._fail("", **details)

    def _fail(self, feedback: str, **details: Any) -> Verdict:
        return Verdict(
            verifier=self.name, passed=False, score=0.0, feedback=feedback, details=details
        )

    def _verdict(
        self, results: list[list[Any]], details: dict[str, Any], before: dict[str, bool] | None
    ) -> Verdict:
        """Targets must pass; a regression test fails the patch only if it passed before."""
        ok = {name: bool(passed) for name, passed, _ in results}
        output = {name: str(out) for name, _, out in results}
        blocking = [
            n
            for n in ok
            if not ok[n]
            and (before is None or before.get(n, True) or self.kinds.get(n) != "regression")
        ]
        if before is not None:
            details |= _report(ok, before, self.kinds)
        total = len(results)
        if not blocking:
            feedback = f"The patch applies and all {total} tests that must pass pass."
        else:
            first = blocking[0]
            kind = self.kinds.get(first, "test")
            feedback = (
                f"The patch applies, but {len(blocking)}/{total} tests fail: "
                f"{', '.join(blocking)}.\nOutput of the first failing {kind} test ({first}):\n"
                f"{output[first][-1000:]}"
            )
        short = summary_lines(output[n] for n in ok if not ok[n])  # all: feedback keeps one
        return Verdict(
            verifier=self.name,
            passed=not blocking,
            score=sum(ok.values()) / total if total else 0.0,
            feedback=feedback,
            details={
                **details,
                "passed": [n for n in ok if ok[n]],
                "failed": [n for n in ok if not ok[n]],
                "total": total,
                "short_summary": short,
                "failing_tests": list(failing_tests("\n".join(short))),
            },
        )


def _report(ok: dict[str, bool], before: dict[str, bool], kinds: dict[str, str]) -> dict[str, Any]:
    """Target and regression outcomes, with how each test did before the patch."""
    targets = [n for n in ok if kinds.get(n) == "target"]
    regressions = [n for n in ok if kinds.get(n) == "regression"]
    return {
        "targets": {
            "passed": [n for n in targets if ok[n]],
            "failed": [n for n in targets if not ok[n]],
            "passing_before": [n for n in targets if before.get(n)],
        },
        "regressions": {
            "passed": [n for n in regressions if ok[n]],
            "failed": [n for n in regressions if not ok[n] and before.get(n)],
            "failing_before": [n for n in regressions if not before.get(n)],
        },
    }
