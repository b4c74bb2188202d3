"""The bug corpus (``benchmarks/bugs/corpus.py``, not a package), loaded once as
``bug_corpus`` for every test module that needs it (the bug-fix benchmark uses that name
too)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _load() -> ModuleType:
    if "bug_corpus" not in sys.modules:
        path = Path(__file__).parent.parent / "benchmarks" / "bugs" / "corpus.py"
        spec = importlib.util.spec_from_file_location("bug_corpus", path)
        assert spec is not None and spec.loader is not None
        sys.modules["bug_corpus"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["bug_corpus"])
    return sys.modules["bug_corpus"]


corpus = _load()
