"""Reading the in-process engine's text back as an ``AIMessage``, tool calls parsed.

Tool calls are parsed by vLLM's own tool parser of the given name (``ToolParserManager``;
``hermes`` for Qwen2.5's ``<tool_call>`` blocks), as ``vllm serve --tool-call-parser``
does, so in-process and served engines read the same text the same way. One difference:
where vLLM's parser gives up (a block that is not JSON, a call without ``name`` or
``arguments``) and returns the whole text as content, the text from the parser's start
token on is kept as one invalid tool call, so a verifier sees a broken call instead of
losing it.

A request that must call a tool (``tool_choice`` ``"required"``, LangChain's ``"any"`` or a
tool's name, also as ``{"type": "function", "function": {"name": ...}}``) is generated
under vLLM's structured outputs with the JSON schema ``vllm serve`` builds for the same
``tool_choice`` (vLLM's own ``get_json_schema_from_tools``): an array of
``{"name", "parameters"}`` calls for ``"required"`` (one call at most with
``parallel_tool_calls=False`` in ``extra``), the tool's ``parameters`` for a named tool. So
every branch's calls name a bound tool and fit its schema, even from a 0.5B model; the JSON
is read back by :func:`parse_forced_calls`, not by the tool parser. (``vllm serve`` 0.32 with
``--tool-call-parser hermes`` uses an xgrammar structural tag in Hermes' own format instead,
which leaves the arguments free unless ``--tool-strict-level parameter``; with
``VLLM_ENFORCE_STRICT_TOOL_CALLING=0`` it uses this same schema.) ``"none"``: no tool calls
are parsed; ``"auto"`` or ``None``: the tool parser, as before.

Example:
    >>> from langgraph_scaling.backends._protocol import SampleRequest
    >>> request = SampleRequest(messages=[], n=1, seeds=[0])
    >>> parse_output("hermes", None, request, "4", {}, tokens=(3, 1)).content
    '4'
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.messages.tool import invalid_tool_call

from langgraph_scaling.backends._messages import make_ai_message, new_tool_call_id
from langgraph_scaling.backends._openai_wire import tool_choice as openai_tool_choice
from langgraph_scaling.backends._protocol import SampleRequest
from langgraph_scaling.errors import ConfigError

__all__ = [
    "forced_tool",
    "forced_tool_schema",
    "parse_forced_calls",
    "parse_output",
    "sampling_options",
]

REQUIRED = "required"
""":func:`forced_tool` for a request that must call some tool (any of the bound ones)."""


def forced_tool(request: SampleRequest) -> str | None:
    """What the request forces: ``REQUIRED``, a tool's name, or ``None`` (nothing forced).

    Raises:
        ConfigError: ``tool_choice`` names no bound tool, or is not a form this reads.

    Example:
        >>> tools = [{"type": "function", "function": {"name": "add"}}]
        >>> [forced_tool(SampleRequest([], 1, [0], tools=tools, tool_choice=choice))
        ...  for choice in (None, "auto", "none", "any", "required", "add")]
        [None, None, None, 'required', 'required', 'add']
        >>> named = {"type": "function", "function": {"name": "add"}}
        >>> forced_tool(SampleRequest([], 1, [0], tools=tools, tool_choice=named))
        'add'
    """
    choice = openai_tool_choice(request.tool_choice)
    if not request.tools or choice in (None, False, "auto", "none"):
        return None
    if choice == REQUIRED:
        return REQUIRED
    function = choice.get("function", choice) if isinstance(choice, Mapping) else None
    name = function.get("name") if isinstance(function, Mapping) else None
    if not isinstance(name, str):
        raise ConfigError(
            "tool_choice", request.tool_choice,
            'must be "auto", "none", "required", "any", a tool name or '
            '{"type": "function", "function": {"name": ...}}',
        )  # fmt: skip
    bound = [t.get("function", {}).get("name") for t in request.tools]
    if name not in bound:
        raise ConfigError("tool_choice", request.tool_choice, f"names no bound tool {bound}")
    return name


def forced_tool_schema(
    request: SampleRequest, *, parallel_tool_calls: bool | None = None
) -> dict[str, Any] | None:
    """The JSON schema ``vllm serve`` constrains the request's forced tool choice with.

    ``None`` when nothing is forced. Built by vLLM's ``get_json_schema_from_tools`` (needs
    vLLM): for ``"required"`` an array of ``{"name", "parameters"}`` objects, one per call;
    for a named tool that tool's ``parameters``.
    """
    forced = forced_tool(request)
    if forced is None:
        return None
    from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionRequest
    from vllm.tool_parsers.utils import get_json_schema_from_tools

    choice: Any = forced if forced == REQUIRED else openai_tool_choice(forced)
    tools = [dict(t) for t in request.tools]
    try:
        chat = ChatCompletionRequest(messages=[], model="local", tools=tools, tool_choice=choice)
    except ValueError as exc:  # pydantic's ValidationError, VLLMValidationError
        names = [t.get("function", {}).get("name") for t in tools]
        raise ConfigError("tools", names, str(exc)) from exc
    bound: Any = chat.tools  # a list of ChatCompletionToolsParam, one of the accepted kinds
    schema = get_json_schema_from_tools(chat.tool_choice or choice, bound, parallel_tool_calls)
    return json.loads(schema) if isinstance(schema, str) else schema


def sampling_options(request: SampleRequest) -> dict[str, Any]:
    """``request.extra`` as ``SamplingParams`` options, plus what the request's tools need.

    ``structured_outputs`` given as a mapping (``{"regex": ...}``, what ``vllm serve``
    takes) becomes vLLM's ``StructuredOutputsParams``. ``parallel_tool_calls`` is not a
    sampling option: it is taken out and, ``False``, limits
    a ``"required"`` answer to one call. A forced tool choice replaces any
    ``structured_outputs`` of ``extra``, as ``vllm serve`` replaces the response format.
    """
    extra = dict(request.extra)
    parallel = extra.pop("parallel_tool_calls", None)
    if isinstance(extra.get("structured_outputs"), Mapping):  # as the server takes it
        from vllm.sampling_params import StructuredOutputsParams

        extra["structured_outputs"] = StructuredOutputsParams(**extra["structured_outputs"])
    if not request.tools or openai_tool_choice(request.tool_choice) == "none":
        return extra
    # Tool-call tags can be special tokens; the parser must see them (as vLLM does).
    extra.setdefault("skip_special_tokens", False)
    schema = forced_tool_schema(request, parallel_tool_calls=parallel)
    if schema is not None:
        from vllm.sampling_params import StructuredOutputsParams

        extra["structured_outputs"] = StructuredOutputsParams(json=schema)
    return extra


def parse_forced_calls(
    forced: str, text: str, metadata: Mapping[str, Any], *, tokens: tuple[int, int]
) -> AIMessage:
    """The constrained JSON of a forced tool choice as a message whose content is empty.

    ``forced`` is :func:`forced_tool`'s answer: ``REQUIRED`` reads an array of
    ``{"name", "parameters"}`` calls (``"arguments"`` is read too), a tool's name reads that
    tool's arguments. Every call gets an id. JSON that does not parse (cut off by
    ``max_tokens``) becomes one invalid tool call holding the text and saying why.

    Example:
        >>> msg = parse_forced_calls(
        ...     "required", '[{"name": "add", "parameters": {"a": 1}}]', {}, tokens=(5, 9))
        >>> [(c["name"], c["args"]) for c in msg.tool_calls], msg.content
        ([('add', {'a': 1})], '')
        >>> msg = parse_forced_calls("add", '{"a": 2}', {}, tokens=(5, 4))
        >>> msg.tool_calls[0]["name"], msg.tool_calls[0]["args"], msg.tool_calls[0]["id"][:5]
        ('add', {'a': 2}, 'call_')
        >>> cut = parse_forced_calls("required", '[{"name": "ad', {}, tokens=(5, 3))
        >>> cut.invalid_tool_calls[0]["error"]
        'the constrained tool-call JSON is incomplete or not an array of calls'
    """
    usage: dict[str, Any] = {"tokens_in": tokens[0], "tokens_out": tokens[1]}
    if forced != REQUIRED:
        raw = [{"id": new_tool_call_id(), "function": {"name": forced, "arguments": text.strip()}}]
        return make_ai_message("", raw, response_metadata=metadata, **usage)
    calls = _decoded_calls(text)
    if calls is None:
        message = make_ai_message("", response_metadata=metadata, **usage)
        error = "the constrained tool-call JSON is incomplete or not an array of calls"
        message.invalid_tool_calls = [
            invalid_tool_call(name=None, args=text, id=new_tool_call_id(), error=error)
        ]
        return message
    raw = [
        {
            "id": new_tool_call_id(),
            "function": {"name": c["name"], "arguments": c.get("parameters", c.get("arguments"))},
        }
        for c in calls
    ]
    return make_ai_message("", raw, response_metadata=metadata, **usage)


def _decoded_calls(text: str) -> Sequence[Mapping[str, Any]] | None:
    """``text`` as a list of ``{"name": ...}`` objects, or ``None`` when it is not one."""
    try:
        decoded = json.loads(text)
    except ValueError:
        return None
    if not isinstance(decoded, list) or not decoded:
        return None
    if not all(isinstance(c, dict) and isinstance(c.get("name"), str) for c in decoded):
        return None
    return decoded


def parse_output(
    parser: str | None,
    tokenizer: Any,
    request: SampleRequest,
    text: str,
    metadata: dict[str, Any],
    *,
    tokens: tuple[int, int],
) -> AIMessage:
    """``text`` as a message; tool calls parsed when the request has tools and a parser.

    A forced tool choice's constrained JSON is read by :func:`parse_forced_calls` (with or
    without a parser).
    """
    tokens_in, tokens_out = tokens
    forced = forced_tool(request)
    if forced is not None:
        return parse_forced_calls(forced, text, metadata, tokens=tokens)
    if not request.tools or parser is None or openai_tool_choice(request.tool_choice) == "none":
        return make_ai_message(
            text, response_metadata=metadata, tokens_in=tokens_in, tokens_out=tokens_out
        )
    message = _parse_with_vllm_parser(parser, tokenizer, request, text, metadata)
    message.usage_metadata = {
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "total_tokens": tokens_in + tokens_out,
    }
    return message


def _parse_with_vllm_parser(
    parser: str,
    tokenizer: Any,
    request: SampleRequest,
    text: str,
    metadata: dict[str, Any],
) -> AIMessage:
    """Use vLLM's registered tool parser ``parser``; keep what it could not parse."""
    from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionRequest
    from vllm.tool_parsers import ToolParserManager

    tools = [dict(t) for t in request.tools]
    chat_request = ChatCompletionRequest(messages=[], model="local", tools=tools)
    tool_parser = ToolParserManager.get_tool_parser(parser)(tokenizer)
    extracted = tool_parser.extract_tool_calls(text, chat_request)
    start = getattr(tool_parser, "tool_call_start_token", None)
    if not extracted.tools_called and isinstance(start, str) and start and start in text:
        # Kept as a call without a name, which make_ai_message makes an invalid one.
        at = text.index(start)
        broken = {"id": new_tool_call_id(), "function": {"arguments": text[at:]}}
        return make_ai_message(text[:at].strip(), [broken], response_metadata=metadata)
    raw = [
        {
            "id": call.id or new_tool_call_id(),
            "function": {"name": call.function.name, "arguments": call.function.arguments},
        }
        for call in extracted.tool_calls
    ]
    return make_ai_message(extracted.content, raw, response_metadata=metadata)
