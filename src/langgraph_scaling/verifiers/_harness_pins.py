"""Snapshots of what unit tests rely on, for the harness (a script shipped beside it).

Stdlib only. The referee calls :func:`prepare` before any candidate code runs: it imports the
modules the tests import (``unittest.case``, ``pytest``'s API modules when pytest can be
imported at all, ``math``, ...) and snapshots the builtins, those modules' dicts, the dicts
of the classes they define, and their ``sys.modules`` entries. The players call
:func:`repin` after the candidate's module code, around each test and (through
:func:`wrap`) after each call of a candidate function: a patched ``pytest.approx``,
``unittest.TestCase.assertEqual``, ``math.isclose`` or ``builtins.abs`` is put back before
the test can use it.

Example:
    ``_harness.py`` calls ``prepare([test sources])`` in the referee, then ``repin()`` in each
    player; tests see the candidate's functions through ``wrap(fn)``.
"""

from __future__ import annotations

import ast
import builtins
import gc
import importlib
import sys
import types
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["CURRENT", "PRISTINE", "prepare", "repin", "wrap"]

# Bound at import, in the referee: repin never looks a name up in ``builtins``.
_len, _vars, _set_attr, _del_attr = len, vars, type.__setattr__, type.__delattr__
_settrace, _setprofile, _gc_callbacks = sys.settrace, sys.setprofile, gc.callbacks
_MODULES, _PATH, _META_PATH = sys.modules, sys.path, sys.meta_path
_IMMUTABLE_TYPE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE: builtin types nobody can patch
_MISSING = object()
_NOT_PINNED = frozenset({"sys", "builtins", "warnings", "gc", "__main__", "solution"})
PRISTINE: dict[str, Any] = dict(vars(builtins))
"""The builtins as they were before any candidate code ran."""
CURRENT: list[dict[str, Any] | None] = [None]
"""``[the running test's __builtins__ dict]``: :func:`repin` restores it too."""
_PINS: list[tuple[str, types.ModuleType]] = []
_DICTS: list[tuple[dict[str, Any], dict[str, Any]]] = [(vars(builtins), PRISTINE)]
_CLASSES: list[tuple[type, dict[str, Any]]] = []
_SAVED_PATHS: list[list[Any]] = [list(sys.path), list(sys.meta_path)]


def _imported(sources: Iterable[str]) -> set[str]:
    """Every module name (and parent package) the tests import; ``unittest`` adds its ``case``."""
    names: list[str] = []
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                names.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)
                names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    wanted = {".".join(n.split(".")[: i + 1]) for n in names for i in range(n.count(".") + 1)}
    if "unittest" in wanted:
        wanted |= {"unittest.case", "unittest.util"}
    return wanted


def _snapshot_classes(modules: list[types.ModuleType]) -> None:
    seen = {id(cls) for cls, _ in _CLASSES}
    for module in modules:
        for value in list(vars(module).values()):
            if not isinstance(value, type) or value.__module__ != module.__name__:
                continue
            if id(value) not in seen and not value.__flags__ & _IMMUTABLE_TYPE:
                seen.add(id(value))
                _CLASSES.append((value, dict(vars(value))))


def prepare(sources: Iterable[str]) -> None:
    """Import the modules ``sources`` import, and snapshot them for :func:`repin`.

    Call it in the referee, before any candidate code runs.
    """
    wanted = _imported(sources)
    for name in sorted(wanted):
        try:
            importlib.import_module(name)
        except Exception:  # not importable here: a test that needs it fails on its own
            continue
    pytest = sys.modules.get("pytest")
    if pytest is not None:
        for api in ("approx", "raises", "fail", "skip", "xfail", "warns", "deprecated_call"):
            module = getattr(getattr(pytest, api, None), "__module__", None)
            wanted |= {module} if isinstance(module, str) else set()
    _PINS[:] = [(n, sys.modules[n]) for n in sorted(wanted - _NOT_PINNED) if n in sys.modules]
    _DICTS[1:] = [(vars(m), dict(vars(m))) for _, m in _PINS]
    _snapshot_classes([m for _, m in _PINS])
    _SAVED_PATHS[:] = [list(sys.path), list(sys.meta_path)]


def _reset(live: Any, saved: dict[str, Any]) -> None:
    for key, value in saved.items():
        if live.get(key, _MISSING) is not value:
            live[key] = value


def repin() -> None:
    """Undo what candidate code changed in builtins, pinned modules and classes, sys.path."""
    _settrace(None)
    _setprofile(None)
    _gc_callbacks.clear()
    for live, saved in _DICTS:  # the builtins first: the loops below need nothing else
        _reset(live, saved)
    if CURRENT[0] is not None:
        _reset(CURRENT[0], PRISTINE)
    for cls, saved in _CLASSES:
        proxy = _vars(cls)
        for key, value in saved.items():
            if proxy.get(key, _MISSING) is not value:
                _set_attr(cls, key, value)
        if _len(proxy) != _len(saved):
            for key in [k for k in proxy if k not in saved]:
                _del_attr(cls, key)
    for name, module in _PINS:
        if _MODULES.get(name) is not module:
            _MODULES[name] = module
    _PATH[:], _META_PATH[:] = _SAVED_PATHS


def wrap(fn: types.FunctionType) -> Callable[..., Any]:
    """``fn`` (a candidate's function, as tests see it), repinning after each call."""

    def candidate_call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        finally:
            repin()

    candidate_call.__wrapped__ = fn  # type: ignore[attr-defined]  # for inspect.signature
    return candidate_call
