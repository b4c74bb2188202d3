"""SEARCH/REPLACE blocks: find the SEARCH text in a file once, put REPLACE in its place.

The SEARCH text is looked for exactly first, then line by line ignoring trailing
whitespace, then ignoring indentation (REPLACE is re-indented by the same shift). The
first way that finds it decides; finding it in no place or in several is an
:class:`~langgraph_scaling.errors.EditError`, never a guess.

Example:
    >>> replace_once("a.py", "def f():\\n    return 1\\n", "  return 1\\n", "  return 2\\n", 1)
    'def f():\\n    return 2\\n'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from langgraph_scaling.errors import EditError

__all__ = ["Block", "find_blocks", "replace_once"]

_SEARCH = re.compile(r"^\s*<{5,9}\s*SEARCH\b.*$")
_DIVIDER = re.compile(r"^\s*={5,9}\s*$")
_REPLACE = re.compile(r"^\s*>{5,9}\s*REPLACE\b.*$")


@dataclass(frozen=True)
class Block:
    """One SEARCH/REPLACE block, the line it starts on and its ``>>>>>>> REPLACE`` line
    (0-based, in the answer)."""

    search: str
    replace: str
    line: int
    end: int = -1


def find_blocks(lines: list[str]) -> list[Block]:
    """Every SEARCH/REPLACE block in the answer's lines (``EditError`` if one is cut off)."""
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        if not _SEARCH.match(lines[i]):
            i += 1
            continue
        start = i
        div = next((j for j in range(i + 1, len(lines)) if _DIVIDER.match(lines[j])), None)
        end = None
        if div is not None:
            end = next((j for j in range(div + 1, len(lines)) if _REPLACE.match(lines[j])), None)
        if div is None or end is None:
            missing = "=======" if div is None else ">>>>>>> REPLACE"
            raise EditError(None, f"the SEARCH block on line {start + 1} has no `{missing}` line")
        search, replace = _text(lines[start + 1 : div]), _text(lines[div + 1 : end])
        blocks.append(Block(search, replace, start, end))
        i = end + 1
    return blocks


def _text(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def _windows(haystack: list[str], needle: list[str], key: Callable[[str], str]) -> list[int]:
    want = [key(line) for line in needle]
    have = [key(line) for line in haystack]
    n = len(want)
    return [i for i in range(len(have) - n + 1) if have[i : i + n] == want]


def _trim_blank(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _shift(lines: list[str], found: str, wrote: str) -> list[str]:
    """Re-indent REPLACE lines by the shift between the file's and SEARCH's indentation."""
    if found.startswith(wrote):
        extra = found[len(wrote) :]
        return [extra + line if line.strip() else line for line in lines]
    if wrote.startswith(found):
        cut = len(wrote) - len(found)
        return [line[cut:] if line[:cut].strip() == "" else line.lstrip() for line in lines]
    return lines


def _hint(file_lines: list[str], search_lines: list[str]) -> str:
    first = next((s.strip() for s in search_lines if s.strip()), "")
    stripped = [line.strip() for line in file_lines]
    close = difflib.get_close_matches(first, stripped, n=1, cutoff=0.6)
    if not close:
        return ""
    return f"; the closest line is line {stripped.index(close[0]) + 1}: {close[0]!r}"


def _exact(content: str, search: str) -> list[int]:
    """Offsets where ``search`` occurs starting at the beginning of a line."""
    found, at = [], content.find(search)
    while at != -1:
        if at == 0 or content[at - 1] == "\n":
            found.append(at)
        at = content.find(search, at + 1)
    return found


def replace_once(path: str, content: str, search: str, replace: str, number: int) -> str:
    """``content`` with the one place that matches ``search`` replaced by ``replace``.

    Raises:
        EditError: ``search`` is empty, or matches no place or more than one.
    """
    what = f"SEARCH block {number}"
    if not search.strip():
        raise EditError(path, f"{what} is empty; copy the lines to replace into it")
    exact = _exact(content, search)
    if len(exact) == 1:
        return content[: exact[0]] + replace + content[exact[0] + len(search) :]
    if exact:
        raise EditError(path, f"{what} matches {len(exact)} places; add lines around it")
    file_lines = content.splitlines()
    search_lines = _trim_blank(search.splitlines())
    replace_lines = replace.splitlines()
    for key in (str.rstrip, str.strip):
        starts = _windows(file_lines, search_lines, key)
        if len(starts) > 1:
            raise EditError(path, f"{what} matches {len(starts)} places; add lines around it")
        if starts:
            at = starts[0]
            found = file_lines[at : at + len(search_lines)]
            if key is str.strip:
                replace_lines = _shift(replace_lines, _indent(found[0]), _indent(search_lines[0]))
            out = file_lines[:at] + replace_lines + file_lines[at + len(search_lines) :]
            tail = "\n" if content.endswith("\n") or not out else ""
            return "\n".join(out) + tail
    raise EditError(
        path,
        f"{what} matches no lines of the file, even ignoring whitespace; SEARCH must copy "
        f"lines of the file exactly{_hint(file_lines, search_lines)}",
    )
