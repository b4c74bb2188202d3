"""``UnitTestVerifier``: run a candidate's code against unit tests in the sandbox.

Each test (each assert, each assert of a HumanEval ``check``, or each pytest-style test
function) runs separately inside one sandboxed process tree, and the per-test outcome comes
back through a nonce-checked channel the candidate cannot write to (see ``_harness.py``).

Example:
    >>> import anyio
    >>> from langgraph_scaling.report import Candidate
    >>> from langgraph_scaling.verifiers.protocol import VerifyContext
    >>> v = UnitTestVerifier("assert add(1, 2) == 3\\nassert add(0, 0) == 0")
    >>> c = Candidate(index=0, text="```python\\ndef add(a, b):\\n    return a + b\\n```")
    >>> anyio.run(v.verify, c, VerifyContext()).score
    1.0
"""

from __future__ import annotations

import math
from typing import Any

from langgraph_scaling.errors import ConfigError, VerifierError
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.sandbox import Sandbox, SandboxLimits
from langgraph_scaling.verifiers._testsplit import TestCase, split_tests
from langgraph_scaling.verifiers._trusted import (
    harness_source,
    packages_for_tests,
    run_failure,
    run_refereed,
    shared_sandbox,
)
from langgraph_scaling.verifiers.code import extract_python
from langgraph_scaling.verifiers.protocol import VerifyContext

__all__ = ["UnitTestVerifier"]

# Imported by _harness.py from beside it in the sandbox.
_HARNESS_MODULES = ("_harness_checks.py", "_harness_pins.py")


class UnitTestVerifier:
    """Passes a candidate when its code passes every test; score = fraction passed.

    Args:
        tests: assert statements, a HumanEval ``check(candidate)`` (with ``entry_point``),
            or pytest-style ``test_*`` functions. ``None`` reads ``context.extras["tests"]``
            (and ``extras["entry_point"]``) at verification time.
        entry_point: the function ``check`` is called on (HumanEval style).
        timeout: seconds each test may take.
        limits: sandbox limits (the deadline and CPU time grow with the number of tests).
        sandbox: the sandbox to run in (defaults to a shared one).
        name: the verifier's name in verdicts.
        max_failures_shown: failures quoted in the feedback.
        setup: code run before the candidate's (e.g. the imports its prompt showed).

    Example:
        >>> UnitTestVerifier("assert f() == 1").cases[0].name
        'assert f() == 1'
    """

    def __init__(
        self,
        tests: str | None = None,
        *,
        entry_point: str | None = None,
        timeout: float = 5.0,
        limits: SandboxLimits | None = None,
        sandbox: Sandbox | None = None,
        name: str = "unit_tests",
        max_failures_shown: int = 3,
        setup: str = "",
    ) -> None:
        if not timeout > 0:
            raise ConfigError("UnitTestVerifier.timeout", timeout, "must be greater than 0")
        if max_failures_shown < 1:
            raise ConfigError(
                "UnitTestVerifier.max_failures_shown", max_failures_shown, "must be at least 1"
            )
        if entry_point is not None and not entry_point.isidentifier():
            raise ConfigError("UnitTestVerifier.entry_point", entry_point, "must be a name")
        self._name = name
        self.entry_point = entry_point
        self.timeout = timeout
        self.limits = limits or SandboxLimits()
        self.sandbox = sandbox
        self.max_failures_shown = max_failures_shown
        self.setup = setup
        self.cases: list[TestCase] = split_tests(tests, entry_point) if tests else []

    @property
    def name(self) -> str:
        """Name used in verdicts."""
        return self._name

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        """Run the candidate's Python code against the tests."""
        code = extract_python(candidate.text)
        if self.setup:
            code = f"{self.setup}\n\n{code}"
        return await self.check_code(code, self._cases_for(context))

    def _cases_for(self, context: VerifyContext) -> list[TestCase]:
        if self.cases:
            return self.cases
        tests = context.extras.get("tests")
        if not isinstance(tests, str):
            raise VerifierError(
                f"{self.name}: no tests were given, and context.extras['tests'] is not a string."
            )
        return split_tests(tests, context.extras.get("entry_point") or self.entry_point)

    async def check_code(self, code: str, cases: list[TestCase] | None = None) -> Verdict:
        """Run ``code`` against ``cases`` (default: the verifier's) and judge it.

        Example:
            >>> import anyio
            >>> v = UnitTestVerifier("assert f() == 2")
            >>> anyio.run(v.check_code, "def f(): return 1").feedback.splitlines()[0]
            '0/1 tests passed. First failures:'
        """
        cases = cases or self.cases
        spec: dict[str, Any] = {
            "code": code,
            "tests": [{"source": c.source, "lhs": c.lhs} for c in cases],
            "entry_point": self.entry_point,
            "test_timeout": self.timeout,
        }
        record, run = await run_refereed(
            self.sandbox or shared_sandbox(packages_for_tests([c.source for c in cases])),
            harness_source("_harness.py"),
            spec,
            limits=self._limits(len(cases)),
            files={name: harness_source(name) for name in _HARNESS_MODULES},
        )
        if record is None or len(record.get("results", [])) != len(cases):
            return Verdict(
                verifier=self.name,
                passed=False,
                score=0.0,
                feedback=run_failure(run),
                details={"limit_hit": run.limit_hit, "total": len(cases)},
            )
        return self._verdict(cases, [(bool(ok), str(msg)) for ok, msg in record["results"]])

    def _limits(self, n: int) -> SandboxLimits:
        budget = self.timeout * n + 5.0
        timeout = min(budget, self.limits.timeout_s or budget)
        return self.limits.model_copy(
            update={"timeout_s": max(timeout, self.timeout + 2.0), "cpu_seconds": math.ceil(budget)}
        )

    def _verdict(self, cases: list[TestCase], results: list[tuple[bool, str]]) -> Verdict:
        passed = [c.name for c, (ok, _) in zip(cases, results, strict=True) if ok]
        failed = [
            {"name": c.name, "error": msg}
            for c, (ok, msg) in zip(cases, results, strict=True)
            if not ok
        ]
        total = len(cases)
        if not failed:
            feedback = f"All {total} tests passed."
        else:
            shown = "\n".join(
                f"- `{f['name']}`: {f['error'] or 'failed'}"
                for f in failed[: self.max_failures_shown]
            )
            more = len(failed) - self.max_failures_shown
            extra = f"\n(and {more} more failures)" if more > 0 else ""
            feedback = f"{len(passed)}/{total} tests passed. First failures:\n{shown}{extra}"
        return Verdict(
            verifier=self.name,
            passed=not failed,
            score=len(passed) / total if total else 0.0,
            feedback=feedback,
            details={"passed": passed, "failed": failed, "total": total},
        )
