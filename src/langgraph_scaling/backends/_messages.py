"""Conversions shared by the vLLM and OpenAI-server backends.

LangChain messages go out as OpenAI chat dicts (``role``, ``content``, ``tool_calls``,
``tool_call_id``); model output comes back as an :class:`~langchain_core.messages.AIMessage`
whose ``tool_calls`` hold parsed JSON arguments and whose ``invalid_tool_calls`` hold what
did not parse, so a verifier can see a broken call instead of losing it. (Tool calls in
an engine's raw text are parsed by vLLM's own tool parsers: ``_vllm_tools.py``.)

Example:
    >>> from langchain_core.messages import HumanMessage
    >>> to_openai_messages([HumanMessage("hi")])
    [{'role': 'user', 'content': 'hi'}]
    >>> raw = [{"id": "c1", "function": {"name": "f", "arguments": '{"x": 1}'}}]
    >>> msg = make_ai_message("", raw)
    >>> msg.tool_calls[0]["name"], msg.tool_calls[0]["args"]
    ('f', {'x': 1})
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    InvalidToolCall,
    ToolCall,
    convert_to_openai_messages,
)
from langchain_core.messages.tool import invalid_tool_call, tool_call

__all__ = [
    "make_ai_message",
    "new_tool_call_id",
    "to_openai_messages",
    "to_template_messages",
]


def new_tool_call_id() -> str:
    """A fresh OpenAI-style tool call id (``call_`` + 24 hex digits).

    Example:
        >>> new_tool_call_id().startswith("call_")
        True
    """
    return f"call_{uuid.uuid4().hex[:24]}"


def to_openai_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """Convert LangChain messages to OpenAI chat-completions dicts.

    Example:
        >>> from langchain_core.messages import SystemMessage
        >>> to_openai_messages([SystemMessage("be brief")])[0]["role"]
        'system'
    """
    converted = convert_to_openai_messages(list(messages))
    return [dict(m) for m in converted]


def to_template_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """OpenAI dicts prepared for a Hugging Face chat template, as vLLM prepares them.

    Chat templates (Qwen2.5's among them) render ``tool_call.arguments`` with ``tojson``, so
    arguments are given as objects rather than JSON strings; ``None`` content becomes ``""``.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> call = {"name": "f", "args": {"x": 1}, "id": "c1"}
        >>> out = to_template_messages([AIMessage("", tool_calls=[call])])
        >>> out[0]["tool_calls"][0]["function"]["arguments"]
        {'x': 1}
    """
    result: list[dict[str, Any]] = []
    for message in to_openai_messages(messages):
        item = dict(message)
        if item.get("content") is None:
            item["content"] = ""
        calls = item.get("tool_calls")
        if calls:
            item["tool_calls"] = [_template_tool_call(call) for call in calls]
        result.append(item)
    return result


def _template_tool_call(call: Mapping[str, Any]) -> dict[str, Any]:
    function = dict(call.get("function", {}))
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            function["arguments"] = json.loads(arguments)
        except ValueError:
            pass  # leave it as text: the template prints what the model produced
    return {**call, "function": function}


def _parse_call(name: Any, arguments: Any, call_id: str | None) -> ToolCall | InvalidToolCall:
    """One tool call with JSON-decoded arguments, or an invalid call saying why."""
    cid = call_id or new_tool_call_id()
    if not isinstance(name, str) or not name:
        text = arguments if isinstance(arguments, str) else json.dumps(arguments)
        return invalid_tool_call(name=None, args=text, id=cid, error="tool call has no name")
    if isinstance(arguments, Mapping):
        return tool_call(name=name, args=dict(arguments), id=cid)
    if arguments is None or arguments == "":
        return tool_call(name=name, args={}, id=cid)
    if not isinstance(arguments, str):
        return invalid_tool_call(
            name=name, args=json.dumps(arguments), id=cid, error="arguments are not an object"
        )
    try:
        decoded = json.loads(arguments)
    except ValueError as exc:
        return invalid_tool_call(
            name=name, args=arguments, id=cid, error=f"arguments are not valid JSON: {exc}"
        )
    if not isinstance(decoded, dict):
        return invalid_tool_call(
            name=name, args=arguments, id=cid, error="arguments are not a JSON object"
        )
    return tool_call(name=name, args=decoded, id=cid)


def make_ai_message(
    content: str | None,
    raw_tool_calls: Sequence[Mapping[str, Any]] = (),
    *,
    response_metadata: Mapping[str, Any] | None = None,
    tokens_in: int | None = None,
    tokens_out: int | None = None,
) -> AIMessage:
    """Build an :class:`AIMessage` from text and OpenAI-style tool calls.

    Args:
        content: the text part (``None``: empty).
        raw_tool_calls: ``{"id", "function": {"name", "arguments"}}`` dicts (arguments as a
            JSON string or an object); calls whose arguments do not parse become
            ``invalid_tool_calls``.
        response_metadata: stored on the message (``finish_reason``, ``model_name`` ...).
        tokens_in: prompt tokens, for ``usage_metadata`` (with ``tokens_out``).
        tokens_out: generated tokens.

    Example:
        >>> raw = [{"id": "c1", "function": {"name": "f", "arguments": "{oops"}}]
        >>> msg = make_ai_message("", raw)
        >>> msg.tool_calls, msg.invalid_tool_calls[0]["name"]
        ([], 'f')
    """
    valid: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in raw_tool_calls:
        function = raw.get("function") or {}
        parsed = _parse_call(function.get("name"), function.get("arguments"), raw.get("id"))
        if parsed.get("type") == "invalid_tool_call":
            invalid.append(parsed)  # type: ignore[arg-type]
        else:
            valid.append(parsed)  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    if tokens_in is not None and tokens_out is not None:
        kwargs["usage_metadata"] = {
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        }
    return AIMessage(
        content=content or "",
        tool_calls=valid,
        invalid_tool_calls=invalid,
        response_metadata=dict(response_metadata or {}),
        **kwargs,
    )
