"""``CodeExecutionVerifier``: run the candidate's program and check how it behaves.

The candidate runs in the sandbox once per input: as a script fed the input on stdin, or,
with ``function=``, by calling that function on the input (a tuple of arguments). It
passes when every run exits cleanly and, where ``expected`` is given, prints (or returns)
what was expected. :meth:`CodeExecutionVerifier.behavior_key` turns the outputs into a key,
so candidates that behave alike vote together (AlphaCode / CodeT clustering).

Example:
    >>> import anyio
    >>> from langgraph_scaling.report import Candidate
    >>> from langgraph_scaling.verifiers.protocol import VerifyContext
    >>> v = CodeExecutionVerifier([(2,), (3,)], ["4", "9"], function="sq")
    >>> c = Candidate(index=0, text="def sq(x):\\n    return x * x")
    >>> anyio.run(v.verify, c, VerifyContext()).passed
    True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import anyio

from langgraph_scaling.errors import ConfigError
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.sandbox import Sandbox, SandboxLimits, SandboxResult
from langgraph_scaling.verifiers._trusted import shared_sandbox
from langgraph_scaling.verifiers.code import extract_python
from langgraph_scaling.verifiers.protocol import VerifyContext

__all__ = ["CodeExecutionVerifier"]

_CALL = """
import json, sys
sys.setrecursionlimit(10000)
exec(compile(open("solution.py").read(), "solution.py", "exec"), ns := {{"__name__": "solution"}})
print(repr(ns[{function!r}](*json.loads(sys.stdin.read()))))
"""


class CodeExecutionVerifier:
    """Runs the candidate on inputs; passes on clean exits and matching outputs.

    Args:
        inputs: stdin texts (script mode) or argument tuples (``function`` mode); ``None``
            runs the program once with no input.
        expected: expected stdout (script mode, compared stripped) or ``repr`` of the
            return value (function mode), one per input; ``None`` only checks clean exits.
        function: call this function of the candidate instead of running it as a script.
        timeout: seconds per run.
        limits: sandbox limits.
        sandbox: the sandbox to run in (defaults to a shared one).
        name: the verifier's name in verdicts.

    Example:
        >>> CodeExecutionVerifier(["1"], ["1", "2"])
        Traceback (most recent call last):
        ...
        langgraph_scaling.errors.ConfigError: CodeExecutionVerifier.expected=['1', '2'] ...
    """

    def __init__(
        self,
        inputs: Sequence[Any] | None = None,
        expected: Sequence[str] | None = None,
        *,
        function: str | None = None,
        timeout: float = 5.0,
        limits: SandboxLimits | None = None,
        sandbox: Sandbox | None = None,
        name: str = "execution",
    ) -> None:
        self.inputs: list[Any] = list(inputs) if inputs is not None else [None]
        if expected is not None and len(expected) != len(self.inputs):
            raise ConfigError(
                "CodeExecutionVerifier.expected",
                list(expected),
                f"must have one entry per input ({len(self.inputs)})",
            )
        if function is not None and not function.isidentifier():
            raise ConfigError("CodeExecutionVerifier.function", function, "must be a name")
        if not timeout > 0:
            raise ConfigError("CodeExecutionVerifier.timeout", timeout, "must be greater than 0")
        self.expected = list(expected) if expected is not None else None
        self.function = function
        self.timeout = timeout
        self.limits = limits or SandboxLimits()
        self.sandbox = sandbox
        self._name = name

    @property
    def name(self) -> str:
        """Name used in verdicts."""
        return self._name

    async def outputs(self, code: str) -> list[SandboxResult]:
        """Run ``code`` on every input, concurrently (bounded by the sandbox)."""
        results: list[SandboxResult | None] = [None] * len(self.inputs)

        async def one(i: int, value: Any) -> None:
            results[i] = await self._run(code, value)

        async with anyio.create_task_group() as tg:
            for i, value in enumerate(self.inputs):
                tg.start_soon(one, i, value)
        return [r for r in results if r is not None]

    async def _run(self, code: str, value: Any) -> SandboxResult:
        sandbox = self.sandbox or shared_sandbox()
        if self.function is None:
            stdin = None if value is None else str(value)
            return await sandbox.run_python(
                code, stdin=stdin, timeout=self.timeout, limits=self.limits
            )
        args = [] if value is None else list(value if isinstance(value, tuple | list) else [value])
        return await sandbox.run_python(
            _CALL.format(function=self.function),
            stdin=json.dumps(args),
            files={"solution.py": code},
            timeout=self.timeout,
            limits=self.limits,
        )

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        """Run the candidate's code and judge exits and outputs."""
        runs = await self.outputs(extract_python(candidate.text))
        problems = [self._problem(i, r) for i, r in enumerate(runs)]
        failed = [p for p in problems if p]
        total = len(runs)
        feedback = (
            f"All {total} runs behaved as expected."
            if not failed
            else f"{total - len(failed)}/{total} runs behaved as expected.\n"
            + "\n".join(failed[:3])
        )
        return Verdict(
            verifier=self.name,
            passed=not failed,
            score=(total - len(failed)) / total,
            feedback=feedback,
            details={"limit_hits": [r.limit_hit for r in runs], "total": total},
        )

    def _problem(self, i: int, run: SandboxResult) -> str:
        shown = repr(self.inputs[i])[:80]
        if not run.ok:
            why = run.limit_hit or f"exit status {run.exit_code}"
            return f"- input {shown}: the program failed ({why}): {run.stderr.strip()[-300:]}"
        if self.expected is not None and run.stdout.strip() != self.expected[i].strip():
            return (
                f"- input {shown}: expected {self.expected[i].strip()[:200]!r}, "
                f"got {run.stdout.strip()[:200]!r}"
            )
        return ""

    async def behavior_key(self, candidate: Candidate, context: VerifyContext) -> str:
        """A key equal for candidates that print (or return) the same on every input.

        Crashes and limit hits count as outputs (``!error``), so broken candidates cluster
        apart from working ones. Usable wherever an async vote key is accepted.
        """
        runs = await self.outputs(extract_python(candidate.text))
        parts = [r.stdout.strip() if r.ok else f"!error:{r.limit_hit or r.exit_code}" for r in runs]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]

    async def __call__(self, candidate: Candidate, context: VerifyContext) -> str:
        """Same as :meth:`behavior_key`, so the verifier itself is a vote key."""
        return await self.behavior_key(candidate, context)
