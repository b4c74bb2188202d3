"""The edit step's constrained form: branches call ``write_code`` instead of writing text.

A 0.5B model asked for SEARCH/REPLACE text on the bug corpus wrote blocks without their
``=======`` line, without the file's path, or with the whole file as SEARCH (every edit of
agent@1 on 37 bugs failed to parse). Under ``tool_choice="required"`` the edit step
instead forces one call of :data:`WRITE_CODE`, whose JSON schema (vLLM's structured
outputs) allows only the repository's code files as ``path`` and takes the changed
definitions as ``code``; :func:`rendered` turns the call into the whole-definition edit
text that :func:`~langgraph_scaling.edits.parse_edits` reads, so the patch verifier, the
vote and the committed change all see one form. A branch that answered in text instead is
kept as it is.

Example:
    >>> from langgraph_scaling.report import Candidate
    >>> from langgraph_scaling.testing import tool_call
    >>> args = {"path": "pkg/a.py", "code": "def f():\\n    return 2\\n"}
    >>> c = Candidate(index=0, status="ok", message=tool_call(WRITE_CODE, args))
    >>> print(rendered(c).text, end="")
    pkg/a.py
    ```python
    def f():
        return 2
    ```
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from langgraph_scaling.report import Candidate
from langgraph_scaling.selection.keys import VoteKeyFn
from langgraph_scaling.verifiers.protocol import VerifyContext

__all__ = ["CODE_FORMAT", "WRITE_CODE", "rendered", "rendered_key", "write_code_spec"]

WRITE_CODE = "write_code"
"""The tool each branch of a constrained edit step must call."""

CODE_FORMAT = (
    f"Call {WRITE_CODE} with the path of the file to change and, as code, each function or "
    "class you change, written out whole with the fix (its def line and body, not the rest "
    "of the file)."
)


def write_code_spec(paths: Sequence[str], max_chars: int | None = None) -> dict[str, Any]:
    """The OpenAI spec of :data:`WRITE_CODE`: ``path`` one of ``paths``, ``code`` a string
    of at most ``max_chars`` (so a constrained call closes before the token limit)."""
    code: dict[str, Any] = {"type": "string", "description": "the changed definitions, whole"}
    if max_chars is not None:
        code["maxLength"] = max(1, max_chars)
    return {
        "type": "function",
        "function": {
            "name": WRITE_CODE,
            "description": "Replace functions or classes of one file with new versions.",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string", "enum": list(paths)}, "code": code},
                "required": ["path", "code"],
            },
        },
    }


def rendered(candidate: Candidate) -> Candidate:
    """``candidate`` with its :data:`WRITE_CODE` call as edit text; unchanged without one."""
    call = next((c for c in candidate.tool_calls if c["name"] == WRITE_CODE), None)
    if call is None:
        return candidate
    path = str(call["args"].get("path", "")).strip()
    code = str(call["args"].get("code", "")).strip("\n")
    return dataclasses.replace(candidate, text=f"{path}\n```python\n{code}\n```\n")


def rendered_key(key: VoteKeyFn) -> VoteKeyFn:
    """``key`` applied to the rendered candidate (a call and its text form are one vote)."""

    async def wrapped(candidate: Candidate, context: VerifyContext) -> str:
        return await key(rendered(candidate), context)

    return wrapped
