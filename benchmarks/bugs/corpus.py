"""The bug corpus: small repositories, each with one injected bug and tests that catch it.

Every repository under ``repos/<id>/`` is the *correct* version. ``manifest.json`` lists, for
each bug, the substitutions that turn the correct source into the buggy one and the tests
that the bug makes fail. ``materialise`` writes either version as a fresh git repository, so
patch tools can ``git apply`` against it; ``python benchmarks/bugs/corpus.py check`` proves,
for every bug, that the original passes all its tests and that the buggy version fails
exactly the listed ones.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TextIO

HERE = Path(__file__).resolve().parent
REPOS = HERE / "repos"
MANIFEST = HERE / "manifest.json"

ISSUE_FILE = "ISSUE.md"
GITIGNORE = "__pycache__/\n*.pyc\n.pytest_cache/\n"
_SKIP = {"__pycache__", ".pytest_cache"}
_RESULT = re.compile(r"^(FAILED|ERROR) (\S+)")
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "corpus",
    "GIT_AUTHOR_EMAIL": "corpus@example.invalid",
    "GIT_COMMITTER_NAME": "corpus",
    "GIT_COMMITTER_EMAIL": "corpus@example.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
}


@cache
def manifest() -> dict[str, Any]:
    """The parsed ``manifest.json``."""
    data: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return data


def _bugs() -> dict[str, dict[str, Any]]:
    return {bug["id"]: bug for bug in manifest()["bugs"]}


def bug_ids() -> list[str]:
    """The ids of every bug, in manifest order."""
    return [bug["id"] for bug in manifest()["bugs"]]


def bug(bug_id: str) -> dict[str, Any]:
    """The manifest entry of one bug; ``KeyError`` names an unknown id."""
    bugs = _bugs()
    if bug_id not in bugs:
        raise KeyError(f"unknown bug id {bug_id!r}; known: {', '.join(bugs)}")
    return bugs[bug_id]


def issue(bug_id: str) -> str:
    """The user's bug report (``ISSUE.md``) for one bug."""
    return (REPOS / bug(bug_id)["repo"] / ISSUE_FILE).read_text(encoding="utf-8")


def _apply(text: str, old: str, new: str, where: str) -> str:
    count = text.count(old)
    if count != 1:
        raise ValueError(f"{where}: the substitution's old text occurs {count} times, not once")
    return text.replace(old, new)


def materialise(bug_id: str, dest: Path, *, buggy: bool = True, with_issue: bool = False) -> Path:
    """Write one bug's repository at ``dest`` as a git repository with one commit.

    Args:
        bug_id: a manifest id.
        dest: the directory to create; it must not exist or be empty.
        buggy: write the buggy version (the default) or the original.
        with_issue: also write ``ISSUE.md`` (the agent normally gets it as its task text).

    Returns:
        ``dest``, holding the repository, its work tree clean at ``HEAD``.
    """
    entry = bug(bug_id)
    src = REPOS / entry["repo"]
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} exists and is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if _SKIP.intersection(rel.parts) or not path.is_file():
            continue
        if rel.as_posix() == ISSUE_FILE and not with_issue:
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (dest / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    if buggy:
        for sub in entry["substitutions"]:
            target = dest / sub["file"]
            text = target.read_text(encoding="utf-8")
            where = f"{bug_id}: {sub['file']}"
            target.write_text(_apply(text, sub["old"], sub["new"], where), encoding="utf-8")
    env = {**os.environ, **_GIT_ENV}
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-q", "--no-gpg-sign", "-m", "initial"],
    ):
        subprocess.run(["git", *args], cwd=dest, env=env, check=True, capture_output=True)
    return dest


@dataclass(frozen=True)
class SuiteRun:
    """What one run of a repository's tests showed."""

    returncode: int
    failing: frozenset[str]
    summary: str
    seconds: float


def run_tests(repo: Path, *, timeout: float = 120) -> SuiteRun:
    """Run ``python -m pytest -q tests`` in ``repo`` with this interpreter, plugins off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", "tests"]
    start = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return SuiteRun(-1, frozenset(), f"timed out after {timeout} s", time.monotonic() - start)
    lines = proc.stdout.splitlines()
    failing = frozenset(m.group(2) for line in lines if (m := _RESULT.match(line)))
    summary = lines[-1] if lines else proc.stderr.strip()[-200:]
    return SuiteRun(proc.returncode, failing, summary, time.monotonic() - start)


@dataclass(frozen=True)
class CheckResult:
    """The check of one bug: the original passes, the buggy fails exactly the listed tests."""

    bug_id: str
    original: SuiteRun
    buggy: SuiteRun
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_bug(bug_id: str) -> CheckResult:
    """Materialise both versions of one bug in a temporary directory and run their tests."""
    expected = frozenset(bug(bug_id)["failing_tests"])
    with tempfile.TemporaryDirectory(prefix=f"bug-{bug_id}-") as tmp:
        original = run_tests(materialise(bug_id, Path(tmp) / "original", buggy=False))
        buggy = run_tests(materialise(bug_id, Path(tmp) / "buggy", buggy=True))
    problems = []
    if original.returncode != 0:
        problems.append(f"original does not pass: {original.summary}")
    if buggy.returncode != 1:
        problems.append(f"buggy run exited {buggy.returncode}, not 1: {buggy.summary}")
    if buggy.failing != expected:
        missing = sorted(expected - buggy.failing)
        extra = sorted(buggy.failing - expected)
        problems.append(f"buggy fails other tests than listed: missing {missing}, extra {extra}")
    return CheckResult(bug_id, original, buggy, tuple(problems))


def check(
    ids: list[str] | None = None, *, jobs: int = 2, out: TextIO | None = None
) -> list[CheckResult]:
    """Check every bug (or ``ids``), ``jobs`` at a time; print a table row per bug, in order."""
    out = out or sys.stdout
    results = []
    print(f"{'bug':<28} {'original':<10} {'buggy':<16} {'s':>5}  verdict", file=out)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for res in pool.map(check_bug, ids or bug_ids()):
            results.append(res)
            orig = "pass" if res.original.returncode == 0 else "FAIL"
            fails = f"{len(res.buggy.failing)} failing"
            secs = res.original.seconds + res.buggy.seconds
            verdict = "ok" if res.ok else "; ".join(res.problems)
            row = f"{res.bug_id:<28} {orig:<10} {fails:<16} {secs:5.1f}  {verdict}"
            print(row, file=out, flush=True)
    bad = sum(not r.ok for r in results)
    print(f"{len(results) - bad}/{len(results)} bugs check out", file=out)
    return results


def stats() -> dict[str, Any]:
    """Counts over the corpus: bugs, bug classes, files, lines and tests."""
    bugs = manifest()["bugs"]
    classes: dict[str, int] = {}
    for entry in bugs:
        classes[entry["bug_class"]] = classes.get(entry["bug_class"], 0) + 1
    src_lines = test_lines = tests = 0
    for entry in bugs:
        root = REPOS / entry["repo"]
        for path in root.rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "tests" in path.relative_to(root).parts:
                test_lines += text.count("\n")
                tests += len(re.findall(r"^def test_", text, flags=re.M))
            else:
                src_lines += text.count("\n")
    return {
        "bugs": len(bugs),
        "bug_classes": dict(sorted(classes.items())),
        "multi_file_fixes": sum(len(e["files"]) > 1 for e in bugs),
        "source_lines": src_lines,
        "test_lines": test_lines,
        "tests": tests,
        "failing_tests": sum(len(e["failing_tests"]) for e in bugs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="print the bug ids and classes")
    sub.add_parser("stats", help="print corpus statistics as JSON")
    p_check = sub.add_parser("check", help="verify every bug (or the ids given)")
    p_check.add_argument("ids", nargs="*")
    p_check.add_argument("-j", "--jobs", type=int, default=2, help="bugs checked at once")
    p_mat = sub.add_parser("materialise", help="write one bug's repository")
    p_mat.add_argument("id")
    p_mat.add_argument("dest", type=Path)
    p_mat.add_argument("--original", action="store_true", help="write the correct version")
    p_mat.add_argument("--with-issue", action="store_true", help="also write ISSUE.md")
    args = parser.parse_args(argv)
    if args.command == "list":
        for entry in manifest()["bugs"]:
            print(f"{entry['id']:<28} {entry['bug_class']}")
    elif args.command == "stats":
        print(json.dumps(stats(), indent=2))
    elif args.command == "check":
        return 0 if all(r.ok for r in check(args.ids or None, jobs=args.jobs)) else 1
    else:
        path = materialise(args.id, args.dest, buggy=not args.original, with_issue=args.with_issue)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
