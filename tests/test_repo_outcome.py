"""Which failed edit the repository agent keeps for ``best_effort`` (``outcome.better``).

A kept near-miss is reported to the user as the agent's unverified edit, so it must never
be one that breaks what worked, nor one whose tests could not tell (a timeout, a patch
that did not apply, a runner whose output names no test).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from langgraph_scaling.agents.repo.outcome import better
from langgraph_scaling.agents.repo.verify import Attempt
from langgraph_scaling.report import Verdict

EDIT = "pkg/mod.py\n```python\ndef f():\n    return {n}\n```"
TAIL = "The patch applies, but 1/1 tests fail: tests.\nOutput of the first failing test:\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("def f():\n    return 0\n")
    return tmp_path


def attempt(index: int, output: str, **details: Any) -> Attempt:
    ran = {"form": "whole", "passed": [], "failed": ["tests"], "total": 1}
    verdict = Verdict(
        verifier="patch",
        passed=False,
        score=0.0,
        feedback=TAIL + output,
        details={**ran, **details},
    )
    return Attempt(index=index, text=EDIT.format(n=index + 1), verdict=verdict)  # 0: unchanged


def unran(index: int, feedback: str, **details: Any) -> Attempt:
    """A failed edit whose tests did not run (the verifier's ``_fail`` verdicts)."""
    verdict = Verdict(
        verifier="patch",
        passed=False,
        score=0.0,
        feedback=feedback,
        details={"form": "whole", **details},
    )
    return Attempt(index=index, text=EDIT.format(n=index + 5), verdict=verdict)


def test_a_near_miss_failing_only_what_failed_before_is_kept(root: Path) -> None:
    a = attempt(1, "FAILED tests/test_m.py::test_f - assert 1 == 2\n1 failed, 3 passed")
    best = better(None, [a], root, ["tests/test_m.py::test_f"])
    assert best is not None
    assert best["changes"] == {"pkg/mod.py": "def f():\n    return 2\n"}
    assert best["failing"] == 1


def test_fewer_failing_tests_rank_first_and_new_failures_are_never_kept(root: Path) -> None:
    before = ["tests/test_m.py::test_f", "tests/test_m.py::test_g"]
    both = attempt(0, "FAILED tests/test_m.py::test_f\nFAILED tests/test_m.py::test_g")
    one = attempt(1, "FAILED tests/test_m.py::test_g\n1 failed, 3 passed")
    breaks = attempt(2, "FAILED tests/test_m.py::test_h\n1 failed, 3 passed")
    best = better(None, [both, breaks, one], root, before)
    assert best is not None and best["changes"]["pkg/mod.py"].endswith("return 2\n")
    assert better(None, [breaks], root, before) is None


def test_an_edit_whose_tests_did_not_run_to_the_end_is_never_kept(root: Path) -> None:
    before = ["tests/test_m.py::test_f"]
    timed_out = unran(0, "timed out after 60s", limit_hit="timeout")
    not_applied = unran(1, "The patch does not apply:\n...")
    assert better(None, [timed_out, not_applied], root, before) is None
    # and neither displaces a real near-miss (before, an empty parse ranked first)
    real = attempt(2, "FAILED tests/test_m.py::test_f\n1 failed")
    best = better(None, [timed_out, not_applied, real], root, before)
    assert best is not None and best["changes"]["pkg/mod.py"].endswith("return 3\n")


def test_output_that_names_no_test_is_not_a_near_miss(root: Path) -> None:
    # unittest's summary and a conftest that fails to import name no pytest test id
    unittest_out = attempt(0, "FAIL: test_f (tests.test_m.T.test_f)\n\nFAILED (failures=1)")
    conftest = attempt(1, "ImportError while loading conftest 'tests/conftest.py'.")
    assert better(None, [unittest_out, conftest], root, ["(failures=1)"]) is None


def test_the_reproduction_test_may_still_fail(root: Path) -> None:
    # the suite passed before; the agent's reproduction test is what fails
    a = attempt(0, "FAILED tests/test_repro.py::test_issue - assert 0 == 1\n1 failed")
    assert better(None, [a], root, ["tests/test_repro.py"]) is not None
    assert better(None, [a], root, []) is None


def test_the_whole_short_summary_counts_when_the_feedback_is_cut(root: Path) -> None:
    before = [f"tests/test_m.py::test_{i}" for i in range(9)]  # PatchVerifier's parse of all
    cut = attempt(0, "FAILED tests/test_m.py::test_8", failing_tests=before)
    fewer = attempt(1, "FAILED tests/test_m.py::test_0\nFAILED tests/test_m.py::test_1")
    best = better(None, [cut, fewer], root, before)
    assert best is not None and best["failing"] == 2
    assert best["changes"]["pkg/mod.py"].endswith("return 2\n")


def test_a_kept_edit_from_an_older_checkpoint_gives_way(root: Path) -> None:
    old = {"changes": {"pkg/mod.py": "x = 1\n"}, "score": 0.0, "feedback": "..."}  # no count
    a = attempt(0, "FAILED tests/test_m.py::test_f\n1 failed")
    best = better(old, [a], root, ["tests/test_m.py::test_f"])
    assert best is not None and best["failing"] == 1
