"""Split a test snippet into separately run test cases, using ``ast``.

Three shapes are understood:

* assert-style: top-level ``assert`` statements (each one a case);
* HumanEval-style: ``def check(candidate): assert ...`` called on ``entry_point`` (each
  assert in ``check``'s body a case);
* pytest-style: ``def test_*()`` functions and ``class Test*`` methods without fixtures
  (each one a case).

Statements that hold no assert (imports, helpers, ``METADATA``) run before every case that
follows them, so each case is self-contained.

Example:
    >>> [c.name for c in split_tests("x = 2\\nassert f(x) == 4\\nassert f(0) == 0")]
    ['assert f(x) == 4', 'assert f(0) == 0']
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from dataclasses import dataclass

from langgraph_scaling.errors import ConfigError

__all__ = ["TestCase", "split_tests"]


@dataclass(frozen=True)
class TestCase:
    """One separately run test: its display name, source, and the assert's left side."""

    __test__ = False  # not a pytest class

    name: str
    source: str
    lhs: str | None = None


def split_tests(tests: str, entry_point: str | None = None) -> list[TestCase]:
    """Split ``tests`` into cases (see the module docstring).

    Raises:
        ConfigError: ``tests`` is not valid Python or holds no test.
    """
    try:
        module = ast.parse(tests)
    except SyntaxError as exc:
        raise ConfigError("tests", _short(tests), f"is not valid Python ({exc.msg})") from None
    check = next(
        (s for s in module.body if isinstance(s, ast.FunctionDef) and s.name == "check"), None
    )
    if entry_point and check is not None:
        return _split_check(module, check, entry_point)
    cases = _split_pytest(module, tests) or _split_body(
        module.body, lambda body: ast.unparse(ast.Module(body, []))
    )
    if not cases:
        raise ConfigError("tests", _short(tests), "holds no assert, check() or test_ function")
    return cases


def _has_assert(stmt: ast.stmt) -> bool:
    return any(isinstance(node, ast.Assert) for node in ast.walk(stmt))


def _lhs(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, ast.Assert) and isinstance(stmt.test, ast.Compare):
        return ast.unparse(stmt.test.left)
    return None


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _split_body(body: list[ast.stmt], render: Callable[[list[ast.stmt]], str]) -> list[TestCase]:
    """One case per assert-holding statement, after the plain statements before it."""
    cases: list[TestCase] = []
    prefix: list[ast.stmt] = []
    for stmt in body:
        if not _has_assert(stmt):
            prefix.append(stmt)
            continue
        source = render([*prefix, stmt])
        cases.append(TestCase(_short(ast.unparse(stmt).splitlines()[0]), source, _lhs(stmt)))
    return cases


def _split_check(module: ast.Module, check: ast.FunctionDef, entry_point: str) -> list[TestCase]:
    preamble = [s for s in module.body if s is not check]

    def render(body: list[ast.stmt]) -> str:
        fn = copy.copy(check)
        fn.body, fn.decorator_list = body, []
        tree = ast.fix_missing_locations(ast.Module([*preamble, fn], []))
        return f"{ast.unparse(tree)}\ncheck({entry_point})\n"

    cases = _split_body(check.body, render)
    return cases or [TestCase(f"check({entry_point})", render(check.body))]


def _split_pytest(module: ast.Module, tests: str) -> list[TestCase]:
    calls: list[str] = []
    for stmt in module.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            if stmt.name.startswith("test") and isinstance(stmt, ast.FunctionDef):
                calls.append(f"{stmt.name}()")
        elif isinstance(stmt, ast.ClassDef) and stmt.name.startswith("Test"):
            calls.extend(
                f"{stmt.name}().{m.name}()"
                for m in stmt.body
                if isinstance(m, ast.FunctionDef) and m.name.startswith("test")
            )
    return [TestCase(call.removesuffix("()"), f"{tests}\n\n{call}\n") for call in calls]
