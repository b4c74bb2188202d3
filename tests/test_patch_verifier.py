"""PatchVerifier on a small git repository with a real bug, in the real sandbox.

Every edit form the verifier accepts (SEARCH/REPLACE, whole function, whole file, unified
diff) is applied and tested; a malformed edit is a failed verdict with feedback.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from langgraph_scaling.errors import ConfigError, VerifierError
from langgraph_scaling.report import Candidate
from langgraph_scaling.sandbox import Sandbox
from langgraph_scaling.verifiers.patch import PatchVerifier
from langgraph_scaling.verifiers.protocol import VerifyContext

pytestmark = pytest.mark.slow
CTX = VerifyContext()

MODULE = '''def mean(xs):
    """Average of xs."""
    return sum(xs) / (len(xs) + 1)


def clamp(x, lo, hi):
    return max(lo, min(x, hi))
'''

TESTS = """import unittest

from stats import clamp, mean


class TestMean(unittest.TestCase):
    def test_mean(self):
        self.assertEqual(mean([1, 2, 3]), 2)


class TestClamp(unittest.TestCase):
    def test_clamp(self):
        self.assertEqual(clamp(5, 0, 3), 3)
"""

GOOD = """--- a/stats.py
+++ b/stats.py
@@ -1,6 +1,6 @@
 def mean(xs):
     \"\"\"Average of xs.\"\"\"
-    return sum(xs) / (len(xs) + 1)
+    return sum(xs) / len(xs)
 
 
 def clamp(x, lo, hi):
"""

WRONG = GOOD.replace("+    return sum(xs) / len(xs)", "+    return sum(xs) / (len(xs) - 1)")
BREAKS_CLAMP = (
    GOOD
    + """@@ -5,3 +5,3 @@
 
 def clamp(x, lo, hi):
-    return max(lo, min(x, hi))
+    return min(lo, max(x, hi))
"""
)
NOT_APPLYING = GOOD.replace("-    return sum(xs) / (len(xs) + 1)", "-    return sum(xs) // 7")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "stats.py").write_text(MODULE)
    (root / "test_stats.py").write_text(TESTS)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], cwd=root, check=True)
    return root


def _verifier(repo: Path) -> PatchVerifier:
    return PatchVerifier(
        repo,
        ["python", "-m", "unittest", "-q"],
        target_tests=["test_stats.TestMean.test_mean"],
        regression_tests=["test_stats.TestClamp.test_clamp"],
        timeout=30,
    )


async def test_correct_patch_passes(repo: Path) -> None:
    verdict = await _verifier(repo).verify(Candidate(index=0, text=f"```diff\n{GOOD}```"), CTX)
    assert verdict.passed, verdict.feedback
    assert verdict.score == 1.0
    assert "(len(xs) + 1)" in (repo / "stats.py").read_text()  # the original is untouched


async def test_wrong_patch_fails_with_test_output(repo: Path) -> None:
    verdict = await _verifier(repo).check_patch(WRONG)
    assert not verdict.passed
    assert verdict.score == 0.5
    assert "test_stats.TestMean.test_mean" in verdict.feedback
    assert "AssertionError" in verdict.feedback


async def test_regression_is_caught(repo: Path) -> None:
    verdict = await _verifier(repo).check_patch(BREAKS_CLAMP)
    assert not verdict.passed
    assert verdict.details["failed"] == ["test_stats.TestClamp.test_clamp"]
    assert "regression" in verdict.feedback


async def test_non_applying_patch_fails_clearly(repo: Path) -> None:
    verdict = await _verifier(repo).check_patch(NOT_APPLYING)
    assert not verdict.passed and verdict.score == 0.0
    assert verdict.feedback.startswith("The edit of stats.py cannot be applied: the patch does")
    assert verdict.details["edit_error"]["file"] == "stats.py"


async def test_answer_without_edit_fails(repo: Path) -> None:
    verdict = await _verifier(repo).verify(Candidate(index=0, text="I fixed it!"), CTX)
    assert not verdict.passed and "no edit found" in verdict.feedback
    assert "SEARCH" in verdict.feedback  # says which form to use


SEARCH_REPLACE = """The bug is in the denominator.

stats.py
```python
<<<<<<< SEARCH
    return sum(xs) / (len(xs) + 1)
=======
    return sum(xs) / len(xs)
>>>>>>> REPLACE
```
"""
WHOLE_FUNCTION = """```python
def mean(xs):
    \"\"\"Average of xs.\"\"\"
    return sum(xs) / len(xs)
```"""
FIXED = MODULE.replace("(len(xs) + 1)", "len(xs)")
WHOLE_FILE = f"stats.py\n```python\n__all__ = ['clamp', 'mean']\n\n\n{FIXED}```\n"


@pytest.mark.parametrize(
    ("answer", "form"),
    [
        (SEARCH_REPLACE, "search_replace"),
        (WHOLE_FUNCTION, "function"),
        (WHOLE_FILE, "file"),
        (f"```diff\n{GOOD}```", "diff"),
    ],
    ids=["search-replace", "whole-function", "whole-file", "unified-diff"],
)
async def test_every_edit_form_passes(repo: Path, answer: str, form: str) -> None:
    verdict = await _verifier(repo).verify(Candidate(index=0, text=answer), CTX)
    assert verdict.passed, verdict.feedback
    assert verdict.details["form"] == form and verdict.details["files"] == ["stats.py"]
    assert "(len(xs) + 1)" in (repo / "stats.py").read_text()


async def test_malformed_edit_is_a_failed_verdict(repo: Path) -> None:
    answer = SEARCH_REPLACE.replace("(len(xs) + 1)", "(len(xs) + 2)", 1)
    verdict = await _verifier(repo).verify(Candidate(index=0, text=answer), CTX)
    assert not verdict.passed and verdict.score == 0.0
    assert verdict.details["edit_error"]["file"] == "stats.py"
    assert "SEARCH block 1 matches no lines" in verdict.feedback
    assert "closest line is line 3" in verdict.feedback


async def test_whole_command_and_pytest(repo: Path) -> None:
    verifier = PatchVerifier(repo, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"])
    assert (await verifier.check_patch(GOOD)).passed
    wrong = await verifier.check_patch(WRONG)
    assert not wrong.passed
    # what still fails, read from pytest's short summary (outcome.better ranks by it)
    assert wrong.details["failing_tests"] == ["test_stats.py::TestMean::test_mean"]
    assert wrong.details["short_summary"][0].startswith("FAILED test_stats.py::TestMean")


def test_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"PatchVerifier\.test_command"):
        PatchVerifier(tmp_path, [])
    with pytest.raises(ConfigError, match=r"PatchVerifier\.repo"):
        PatchVerifier(tmp_path / "missing", ["true"])


@pytest.mark.parametrize(
    "command",
    [["no-such-test-runner", "-q"], ["./run_tests.sh"]],
    ids=["not-on-path", "not-in-repo"],
)
async def test_a_test_command_the_sandbox_cannot_run_is_an_error_not_a_failed_patch(
    repo: Path, command: list[str]
) -> None:
    # every candidate would "fail" on it alike: the verifier cannot judge, so it says so
    verifier = PatchVerifier(repo, command, timeout=30)
    with pytest.raises(VerifierError, match=rf"program '{re.escape(command[0])}' is not available"):
        await verifier.check_patch(GOOD)


async def test_a_test_module_the_sandbox_lacks_is_an_error_not_a_failed_patch(
    repo: Path,
) -> None:
    verifier = PatchVerifier(repo, ["python", "-m", "pytest"], timeout=30, sandbox=Sandbox())
    with pytest.raises(VerifierError, match="module 'pytest' is not available"):
        await verifier.check_patch(GOOD)
    (repo / "runner.py").write_text("import sys\nsys.exit(1)\n")  # the repository's own
    verdict = await PatchVerifier(repo, ["python", "-m", "runner"], timeout=30).check_patch(GOOD)
    assert not verdict.passed


CHEAT = """test_stats.py
<<<<<<< SEARCH
        self.assertEqual(mean([1, 2, 3]), 2)
=======
        self.assertEqual(mean([1, 2, 3]), 1.5)
>>>>>>> REPLACE
"""


async def test_protected_tests_are_rejected_by_default(repo: Path) -> None:
    verdict = await _verifier(repo).verify(Candidate(index=0, text=CHEAT), CTX)
    assert not verdict.passed and verdict.score == 0.0
    assert "protected test files (test_stats.py)" in verdict.feedback
    assert verdict.details["protected"] == ["test_stats.py"]
    assert verdict.details["protect"] == "reject"


async def test_protected_tests_restored_before_running(repo: Path) -> None:
    verifier = PatchVerifier(
        repo,
        ["python", "-m", "unittest", "-q"],
        target_tests=["test_stats.TestMean.test_mean"],
        protect="restore",
        timeout=30,
    )
    cheat = await verifier.verify(Candidate(index=0, text=CHEAT), CTX)
    assert not cheat.passed and cheat.details["restored"] == ["test_stats.py"]
    assert "only changes protected" in cheat.feedback
    both = await verifier.verify(Candidate(index=0, text=f"{SEARCH_REPLACE}\n{CHEAT}"), CTX)
    assert both.passed, both.feedback  # the fix alone, against the original test
    assert both.details["restored"] == ["test_stats.py"]
    assert both.details["files"] == ["stats.py", "test_stats.py"]
    wrong_fix = SEARCH_REPLACE.replace("sum(xs) / len(xs)", "sum(xs) / (len(xs) - 1)")
    wrong = await verifier.check_patch(f"{wrong_fix}\n{CHEAT}")
    assert not wrong.passed and wrong.details["restored"] == ["test_stats.py"]


def _new_file(path: str, text: str) -> str:
    return f"{path}\n<<<<<<< SEARCH\n=======\n{text}>>>>>>> REPLACE\n"


@pytest.mark.parametrize("config", [".pytest.ini", "pytest.toml", ".pytest.toml", "pytest.ini"])
async def test_a_pytest_config_that_would_skip_the_tests_is_protected(
    repo: Path, config: str
) -> None:
    # pytest reads any of these before pyproject.toml: `--collect-only` passes every suite
    text = (
        '[pytest]\naddopts = ["--collect-only"]\n'
        if config.endswith("toml")
        else ("[pytest]\naddopts = --collect-only\n")
    )
    skip_all = _new_file(config, text)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    open_ = PatchVerifier(repo, command, protected=(), timeout=60)
    assert (await open_.check_patch(skip_all)).passed  # what the protection is for
    verdict = await PatchVerifier(repo, command, timeout=60).check_patch(skip_all)
    assert not verdict.passed and verdict.details["protected"] == [config]


async def test_the_script_the_test_command_runs_is_protected(repo: Path) -> None:
    (repo / "runtests.py").write_text("import unittest\n\nunittest.main(module=None)\n")
    verifier = PatchVerifier(repo, ["python", "runtests.py"], protected=(), timeout=30)
    swap = "runtests.py\n<<<<<<< SEARCH\nunittest.main(module=None)\n=======\nprint()\n"
    verdict = await verifier.check_patch(swap + ">>>>>>> REPLACE\n")
    assert not verdict.passed and verdict.details["protected"] == ["runtests.py"]


async def test_custom_globs_and_no_protection(repo: Path) -> None:
    open_ = PatchVerifier(repo, ["python", "-m", "unittest", "-q"], protected=(), timeout=30)
    assert (await open_.check_patch(CHEAT)).passed  # unprotected, editing the test "works"
    only_stats = PatchVerifier(repo, ["true"], protected=("stats.py",), timeout=30)
    verdict = await only_stats.check_patch(SEARCH_REPLACE)
    assert verdict.details["protected"] == ["stats.py"]
    with pytest.raises(ConfigError, match=r"PatchVerifier\.protect"):
        PatchVerifier(repo, ["true"], protect="ignore")  # type: ignore[arg-type]


async def test_targets_and_regressions_reported(repo: Path) -> None:
    (repo / "test_extra.py").write_text(
        "import unittest\n\nclass TestBroken(unittest.TestCase):\n"
        "    def test_broken(self):\n        self.fail('broken before the patch')\n"
    )
    verifier = PatchVerifier(
        repo,
        ["python", "-m", "unittest", "-q"],
        target_tests=["test_stats.TestMean.test_mean"],
        regression_tests=["test_stats.TestClamp.test_clamp", "test_extra.TestBroken.test_broken"],
        timeout=30,
    )
    assert await verifier.baseline() == {
        "test_stats.TestMean.test_mean": False,
        "test_stats.TestClamp.test_clamp": True,
        "test_extra.TestBroken.test_broken": False,
    }
    good = await verifier.check_patch(SEARCH_REPLACE)
    assert good.passed, good.feedback  # the already-broken test is no regression
    assert good.details["targets"] == {
        "passed": ["test_stats.TestMean.test_mean"],
        "failed": [],
        "passing_before": [],
    }
    assert good.details["regressions"] == {
        "passed": ["test_stats.TestClamp.test_clamp"],
        "failed": [],
        "failing_before": ["test_extra.TestBroken.test_broken"],
    }
    breaks = await verifier.check_patch(BREAKS_CLAMP)
    assert not breaks.passed
    assert breaks.details["regressions"]["failed"] == ["test_stats.TestClamp.test_clamp"]
    assert breaks.details["targets"]["failed"] == []
    wrong = await verifier.check_patch(WRONG)
    assert not wrong.passed
    assert wrong.details["targets"]["failed"] == ["test_stats.TestMean.test_mean"]
    assert "target test" in wrong.feedback


async def test_patch_task_prompt_and_answer(repo: Path) -> None:
    from langgraph_scaling.tasks import (
        CodingTask,
        answer_from_text,
        prompt_messages,
        task_verifiers,
    )

    task = CodingTask(
        id="stats",
        kind="patch",
        prompt="mean([1, 2, 3]) returns 1.5 instead of 2.",
        repo=repo,
        test_command=("python", "-m", "unittest", "-q"),
        context_files=("stats.py",),
    )
    user = prompt_messages(task)[-1].text
    assert "<<<<<<< SEARCH" in user and "whole corrected function" in user
    assert "unified diff is accepted" in user and "Do not change the tests" in user
    for answer in (SEARCH_REPLACE, WHOLE_FUNCTION, f"```diff\n{GOOD}```"):
        diff = answer_from_text(task, answer)
        assert diff.startswith("diff --git a/stats.py b/stats.py\n")
        assert "+    return sum(xs) / len(xs)\n" in diff
    assert answer_from_text(task, "I fixed it!") == ""
    (verifier,) = task_verifiers(task, timeout=30)
    verdict = await verifier.verify(Candidate(index=0, text=SEARCH_REPLACE), CTX)
    assert verdict.passed, verdict.feedback
