"""Edits as data (issue 16): every form read into an EditSet whose diff `git apply`s.

Each good edit is checked on a real temporary git repository: the built diff passes
`git apply --check` and, applied, gives the expected file. Malformed, ambiguous and
unsafe edits raise EditError naming the file and the reason.
"""

from __future__ import annotations

import ast
import os
import subprocess
from pathlib import Path

import pytest

from langgraph_scaling.edits import EditError, EditSet, matches_any, parse_edits, safe_path

STATS = '''"""Small statistics."""

import math


def mean(xs):
    """Average of xs."""
    return sum(xs) / (len(xs) + 1)


def clamp(x, lo, hi):
    return max(lo, min(x, hi))


class Stack:
    def __init__(self):
        self.items = []

    def push(self, x):
        self.items.append(x)

    def pop(self):
        return self.items[0]
'''
FIXED_MEAN = STATS.replace("(len(xs) + 1)", "len(xs)")


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    base = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    return subprocess.run([*base, *args], cwd=root, capture_output=True, text=True, check=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    (root / "stats.py").write_text(STATS)
    (root / "pkg" / "util.py").write_text("def twice(x):\n    return x + x\n")
    (root / "notes.txt").write_text("no trailing newline")
    (root / "dup.py").write_text("x = 1\nx = 1\n")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "init")
    return root


def _applies(repo: Path, edits: EditSet) -> None:
    """The diff passes `git apply --check`, applies, and gives each change's `after`."""
    patch = repo.parent / "edit.diff"
    patch.write_text(edits.diff)
    check = _git(repo, "apply", "--check", str(patch))
    assert check.returncode == 0, check.stderr + edits.diff
    assert _git(repo, "apply", str(patch)).returncode == 0
    for change in edits.changes:
        target = repo / change.path
        assert (target.read_text() if target.exists() else None) == change.after


def _sr(path: str, search: str, replace: str, fence: str = "```python") -> str:
    return (
        f"Here is the fix.\n\n{path}\n{fence}\n<<<<<<< SEARCH\n{search}=======\n"
        f"{replace}>>>>>>> REPLACE\n```\n"
    )


OLD, NEW = "    return sum(xs) / (len(xs) + 1)\n", "    return sum(xs) / len(xs)\n"


@pytest.mark.parametrize(
    "answer",
    [
        _sr("stats.py", OLD, NEW),
        _sr("`stats.py`", OLD.lstrip(), NEW.lstrip()),
        _sr("File: stats.py", OLD.replace("\n", "   \n"), NEW),
        _sr("", OLD, NEW, "```python stats.py"),
        _sr("**stats.py**", f"\n    {OLD}\n", f"    {NEW}"),
    ],
    ids=["path-line", "backticks-unindented", "file-label-trailing-space", "fence-info",
         "over-indented"],
)  # fmt: skip
def test_search_replace_forms(repo: Path, answer: str) -> None:
    edits = parse_edits(answer, repo)
    assert edits.form == "search_replace" and edits.paths == ("stats.py",)
    assert edits.changes[0].after == FIXED_MEAN
    _applies(repo, edits)


def test_search_replace_several_blocks_and_files(repo: Path) -> None:
    answer = (
        _sr("stats.py", OLD, NEW) + "<<<<<<< SEARCH\n        return self.items[0]\n=======\n"
        "        return self.items.pop()\n>>>>>>> REPLACE\n"
        + _sr("pkg/util.py", "    return x + x\n", "    return 2 * x\n")
        + _sr("notes.txt", "no trailing newline\n", "a new line\n")
    )
    edits = parse_edits(answer, repo)
    assert edits.paths == ("stats.py", "pkg/util.py", "notes.txt")
    assert "self.items.pop()" in (edits.changes[0].after or "")
    _applies(repo, edits)


def test_a_path_like_word_in_a_block_does_not_retarget_the_next_block(repo: Path) -> None:
    # the next block has no path of its own: it edits the file named before the first
    answer = _sr("stats.py", OLD, "    return sum(xs) / len(xs)  # like `self.items`\n") + (
        "<<<<<<< SEARCH\n        return self.items[0]\n=======\n"
        "        return self.items.pop()  # see ``pkg/util.py``\n>>>>>>> REPLACE\n"
    )
    edits = parse_edits(answer, repo)
    assert edits.paths == ("stats.py",)
    assert "self.items.pop()" in (edits.changes[0].after or "")


def test_a_dotted_name_in_prose_between_blocks_is_not_the_next_file(repo: Path) -> None:
    answer = (
        _sr("stats.py", OLD, NEW)
        + "Then `pop` must also use `self.items` the other way:\n"
        + "<<<<<<< SEARCH\n        return self.items[0]\n=======\n"
        + "        return self.items.pop()\n>>>>>>> REPLACE\n"
    )
    edits = parse_edits(answer, repo)
    assert edits.paths == ("stats.py",)
    assert "self.items.pop()" in (edits.changes[0].after or "")
    named = "Now `pkg/util.py`:\n" + _sr("", "    return x + x\n", "    return 2 * x\n")
    assert parse_edits(_sr("stats.py", OLD, NEW) + named, repo).paths == (
        "stats.py",
        "pkg/util.py",
    )


def test_a_dotfile_is_a_path(repo: Path) -> None:
    edits = parse_edits(_sr(".env", "", "DEBUG=1\n"), repo)
    assert edits.paths == (".env",) and edits.changes[0].before is None


def test_empty_search_creates_a_file(repo: Path) -> None:
    edits = parse_edits(_sr("tests/test_new.py", "", "def test_x():\n    assert True\n"), repo)
    assert edits.changes[0].before is None
    _applies(repo, edits)


@pytest.mark.parametrize(
    ("answer", "file", "reason"),
    [
        (_sr("stats.py", "    return 42\n", "    return 0\n"), "stats.py", "matches no lines"),
        (_sr("dup.py", "x = 1\n", "x = 2\n"), "dup.py", "matches 2 places"),
        (_sr("dup.py", "  x = 1\n", "x = 2\n"), "dup.py", "matches 2 places"),
        (_sr("stats.py", "self.items\n", "x\n"), "stats.py", "matches no lines"),
        (_sr("missing.py", "x\n", "y\n"), "missing.py", "does not exist"),
        (_sr("stats.py", "", "x = 1\n"), "stats.py", "is empty"),
        ("<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n", None, "names no file"),
        ("stats.py\n<<<<<<< SEARCH\nx\n=======\ny\n", None, "no `>>>>>>> REPLACE` line"),
        (_sr("stats.py", OLD, OLD), "stats.py", "changes nothing"),
        ("I fixed it, trust me.", None, "no edit found"),
    ],
    ids=["no-match", "ambiguous-exact", "ambiguous-stripped", "not-whole-lines", "missing-file",
         "empty-search", "no-path", "unterminated", "no-change", "no-edit"],
)  # fmt: skip
def test_malformed_search_replace(repo: Path, answer: str, file: str | None, reason: str) -> None:
    with pytest.raises(EditError, match=reason) as caught:
        parse_edits(answer, repo)
    assert caught.value.file == file
    assert isinstance(caught.value, ValueError)


def test_no_match_hints_the_closest_line(repo: Path) -> None:
    with pytest.raises(EditError, match=r"closest line is line 8: 'return sum\(xs\) / \(len"):
        parse_edits(_sr("stats.py", "    return sum(xs) / (len(x) + 1)\n", "    x\n"), repo)


@pytest.mark.parametrize(
    "path",
    ["../outside.py", "/etc/passwd", "pkg/../../x.py", ".git/config", "link/evil.py", "~/x.py"],
    ids=["dotdot", "absolute", "nested-dotdot", "git-dir", "symlink-out", "home"],
)
def test_paths_must_stay_inside(repo: Path, tmp_path: Path, path: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.py").write_text("x = 1\n")
    os.symlink(outside, repo / "link")
    with pytest.raises(EditError, match=r"repository|symbolic link|\.git") as caught:
        parse_edits(_sr(path, "x = 1\n", "x = 2\n"), repo)
    assert caught.value.file == path
    with pytest.raises(EditError):
        parse_edits(f"{path}\n```python\nx = 2\n```\n", repo)


def test_a_root_anchored_path_is_refused_with_the_relative_one_to_write(repo: Path) -> None:
    # the tools take "/stats.py" as the root's; an edit says what to write instead
    with pytest.raises(EditError, match=r"relative to the repository root \(`stats.py`\)"):
        parse_edits(_sr("/stats.py", OLD, NEW), repo)


def test_a_path_the_file_system_refuses_is_an_edit_error(repo: Path) -> None:
    with pytest.raises(EditError, match="the path cannot be used"):
        safe_path(repo, "pkg/" + "a" * 300 + ".py")


@pytest.mark.parametrize("name", ["a\ud800.py", "a\nb.py", "a\x1b.py"])
def test_a_path_with_a_character_no_name_can_have_is_an_edit_error(repo: Path, name: str) -> None:
    with pytest.raises(EditError, match="no file name can have"):
        safe_path(repo, name)


def test_safe_path_normalises() -> None:
    assert safe_path(Path("."), "./src//langgraph_scaling/errors.py") == (
        "src/langgraph_scaling/errors.py"
    )


def test_whole_function_after_path(repo: Path) -> None:
    answer = (
        "stats.py\n```python\nimport statistics\n\n\ndef mean(xs):\n"
        '    """Average of xs."""\n    return sum(xs) / len(xs)\n```\n'
    )
    edits = parse_edits(answer, repo)
    assert edits.form == "function"
    after = edits.changes[0].after or ""
    assert after == FIXED_MEAN.replace("import math\n", "import math\nimport statistics\n")
    _applies(repo, edits)


def test_a_new_method_and_a_new_function_after_the_class_both_land_where_written(
    repo: Path,
) -> None:
    answer = (
        "stats.py\n```python\nclass Stack:\n    def pop(self):\n        return self.items.pop()"
        "\n\n    def peek(self):\n        return self.items[-1]\n\n\ndef helper():\n"
        "    return 5\n```\n"
    )
    tree = ast.parse(parse_edits(answer, repo).changes[0].after or "")
    shape = {n.name: [m.name for m in n.body if isinstance(m, ast.FunctionDef)] for n in
             tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}  # fmt: skip
    assert shape["Stack"] == ["__init__", "push", "pop", "peek"] and shape["helper"] == []


def test_whole_function_found_without_path_and_methods(repo: Path) -> None:
    answer = (
        "The fix:\n```python\ndef pop(self):\n    return self.items.pop()\n\n\n"
        "def median(xs):\n    return sorted(xs)[len(xs) // 2]\n```\n"
    )
    edits = parse_edits(answer, repo)
    after = edits.changes[0].after or ""
    assert "    def pop(self):\n        return self.items.pop()\n" in after
    assert after.endswith("\n\n\ndef median(xs):\n    return sorted(xs)[len(xs) // 2]\n")
    _applies(repo, edits)


def test_class_listing_one_method_replaces_only_it(repo: Path) -> None:
    answer = "```python\nclass Stack:\n    def pop(self):\n        return self.items.pop()\n```"
    after = parse_edits(answer, repo).changes[0].after or ""
    assert "def push(self, x)" in after and "return self.items.pop()" in after
    assert after.count("class Stack") == 1


def test_a_class_and_its_own_method_at_top_level_is_an_error_not_lost_code(
    repo: Path,
) -> None:
    (repo / "shapes.py").write_text(
        "class Box:\n    def area(self):\n        return 1\n\n    def side(self):\n"
        "        return 2\n\n\ndef after():\n    return 3\n"
    )
    answer = (
        "shapes.py\n```python\nclass Box:\n    def area(self):\n        return 10\n\n"
        "    def side(self):\n        return 20\n\n\ndef area(self):\n    return 30\n```\n"
    )
    with pytest.raises(EditError, match="write the class whole or only the method"):
        parse_edits(answer, repo)  # before: the splices overlapped and `after` was lost


@pytest.mark.parametrize(
    ("answer", "file", "reason"),
    [
        ("```python\ndef nowhere():\n    pass\n```", None, "no file defines nowhere"),
        ("stats.py\n```python\ndef mean(xs:\n```", "stats.py", "python block does not parse"),
        ("```python\ndef mean(xs):\n    return 0\n```", None, "mean is defined in"),
    ],
    ids=["unknown-name", "syntax-error", "two-owners"],
)
def test_malformed_function_edits(repo: Path, answer: str, file: str | None, reason: str) -> None:
    if "defined in" in reason:
        (repo / "other.py").write_text("def mean(xs):\n    return 1\n")
    with pytest.raises(EditError, match=reason) as caught:
        parse_edits(answer, repo)
    assert caught.value.file == file


def test_function_hint_limits_the_search(repo: Path) -> None:
    (repo / "other.py").write_text("def mean(xs):\n    return 1\n")
    answer = "```python\ndef mean(xs):\n    return 0\n```"
    assert parse_edits(answer, repo, files=["other.py"]).paths == ("other.py",)


def test_whole_file_replacement(repo: Path) -> None:
    answer = "pkg/util.py\n```python\nTWO = 2\n\n\ndef twice(x):\n    return TWO * x\n```\n"
    edits = parse_edits(answer, repo)
    assert edits.form == "file"
    assert edits.changes[0].after == "TWO = 2\n\n\ndef twice(x):\n    return TWO * x\n"
    _applies(repo, edits)


DIFF = """--- a/stats.py
+++ b/stats.py
@@ -5,7 +5,7 @@ import math
 
 def mean(xs):
     \"\"\"Average of xs.\"\"\"
-    return sum(xs) / (len(xs) + 1)
+    return sum(xs) / len(xs)
 
 
 def clamp(x, lo, hi):
"""


def test_unified_diff_is_checked_and_rebuilt(repo: Path) -> None:
    edits = parse_edits(f"```diff\n{DIFF}```", repo)
    assert edits.form == "diff" and edits.changes[0].after == FIXED_MEAN
    wrong_counts = DIFF.replace("@@ -5,7 +5,7 @@", "@@ -5,9 +5,12 @@")  # --recount fixes it
    assert parse_edits(wrong_counts, repo).changes == edits.changes
    _applies(repo, edits)
    assert (repo / "stats.py").read_text() == FIXED_MEAN


@pytest.mark.parametrize(
    ("diff", "file", "reason"),
    [
        (DIFF.replace(f"-{OLD}", "-    return 7\n"), "stats.py", "does not apply"),
        (DIFF.replace("a/stats.py", "a/../x.py"), "../x.py", "inside the repository"),
        ("--- a/stats.py\n+++ b/stats.py\n", "stats.py", "does not apply"),
    ],
    ids=["context-mismatch", "escape", "no-hunks"],
)  # fmt: skip
def test_malformed_diffs(repo: Path, diff: str, file: str | None, reason: str) -> None:
    with pytest.raises(EditError, match=reason) as caught:
        parse_edits(diff, repo)
    assert caught.value.file == file
    assert (repo / "stats.py").read_text() == STATS


def test_globs() -> None:
    globs = ("tests/**", "test_*.py", "*_test.py", "conftest.py")
    assert matches_any("tests/unit/helpers.py", globs)
    assert matches_any("pkg/test_stats.py", globs) and matches_any("stats_test.py", globs)
    assert matches_any("pkg/conftest.py", globs)
    assert not matches_any("pkg/tests.py", globs) and not matches_any("src/stats.py", globs)
    assert matches_any("a/b/c.py", ("a/**/c.py",)) and matches_any("a/c.py", ("a/**/c.py",))
