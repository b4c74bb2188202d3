"""Layout guards (issue 13): short modules and functions in ``src/``, and a library that never
imports its app layer.

- no module in ``src/langgraph_scaling`` is over 400 lines;
- no function or method there is over 60 lines (``def`` line to last line, docstring
  included, decorators not);
- nothing there imports ``langgraph_scaling.graphs`` (the top-level ``graphs/`` folder,
  installed inside the package, is the app layer that ``langgraph.json`` serves), lazily
  inside a function or not, absolutely or relatively.

The checkers are tested on small sources first, so a guard that silently finds nothing fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "langgraph_scaling"
PACKAGE = "langgraph_scaling"
APP_LAYER = f"{PACKAGE}.graphs"
APP_PACKAGES = ("graphs", "tools")
"""App packages installed inside ``langgraph_scaling`` from top-level folders (not library)."""
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def library_modules() -> list[Path]:
    """Every module of the library (``src/langgraph_scaling``, app packages left out)."""
    return sorted(
        p
        for p in SRC.rglob("*.py")
        if p.relative_to(SRC).parts[0] not in APP_PACKAGES and "__pycache__" not in p.parts
    )


def module_name(path: Path) -> str:
    """``src/langgraph_scaling/a/b.py`` -> ``langgraph_scaling.a.b`` (a package: its name)."""
    parts = [PACKAGE, *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int, int]]:
    """``(name, first line, length)`` of every function or method over ``limit`` lines."""
    return [
        (node.name, node.lineno, length)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (length := (node.end_lineno or node.lineno) - node.lineno + 1) > limit
    ]


def imported_names(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Absolute names ``module``'s source imports (relative imports resolved), anywhere in it.

    ``from a import b`` yields both ``a`` and ``a.b`` (``b`` may be a submodule);
    ``importlib.import_module("x")`` with a literal yields ``x``.
    """
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def imports_app_layer(names: set[str]) -> list[str]:
    return sorted(n for n in names if n == APP_LAYER or n.startswith(f"{APP_LAYER}."))


def test_the_function_checker_counts_def_to_last_line_with_the_docstring() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(57))
    source = f'@decorator\nasync def f():\n    """Doc\n    string."""\n{body}\n'  # 60 lines
    assert long_functions(source) == []
    assert long_functions(source + "    return x0\n") == [("f", 2, 61)]
    nested = "class C:\n    def m(self):\n" + "\n".join(f"        y = {i}" for i in range(60))
    assert long_functions(nested) == [("m", 2, 61)]


@pytest.mark.parametrize(
    ("source", "module", "is_package"),
    [
        ("import langgraph_scaling.graphs.coding_agent", "langgraph_scaling.cli", True),
        ("from langgraph_scaling import graphs", "langgraph_scaling.cli._eval", False),
        ("def f():\n    from ..graphs import coding_agent", "langgraph_scaling.cli._eval", False),
        ("from .graphs.react_agent import graph", "langgraph_scaling", True),
        (
            "import importlib\nimportlib.import_module('langgraph_scaling.graphs.react_agent')",
            "langgraph_scaling.cli",
            True,
        ),
    ],
    ids=["absolute", "from-package", "lazy-relative", "relative-in-init", "import_module"],
)
def test_the_import_checker_finds_app_layer_imports(
    source: str, module: str, is_package: bool
) -> None:
    assert imports_app_layer(imported_names(source, module, is_package=is_package))


def test_the_import_checker_lets_library_imports_and_lookalikes_pass() -> None:
    source = (
        "from langgraph_scaling.agents.coding import build_coding_agent\n"
        "from langgraph_scaling import graphs_helper\n"
        "from . import graph\n"
        '"""See langgraph_scaling.graphs.coding_agent."""\n'
    )
    names = imported_names(source, "langgraph_scaling.agents.coding", is_package=True)
    assert "langgraph_scaling.agents.coding.graph" in names
    assert imports_app_layer(names) == []


def test_no_library_module_is_over_400_lines() -> None:
    assert library_modules(), f"no modules found under {SRC}"
    too_long = [
        f"{p.relative_to(SRC)}: {n} lines"
        for p in library_modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert too_long == [], f"modules over {MAX_MODULE_LINES} lines: {too_long}"


def test_no_library_function_is_over_60_lines() -> None:
    too_long = [
        f"{p.relative_to(SRC)}:{line} {name}: {length} lines"
        for p in library_modules()
        for name, line, length in long_functions(p.read_text(encoding="utf-8"))
    ]
    assert too_long == [], f"functions over {MAX_FUNCTION_LINES} lines: {too_long}"


def test_the_library_never_imports_the_app_layer() -> None:
    offenders = [
        f"{p.relative_to(SRC)} imports {', '.join(found)}"
        for p in library_modules()
        if (found := imports_app_layer(_imports_of(p)))
    ]
    assert offenders == [], f"the library imports {APP_LAYER} (the app layer): {offenders}"


def _imports_of(path: Path) -> set[str]:
    source = path.read_text(encoding="utf-8")
    return imported_names(source, module_name(path), is_package=path.name == "__init__.py")


def test_every_package_in_src_is_in_the_wheel() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[1]
    listed = set(
        tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(root / "src").parts)
        for init in (root / "src").rglob("__init__.py")
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
