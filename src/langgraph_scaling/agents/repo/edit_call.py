"""The edit step's constrained form: the answer's shape is fixed by a regular expression.

A 0.5B model asked for SEARCH/REPLACE text on the bug corpus wrote blocks without their
``=======`` line, without the file's path, or with the whole file as SEARCH: every edit of
agent@1 on 37 bugs failed to parse or apply. Asked for a JSON tool call with the code as a string,
it closed the string at the first line break (a raw newline is not valid JSON, and it did
not escape one), so every call held a ``def`` line alone. So on vLLM backends the edit
step constrains the text itself (structured outputs, ``regex``): one of the repository's
code files on the first line, then one ```python block, in which the model writes the
changed definitions whole (:data:`CODE_FORMAT`), the whole-definition form that
:func:`~langgraph_scaling.edits.parse_edits` reads. Other chat models get the same request
without the constraint.

Example:
    >>> import re
    >>> pattern = edit_pattern(["pkg/a.py", "pkg/b.py"])
    >>> bool(re.fullmatch(pattern, "pkg/a.py\\n```python\\ndef f():\\n    return 2\\n```"))
    True
    >>> bool(re.fullmatch(pattern, "pkg/c.py\\n```python\\ndef f():\\n    return 2\\n```"))
    False
    >>> edit_pattern(["my-pkg/a b.py"]).split(")")[0]  # only regex operators are escaped
    '(my-pkg/a b\\\\.py'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["CODE_FORMAT", "constrained_edit", "edit_pattern"]

# The operators escaped in a path; not re.escape's wider set (``\-``, ``\ ``, ``\#``,
# ``\~``), which the engine's regex dialects need not take outside a character class.
_OPERATOR = re.compile(r"[.^$*+?()\[\]{}|\\]")

CODE_FORMAT = (
    "Write the path of the file to change on one line, then one ```python block holding "
    "each function or class you change, written out whole with the fix (its def line and "
    "its body), and nothing else of the file."
)


def edit_pattern(paths: Sequence[str]) -> str:
    """The regular expression of an edit answer: one of ``paths``, then one python block
    (any text without three backticks in a row, closed by them)."""
    if not paths:
        raise ValueError("edit_pattern needs at least one path")
    files = "|".join(_OPERATOR.sub(r"\\\g<0>", p) for p in paths)
    return f"({files})\\n```python\\n([^`]|`[^`]|``[^`])*\\n```"


def constrained_edit(paths: Sequence[str]) -> dict[str, Any]:
    """The model kwargs that constrain an answer to :func:`edit_pattern` (``bind(**it)``):
    vLLM's structured outputs, which the vLLM backends send (others ignore them)."""
    return {"structured_outputs": {"regex": edit_pattern(paths)}}
