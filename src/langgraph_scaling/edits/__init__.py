"""Edits small models can make: read an answer as file edits, build the diff in code.

An answer may write its edit as SEARCH/REPLACE blocks (the form small models manage
best), whole ``def``/``class`` definitions, whole files, or a unified diff.
:func:`parse_edits` reads any of them against the repository into an :class:`EditSet`
(each file's text before and after) whose ``diff`` is built by difflib, so it always
applies. A malformed, ambiguous or unsafe edit raises
:class:`~langgraph_scaling.errors.EditError` naming the file and the reason, which
verifiers turn into feedback. Modules: ``_parse.py`` (forms and paths in the answer),
``_search_replace.py``, ``_functions.py``, ``_unified.py`` (one form each),
``_model.py`` (the data and the diff), ``_paths.py`` (safe paths, globs).

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> repo = Path(tempfile.mkdtemp())
    >>> _ = (repo / "stats.py").write_text("def mean(xs):\\n    return sum(xs) / 2\\n")
    >>> answer = '''stats.py
    ... ```python
    ... <<<<<<< SEARCH
    ...     return sum(xs) / 2
    ... =======
    ...     return sum(xs) / len(xs)
    ... >>>>>>> REPLACE
    ... ```'''
    >>> edits = parse_edits(answer, repo)
    >>> edits.form, edits.paths
    ('search_replace', ('stats.py',))
    >>> print(edits.diff, end="")
    diff --git a/stats.py b/stats.py
    --- a/stats.py
    +++ b/stats.py
    @@ -1,2 +1,2 @@
     def mean(xs):
    -    return sum(xs) / 2
    +    return sum(xs) / len(xs)
"""

from langgraph_scaling.edits._model import EditForm, EditSet, FileChange, unified_diff
from langgraph_scaling.edits._parse import UNCHANGED, parse_edits
from langgraph_scaling.edits._paths import matches_any, safe_path
from langgraph_scaling.errors import EditError

__all__ = [
    "UNCHANGED",
    "EditError",
    "EditForm",
    "EditSet",
    "FileChange",
    "matches_any",
    "parse_edits",
    "safe_path",
    "unified_diff",
]
