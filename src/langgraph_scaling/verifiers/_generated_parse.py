"""Reading the tests a model wrote: asserts, fenced blocks, ``>>>`` examples (stdlib only).

Used by :mod:`langgraph_scaling.verifiers.generated_tests`; the rules are in its docstring.

Example:
    >>> [t.source for t in parse_generated_tests("assert f(2) == 4\\nassert g(1)", "f")]
    ['assert f(2) == 4']
"""

from __future__ import annotations

import ast
import builtins
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from langgraph_scaling.verifiers.code import extract_python

__all__ = ["GeneratedTest", "parse_generated_tests"]

_BUILTINS = frozenset(dir(builtins))
_MAX_SOURCE = 1000


@dataclass(frozen=True)
class GeneratedTest:
    """One generated test.

    Attributes:
        id: ``"t"`` + 10 hex digits of the source's hash (stable across candidates).
        source: the runnable test: the imports it needs, then one ``assert``.
        call: the entry-point expression the assert checks (its left side), else the test.
        expected: the literal an ``==`` test compares with, else ``None``.
    """

    __test__ = False  # not a pytest class

    id: str
    source: str
    call: str
    expected: str | None = None


def parse_generated_tests(
    text: str, entry_point: str, *, limit: int | None = None
) -> list[GeneratedTest]:
    """The usable tests in a model's answer, deduped, in the order written.

    Example:
        >>> parse_generated_tests("assert f(1) == 0.5\\nassert g(1) == 2", "f")[0].source
        'assert abs(f(1) - 0.5) < 1e-06'
    """
    code = extract_python(text)
    found = list(_asserts(code)) or list(_asserts(text))
    found.extend(_doctest_asserts(text))
    tests: dict[str, GeneratedTest] = {}
    for node, imports in found:
        test = _normalise(node, entry_point, imports)
        if test is not None and test.source not in tests:
            tests[test.source] = test
    return list(tests.values())[:limit]


Found = tuple[ast.Assert, list[ast.Import | ast.ImportFrom]]


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _asserts(code: str) -> Iterator[Found]:
    """Every assert in ``code`` with the file's imports; line by line where it won't parse."""
    tree = _parse(code)
    if tree is not None:
        imports = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
        asserts = [n for n in ast.walk(tree) if isinstance(n, ast.Assert)]
        for node in sorted(asserts, key=lambda n: (n.lineno, n.col_offset)):
            yield node, imports
        return
    yield from _recover(code.splitlines())


def _recover(lines: list[str]) -> Iterator[Found]:
    """Asserts and imports from text that does not parse as a whole (up to 8 lines each)."""
    imports: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.Assert] = []
    i = 0
    while i < len(lines):
        start = lines[i].strip()
        if not start.startswith(("assert ", "assert(", "import ", "from ")):
            i += 1
            continue
        for j in range(i + 1, min(i + 8, len(lines)) + 1):
            tree = _parse("\n".join(line.strip() for line in lines[i:j]))
            if tree is not None:
                for stmt in tree.body:
                    if isinstance(stmt, ast.Import | ast.ImportFrom):
                        imports.append(stmt)
                    elif isinstance(stmt, ast.Assert):
                        pending.append(stmt)
                i = j
                break
        else:
            i += 1
    for node in pending:
        yield node, imports


def _doctest_asserts(text: str) -> Iterator[Found]:
    """``>>> call`` followed by its printed result, as ``assert call == result``."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith(">>>"):
            continue
        tree = _parse(stripped[3:].strip())
        if tree is None or len(tree.body) != 1:
            continue
        stmt = tree.body[0]
        if isinstance(stmt, ast.Assert):
            yield stmt, []
            continue
        result = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if not isinstance(stmt, ast.Expr) or not result or result.startswith(">>>"):
            continue
        if not _is_literal(result):
            continue
        compare = ast.Compare(stmt.value, [ast.Eq()], [ast.parse(result, mode="eval").body])
        yield ast.Assert(compare, None), []


def _is_literal(source: str) -> bool:
    try:
        ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def _calls(node: ast.AST, name: str) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
        for n in ast.walk(node)
    )


def _free_names(node: ast.AST) -> set[str]:
    """Names ``node`` reads that it does not bind itself (comprehension targets, lambdas)."""
    loaded: set[str] = set()
    bound: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            (loaded if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
    return loaded - bound


def _bound_by(imp: ast.Import | ast.ImportFrom) -> set[str]:
    return {(a.asname or a.name).split(".")[0] for a in imp.names}


def _float_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is float


def _normalise(
    node: ast.Assert, entry_point: str, imports: list[ast.Import | ast.ImportFrom]
) -> GeneratedTest | None:
    """The runnable test for one assert, or ``None`` when it is not usable on its own."""
    test = node.test
    if not _calls(test, entry_point):
        return None
    if any(isinstance(n, ast.Constant) and n.value is Ellipsis for n in ast.walk(test)):
        return None
    needed = [imp for imp in imports if _bound_by(imp) & _free_names(test)]
    known = _BUILTINS | {entry_point} | {name for imp in needed for name in _bound_by(imp)}
    if _free_names(test) - known:
        return None  # reads a variable defined elsewhere (e.g. inside a test function)
    call, expected = ast.unparse(test), None
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        left, right = test.left, test.comparators[0]
        if _calls(right, entry_point) and not _calls(left, entry_point):
            left, right = right, left
        call = ast.unparse(left)
        if _float_literal(right):
            test = ast.Compare(
                ast.Call(ast.Name("abs", ast.Load()), [ast.BinOp(left, ast.Sub(), right)], []),
                [ast.Lt()],
                [ast.Constant(1e-6)],
            )
        else:
            test = ast.Compare(left, [ast.Eq()], [right])
            expected = ast.unparse(right) if _is_literal(ast.unparse(right)) else None
    lines = [ast.unparse(imp) for imp in needed]
    source = "\n".join([*lines, f"assert {ast.unparse(test)}"])
    if len(source) > _MAX_SOURCE or _parse(source) is None:
        return None
    digest = hashlib.sha256(source.encode()).hexdigest()[:10]
    return GeneratedTest(f"t{digest}", source, call, expected)
