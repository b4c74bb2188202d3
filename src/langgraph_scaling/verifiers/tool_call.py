"""``ToolCallVerifier``: tool calls name a bound tool and their arguments fit its schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.verifiers._protocol import VerifyContext

__all__ = ["ToolCallVerifier"]

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list, tuple),
    "object": (dict,),
    "null": (type(None),),
}


def _type_ok(value: Any, expected: str | list[str]) -> bool:
    names = expected if isinstance(expected, list) else [expected]
    for name in names:
        kinds = _JSON_TYPES.get(name)
        if kinds is None:
            return True  # a type this small checker does not know: accept
        if isinstance(value, bool) and name in ("integer", "number"):
            continue
        if isinstance(value, kinds):
            return True
    return False


def check_args(args: Mapping[str, Any], schema: Mapping[str, Any], path: str = "") -> list[str]:
    """Problems with ``args`` against a JSON-schema ``object`` (types, required, enums)."""
    props: Mapping[str, Any] = schema.get("properties", {})
    problems = [
        f"missing required argument {path + req!r}"
        for req in schema.get("required", [])
        if req not in args
    ]
    for key, value in args.items():
        spec = props.get(key)
        if spec is None:
            if schema.get("additionalProperties", True) is False or props:
                problems.append(f"unexpected argument {path + key!r}")
            continue
        if "type" in spec and not _type_ok(value, spec["type"]):
            problems.append(f"argument {path + key!r} should be {spec['type']}, got {value!r}")
        elif "enum" in spec and value not in spec["enum"]:
            problems.append(f"argument {path + key!r} must be one of {spec['enum']}")
        elif spec.get("type") == "object" and isinstance(value, dict):
            problems.extend(check_args(value, spec, f"{path}{key}."))
    return problems


class ToolCallVerifier:
    """Passes a candidate whose every tool call names a bound tool with valid arguments.

    A text answer (no tool calls) passes unless ``require_tool_call`` is set. Invalid tool
    calls (unparsable arguments) always fail.

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
        (False, "add: argument 'a' should be integer, got 'x'")
    """

    def __init__(self, *, require_tool_call: bool = False) -> None:
        self.require_tool_call = require_tool_call

    @property
    def name(self) -> str:
        return "tool_call_schema"

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        schemas = {
            t["function"]["name"]: t["function"].get("parameters", {})
            for t in context.tools
            if "function" in t
        }
        msg = candidate.message
        problems = [
            f"{bad.get('name')}: arguments are not valid JSON"
            for bad in (msg.invalid_tool_calls if msg is not None else [])
        ]
        calls = candidate.tool_calls
        if not calls and self.require_tool_call and not problems:
            problems.append("expected a tool call, got a text answer")
        for call in calls:
            name = call["name"]
            if name not in schemas:
                problems.append(f"unknown tool {name!r}; bound tools: {sorted(schemas)}")
                continue
            problems.extend(f"{name}: {p}" for p in check_args(call.get("args", {}), schemas[name]))
        n_checks = max(1, len(calls))
        score = 0.0 if problems else 1.0 if calls or not self.require_tool_call else 0.0
        if problems and calls:
            score = max(0.0, 1 - len(problems) / n_checks)
        return Verdict(
            verifier=self.name,
            passed=not problems,
            score=score,
            feedback="; ".join(problems),
            details={"tool_calls": len(calls)},
        )
