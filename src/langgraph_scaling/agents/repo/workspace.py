"""The agent's view of the repository: the original files plus the edits it has made.

The repository on disk is never written while the agent works: its edits live in the
state as an overlay (path -> new text, ``None`` for a deleted file), so the state stays
checkpointable and a resumed run sees the same files. :class:`Workspace` reads through the
overlay, and :meth:`Workspace.materialise` writes the combined tree to a scratch folder for
the sandbox. :func:`run_suite` runs the test command there, in the sandbox, and
:func:`summarise_output` keeps the useful part of its output (failures and the summary).

Example:
    >>> import tempfile
    >>> repo = Path(tempfile.mkdtemp())
    >>> _ = (repo / "a.py").write_text("x = 1\\n")
    >>> ws = Workspace(repo, {"b.py": "y = 2\\n"})
    >>> ws.files(), ws.read("b.py")
    (['a.py', 'b.py'], 'y = 2\\n')
    >>> print(ws.diff(), end="")
    diff --git a/b.py b/b.py
    new file mode 100644
    --- /dev/null
    +++ b/b.py
    @@ -0,0 +1 @@
    +y = 2
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from langgraph_scaling.edits import FileChange, safe_path, unified_diff
from langgraph_scaling.errors import SandboxError
from langgraph_scaling.sandbox import Sandbox
from langgraph_scaling.verifiers import shared_sandbox
from langgraph_scaling.verifiers.patch import repo_limits
from langgraph_scaling.verifiers.pytest_summary import SUMMARY_LINE, failing_tests

__all__ = [
    "SuiteRun",
    "Workspace",
    "failing_tests",
    "run_in_copy",
    "run_suite",
    "summarise_output",
]

_SKIP_DIRS = {".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv"}
_BLOCK = re.compile(r"^_{3,} (.+?) _{3,}$")
_SECTION = re.compile(r"^={3,} (.+?) ={3,}$")
# Runs the test command from the repository copy in the sandbox's work dir; a program that
# cannot start exits 127 with _CANNOT_START on stderr (not a traceback that reads as exit 1).
_CANNOT_START = "langgraph-scaling: the test command cannot start:"
_WHICH = "import shutil,sys;sys.exit(0 if shutil.which(sys.argv[1]) else 3)"
_FIND_MODULE = "import importlib.util as u,sys;sys.exit(0 if u.find_spec(sys.argv[1]) else 3)"
_IN_REPO = (
    "import os,subprocess,sys;os.chdir('repo')\n"
    "try:\n sys.exit(subprocess.call(sys.argv[1:]))\n"
    f"except OSError as e:\n print({_CANNOT_START!r},e,file=sys.stderr);sys.exit(127)"
)


@dataclass(frozen=True)
class Workspace:
    """A repository as the agent sees it: files on disk, then the overlay of its edits."""

    repo: Path
    """The repository (read only)."""
    changes: Mapping[str, str | None] = field(default_factory=dict)
    """Edited files: repository-relative path -> new text (``None``: deleted)."""

    def files(self) -> list[str]:
        """Every file, repository-relative, sorted (caches, ``.git`` and symbolic links left
        out: a link is neither read nor edited through)."""
        found = set()
        for path in self.repo.rglob("*"):
            rel = path.relative_to(self.repo)
            skipped = _SKIP_DIRS.intersection(rel.parts)
            if skipped or path.is_symlink() or not path.is_file():
                continue
            found.add(rel.as_posix())
        found.update(p for p, text in self.changes.items() if text is not None)
        found.difference_update(p for p, text in self.changes.items() if text is None)
        return sorted(found)

    def read(self, name: str) -> str | None:
        """A file's text through the overlay; ``None`` when it does not exist.

        Raises:
            EditError: the path leaves the repository (bytes that are not UTF-8 are
                read as replacement characters).
        """
        rel = safe_path(self.repo, name)
        if rel in self.changes:
            return self.changes[rel]
        path = self.repo / rel
        if not path.is_file():
            return None
        return path.read_text(encoding="utf-8", errors="replace")

    def original(self, rel: str) -> str | None:
        """A file's text on disk (before any edit of the agent)."""
        path = self.repo / rel
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def diff(self) -> str:
        """The unified diff from the repository on disk to the workspace."""
        return "".join(
            unified_diff(FileChange(rel, self.original(rel), text))
            for rel, text in sorted(self.changes.items())
            if self.original(rel) != text
        )

    def materialise(self, dest: Path) -> Path:
        """Write the workspace's files under ``dest`` (created) and return it. Symbolic links
        are copied as links: what they point to outside the repository is not copied in."""
        ignore = shutil.ignore_patterns(*_SKIP_DIRS)
        shutil.copytree(self.repo, dest, symlinks=True, ignore=ignore)
        for rel, text in self.changes.items():
            target = dest / rel
            if text is None:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return dest


@dataclass(frozen=True)
class SuiteRun:
    """One run of the test command: exit status, full output, the failing test ids."""

    exit_code: int | None
    output: str
    failing: tuple[str, ...]
    limit_hit: str | None = None

    @property
    def passed(self) -> bool:
        return self.exit_code == 0


async def run_suite(
    root: Path, command: Sequence[str], *, limit_s: float = 60.0, sandbox: Sandbox | None = None
) -> SuiteRun:
    """Run ``command`` in a sandboxed copy of ``root`` (the tests cannot touch ``root``),
    for at most ``limit_s`` seconds, in ``sandbox`` (default: a shared local one that shows
    pytest; e.g. a ``RaySandbox`` runs it on a cluster) under its own limits (memory...)
    but for the time, which ``limit_s`` sets, and the file size, at least 256 MB.

    Raises:
        SandboxError: the sandbox could not run at all, or the command's program (one from
            the sandbox's ``PATH`` or an absolute path, which no edit can remove) cannot
            start in it, or it lacks the module of ``python -m MODULE`` (never a test
            failure).
    """
    box = sandbox or shared_sandbox(("pytest",))
    limits = repo_limits(box.limits).model_copy(
        update={"timeout_s": limit_s, "cpu_seconds": int(limit_s) + 1}
    )
    result = await box.run(
        [box.python, "-c", _IN_REPO, *command], files={"repo": root}, limits=limits
    )
    output = (result.stdout + ("\n" + result.stderr if result.stderr.strip() else "")).strip()
    if result.exit_code != 0 and await _cannot_start(box, command, root, result.stderr):
        raise SandboxError(
            f"The sandbox cannot run the test command {list(command)}: "
            f"{result.stderr.strip()[-400:]}",
            stage="exec",
            argv0=command[0],
        )
    if result.limit_hit:
        output += f"\n[stopped: {result.limit_hit} limit hit after {limit_s:g} s]"
    return SuiteRun(result.exit_code, output, failing_tests(output), result.limit_hit)


async def _cannot_start(box: Sandbox, command: Sequence[str], root: Path, stderr: str) -> bool:
    """Whether a failed run failed because the sandbox lacks the command's program, or the
    module of ``python -m MODULE`` (``No module named``), each confirmed by a probe."""
    if _CANNOT_START in stderr:
        return await _missing(box, command)
    if len(command) < 3 or command[1] != "-m":
        return False
    top = command[2].split(".")[0]
    if not re.search(rf"No module named '?{re.escape(top)}\b", stderr):
        return False
    find = [box.python, "-c", _IN_REPO, command[0], "-c", _FIND_MODULE, top]
    probe = await box.run(find, files={"repo": root}, limits=box.limits)
    return probe.exit_code == 3


async def _missing(box: Sandbox, command: Sequence[str]) -> bool:
    """Whether the command's program is missing from the sandbox itself, checked in a run of
    its own (candidate code could print the marker; it cannot change this run). A program
    inside the repository is no one's but the edit's: never missing here."""
    if "/" in command[0] and not command[0].startswith("/"):
        return False
    probe = await box.run([box.python, "-c", _WHICH, command[0]], limits=box.limits)
    return probe.exit_code == 3


async def run_in_copy(
    ws: Workspace, command: Sequence[str], *, limit_s: float = 60.0, sandbox: Sandbox | None = None
) -> SuiteRun:
    """:func:`run_suite` on ``ws`` as it would be committed, materialised in a temp dir."""
    with tempfile.TemporaryDirectory(prefix="repo-agent-") as tmp:
        root = ws.materialise(Path(tmp) / "repo")
        return await run_suite(root, command, limit_s=limit_s, sandbox=sandbox)


def summarise_output(output: str, *, limit: int = 2500) -> str:
    """The useful part of a test run's output for a model: each failure's header and
    ``E`` lines (with the line it failed at), the short summary and the last line.

    Output that is not pytest's keeps its last ``limit`` characters.

    Example:
        >>> out = "\\n".join(["....F", "=== FAILURES ===", "___ test_x ___",
        ...     "    def test_x():", ">       assert f() == 2", "E       assert 1 == 2",
        ...     "tests/test_a.py:4: AssertionError", "=== short test summary info ===",
        ...     "FAILED tests/test_a.py::test_x - assert 1 == 2", "1 failed, 4 passed in 0.1s"])
        >>> print(summarise_output(out))
        ___ test_x ___
        >       assert f() == 2
        E       assert 1 == 2
        tests/test_a.py:4: AssertionError
        FAILED tests/test_a.py::test_x - assert 1 == 2
        1 failed, 4 passed in 0.1s
    """
    lines = output.strip().splitlines()
    if not any(_SECTION.match(line) for line in lines):
        text = output.strip()
        return text if len(text) <= limit else f"...[cut]\n{text[-limit:]}"
    kept: list[str] = []
    section = ""
    for line in lines[:-1]:
        if m := _SECTION.match(line):
            section = m.group(1).lower()
        elif _BLOCK.match(line) or SUMMARY_LINE.match(line):
            kept.append(line)
        elif section in ("failures", "errors") and (
            line.startswith(("E ", ">")) or re.match(r"^\S+:\d+: ", line)
        ):
            kept.append(line)
    tail = lines[-1] if lines else ""
    body = "\n".join(kept)
    if len(body) > limit:
        body = body[: limit // 2] + "\n...[cut]\n" + body[-limit // 2 :]
    return f"{body}\n{tail}".strip()
