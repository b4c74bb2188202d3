# Shows: the coding agent verifying candidate patches with a repository's tests before it
# commits one. Runs offline on a scripted fake model that proposes three diffs (a wrong fix,
# one that does not apply, the right fix); pass --embedded to ask the embedded model instead.
"""Each candidate diff is applied to a temporary copy of the repo and its tests are run."""

from __future__ import annotations

import difflib
import subprocess
import sys
import tempfile
from pathlib import Path

import anyio

from langgraph_scaling import ScalingPolicy
from langgraph_scaling.agents.coding import CodingAgentContext, build_coding_agent
from langgraph_scaling.tasks import CodingTask
from langgraph_scaling.testing import ScriptedChatModel

BUGGY = "def mean(xs):\n    return sum(xs) / (len(xs) - 1)\n"
TESTS = (
    "import unittest\nfrom stats import mean\n\n\nclass T(unittest.TestCase):\n"
    "    def test_mean(self):\n        self.assertEqual(mean([1, 2, 3]), 2)\n\n"
    "    def test_single(self):\n        self.assertEqual(mean([4]), 4)\n"
)


def make_repo(root: Path) -> Path:
    repo = root / "stats-repo"
    repo.mkdir()
    (repo / "stats.py").write_text(BUGGY)
    (repo / "test_stats.py").write_text(TESTS)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo


def diff(new: str) -> str:
    lines = difflib.unified_diff(
        BUGGY.splitlines(True), new.splitlines(True), "a/stats.py", "b/stats.py"
    )
    return "```diff\n" + "".join(lines) + "```"


def fake_model() -> ScriptedChatModel:
    wrong = diff("def mean(xs):\n    return sum(xs) / len(xs) - 1\n")
    stale = (  # written against code that is not in the repository
        "```diff\n--- a/stats.py\n+++ b/stats.py\n@@ -1,2 +1,2 @@\n"
        " def average(xs):\n-    pass\n+    return 0\n```"
    )
    right = diff("def mean(xs):\n    return sum(xs) / len(xs)\n")
    return ScriptedChatModel(script=[wrong, stale, right])


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp))
        task = CodingTask(
            id="stats-mean",
            kind="patch",
            repo=repo,
            prompt="mean() gives wrong results: mean([1, 2, 3]) should be 2.",
            test_command=("python", "-m", "unittest", "-q"),
            context_files=("stats.py",),
        )
        model = None if "--embedded" in sys.argv else fake_model()
        context = CodingAgentContext(
            model=model,
            apply_patch=True,
            policy=ScalingPolicy(
                router=3, selection="first_pass", max_new_tokens=400, max_concurrency=1
            ),
        )
        out = await build_coding_agent().ainvoke({"task": task}, context=context)
        (report,) = out["reports"]
        print(
            f"{report['launched']} candidate patches; winner: branch {report['winner']} "
            f"({report['reason']})"
        )
        print(f"passed the repo's tests: {out['passed']}, applied: {out['applied']}")
        print("stats.py is now:\n" + (repo / "stats.py").read_text())


if __name__ == "__main__":
    anyio.run(main)
