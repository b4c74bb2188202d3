"""Paths an edit may name: inside the repository, no symlinks; and glob matching.

Example:
    >>> from pathlib import Path
    >>> safe_path(Path("."), "./src/../README.md")
    Traceback (most recent call last):
    ...
    langgraph_scaling.errors.EditError: The edit of ./src/../README.md cannot be applied: ...
    >>> matches_any("pkg/tests/test_a.py", ("test_*.py",)), matches_any("a.py", ("tests/**",))
    (True, False)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path, PurePosixPath

from langgraph_scaling.errors import EditError

__all__ = ["matches_any", "read_text", "safe_path"]


def safe_path(repo: Path, name: str) -> str:
    """``name`` as a clean repository-relative POSIX path, or :class:`EditError` why not.

    Refused: empty names, absolute paths, ``..`` parts, anything under ``.git``, and paths
    that go through a symbolic link (which could lead out of the repository).
    """
    raw = name.strip()
    if not raw or "\0" in raw or "\\" in raw:
        raise EditError(name or None, "the path is empty or holds a backslash or NUL")
    if not raw.isprintable() or any("\ud800" <= c <= "\udfff" for c in raw):
        raise EditError(ascii(name), "the path holds a character no file name can have")
    pure = PurePosixPath(raw)
    if pure.is_absolute() or raw.startswith("~"):
        hint = raw.lstrip("/~").lstrip("/") or "path/to/file.py"
        raise EditError(name, f"the path must be relative to the repository root (`{hint}`)")
    parts = [p for p in pure.parts if p != "."]
    if not parts or ".." in parts:
        raise EditError(name, "the path must stay inside the repository (no `..`)")
    if parts[0] == ".git":
        raise EditError(name, "files under .git cannot be edited")
    root = repo.resolve()
    current = root
    try:
        for part in parts:
            current = current / part
            if current.is_symlink():
                raise EditError(name, "the path goes through a symbolic link")
        inside = current.resolve().is_relative_to(root)
    except OSError as exc:  # a name too long for the file system, and the like
        raise EditError(name[:200], f"the path cannot be used: {exc.strerror}") from None
    if not inside:
        raise EditError(name, "the path leads outside the repository")
    return "/".join(parts)


def read_text(path: Path, name: str) -> str | None:
    """A file's text (``None`` when it does not exist); ``EditError`` when not UTF-8."""
    if not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise EditError(name, "the file is not UTF-8 text") from None


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex for one glob: ``**`` spans directories, ``*``/``?`` stay inside one."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches_any(path: str, globs: Sequence[str]) -> bool:
    """Whether a repository-relative path matches one of ``globs``.

    As in ``.gitignore``: a glob without ``/`` matches the file name in any directory;
    one with ``/`` matches the whole path from the root, ``**`` standing for any depth.

    Example:
        >>> matches_any("tests/unit/test_x.py", ("tests/**",))
        True
    """
    name = path.rsplit("/", 1)[-1]
    for glob in globs:
        anchored = "/" in glob.rstrip("/")
        target = path if anchored else name
        if _glob_regex(glob.lstrip("/") if anchored else glob).match(target):
            return True
    return False
