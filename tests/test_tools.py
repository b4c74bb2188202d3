"""The sandbox tools, called the way an agent calls them."""

from __future__ import annotations

from pathlib import Path

import pytest

from langgraph_scaling.tools import make_patch_tools, run_python, run_tests

pytestmark = pytest.mark.slow


async def test_run_python_tool() -> None:
    out = await run_python.ainvoke({"code": "print(input()[::-1])", "stdin": "abc"})
    assert out == "exit 0\nstdout:\ncba"
    crash = await run_python.ainvoke({"code": "```python\nraise ValueError('bad')\n```"})
    assert crash.startswith("exit 1") and "ValueError: bad" in crash


async def test_run_python_reports_limits() -> None:
    out = await run_python.ainvoke({"code": "import sys\nwhile True: sys.stdout.write('x' * 9999)"})
    assert "limit hit: output" in out
    assert len(out) < 5000


async def test_run_tests_tool() -> None:
    code = "def inc(x):\n    return x + 2\n"
    out = await run_tests.ainvoke({"code": code, "tests": "assert inc(1) == 2\nassert inc(0) >= 0"})
    assert out.startswith("FAILED (50%)")
    assert "assert inc(1) == 2" in out and "(got 3)" in out
    fixed = await run_tests.ainvoke(
        {"code": "def inc(x): return x + 1", "tests": "assert inc(1) == 2"}
    )
    assert fixed.startswith("PASSED")
    bad = await run_tests.ainvoke({"code": "x = 1", "tests": "assert ("})
    assert bad.startswith("error:")


async def test_apply_patch_and_test_tool(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def double(x):\n    return x + x + 1\n")
    (tmp_path / "test_m.py").write_text(
        "import unittest\nfrom m import double\n\n"
        "class T(unittest.TestCase):\n    def test_double(self):\n"
        "        self.assertEqual(double(2), 4)\n"
    )
    (tool,) = make_patch_tools(tmp_path, ["python", "-m", "unittest", "-q"])
    patch = (
        "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n def double(x):\n"
        "-    return x + x + 1\n+    return x + x\n"
    )
    assert (await tool.ainvoke({"patch": patch})).startswith("PASSED")
    bad = await tool.ainvoke({"patch": patch.replace("x + x + 1", "x * 3")})
    assert bad.startswith("FAILED\nThe edit of m.py cannot be applied: the patch does not apply")
