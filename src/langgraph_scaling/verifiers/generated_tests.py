"""``GeneratedTestsVerifier``: tests the model writes for the task, run on every candidate.

CodeT-style: once per step a backend (usually the model that answers) is asked to write
test assertions for the function the task asks for; each candidate then runs against all
of them in one sandboxed harness run (the same referee as :class:`UnitTestVerifier`, so the
forgery protections apply), with a result per test.

The rules, in one place:

- **one generation per step**: the suite is cached by the task (the entry point and the
  text of the step's first user message, or ``context.extras["task"]``) under a lock per
  task, so the concurrent ``verify`` calls of one step wait for one generation;
- **parsing** (:func:`parse_generated_tests`) accepts ``assert`` lines (also inside test
  functions, when they use no local variable), fenced blocks, unparsable text around them
  and ``>>> call`` / result examples; it drops tests that do not parse, do not call the entry
  point or use ``...``, and dedupes. An ``==`` with the call on the right is turned round;
  an ``==`` with a float literal becomes ``abs(call - x) < 1e-6``;
- **score** = the fraction of generated tests passed; **passed** = ``score >= threshold``
  (default 0.5), because generated tests may be wrong. With no usable test the verdict
  passes with score 1.0 for every candidate alike (no evidence either way);
- **details**: ``kind="generated_tests"``, ``passed`` / ``failed`` (test ids: a hash of the
  test's source, so they mean the same test in every verdict), ``total``, ``outputs``
  (test id → the candidate's value on that test's input where the harness shows it: the
  expected value when an ``==`` test passed, the ``got`` value when it failed, else
  ``"pass"`` or ``"error: <type>"``; for behaviour clustering), and ``tokens``
  (``{"in", "out"}`` spent generating the suite: non-zero only in the verdict whose call
  ran the generation, so summing ``tokens`` over a step's verdicts counts it once).
  ``tokens_in`` / ``tokens_out`` on the verifier are the running totals.

Example:
    >>> [t.source for t in parse_generated_tests(
    ...     "```python\\nassert add(1, 2) == 3\\nassert 3 == add(2, 1)\\nx = 1\\n```\\n"
    ...     ">>> add(0, 0)\\n0\\n", "add")]
    ['assert add(1, 2) == 3', 'assert add(2, 1) == 3', 'assert add(0, 0) == 0']
"""

from __future__ import annotations

import ast
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import anyio
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from langgraph_scaling.backends._protocol import Backend, SampleRequest
from langgraph_scaling.errors import ConfigError, VerifierError
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.sandbox import Sandbox, SandboxLimits
from langgraph_scaling.verifiers._generated_parse import GeneratedTest, parse_generated_tests
from langgraph_scaling.verifiers._one_sample import one_sample
from langgraph_scaling.verifiers._testsplit import TestCase
from langgraph_scaling.verifiers.code import extract_python
from langgraph_scaling.verifiers.protocol import VerifyContext
from langgraph_scaling.verifiers.unit_test import UnitTestVerifier

__all__ = [
    "GENERATED_TESTS",
    "GeneratedTest",
    "GeneratedTestsVerifier",
    "TestSuite",
    "parse_generated_tests",
]

GENERATED_TESTS = "generated_tests"
"""``Verdict.details["kind"]`` of this verifier's verdicts (what ``dual_agreement`` reads)."""

DEFAULT_PROMPT = (
    "Here is a Python function to test:\n\n```python\n{task}\n```\n\n"
    "Write {n} different test cases for `{entry_point}`, one assert statement per line, in "
    "one ```python code block, each of the form\n"
    "assert {entry_point}(<arguments>) == <expected result>\n"
    "Use literal arguments and the exact expected results. Do not implement the function."
)
"""The generation prompt: ``{task}`` (the function's signature and docstring),
``{n}`` and ``{entry_point}`` are filled in."""

_SYSTEM = "You are an expert Python tester."
_GOT = re.compile(r" \(got (.*)\)\Z", re.DOTALL)
_LINE_FENCE = re.compile(r"^```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)(?:^```|\Z)", re.M | re.S)
_DEF = re.compile(r"^(?:async\s+)?def\s", re.M)


@dataclass(frozen=True)
class TestSuite:
    """What one generation produced: the usable tests, the raw answer and its tokens."""

    __test__ = False  # not a pytest class

    tests: tuple[GeneratedTest, ...]
    raw: str
    tokens_in: int = 0
    tokens_out: int = 0


class GeneratedTestsVerifier:
    """Scores a candidate by the share of model-written tests it passes (see the module doc).

    Args:
        backend: the backend that writes the tests (any :class:`Backend`).
        entry_point: the function under test; ``None`` reads ``context.extras["entry_point"]``,
            else the last ``def`` in the task's code.
        n_tests: how many tests to ask for (and keep at most).
        threshold: the score from which a candidate passes.
        prompt: the generation prompt (fields ``{task}``, ``{n}``, ``{entry_point}``).
        temperature: sampling temperature of the generation (0: greedy).
        seed: its seed.
        max_tokens: its token cap.
        timeout: seconds each test may take.
        limits: sandbox limits (as for :class:`UnitTestVerifier`).
        sandbox: the sandbox to run in (defaults to the shared one).
        setup: code run before the candidate's (the task's import lines always are).
        cache_size: how many tasks' suites are kept.
        name: the verifier's name in verdicts.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> from langgraph_scaling.backends import Sample
        >>> class Writer:  # a backend that always writes the same two tests
        ...     name = "writer"
        ...     async def sample(self, request, emit):
        ...         text = "assert add(1, 2) == 3\\nassert add(2, 2) == 5"
        ...         await emit(Sample(index=0, message=AIMessage(text), tokens_out=12))
        >>> v = GeneratedTestsVerifier(Writer())
        >>> ctx = VerifyContext(messages=[HumanMessage("def add(a, b):\\n    ...")])
        >>> good = Candidate(index=0, text="def add(a, b):\\n    return a + b")
        >>> verdict = anyio.run(v.verify, good, ctx)
        >>> verdict.score, verdict.passed, verdict.details["tokens"]
        (0.5, True, {'in': 0, 'out': 12})
    """

    def __init__(
        self,
        backend: Backend,
        *,
        entry_point: str | None = None,
        n_tests: int = 10,
        threshold: float = 0.5,
        prompt: str = DEFAULT_PROMPT,
        temperature: float = 0.0,
        seed: int = 0,
        max_tokens: int = 768,
        timeout: float = 5.0,
        limits: SandboxLimits | None = None,
        sandbox: Sandbox | None = None,
        setup: str = "",
        cache_size: int = 64,
        name: str = GENERATED_TESTS,
    ) -> None:
        if n_tests < 1:
            raise ConfigError("GeneratedTestsVerifier.n_tests", n_tests, "must be at least 1")
        if not 0.0 <= threshold <= 1.0:
            raise ConfigError("GeneratedTestsVerifier.threshold", threshold, "must be in [0, 1]")
        if cache_size < 1:
            raise ConfigError("GeneratedTestsVerifier.cache_size", cache_size, "must be >= 1")
        if entry_point is not None and not entry_point.isidentifier():
            raise ConfigError("GeneratedTestsVerifier.entry_point", entry_point, "must be a name")
        self.backend = backend
        self.entry_point = entry_point
        self.n_tests = n_tests
        self.threshold = threshold
        self.prompt = prompt
        self.temperature = temperature
        self.seed = seed
        self.max_tokens = max_tokens
        self.setup = setup
        self.cache_size = cache_size
        self._name = name
        if not timeout > 0:
            raise ConfigError("GeneratedTestsVerifier.timeout", timeout, "must be greater than 0")
        self.timeout = timeout
        self.limits = limits
        self.sandbox = sandbox
        self._suites: OrderedDict[tuple[str, str], TestSuite] = OrderedDict()
        self._locks: dict[tuple[str, str], anyio.Lock] = {}
        self.generations = 0
        """How many suites this verifier has generated."""
        self.tokens_in = 0
        """Prompt tokens spent generating suites, in total."""
        self.tokens_out = 0
        """Generated tokens spent on suites, in total."""

    @property
    def name(self) -> str:
        """Name used in verdicts."""
        return self._name

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        """Run the candidate against the step's generated tests (generating them once)."""
        entry, task = self._task(context)
        suite, fresh = await self.suite(entry, task)
        tokens = {"in": suite.tokens_in, "out": suite.tokens_out} if fresh else {"in": 0, "out": 0}
        if not suite.tests:
            return Verdict(
                verifier=self.name,
                passed=True,
                score=1.0,
                feedback="The model wrote no usable test; nothing was checked.",
                details={
                    "kind": GENERATED_TESTS,
                    "passed": [],
                    "failed": [],
                    "total": 0,
                    "outputs": {},
                    "tokens": tokens,
                },
            )
        code = extract_python(candidate.text)
        setup = "\n".join(s for s in (_imports_of(task), self.setup) if s)
        if setup:
            code = f"{setup}\n\n{code}"
        cases = [TestCase(t.id, t.source, t.call) for t in suite.tests]
        runner = UnitTestVerifier(
            entry_point=entry,
            timeout=self.timeout,
            limits=self.limits,
            sandbox=self.sandbox,
            name=self.name,
        )
        run = await runner.check_code(code, cases)
        return self._verdict(suite, run, tokens)

    def _task(self, context: VerifyContext) -> tuple[str, str]:
        """The entry point and the task's code (signature and docstring, or the prompt)."""
        text = context.extras.get("task")
        if not isinstance(text, str):
            text = next((_text(m) for m in context.messages if isinstance(m, HumanMessage)), "")
        code = _task_code(text)
        if not code.strip():
            raise VerifierError(
                f"{self.name}: the step has no task to write tests for (no user message in "
                "context.messages and no context.extras['task'])."
            )
        extra = context.extras.get("entry_point")
        entry = self.entry_point or (extra if isinstance(extra, str) else None)
        entry = entry or _last_def(code)
        if entry is None:
            raise VerifierError(
                f"{self.name}: cannot tell which function to test; pass entry_point= or set "
                "context.extras['entry_point']."
            )
        return entry, code

    async def suite(self, entry_point: str, task: str) -> tuple[TestSuite, bool]:
        """The tests for ``task``, generated once; ``True`` when this call generated them."""
        key = (entry_point, task)
        lock = self._locks.setdefault(key, anyio.Lock())
        async with lock:
            if key in self._suites:
                self._suites.move_to_end(key)
                return self._suites[key], False
            suite = await self._generate(entry_point, task)
            self._suites[key] = suite
            self._evict()
            return suite, True

    def _evict(self) -> None:
        while len(self._suites) > self.cache_size:
            old, _ = self._suites.popitem(last=False)
            lock = self._locks.get(old)
            if lock is not None and not lock.locked():
                del self._locks[old]

    async def _generate(self, entry_point: str, task: str) -> TestSuite:
        user = self.prompt.format(task=task, n=self.n_tests, entry_point=entry_point)
        request = SampleRequest(
            messages=[SystemMessage(_SYSTEM), HumanMessage(user)],
            n=1,
            seeds=[self.seed],
            temperature=self.temperature,
            max_tokens=self.max_tokens,
        )
        sample = await one_sample(self.backend, request, self.name, "wrote no tests")
        raw = _text(sample.message) if sample.message is not None else ""
        tests = parse_generated_tests(raw, entry_point, limit=self.n_tests)
        self.generations += 1
        self.tokens_in += sample.tokens_in
        self.tokens_out += sample.tokens_out
        return TestSuite(tuple(tests), raw, sample.tokens_in, sample.tokens_out)

    def _verdict(self, suite: TestSuite, run: Verdict, tokens: dict[str, int]) -> Verdict:
        by_id = {t.id: t for t in suite.tests}
        passed = [str(n) for n in run.details.get("passed", [])]
        errors = {str(f["name"]): str(f["error"]) for f in run.details.get("failed", [])}
        failed = [t.id for t in suite.tests if t.id not in passed]
        outputs = {tid: _output(by_id[tid], tid in passed, errors.get(tid)) for tid in by_id}
        total = len(suite.tests)
        score = len(passed) / total
        if "passed" not in run.details:  # the run ended without a record
            feedback = run.feedback
        else:
            shown = "\n".join(
                f"- `{by_id[tid].source.splitlines()[-1]}`: {errors.get(tid) or 'failed'}"
                for tid in failed[:3]
            )
            feedback = f"{len(passed)}/{total} generated tests passed." + (
                f" First failures:\n{shown}" if failed else ""
            )
        details: dict[str, Any] = {
            "kind": GENERATED_TESTS,
            "passed": passed,
            "failed": failed,
            "total": total,
            "outputs": outputs,
            "tokens": tokens,
        }
        if "limit_hit" in run.details:
            details["limit_hit"] = run.details["limit_hit"]
        return Verdict(
            verifier=self.name,
            passed=score >= self.threshold,
            score=score,
            feedback=feedback,
            details=details,
        )


def _output(test: GeneratedTest, passed: bool, error: str | None) -> str:
    """What the candidate returned on the test's input, as far as the run shows it."""
    if test.expected is not None:
        if passed:
            return ascii(ast.literal_eval(test.expected))[:200]
        got = _GOT.search(error or "")
        if got is not None:
            return got[1]
    if passed:
        return "pass"
    return "error: " + (error or "failed").split(":", 1)[0][:80]


def _text(message: BaseMessage) -> str:
    return message.text if isinstance(message.text, str) else str(message.content)


def _task_code(text: str) -> str:
    """The code of a task message: its fenced blocks that define a function, else all of it.

    Only fences that open at the start of a line count: the coding prompt's own instruction
    ("in one ```python code block") would otherwise open one.
    """
    blocks = [b for b in _LINE_FENCE.findall(text) if _DEF.search(b)]
    return "\n\n".join(b.strip("\n") for b in blocks) if blocks else text.strip("\n")


def _last_def(code: str) -> str | None:
    names = re.findall(r"^(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(", code, re.MULTILINE)
    return names[-1] if names else None


def _imports_of(task: str) -> str:
    return "\n".join(line for line in task.splitlines() if line.startswith(("import ", "from ")))
