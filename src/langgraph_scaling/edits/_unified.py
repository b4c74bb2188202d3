"""A unified diff from the answer, checked with ``git apply --check`` on a temporary copy
of the files it names (else ``patch -p1``, which takes e.g. overlapping hunks), and read
back as :class:`FileChange` entries: the diff finally applied is rebuilt by difflib, like
every other form's.

Example:
    >>> diff_paths("--- a/x.py\\n+++ b/x.py\\n@@ -1 +1 @@\\n-a\\n+b\\n")
    (['x.py'], 1)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from langgraph_scaling.edits._model import FileChange
from langgraph_scaling.edits._paths import read_text, safe_path
from langgraph_scaling.errors import EditError

__all__ = ["diff_changes", "diff_paths"]

_HEADER = re.compile(r"^(?:---|\+\+\+) (\S+)")
_GIT = re.compile(r"^diff --git (\S+) (\S+)")
_TAIL = 1500


def diff_paths(diff: str) -> tuple[list[str], int]:
    """The paths a diff names (``/dev/null`` left out) and the ``-p`` strip level to use."""
    raw: list[str] = []
    for line in diff.splitlines():
        if m := _GIT.match(line):
            raw += [m.group(1), m.group(2)]
        elif (m := _HEADER.match(line)) and not line.startswith(("--- -", "+++ +")):
            raw.append(m.group(1))
    raw = [p for p in raw if p != "/dev/null"]
    strip = 1 if raw and all(p.startswith(("a/", "b/")) for p in raw) else 0
    paths = list(dict.fromkeys(p[2:] if strip else p for p in raw))
    return paths, strip


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # No repository above the copy: git apply would then skip paths outside its subdir.
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(cwd.parent)}
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=60
    )


def _apply(work: Path, patch: Path, strip: int) -> str | None:
    """Apply in ``work`` with git, else patch(1); ``None`` when it applied, else why not."""
    tried = []
    if shutil.which("git"):
        base = ["git", "apply", f"-p{strip}", "--recount", "--whitespace=nowarn"]
        check = _run([*base, "--check", str(patch)], work)
        if check.returncode == 0 and _run([*base, str(patch)], work).returncode == 0:
            return None
        tried.append(f"git apply --check: {(check.stdout + check.stderr).strip()[-_TAIL:]}")
    if shutil.which("patch"):  # it takes what git refuses, e.g. overlapping hunks
        argv = ["patch", f"-p{strip}", "--batch", "--forward", "--no-backup-if-mismatch"]
        dry = _run([*argv, "--dry-run", "-i", str(patch)], work)
        if dry.returncode == 0 and _run([*argv, "-i", str(patch)], work).returncode == 0:
            return None
        tried.append(f"patch -p{strip}: {(dry.stdout + dry.stderr).strip()[-_TAIL:]}")
    return "\n".join(tried) or "neither git nor patch is installed; write SEARCH/REPLACE blocks"


def diff_changes(repo: Path, diff: str) -> list[FileChange]:
    """The changes ``diff`` makes to ``repo`` (nothing is written there).

    Raises:
        EditError: the diff names no file, a path outside the repository, or does not
            apply (the message carries ``git apply``'s explanation).
    """
    names, strip = diff_paths(diff)
    if not names:
        raise EditError(None, "the diff has no `--- a/...` / `+++ b/...` file headers")
    paths = [safe_path(repo, name) for name in names]
    with tempfile.TemporaryDirectory(prefix="lgs-edit-") as tmp:
        work = Path(tmp) / "repo"
        work.mkdir()
        before: dict[str, str | None] = {}
        for rel in paths:
            src = repo / rel
            before[rel] = read_text(src, rel)
            if src.is_file():
                (work / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, work / rel)
        patch = Path(tmp) / "candidate.diff"
        patch.write_text(diff if diff.endswith("\n") else diff + "\n", encoding="utf-8")
        why = _apply(work, patch, strip)
        if why is not None:
            where = paths[0] if len(paths) == 1 else None
            raise EditError(where, f"the patch does not apply:\n{why}")
        changes = [FileChange(rel, before[rel], read_text(work / rel, rel)) for rel in paths]
    return [c for c in changes if c.before != c.after]
