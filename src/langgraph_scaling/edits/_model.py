"""Edits as data: a file's text before and after, and the unified diff built from them.

Example:
    >>> change = FileChange("a.py", "x = 1\\n", "x = 2\\n")
    >>> print(EditSet("file", (change,)).diff, end="")
    diff --git a/a.py b/a.py
    --- a/a.py
    +++ b/a.py
    @@ -1 +1 @@
    -x = 1
    +x = 2
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = ["EditForm", "EditSet", "FileChange", "unified_diff"]

EditForm = Literal["search_replace", "function", "file", "diff"]
"""How the answer wrote its edit: SEARCH/REPLACE blocks, whole definitions, whole files, or
a unified diff."""

_NO_EOL = "\\ No newline at end of file\n"


@dataclass(frozen=True)
class FileChange:
    """One file's text before and after the edit (``None``: the file does not exist)."""

    path: str
    """Repository-relative POSIX path."""
    before: str | None
    """The text before the edit; ``None`` for a new file."""
    after: str | None
    """The text after the edit; ``None`` when the edit deletes the file."""


@dataclass(frozen=True)
class EditSet:
    """Every file an answer changes, in the form it was written in.

    Example:
        >>> EditSet("function", (FileChange("a.py", "", "x = 1\\n"),)).paths
        ('a.py',)
    """

    form: EditForm
    """The form the answer used."""
    changes: tuple[FileChange, ...]
    """One entry per changed file, in the order the answer named them."""

    @property
    def paths(self) -> tuple[str, ...]:
        """The changed files."""
        return tuple(c.path for c in self.changes)

    @property
    def diff(self) -> str:
        """A unified diff of every change (``git apply`` and ``patch -p1`` accept it)."""
        return "".join(unified_diff(c) for c in self.changes)

    def without(self, paths: set[str]) -> EditSet:
        """The same edit minus the changes to ``paths``."""
        return EditSet(self.form, tuple(c for c in self.changes if c.path not in paths))


def _marked(lines: Iterator[str]) -> Iterator[str]:
    """difflib's lines, with git's marker after a last line that has no newline."""
    for line in lines:
        if line.endswith("\n"):
            yield line
        else:
            yield line + "\n" + _NO_EOL


def unified_diff(change: FileChange) -> str:
    """The git-style unified diff of one change (empty when the text is unchanged)."""
    if change.before == change.after:
        return ""
    path = change.path
    header = [f"diff --git a/{path} b/{path}\n"]
    old, new = f"a/{path}", f"b/{path}"
    if change.before is None:
        header.append("new file mode 100644\n")
        old = "/dev/null"
    elif change.after is None:
        header.append("deleted file mode 100644\n")
        new = "/dev/null"
    body = list(
        _marked(
            difflib.unified_diff(
                (change.before or "").splitlines(keepends=True),
                (change.after or "").splitlines(keepends=True),
                fromfile=old,
                tofile=new,
                n=3,
            )
        )
    )
    return "".join(header + body)
