"""The bug corpus under benchmarks/bugs/: a well-formed manifest, repositories materialised
as git repositories that patch tools can work on, and (slow) every bug checked for real:
the original passes its tests, the buggy version fails exactly the listed ones."""

import io
import re
import subprocess
from pathlib import Path

import pytest

from tests._corpus import corpus

_KEYS = {
    "id",
    "repo",
    "bug_class",
    "description",
    "files",
    "test_command",
    "failing_tests",
    "substitutions",
}


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return proc.stdout


def test_manifest_is_well_formed() -> None:
    bugs = corpus.manifest()["bugs"]
    ids = corpus.bug_ids()
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)
    assert len({b["repo"] for b in bugs}) == len(bugs), "one bug per repository"
    for entry in bugs:
        assert set(entry) == _KEYS, entry["id"]
        assert entry["test_command"] == "python -m pytest -q tests"
        assert entry["description"] and entry["bug_class"]
        assert entry["files"] == sorted({s["file"] for s in entry["substitutions"]})
        assert entry["failing_tests"] == sorted(set(entry["failing_tests"]))
        assert corpus.issue(entry["id"]).startswith("# ")


@pytest.mark.parametrize("bug_id", corpus.bug_ids())
def test_bug_entry_points_at_real_code_and_tests(bug_id: str) -> None:
    entry = corpus.bug(bug_id)
    root = corpus.REPOS / entry["repo"]
    for sub in entry["substitutions"]:
        assert not sub["file"].startswith("tests/"), "bugs live in the source, not the tests"
        text = (root / sub["file"]).read_text(encoding="utf-8")
        assert text.count(sub["old"]) == 1
        assert sub["old"] != sub["new"]
    assert entry["failing_tests"], "the bug must make at least one test fail"
    for node in entry["failing_tests"]:
        path, _, name = node.partition("::")
        source = (root / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {re.escape(name)}\(", source, flags=re.M), node
    sources = [p for p in root.rglob("*.py") if "tests" not in p.relative_to(root).parts]
    lines = sum(p.read_text(encoding="utf-8").count("\n") for p in sources)
    assert 20 <= lines <= 150
    tests = sum(
        len(re.findall(r"^def test_", p.read_text(encoding="utf-8"), flags=re.M))
        for p in (root / "tests").glob("test_*.py")
    )
    assert 5 <= tests <= 15


def test_corpus_covers_varied_bug_classes() -> None:
    stats = corpus.stats()
    assert stats["bugs"] == len(corpus.bug_ids())
    assert len(stats["bug_classes"]) >= 15
    assert stats["multi_file_fixes"] >= 2


@pytest.mark.parametrize("bug_id", ["tz-offset-sign", "lru-recency"])
def test_materialise_writes_a_clean_git_repo(tmp_path: Path, bug_id: str) -> None:
    entry = corpus.bug(bug_id)
    buggy = corpus.materialise(bug_id, tmp_path / "buggy")
    original = corpus.materialise(bug_id, tmp_path / "original", buggy=False)
    for repo in (buggy, original):
        assert _git(repo, "status", "--porcelain") == ""
        assert len(_git(repo, "log", "--oneline").splitlines()) == 1
        assert not (repo / "ISSUE.md").exists()
    for sub in entry["substitutions"]:
        assert sub["new"] in (buggy / sub["file"]).read_text(encoding="utf-8")
        assert sub["old"] in (original / sub["file"]).read_text(encoding="utf-8")

    # The fix, as a patch made in the buggy repository, applies with `git apply`.
    for name in entry["files"]:
        (buggy / name).write_text((original / name).read_text(encoding="utf-8"))
    patch = _git(buggy, "diff")
    assert sorted(re.findall(r"^\+\+\+ b/(\S+)", patch, flags=re.M)) == entry["files"]
    fresh = corpus.materialise(bug_id, tmp_path / "fresh")
    subprocess.run(["git", "apply", "-"], cwd=fresh, input=patch, text=True, check=True)
    for name in entry["files"]:
        assert (fresh / name).read_text() == (original / name).read_text()


def test_materialise_refuses_a_non_empty_destination_and_unknown_ids(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("")
    with pytest.raises(FileExistsError, match="not empty"):
        corpus.materialise("lru-recency", tmp_path)
    with pytest.raises(KeyError, match="unknown bug id 'nope'"):
        corpus.materialise("nope", tmp_path / "new")


def test_materialise_can_include_the_issue(tmp_path: Path) -> None:
    repo = corpus.materialise("lru-recency", tmp_path / "r", with_issue=True)
    assert (repo / "ISSUE.md").read_text() == corpus.issue("lru-recency")


def test_check_of_one_bug(tmp_path: Path) -> None:
    out = io.StringIO()
    [result] = corpus.check(["median-even"], out=out)
    assert result.ok, result.problems
    assert result.original.returncode == 0
    assert result.buggy.failing == frozenset(corpus.bug("median-even")["failing_tests"])
    assert "1/1 bugs check out" in out.getvalue()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_every_bug_checks_out() -> None:
    out = io.StringIO()
    results = corpus.check(jobs=2, out=out)
    assert len(results) == len(corpus.bug_ids())
    assert all(r.ok for r in results), out.getvalue()
