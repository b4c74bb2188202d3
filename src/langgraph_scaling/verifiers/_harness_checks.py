"""Plain-value checks for the unit-test harness (a script shipped beside ``_harness.py``).

Stdlib only. The referee imports this module and compiles the tests with it before any
candidate code runs; the players inherit it through ``fork``. Every builtin the checks use is
bound here, at import, so a candidate that patches ``builtins`` does not change them.

* :func:`compile_test` rewrites a test's AST so that its comparisons (chains included), its
  assert conditions with their ``not``/``and``/``or`` operands, the arithmetic inside its
  asserts, and the values passed to ``unittest``'s ``assert*`` methods go through the
  checks below. The checks sit in the code objects' constants, not in a namespace.
* The checks accept only plain data (exact ``int``, ``float``, ``complex``, ``bool``, ``str``,
  ``bytes``, ``None``, ``range``, classes, and ``list``/``tuple``/``dict``/``set``/
  ``frozenset`` and dict views of them, recursively), so an object whose ``__eq__`` always
  says ``True`` fails the test instead of passing it. A ``pytest.approx(...)`` written in the
  comparison itself is accepted when it holds plain data. A refusal raises
  :class:`NotPlainValue` *and* marks the test failed (:data:`STATE`), so a test that catches
  the exception still fails.

Example:
    >>> code = compile_test("assert f() == 1", "<test>")
    >>> exec(code, {"f": lambda: 1})
    >>> class Liar:
    ...     def __eq__(self, other): return True
    >>> try:
    ...     exec(code, {"f": Liar})
    ... except NotPlainValue as exc:
    ...     print(str(exc)[:40])
    the test compared a value of type 'Liar'
"""

from __future__ import annotations

import ast
import operator
import sys
import types
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["PLAIN", "STATE", "NotPlainValue", "compile_test", "describe", "shown", "trust_approx"]

# Bound at import, in the referee: the checks never look a name up in ``builtins``.
_type, _id, _bool, _str, _ascii = type, id, bool, str, ascii
_set, _enumerate, _getattribute = set, enumerate, object.__getattribute__
_contains = operator.contains
_type_name = type.__dict__["__name__"].__get__
_type_flags = type.__dict__["__flags__"].__get__
_exc_str, _exc_args = BaseException.__str__, BaseException.__dict__["args"].__get__
_IMMUTABLE_TYPE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE: builtin types nobody can patch

_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.values()), type({}.items()))
_LEAVES = frozenset(map(id, (int, float, complex, bool, str, bytes, type(None), range, type)))
_NESTED = frozenset(map(id, (list, tuple, set, frozenset, dict, *_VIEWS)))
_APPROX: set[int] = set()  # ids of pytest's approx types, see trust_approx()
PLAIN = (
    "int, float, complex, bool, str, bytes, None, range, classes, and lists, tuples, dicts, "
    "sets and frozensets of them (exact types, not subclasses)"
)
_CMP_OPS: tuple[type[ast.cmpop], ...] = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_CMP_OPS += (ast.In, ast.NotIn, ast.Is, ast.IsNot)
_IDENTITY = 8  # from here on, _CMP_OPS compare identities: no values are looked at
_COMPARE: tuple[Callable[[Any, Any], Any], ...] = (operator.eq, operator.ne, operator.lt)
_COMPARE += (operator.le, operator.gt, operator.ge, lambda a, b: _contains(b, a))
_COMPARE += (lambda a, b: not _contains(b, a), operator.is_, operator.is_not)
_ARITH_OPS: tuple[type[ast.operator], ...] = (ast.Add, ast.Sub, ast.Mult, ast.MatMult)
_ARITH_OPS += (ast.Div, ast.Mod, ast.Pow, ast.LShift, ast.RShift, ast.BitOr, ast.BitXor)
_ARITH_OPS += (ast.BitAnd, ast.FloorDiv)
_ARITH: tuple[Callable[[Any, Any], Any], ...] = (operator.add, operator.sub, operator.mul)
_ARITH += (operator.matmul, operator.truediv, operator.mod, operator.pow, operator.lshift)
_ARITH += (operator.rshift, operator.or_, operator.xor, operator.and_, operator.floordiv)
# unittest.TestCase methods whose leading arguments are the values under test (how many), and
# the keyword names of those arguments.
_UNITTEST = {name: 1 for name in "assertTrue assertFalse assertRegex assertNotRegex".split()}
_UNITTEST |= {
    f"assert{name}": 2
    for name in "Equal NotEqual Equals NotEquals AlmostEqual NotAlmostEqual AlmostEquals In "
    "NotIn Less LessEqual Greater GreaterEqual CountEqual ListEqual TupleEqual SetEqual "
    "DictEqual SequenceEqual MultiLineEqual".split()
}
_UNITTEST_KEYWORDS = frozenset("first second expr member container text".split())
_PLACE = "\x00lgs-check:"

STATE: list[Any] = [None, None]
"""The running test's ``[refusal message or None, (left side of a failed assert,) or None]``."""


class NotPlainValue(AssertionError):
    """A test compared, asserted or computed with a value that is not plain data."""


# --- the runtime checks ---------------------------------------------------------------------


def _impure(value: Any) -> type | None:
    """The first type in ``value`` that is not plain data (exact types, matched by id)."""
    stack, seen = [value], _set()
    while stack:
        item = stack.pop()
        kind = _type(item)
        if _id(kind) in _LEAVES:
            continue
        if _id(kind) not in _NESTED:
            return kind
        if _id(item) not in seen:
            seen.add(_id(item))
            stack.extend(item)  # C iteration of an exact builtin container: no user code
            if kind is dict:
                stack.extend(item.values())
    return None


def _name(kind: type) -> str:
    name = _type_name(kind)
    return name if _type(name) is _str else "?"


def _refuse(what: str, kind: type) -> None:
    message = f"{what} a value of type {_name(kind)!a}; the tests accept only {PLAIN}"
    if STATE[0] is None:
        STATE[0] = message
    raise NotPlainValue(message)


def _vet(value: Any, what: str) -> None:
    kind = _impure(value)
    if kind is not None:
        _refuse(what, kind)


def _vet_approx(value: Any, other: Any) -> bool:
    """Whether ``value`` is a pytest approx object over plain data, compared to plain data."""
    if _id(_type(value)) not in _APPROX:
        return False
    for field in ("expected", "abs", "rel"):
        try:
            _vet(_getattribute(value, field), "the test's approx() holds")
        except AttributeError:  # a pytest without this field
            continue
    _vet(other, "the test compared")
    return True


def _cmp(left: Any, op: int, right: Any, meta: tuple[bool, tuple[bool, ...]]) -> bool:
    """``left <op> right`` on plain values; ``meta``: (record a failure, approx() operands)."""
    record, approx = meta
    if op < _IDENTITY:
        trusted = op < 2 and (
            (approx[0] and _vet_approx(left, right)) or (approx[-1] and _vet_approx(right, left))
        )
        if not trusted:
            _vet(left, "the test compared")
            _vet(right, "the test compared")
    result = _COMPARE[op](left, right)
    if _type(result) is not _bool:
        _refuse("the comparison returned", _type(result))
    if record and not result:
        STATE[1] = (left,)
    return result  # type: ignore[no-any-return]


def _chain(ops: tuple[int, ...], meta: Any, lazy: bool, left: Any, *rest: Any) -> bool:
    """A comparison chain; with ``lazy``, ``rest`` are thunks, called as Python would."""
    record, approx = meta
    for i, op in _enumerate(ops):
        right = rest[i]() if lazy else rest[i]
        if not _cmp(left, op, right, (record, approx[i : i + 2])):
            return False
        left = right
    return True


def _truth(value: Any) -> bool:
    _vet(value, "the assert tested")
    return _bool(value)


def _arith(left: Any, op: int, right: Any) -> Any:
    _vet(left, "the assert computed with")
    _vet(right, "the assert computed with")
    return _ARITH[op](left, right)


def _plain(value: Any) -> Any:
    _vet(value, "the test checked")
    return value


_HELPERS = {"cmp": _cmp, "chain": _chain, "truth": _truth, "arith": _arith, "plain": _plain}


def shown(value: Any) -> str:
    """A value for feedback: its ``ascii`` when it is plain data, else its type."""
    kind = _impure(value)
    if kind is not None:
        return f"a {_name(kind)!a} object"
    try:
        return _ascii(value)[:200]
    except ValueError:  # e.g. an int past sys.get_int_max_str_digits()
        return "a value too large to show"


def describe(exc: BaseException) -> str:
    """An exception for feedback, without running any of the candidate's code."""
    kind = _type(exc)
    if _impure(_exc_args(exc)) is not None:
        text = "(its message holds values that are not plain data)"
    else:  # a builtin exception's own __str__, else BaseException's, on plain arguments
        text = (_str if _type_flags(kind) & _IMMUTABLE_TYPE else _exc_str)(exc)
    return (f"{_name(kind)}: {text}" if text else _name(kind))[:500]


def trust_approx() -> None:
    """Accept the types ``pytest.approx`` returns for plain data (when pytest is imported)."""
    pytest = sys.modules.get("pytest")
    if pytest is not None:
        for sample in (0.0, [0.0], (0.0,), {"k": 0.0}):
            _APPROX.add(id(type(pytest.approx(sample))))


# --- the AST rewrite (in the referee, on the trusted test source) ---------------------------


def _helper(name: str, args: list[ast.expr]) -> ast.Call:
    return ast.Call(func=ast.Constant(_PLACE + name), args=args, keywords=[])


def _const(value: Any) -> ast.Constant:
    return ast.Constant(value)


def _is_approx(node: ast.expr) -> bool:
    func = node.func if isinstance(node, ast.Call) else None
    return (isinstance(func, ast.Name) and func.id == "approx") or (
        isinstance(func, ast.Attribute) and func.attr == "approx"
    )


def _identity_only(node: ast.Compare) -> bool:
    return all(isinstance(op, ast.Is | ast.IsNot) for op in node.ops)


def _can_defer(node: ast.expr) -> bool:
    """Whether ``node`` means the same inside a lambda (no await, yield, walrus or super)."""
    scoped = ast.Await | ast.Yield | ast.YieldFrom | ast.NamedExpr
    return not any(
        isinstance(n, scoped) or (isinstance(n, ast.Name) and n.id == "super")
        for n in ast.walk(node)
    )


def _thunk(node: ast.expr) -> ast.Lambda:
    no_args = ast.arguments(
        posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]
    )
    return ast.Lambda(args=no_args, body=node)


class _Rewriter(ast.NodeTransformer):
    def __init__(self) -> None:
        self.asserting = False  # inside an assert's condition
        self.class_body = False  # directly in a class body (a lambda there misses class names)

    def _enter(self, node: ast.AST, *, asserting: bool, class_body: bool) -> ast.AST:
        saved = self.asserting, self.class_body
        self.asserting, self.class_body = asserting, class_body
        try:
            return self.generic_visit(node)
        finally:
            self.asserting, self.class_body = saved

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return self._enter(node, asserting=False, class_body=False)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        return self._enter(node, asserting=False, class_body=False)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        return self._enter(node, asserting=False, class_body=True)

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        return self._enter(node, asserting=self.asserting, class_body=False)

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        saved, self.asserting = self.asserting, True
        test = self._truth(node.test, top=True)
        self.asserting = saved
        msg = self.visit(node.msg) if node.msg is not None else None
        return ast.copy_location(ast.Assert(test=test, msg=msg), node)

    def _truth(self, node: ast.expr, *, top: bool = False) -> ast.expr:
        """``node`` where only its truth counts: every truth is taken by a check."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ast.UnaryOp(op=ast.Not(), operand=self._truth(node.operand))
        if isinstance(node, ast.BoolOp):
            return ast.BoolOp(op=node.op, values=[self._truth(v) for v in node.values])
        if isinstance(node, ast.Compare) and not _identity_only(node):
            self.generic_visit(node)
            return self._compare(node, record=top)
        return _helper("truth", [self.visit(node)])

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        return node if _identity_only(node) else self._compare(node, record=False)

    def _compare(self, node: ast.Compare, *, record: bool) -> ast.expr:
        ops = tuple(_CMP_OPS.index(type(op)) for op in node.ops)
        meta = _const((record, tuple(_is_approx(x) for x in [node.left, *node.comparators])))
        if len(ops) == 1:
            return _helper("cmp", [node.left, _const(ops[0]), node.comparators[0], meta])
        lazy = not self.class_body and all(_can_defer(x) for x in node.comparators)
        rest: list[ast.expr] = [_thunk(x) if lazy else x for x in node.comparators]
        return _helper("chain", [_const(ops), meta, _const(lazy), node.left, *rest])

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if not self.asserting:
            return node
        return _helper("arith", [node.left, _const(_ARITH_OPS.index(type(node.op))), node.right])

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        count = _UNITTEST.get(node.func.attr, 0) if isinstance(node.func, ast.Attribute) else 0
        if count:
            node.args = [
                a if i >= count or isinstance(a, ast.Starred) else _helper("plain", [a])
                for i, a in enumerate(node.args)
            ]
            for kw in node.keywords:
                if kw.arg in _UNITTEST_KEYWORDS:
                    kw.value = _helper("plain", [kw.value])
        return node


def _bind(code: types.CodeType) -> types.CodeType:
    """``code`` with each placeholder constant replaced by its helper, recursively."""

    def swap(const: Any) -> Any:
        if isinstance(const, types.CodeType):
            return _bind(const)
        if type(const) is str and const.startswith(_PLACE):
            return _HELPERS[const.removeprefix(_PLACE)]
        return const

    return code.replace(co_consts=tuple(swap(c) for c in code.co_consts))


def compile_test(source: str, filename: str) -> types.CodeType:
    """Compile a test with its checks rewritten (see the module docstring)."""
    tree = ast.fix_missing_locations(_Rewriter().visit(ast.parse(source, filename)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # "'str' object is not callable"
        code = compile(tree, filename, "exec", dont_inherit=True, optimize=0)
    return _bind(code)
