"""Pull code out of a model's answer: Python from fences, unified diffs from patches.

Example:
    >>> extract_python("Here:\\n```python\\ndef f():\\n    return 1\\n```")
    'def f():\\n    return 1\\n'
    >>> extract_diff("```diff\\n--- a/x\\n+++ b/x\\n@@ -1 +1 @@\\n-a\\n+b\\n```").splitlines()[0]
    '--- a/x'
"""

from __future__ import annotations

import re

__all__ = ["extract_diff", "extract_python"]

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_PY_TAGS = {"python", "py", "python3", ""}
_DIFF_TAGS = {"diff", "patch", "udiff", ""}


def _fences(text: str) -> list[tuple[str, str]]:
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]


def extract_python(text: str) -> str:
    """The Python code in ``text``.

    Takes every ```` ```python ```` (or ```` ```py ````) fenced block, joined; else every
    untagged fenced block; else the whole text.

    Example:
        >>> extract_python("x = 1")
        'x = 1'
    """
    blocks = _fences(text)
    tagged = [body for tag, body in blocks if tag in _PY_TAGS - {""}]
    if tagged:
        return "\n".join(tagged)
    plain = [body for tag, body in blocks if tag == ""]
    return "\n".join(plain) if plain else text


def extract_diff(text: str) -> str:
    """The unified diff in ``text``: a ```` ```diff ```` block, else from the first header.

    Example:
        >>> extract_diff("no diff here")
        ''
    """
    for tag, body in _fences(text):
        if tag in _DIFF_TAGS and ("+++ " in body or "diff --git" in body):
            return _ensure_newline(body)
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith(("diff --git ", "--- ")):
            return _ensure_newline("".join(lines[i:]))
    return ""


def _ensure_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"
