"""Whole-definition edits: put the ``def``/``class`` blocks of an answer in place of the
file's definitions of the same names (``ast`` line ranges, decorators included).

A top-level ``def`` replaces the file's function of that name, or else the one method of
that name; a ``class`` replaces the class, or only the methods it lists when it lists
fewer than the file's class has. Definitions the file lacks are added after the last one
replaced, imports it lacks after its imports.

Example:
    >>> src = "import os\\n\\n\\ndef f():\\n    return 1\\n\\n\\ndef g():\\n    return f()\\n"
    >>> print(replace_definitions("a.py", src, "def f():\\n    return 2\\n"), end="")
    import os
    <BLANKLINE>
    <BLANKLINE>
    def f():
        return 2
    <BLANKLINE>
    <BLANKLINE>
    def g():
        return f()
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass

from langgraph_scaling.errors import EditError

__all__ = ["defined_names", "is_definitions", "parse_python", "replace_definitions"]

_Def = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_Func = ast.FunctionDef | ast.AsyncFunctionDef
_ALLOWED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


@dataclass
class _Splice:
    start: int
    """0-based first line replaced (or the line to insert before)."""
    end: int
    """0-based line after the last one replaced (``== start``: an insertion)."""
    text: str


def parse_python(path: str, source: str, what: str) -> ast.Module:
    """``source`` parsed, or an ``EditError`` saying where it does not parse."""
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        raise EditError(path, f"{what} does not parse: {exc.msg} (line {exc.lineno})") from None


def is_definitions(source: str) -> bool:
    """Whether ``source`` parses and holds only definitions (and imports), one at least."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return any(isinstance(n, _Def) for n in body) and all(isinstance(n, _ALLOWED) for n in body)


def defined_names(source: str) -> set[str]:
    """Names of the top-level definitions and methods in ``source`` (empty if it won't parse)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return set()
    names = {n.name for n in body if isinstance(n, _Def)}
    for cls in (n for n in body if isinstance(n, ast.ClassDef)):
        names |= {m.name for m in cls.body if isinstance(m, _Func)}
    return names


def _first_line(node: _Def) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _segment(lines: list[str], node: _Def, indent: int) -> str:
    text = textwrap.dedent("".join(lines[_first_line(node) - 1 : node.end_lineno]))
    return textwrap.indent(text, " " * indent)


def _replace(target: _Def, block: list[str], new: _Def) -> _Splice:
    text = _segment(block, new, target.col_offset)
    return _Splice(_first_line(target) - 1, target.end_lineno or target.lineno, text)


def _after(node: ast.stmt, block: list[str], new: _Def, indent: int) -> _Splice:
    end = node.end_lineno or node.lineno
    gap = "\n" if indent else "\n\n"
    return _Splice(end, end, gap + _segment(block, new, indent))


def _method(path: str, classes: list[ast.ClassDef], name: str) -> _Def | None:
    owners = [(m, c) for c in classes for m in c.body if isinstance(m, _Func) and m.name == name]
    if len(owners) > 1:
        where = " and ".join(c.name for _, c in owners)
        raise EditError(path, f"`{name}` is a method of {where}; put it inside its class")
    return owners[0][0] if owners else None


def _class_splices(target: ast.ClassDef, block: list[str], new: ast.ClassDef) -> list[_Splice]:
    """Replace the class, or only its listed methods when ``new`` lists fewer members."""
    methods = [m for m in new.body if isinstance(m, _Func)]
    old = {m.name: m for m in target.body if isinstance(m, _Func)}
    if len(methods) != len(new.body) or len(methods) >= len(target.body):
        return [_replace(target, block, new)]
    indent = target.body[0].col_offset
    splices = [_replace(old[m.name], block, m) for m in methods if m.name in old]
    return splices + [
        _after(target.body[-1], block, m, indent) for m in methods if m.name not in old
    ]


def _import_splice(
    module: ast.Module, lines: list[str], block: list[str], new: ast.Module
) -> list[_Splice]:
    have = {line.strip() for line in lines}
    wanted = [
        "".join(block[n.lineno - 1 : n.end_lineno]).strip()
        for n in new.body
        if isinstance(n, ast.Import | ast.ImportFrom)
    ]
    missing = [w for w in wanted if w not in have]
    if not missing:
        return []
    imports = [n for n in module.body if isinstance(n, ast.Import | ast.ImportFrom)]
    doc = module.body[0] if module.body and isinstance(module.body[0], ast.Expr) else None
    anchor = imports[-1] if imports else doc
    at = (anchor.end_lineno or 0) if anchor else 0
    return [_Splice(at, at, "".join(f"{m}\n" for m in missing))]


def replace_definitions(path: str, content: str, source: str) -> str | None:
    """``content`` with the definitions in ``source`` in place; ``None`` if none matches."""
    module = parse_python(path, content, "the file")
    new = parse_python(path, source, "the python block")
    lines, block = content.splitlines(keepends=True), source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    top = {n.name: n for n in module.body if isinstance(n, _Def)}
    classes = [n for n in module.body if isinstance(n, ast.ClassDef)]
    splices: list[_Splice] = []
    added: list[_Def] = []
    last: _Def | None = None
    for node in (n for n in new.body if isinstance(n, _Def)):
        target = top.get(node.name)
        if isinstance(target, ast.ClassDef) and isinstance(node, ast.ClassDef):
            splices += _class_splices(target, block, node)
        elif target is not None:
            splices.append(_replace(target, block, node))
        elif isinstance(node, _Func) and (method := _method(path, classes, node.name)):
            splices.append(_replace(method, block, node))
        else:
            added.append(node)
            continue
        last = target if target is not None and target.col_offset == 0 else last
    if not splices:
        return None
    anchor = last or max(top.values(), key=lambda n: n.end_lineno or 0)
    if added:  # one insertion, so the new definitions keep the answer's order
        parts = [_after(anchor, block, n, 0) for n in added]
        splices.append(_Splice(parts[0].start, parts[0].end, "".join(x.text for x in parts)))
    splices += _import_splice(module, lines, block, new)
    return _apply(path, lines, splices)


def _apply(path: str, lines: list[str], splices: list[_Splice]) -> str:
    """The splices made from the end up; two that overlap (a class and, at top level, one
    of its own methods) would eat each other's lines: an ``EditError``. Insertions at the
    same line keep their order (a class's new method before a new function after it)."""
    seen: set[tuple[int, int]] = set()
    floor = len(lines)
    order = sorted(enumerate(splices), key=lambda p: (p[1].start, p[1].end, p[0]), reverse=True)
    for s in (splice for _, splice in order):
        if s.end > s.start and (s.start, s.end) in seen:
            continue
        if s.end > floor:
            raise EditError(
                path,
                "the python block replaces a definition and, separately, a part of it; "
                "write the class whole or only the method",
            )
        seen.add((s.start, s.end))
        lines[s.start : s.end] = [s.text]
        floor = s.start
    return "".join(lines)
