"""``ToolCallVerifier``: tool calls name a bound tool and their arguments fit its schema.

Arguments are validated by :mod:`jsonschema` against the tool's ``parameters`` schema, in
the draft the schema names (else 2020-12): ``$ref``/``$defs``, ``anyOf``/``oneOf``/
``allOf``, array ``items``, bounds, enums, formats left unasserted. One rule is added for
tool calls: an object that declares ``properties`` and says nothing of extra keys (no
``additionalProperties``, ``patternProperties``, ``$ref`` or combinator beside them) is
closed, so an argument the tool does not declare fails the call.

A tool whose schema is not valid JSON Schema (an unknown ``type``, a ``$ref`` to nowhere)
cannot be checked at all: :class:`~langgraph_scaling.errors.VerifierError`, naming the tool.

A branch that was required to call a tool fails when it answered with text: the step's
``tool_choice`` (``context.extras["tool_choice"]``, set by ``ScaledChatModel`` and
``ScalingMiddleware``) is ``"required"``, ``"any"``, ``True`` or names a tool (then the call
must be to that tool), or the verifier was built with ``require_tool_call=True``. Whatever
the ``tool_choice``, a text answer that *writes* a call to a bound tool as JSON (fenced,
bare or in ``<tool_call>`` tags: what small models do instead of calling) fails with
feedback saying so; any other text answer passes unless a call was required.

Example:
    >>> schema = {"type": "object", "required": ["n"],
    ...           "properties": {"n": {"type": "integer", "minimum": 0}}}
    >>> for problem in check_args({"n": -1, "x": 1}, schema):
    ...     print(problem)
    argument 'n' fails minimum: -1 is less than the minimum of 0
    unexpected argument 'x'
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from jsonschema import ValidationError, validators
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from referencing.exceptions import Unresolvable

from langgraph_scaling.errors import VerifierError
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.verifiers.protocol import VerifyContext

__all__ = ["ToolCallVerifier", "check_args", "required_tool", "written_calls"]

_OPEN = frozenset(
    {"additionalProperties", "patternProperties", "unevaluatedProperties", "$ref"}
    | {"allOf", "anyOf", "oneOf", "if", "dependentSchemas"}
)
"""Keywords beside ``properties`` that decide about extra keys themselves."""
_CLIP = 300
_NOT_FORCED = (None, False, "auto", "none")
_CALL_KEYS = frozenset({"name", "arguments", "parameters", "args", "id", "type", "function"})
_JSON_STARTS = 40
"""At most this many ``{``/``[`` positions of a text answer are tried as written calls."""


def _closed(schema: Any) -> Any:
    """``schema`` with every plain object (see the module docstring) closed to extra keys."""
    if not isinstance(schema, Mapping):
        return schema
    out = dict(schema)
    for key in ("properties", "$defs", "definitions"):
        if isinstance(out.get(key), Mapping):
            out[key] = {name: _closed(sub) for name, sub in out[key].items()}
    if isinstance(out.get("items"), Mapping):
        out["items"] = _closed(out["items"])
    if "properties" in out and not _OPEN & out.keys():
        out["additionalProperties"] = False
    return out


@functools.lru_cache(maxsize=256)
def _compiled(schema_json: str) -> Validator:
    schema = json.loads(schema_json)
    cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    cls.check_schema(schema)
    return cls(_closed(schema))


def _validator(schema: Mapping[str, Any], tool: str) -> Validator:
    try:
        return _compiled(json.dumps(schema, sort_keys=True, default=str))
    except SchemaError as exc:
        raise VerifierError(
            f"The parameters schema of tool {tool!r} is not valid JSON Schema "
            f"(at {exc.json_path}): {_clip(exc.message)}"
        ) from exc


def _clip(text: str) -> str:
    return text if len(text) <= _CLIP else f"{text[:_CLIP]}..."


def _location(path: Iterable[Any]) -> str:
    """``["opts", "tags", 1]`` → ``opts.tags[1]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def _child(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _unexpected(instance: Mapping[str, Any], schema: Any) -> list[str]:
    """Keys of ``instance`` that ``schema`` neither declares nor matches by pattern."""
    declared = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
    patterns = schema.get("patternProperties", {}) if isinstance(schema, Mapping) else {}
    return [k for k in instance if k not in declared and not any(re.search(p, k) for p in patterns)]


def _problems(error: ValidationError) -> list[str]:
    """Readable lines for one validation error: the argument, then the failing constraint."""
    where, instance, wanted = _location(error.absolute_path), error.instance, error.validator_value
    if error.validator == "required" and isinstance(instance, Mapping):
        missing = [k for k in wanted if k not in instance] if isinstance(wanted, list) else []
        return [f"missing required argument {_child(where, k)!r}" for k in missing]
    if error.validator == "additionalProperties" and isinstance(instance, Mapping):
        extra = _unexpected(instance, error.schema)
        return [f"unexpected argument {_child(where, k)!r}" for k in extra]
    subject = f"argument {where!r}" if where else "the arguments"
    line = f"{subject} fails {error.validator}: {_clip(error.message)}"
    reasons = list(dict.fromkeys(_clip(sub.message) for sub in error.context or ()))
    if reasons:
        line += f" ({'; '.join(reasons[:3])})"
    return [line]


def check_args(
    args: Mapping[str, Any], schema: Mapping[str, Any], *, tool: str = "tool"
) -> list[str]:
    """Problems with ``args`` against a tool's JSON-schema ``parameters`` (empty: they fit).

    Raises:
        VerifierError: ``schema`` is not valid JSON Schema, or a ``$ref`` in it leads nowhere.

    Example:
        >>> check_args({"mode": "fast"}, {"properties": {"mode": {"enum": ["a", "b"]}}})
        ["argument 'mode' fails enum: 'fast' is not one of ['a', 'b']"]
    """
    validator = _validator(schema, tool)
    try:
        errors = list(validator.iter_errors(dict(args)))
    except Unresolvable as exc:
        raise VerifierError(
            f"The parameters schema of tool {tool!r} has a reference that leads nowhere: {exc}"
        ) from exc
    return list(dict.fromkeys(line for error in errors for line in _problems(error)))


def required_tool(tool_choice: Any) -> str | bool:
    """Whether ``tool_choice`` requires a call: the forced tool's name, ``True`` or ``False``.

    Example:
        >>> [required_tool(c) for c in (None, "auto", "none", "any", "required", True)]
        [False, False, False, True, True, True]
        >>> required_tool("add"), required_tool({"type": "function", "function": {"name": "add"}})
        ('add', 'add')
    """
    if tool_choice in _NOT_FORCED:
        return False
    if tool_choice in ("any", "required", True):
        return True
    if isinstance(tool_choice, str):
        return tool_choice
    if isinstance(tool_choice, Mapping):
        function = tool_choice.get("function", tool_choice)
        name = function.get("name") if isinstance(function, Mapping) else None
        if isinstance(name, str):
            return name
    return True


def _call_name(value: Any, tools: Collection[str]) -> str | None:
    """The bound tool ``value`` (a decoded JSON value) calls, if it is shaped as a call."""
    if isinstance(value, list) and value:
        names = [_call_name(item, tools) for item in value]
        return names[0] if all(names) else None
    if not isinstance(value, Mapping) or not value.keys() <= _CALL_KEYS:
        return None
    function = value.get("function")
    if isinstance(function, Mapping):
        return _call_name(function, tools)
    name = value.get("name")
    return name if isinstance(name, str) and name in tools else None


def written_calls(text: str, tools: Collection[str]) -> list[str]:
    """Names of bound tools that ``text`` writes a call to as JSON instead of calling them.

    Example:
        >>> answer = 'Sure!\\n```json\\n{"name": "add", "arguments": {"a": 1}}\\n```'
        >>> written_calls(answer, {"add"}), written_calls(answer, {"sub"})
        (['add'], [])
        >>> written_calls('The result is {"a": 1}.', {"add"})
        []
    """
    decoder = json.JSONDecoder()
    found: list[str] = []
    starts = [m.start() for m in re.finditer(r"[{\[]", text)][:_JSON_STARTS]
    end = 0
    for start in starts:
        if start < end:
            continue
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            continue
        name = _call_name(value, tools)
        if name is not None and name not in found:
            found.append(name)
    return found


class ToolCallVerifier:
    """Passes a candidate whose every tool call names a bound tool with valid arguments.

    A text answer (no tool calls) passes unless a call was required (``require_tool_call``,
    or the step's ``tool_choice``) or it writes a call to a bound tool as JSON text. Invalid
    tool calls (unparsable arguments) always fail.

    Example:
        >>> import anyio
        >>> from langchain_core.messages import AIMessage
        >>> tools = [{"type": "function", "function": {"name": "add", "parameters": {
        ...     "type": "object", "properties": {"a": {"type": "integer"}},
        ...     "required": ["a"]}}}]
        >>> msg = AIMessage("", tool_calls=[{"name": "add", "args": {"a": "x"}, "id": "1"}])
        >>> v = anyio.run(ToolCallVerifier().verify, Candidate(index=0, message=msg,
        ...     status="ok"), VerifyContext(tools=tools))
        >>> v.passed, v.feedback
        (False, "add: argument 'a' fails type: 'x' is not of type 'integer'")
    """

    def __init__(self, *, require_tool_call: bool = False) -> None:
        self.require_tool_call = require_tool_call

    @property
    def name(self) -> str:
        return "tool_call_schema"

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        """Check every tool call of ``candidate`` against the bound tools' schemas.

        Raises:
            VerifierError: a called tool's schema is not valid JSON Schema.
        """
        schemas = {
            t["function"]["name"]: t["function"].get("parameters", {})
            for t in context.tools
            if "function" in t
        }
        required = required_tool(context.extras.get("tool_choice")) or self.require_tool_call
        msg = candidate.message
        problems = [
            f"{bad.get('name')}: arguments are not valid JSON"
            for bad in (msg.invalid_tool_calls if msg is not None else [])
        ]
        calls = candidate.tool_calls
        if not calls and not problems:
            text = candidate.text or (msg.text if msg is not None else "")
            problems.extend(_text_problems(text, schemas, required))
        for call in calls:
            name = call["name"]
            if name not in schemas:
                problems.append(f"unknown tool {name!r}; bound tools: {sorted(schemas)}")
                continue
            if isinstance(required, str) and name != required:
                problems.append(f"called {name!r}, but tool_choice requires {required!r}")
            found = check_args(call.get("args", {}), schemas[name], tool=name)
            problems.extend(f"{name}: {p}" for p in found)
        n_checks = max(1, len(calls))
        score = 0.0 if problems else 1.0
        if problems and calls:
            score = max(0.0, 1 - len(problems) / n_checks)
        return Verdict(
            verifier=self.name,
            passed=not problems,
            score=score,
            feedback="; ".join(problems),
            details={"tool_calls": len(calls), "required": required},
        )


def _text_problems(text: str, tools: Collection[str], required: str | bool) -> list[str]:
    """What is wrong with a text answer (no tool calls): a call written as text, or none."""
    written = written_calls(text, tools)
    if written:
        names = ", ".join(repr(n) for n in written)
        return [
            f"wrote a call to {names} as JSON text instead of calling the tool; "
            "make a real tool call"
        ]
    if isinstance(required, str):
        return [f"expected a call to {required!r} (tool_choice requires it), got a text answer"]
    if required:
        return ["expected a tool call, got a text answer"]
    return []
