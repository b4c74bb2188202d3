"""GeneratedTestsVerifier: parsing what a small model writes, one generation per step, scoring."""

from __future__ import annotations

import anyio
import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from langgraph_scaling.backends._protocol import Sample, SampleRequest
from langgraph_scaling.errors import ConfigError, VerifierError
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.verifiers.generated_tests import (
    GENERATED_TESTS,
    GeneratedTestsVerifier,
    parse_generated_tests,
)
from langgraph_scaling.verifiers.protocol import Verifier, VerifyContext
from tests._scripted_backend import ScriptedBackend

TASK = (
    "Complete the following Python function. Reply with the whole function in one ```python "
    "code block.\n\n```python\nfrom typing import List\n\n\n"
    'def total(xs: List[int]) -> int:\n    """Sum of xs."""\n```'
)
CTX = VerifyContext(messages=[SystemMessage("You write code."), HumanMessage(TASK)])
SUITE = "```python\nassert total([1, 2]) == 3\nassert total([]) == 0\nassert total([5]) == 6\n```"
RIGHT = "```python\ndef total(xs):\n    return sum(xs)\n```"
WRONG = "```python\ndef total(xs):\n    return len(xs)\n```"


def sources(text: str, entry: str = "total", **kw: int) -> list[str]:
    return [t.source for t in parse_generated_tests(text, entry, **kw)]


# --- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("assert total([1]) == 1", ["assert total([1]) == 1"]),
        ("```python\nassert total([1]) == 1\n```", ["assert total([1]) == 1"]),
        (
            ">>> total([1, 1])\n2\n>>> total([])\n0",
            ["assert total([1, 1]) == 2", "assert total([]) == 0"],
        ),
        ("assert 3 == total([1, 2])", ["assert total([1, 2]) == 3"]),
        ("assert total([0.5]) == 0.5", ["assert abs(total([0.5]) - 0.5) < 1e-06"]),
        ("assert total([1]) == 1, 'one'", ["assert total([1]) == 1"]),
        ("assert total(\n    [1, 2]\n) == 3", ["assert total([1, 2]) == 3"]),
        ("assert not total([0])", ["assert not total([0])"]),
    ],
    ids=["line", "fenced", "doctest", "swapped", "float", "message", "multiline", "truthy"],
)
def test_parses_the_forms_a_small_model_writes(text: str, expected: list[str]) -> None:
    assert sources(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "assert other([1]) == 1",  # does not call the entry point
        "assert total(...) == ...",  # the prompt's placeholder copied
        "result = total([1])\nassert result == 1",  # no call inside the assert
        "def test_a():\n    xs = [1]\n    assert total(xs) == 1",  # a local variable
        "assert total([1] == 1",  # does not parse
        "print(total([1]))",  # no assert
    ],
    ids=["other-function", "ellipsis", "no-call", "local-variable", "syntax", "no-assert"],
)
def test_drops_tests_that_cannot_be_used(text: str) -> None:
    assert sources(text) == []


def test_recovers_asserts_from_text_that_does_not_parse() -> None:
    text = (
        "Here are the tests:\n```python\ndef test_total():\n    assert total([1]) == 1\n"
        "    assert total([2, 2]) == 4\n  oops this is not python(\nassert total([]) == 0\n```"
    )
    assert sources(text) == [
        "assert total([1]) == 1",
        "assert total([2, 2]) == 4",
        "assert total([]) == 0",
    ]


def test_keeps_the_imports_a_test_needs_dedupes_and_limits() -> None:
    text = (
        "import math\nimport os\nassert math.isclose(total([1]), 1)\n"
        "assert total([1]) == 1\nassert total([1])==1\nassert total([2]) == 2"
    )
    assert sources(text) == [
        "import math\nassert math.isclose(total([1]), 1)",
        "assert total([1]) == 1",
        "assert total([2]) == 2",
    ]
    assert len(sources(text, limit=2)) == 2


def test_test_ids_are_stable_hashes_of_the_source() -> None:
    (a,) = parse_generated_tests("assert total([1]) == 1", "total")
    (b,) = parse_generated_tests("```\nassert 1 == total([1])\n```", "total")
    assert a.id == b.id and a.id.startswith("t") and len(a.id) == 11
    assert (a.call, a.expected) == ("total([1])", "1")


# --- configuration and errors --------------------------------------------------------------


def test_bad_options_are_named() -> None:
    backend = ScriptedBackend(lambda r: SUITE)
    with pytest.raises(ConfigError, match=r"GeneratedTestsVerifier\.threshold"):
        GeneratedTestsVerifier(backend, threshold=1.5)
    with pytest.raises(ConfigError, match=r"GeneratedTestsVerifier\.n_tests"):
        GeneratedTestsVerifier(backend, n_tests=0)
    with pytest.raises(ConfigError, match=r"GeneratedTestsVerifier\.entry_point"):
        GeneratedTestsVerifier(backend, entry_point="not a name")
    assert isinstance(GeneratedTestsVerifier(backend), Verifier)


async def test_no_task_or_entry_point_is_a_verifier_error() -> None:
    v = GeneratedTestsVerifier(ScriptedBackend(lambda r: SUITE))
    with pytest.raises(VerifierError, match="no task to write tests for"):
        await v.verify(Candidate(index=0, text=RIGHT), VerifyContext())
    prose = VerifyContext(messages=[HumanMessage("Sum some numbers.")])
    with pytest.raises(VerifierError, match="cannot tell which function"):
        await v.verify(Candidate(index=0, text=RIGHT), prose)


async def test_a_backend_that_fails_the_sample_is_a_verifier_error() -> None:
    backend = ScriptedBackend(lambda r: Sample(index=0, error="engine died"), name="broken")
    v = GeneratedTestsVerifier(backend)
    with pytest.raises(VerifierError, match=r"backend 'broken' wrote no tests \(engine died\)"):
        await v.verify(Candidate(index=0, text=RIGHT), CTX)


# --- one generation per step ---------------------------------------------------------------


async def test_concurrent_calls_share_one_generation() -> None:
    backend = ScriptedBackend(lambda r: SUITE, delay=0.05)
    v = GeneratedTestsVerifier(backend, n_tests=7, seed=3)
    got: list[bool] = []

    async def ask() -> None:
        _, fresh = await v.suite("total", "def total(xs): ...")
        got.append(fresh)

    async with anyio.create_task_group() as tg:
        for _ in range(6):
            tg.start_soon(ask)
    assert len(backend.requests) == 1 and sorted(got) == [False] * 5 + [True]
    request: SampleRequest = backend.requests[0]
    assert (request.n, list(request.seeds), request.temperature) == (1, [3], 0.0)
    assert "7 different test cases for `total`" in request.messages[-1].text
    await v.suite("total", "def total(xs): ...")
    await v.suite("total", "def total(xs, start): ...")  # another step's task
    assert len(backend.requests) == 2 and v.generations == 2
    assert (v.tokens_in, v.tokens_out) == (80, 60)


async def test_the_cache_forgets_the_oldest_task() -> None:
    backend = ScriptedBackend(lambda r: SUITE)
    v = GeneratedTestsVerifier(backend, cache_size=2)
    for task in ("a", "b", "c", "a"):
        await v.suite("total", task)
    assert len(backend.requests) == 4


async def test_the_task_is_the_first_user_message_or_extras() -> None:
    backend = ScriptedBackend(lambda r: "nothing usable")
    v = GeneratedTestsVerifier(backend)
    revision = VerifyContext(messages=[*CTX.messages, HumanMessage("Fix it: def wrong(): ...")])
    for ctx in (CTX, revision):
        await v.verify(Candidate(index=0, text=RIGHT), ctx)
    assert len(backend.requests) == 1  # the revision turn reuses the step's suite
    prompt = backend.requests[0].messages[-1].text
    assert "def total(xs: List[int]) -> int:" in prompt and "Complete the" not in prompt
    extras = VerifyContext(extras={"task": "def other(x): ...", "entry_point": "other"})
    await v.verify(Candidate(index=0, text=RIGHT), extras)
    assert "`other`" in backend.requests[1].messages[-1].text


async def test_no_usable_test_passes_everyone_alike() -> None:
    v = GeneratedTestsVerifier(ScriptedBackend(lambda r: "I cannot write tests."))
    verdict = await v.verify(Candidate(index=0, text=WRONG), CTX)
    assert (verdict.passed, verdict.score, verdict.details["total"]) == (True, 1.0, 0)
    assert verdict.details["kind"] == GENERATED_TESTS


# --- scoring in the real sandbox -----------------------------------------------------------


async def _verify_all(v: GeneratedTestsVerifier, texts: list[str]) -> list[Verdict]:
    verdicts: dict[int, Verdict] = {}

    async def one(i: int) -> None:
        verdicts[i] = await v.verify(Candidate(index=i, text=texts[i]), CTX)

    async with anyio.create_task_group() as tg:
        for i in range(len(texts)):
            tg.start_soon(one, i)
    return [verdicts[i] for i in range(len(texts))]


@pytest.mark.slow
async def test_scores_candidates_by_the_generated_tests_they_pass() -> None:
    backend = ScriptedBackend(lambda r: SUITE, delay=0.05, tokens_in=100, tokens_out=25)
    v = GeneratedTestsVerifier(backend)
    broken = "```python\ndef total(xs):\n    raise SystemExit(0)\n```"
    right, wrong, crash = await _verify_all(v, [RIGHT, WRONG, broken])
    assert len(backend.requests) == 1
    ids = {t.call: t.id for t in (await v.suite("total", _task_code()))[0].tests}
    assert right.score == pytest.approx(2 / 3) and right.passed  # the third test is wrong
    assert sorted(right.details["passed"]) == sorted([ids["total([1, 2])"], ids["total([])"]])
    assert right.details["outputs"] == {
        ids["total([1, 2])"]: "3",
        ids["total([])"]: "0",
        ids["total([5])"]: "5",
    }
    assert wrong.score == pytest.approx(1 / 3) and not wrong.passed
    assert wrong.details["outputs"][ids["total([1, 2])"]] == "2"
    assert wrong.details["passed"] == [ids["total([])"]]
    assert crash.score == 0.0 and crash.details["failed"]
    assert "generated tests passed" in wrong.feedback and "total([1, 2])" in wrong.feedback
    # the generation's tokens appear once across the step's verdicts
    spent = [
        (vd.details["tokens"]["in"], vd.details["tokens"]["out"]) for vd in (right, wrong, crash)
    ]
    assert sorted(spent) == [(0, 0), (0, 0), (100, 25)]


@pytest.mark.slow
async def test_a_forging_candidate_does_not_pass() -> None:
    forger = (
        "```python\nclass Liar:\n    def __eq__(self, other):\n        return True\n"
        "def total(xs):\n    return Liar()\n```"
    )
    v = GeneratedTestsVerifier(ScriptedBackend(lambda r: SUITE), threshold=0.0)
    verdict = await v.verify(Candidate(index=0, text=forger), CTX)
    assert verdict.score == 0.0 and verdict.details["passed"] == []


def _task_code() -> str:
    return 'from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    """Sum of xs."""'
