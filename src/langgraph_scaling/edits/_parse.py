"""Read a model's answer as file edits: which form it used, which files it names.

Forms, tried in this order: SEARCH/REPLACE blocks (if the answer has one, every block
counts); a unified diff; fenced blocks, each a whole-definition or whole-file
replacement. A file's path is the line before a block or fence (``stats.py``,
```` `stats.py` ````, ``File: stats.py``, ``**stats.py**``) or a word of the fence's info
(```` ```python stats.py ````).

Example:
    >>> find_path("File: `pkg/stats.py`:"), find_path("Here is the fix."), fence_path("py a.py")
    ('pkg/stats.py', None, 'a.py')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from langgraph_scaling.edits._functions import (
    defined_names,
    is_definitions,
    parse_python,
    replace_definitions,
)
from langgraph_scaling.edits._model import EditForm, EditSet, FileChange
from langgraph_scaling.edits._paths import read_text, safe_path
from langgraph_scaling.edits._search_replace import find_blocks, replace_once
from langgraph_scaling.edits._unified import diff_changes
from langgraph_scaling.errors import EditError

__all__ = ["fence_path", "find_path", "parse_edits"]

# Absolute and home paths are read too, so that they are refused by name, not overlooked.
_PATH = re.compile(
    r"(?:~?/)?(?:(?:[\w.-]+/)*(?:\.?[\w-][\w.-]*\.\w+|\.[\w-]+)|[\w.-]+(?:/[\w.-]+)+)"
)
# A name in backticks within prose is a path only with a folder or a file's extension:
# `self.total` or `math.pi` in a sentence between two blocks is code, not the next file.
_FILE_EXTENSIONS = frozenset(
    "py pyi pyx txt md rst toml ini cfg json yaml yml csv sh bash js ts jsx tsx html css "
    "c h cc cpp hpp go rs java kt rb php sql xml lock in".split()
)
_LABEL = re.compile(r"^(?:file(?:name)?|path)\s*:\s*", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(.*)$")
_PY_TAGS = {"python", "py", "python3", ""}
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", "site-packages"}
_NO_EDIT = (
    "no edit found; write SEARCH/REPLACE blocks (the file's path on the line before "
    "`<<<<<<< SEARCH`), or whole functions in a ```python block after the file's path"
)


def find_path(line: str) -> str | None:
    """The file path a line names on its own (decorated or labelled), else ``None``."""
    text = _LABEL.sub("", line.strip().lstrip("#>-* ").strip())
    text = text.strip("*`'\" ").rstrip(":").strip("*`'\" ")
    if _PATH.fullmatch(text):
        return text
    quoted = re.findall(r"`([^`\s]+)`", line)
    named = [q for q in quoted if _PATH.fullmatch(q) and _file_like(q)]
    return named[-1] if named and len(line) <= 120 else None


def _file_like(name: str) -> bool:
    """Whether a backticked name has a folder, a leading dot or a file's extension."""
    base = name.rsplit("/", 1)[-1]
    return (
        "/" in name or base.startswith(".") or (base.rsplit(".", 1)[-1].lower() in _FILE_EXTENSIONS)
    )


def fence_path(info: str) -> str | None:
    """A path among the words of a fence's info string (```` ```python a.py ````)."""
    words = [w for w in re.split(r"[\s:]+", info.strip()) if w]
    named = [w.strip("`") for w in words if _PATH.fullmatch(w.strip("`"))]
    return named[-1] if named else None


def _fences(lines: list[str]) -> list[tuple[int, int, str]]:
    """``(open line, close line, info)`` of each fenced block."""
    out, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        mark = m.group(1)
        close = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == mark), len(lines))
        out.append((i, close, m.group(2).strip()))
        i = close + 1
    return out


def _path_before(lines: list[str], at: int, stop: int) -> str | None:
    """The path on the nearest line above ``at`` (down to ``stop``) that names one."""
    for j in range(at - 1, stop - 1, -1):
        m = _FENCE.match(lines[j])
        found = fence_path(m.group(2)) if m else find_path(lines[j])
        if found:
            return found
    return None


def _diff(lines: list[str]) -> str:
    """The unified diff: a fenced block holding file headers, else from the first header.

    (The same rule as ``verifiers.code.extract_diff``, which this package cannot import:
    the verifiers import it.)
    """
    for start, close, info in _fences(lines):
        body = lines[start + 1 : close]
        tag = info.split()[0].lower() if info.split() else ""
        if tag in {"diff", "patch", "udiff", ""} and any(
            line.startswith(("+++ ", "diff --git ")) for line in body
        ):
            return "".join(f"{line}\n" for line in body)
    for i, line in enumerate(lines):
        if line.startswith(("diff --git ", "--- ")) and i + 1 < len(lines):
            if lines[i + 1].startswith(("+++ ", "index ", "new file", "deleted file")):
                return "".join(f"{x}\n" for x in lines[i:] if not x.startswith("```"))
    return ""


class _Files:
    """The repository's files as the answer's edits change them, one after another."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.before: dict[str, str | None] = {}
        self.now: dict[str, str | None] = {}

    def get(self, name: str) -> tuple[str, str | None]:
        rel = safe_path(self.repo, name)
        if rel not in self.before:
            self.before[rel] = self.now[rel] = read_text(self.repo / rel, rel)
        return rel, self.now[rel]

    def changes(self) -> list[FileChange]:
        return [
            FileChange(rel, old, self.now[rel])
            for rel, old in self.before.items()
            if self.now[rel] != old
        ]


def _search_replace(lines: list[str], files: _Files) -> None:
    blocks = find_blocks(lines)
    path, stop = None, 0
    for number, block in enumerate(blocks, 1):
        path = _path_before(lines, block.line, stop) or path
        stop = block.end + 1  # the next block's path is after this one's text
        if path is None:
            raise EditError(None, f"SEARCH block {number} names no file; put its path first")
        rel, content = files.get(path)
        if content is None:
            if block.search.strip():
                raise EditError(rel, "the file does not exist (an empty SEARCH creates it)")
            files.now[rel] = block.replace
        elif not content.strip() and not block.search.strip():
            files.now[rel] = block.replace
        else:
            files.now[rel] = replace_once(rel, content, block.search, block.replace, number)


def _owner(repo: Path, body: str, hint: Sequence[str]) -> str:
    """The one file that defines a name of ``body`` (among ``hint``, else every .py file)."""
    names = defined_names(body)
    pool = (
        list(hint)
        or [
            p.relative_to(repo).as_posix()
            for p in sorted(repo.rglob("*.py"))
            if not _SKIP_DIRS & set(p.relative_to(repo).parts) and not p.is_symlink()
        ][:2000]
    )
    owners = [f for f in pool if names & defined_names(read_text(repo / f, f) or "")]
    listed = ", ".join(sorted(names))
    if not owners:
        raise EditError(None, f"no file defines {listed}; put the file's path before the block")
    if len(owners) > 1:
        raise EditError(
            None, f"{listed} is defined in {' and '.join(owners)}; put the path before the block"
        )
    return owners[0]


def _fenced(lines: list[str], files: _Files, hint: Sequence[str]) -> EditForm | None:
    form: EditForm | None = None
    stop = 0
    for start, close, info in _fences(lines):
        body = "".join(f"{line}\n" for line in lines[start + 1 : close])
        path = fence_path(info) or _path_before(lines, start, max(stop, start - 3))
        stop = close + 1
        tag = info.split()[0].lower() if info.split() else ""
        if path is None:
            if (tag not in _PY_TAGS and not fence_path(tag)) or not is_definitions(body):
                continue
            path = _owner(files.repo, body, hint)
        rel, content = files.get(path)
        if content is None:
            raise EditError(rel, "the file does not exist; create it with an empty SEARCH block")
        new = None
        if rel.endswith(".py") and tag in _PY_TAGS:
            parse_python(rel, body, "the python block")
        if rel.endswith(".py") and is_definitions(body):
            new = replace_definitions(rel, content, body)
        files.now[rel] = body if new is None else new
        form = "function" if new is not None or form == "function" else "file"
    return form


def parse_edits(text: str, repo: Path, *, files: Sequence[str] = ()) -> EditSet:
    """The edits ``text`` makes to ``repo`` (read only; nothing is written).

    Args:
        text: the model's answer.
        repo: the repository the edits are for.
        files: where to look for the definitions of a python block that names no file
            (default: every ``.py`` file of the repository).

    Raises:
        EditError: no edit, a malformed or ambiguous one, a path outside the repository,
            or an edit that changes nothing.
    """
    lines = text.splitlines()
    state = _Files(repo)
    form: EditForm | None
    if find_blocks(lines):
        form = "search_replace"
        _search_replace(lines, state)
    elif diff := _diff(lines):
        return _nonempty(EditSet("diff", tuple(diff_changes(repo, diff))), None)
    else:
        form = _fenced(lines, state, files)
    if form is None:
        raise EditError(None, _NO_EDIT)
    named = next(iter(state.before), None)
    return _nonempty(EditSet(form, tuple(state.changes())), named)


UNCHANGED = "the edit changes nothing"
"""How the reason of an :class:`EditError` for an edit that writes the code back as it is
starts."""


def _nonempty(edits: EditSet, named: str | None) -> EditSet:
    if not edits.changes:
        raise EditError(named, f"{UNCHANGED}; change the code that has the bug")
    return edits
