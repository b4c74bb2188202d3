"""Vote keys: normalised answers, so equivalent candidates vote together.

- tool calls: canonical tool name plus arguments as JSON with sorted keys; string values
  lose only their outer whitespace (inside, whitespace can be meaning: code, paths, text);
- code: the Python AST round-trip (comments, docstrings and formatting do not split votes);
- text: whitespace collapsed;
- node updates without a message: canonical JSON of the update, where messages count by
  type, content and tool calls (not their random ids) and a ``Command`` by its ``goto``,
  ``update``, ``resume`` and ``graph``.

Example:
    >>> code_key("def f(x):\\n    '''Doc.'''\\n    return x+1  # hi")
    'code:def f(x):\\n    return x + 1'
    >>> tool_calls_key([{"name": "Search", "args": {"b": 1, "a": " hi  there "}}])
    'tools:[["search",{"a":"hi  there","b":1}]]'
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal

from langchain_core.messages import BaseMessage
from langgraph.types import Command, Send

from langgraph_scaling.report import Candidate
from langgraph_scaling.verifiers.code import extract_python
from langgraph_scaling.verifiers.protocol import VerifyContext

__all__ = [
    "KeyKind",
    "VoteKeyFn",
    "behavior_key",
    "code_key",
    "compute_key",
    "extract_python",
    "short_key",
    "source_key",
    "text_key",
    "tool_calls_key",
]

KeyKind = Literal["auto", "text", "tool_calls", "code", "behavior"]
VoteKeyFn = Callable[[Candidate, VerifyContext], Awaitable[str]]

_WS = re.compile(r"\s+")


def _norm(value: Any) -> Any:
    """Plain JSON values for a key: messages and commands by what they say, not by ids."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Mapping):
        return {str(k): _norm(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_norm(v) for v in value]
    if isinstance(value, BaseMessage):
        calls = [[c["name"], c["args"]] for c in getattr(value, "tool_calls", None) or ()]
        return _norm({"type": value.type, "content": value.content, "tool_calls": calls})
    if isinstance(value, Command):
        parts = {"goto": value.goto, "update": value.update, "resume": value.resume}
        return _norm({**parts, "graph": value.graph})
    if isinstance(value, Send):
        return _norm({"send": value.node, "arg": value.arg})
    return value


def _canonical_json(value: Any) -> str:
    return json.dumps(_norm(value), sort_keys=True, separators=(",", ":"), default=str)


def short_key(key: str, limit: int = 80) -> str:
    """``key`` cut to about ``limit`` characters for a report, kept distinct by a hash.

    Example:
        >>> a, b = short_key("x" * 100 + "a"), short_key("x" * 100 + "b")
        >>> a != b and len(a) <= 80
        True
    """
    if len(key) <= limit:
        return key
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{key[: limit - 11]}…#{digest}"


def tool_calls_key(calls: Sequence[Mapping[str, Any]]) -> str:
    """Key of a set of tool calls: names lower-cased, arguments canonical, order kept."""
    return "tools:" + _canonical_json(
        [[str(c["name"]).strip().lower(), c.get("args") or {}] for c in calls]
    )


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return tree


def code_key(text: str) -> str:
    """Key of Python code by AST round-trip; falls back to the text key if it won't parse."""
    try:
        tree = ast.parse(extract_python(text))
    except (SyntaxError, ValueError):
        return text_key(text)
    return "code:" + ast.unparse(_strip_docstrings(tree))


def source_key(path: str, text: str) -> str:
    """Key of a whole file: Python by its AST without docstrings or comments (no code fence
    is looked for, unlike :func:`code_key`), anything else, or Python that won't parse, by
    its exact text.

    Example:
        >>> source_key("a.py", "x = 1  # one\\n") == source_key("a.py", "x=1\\n")
        True
        >>> source_key("a.yaml", "a:\\n  b: 1\\n") == source_key("a.yaml", "a:\\n b: 1\\n")
        False
    """
    if path.endswith(".py"):
        try:
            return "source:" + ast.unparse(_strip_docstrings(ast.parse(text)))
        except (SyntaxError, ValueError):
            pass
    return "file:" + text


def text_key(text: str) -> str:
    """Key of a plain text answer: whitespace collapsed."""
    return "text:" + _WS.sub(" ", text).strip()


def _looks_like_code(text: str) -> bool:
    return "```" in text or text.lstrip().startswith(("def ", "import ", "from "))


def behavior_key(candidate: Candidate) -> str | None:
    """What the candidate did under its verifiers: the tests it passed and, where a verdict
    records them (``GeneratedTestsVerifier``), its outputs on each test's input; ``None``
    when no verdict says (AlphaCode/CodeT-style clustering by behaviour).

    Example:
        >>> from langgraph_scaling.report import Verdict
        >>> c = Candidate(index=0, status="ok", text="x")
        >>> c.verdicts.append(Verdict(verifier="t", passed=True, score=1.0,
        ...                           details={"passed": ["a"], "outputs": {"a": "2"}}))
        >>> behavior_key(c)
        'behavior:[["t",["a"],[["a","2"]]]]'
    """
    parts = [
        [v.verifier, sorted(v.details.get("passed") or []),
         sorted((str(k), str(o)) for k, o in (v.details.get("outputs") or {}).items())]
        for v in candidate.verdicts
        if "passed" in v.details or "outputs" in v.details
    ]  # fmt: skip
    if not parts:
        return None
    return "behavior:" + json.dumps(parts, separators=(",", ":"))


def compute_key(candidate: Candidate, kind: KeyKind = "auto") -> str:
    """The vote key of a finished candidate for ``kind`` (``auto`` picks by content;
    ``behavior`` reads the verdicts, so it is computed after them, and falls back to the
    code key when no verdict records behaviour)."""
    if kind == "behavior":
        return behavior_key(candidate) or code_key(candidate.text)
    calls = candidate.tool_calls
    if kind == "tool_calls" or (kind == "auto" and calls):
        return tool_calls_key(calls)
    if kind == "code" or (kind == "auto" and _looks_like_code(candidate.text)):
        return code_key(candidate.text)
    if kind == "auto" and candidate.message is None and candidate.update is not None:
        return "update:" + _canonical_json(candidate.update)
    return text_key(candidate.text)
