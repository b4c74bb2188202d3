"""Reading the in-process engine's text back as an ``AIMessage``, tool calls parsed.

Tool calls are parsed by vLLM's own tool parser of the given name (``ToolParserManager``;
``hermes`` for Qwen2.5's ``<tool_call>`` blocks), as ``vllm serve --tool-call-parser``
does, so in-process and served engines read the same text the same way. One difference:
where vLLM's parser gives up (a block that is not JSON, a call without ``name`` or
``arguments``) and returns the whole text as content, the text from the parser's start
token on is kept as one invalid tool call, so a verifier sees a broken call instead of
losing it.

Example:
    >>> from langgraph_scaling.backends._protocol import SampleRequest
    >>> request = SampleRequest(messages=[], n=1, seeds=[0])
    >>> parse_output("hermes", None, request, "4", {}, tokens=(3, 1)).content
    '4'
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from langgraph_scaling.backends._messages import make_ai_message, new_tool_call_id
from langgraph_scaling.backends._protocol import SampleRequest

__all__ = ["parse_output"]


def parse_output(
    parser: str | None,
    tokenizer: Any,
    request: SampleRequest,
    text: str,
    metadata: dict[str, Any],
    *,
    tokens: tuple[int, int],
) -> AIMessage:
    """``text`` as a message; tool calls parsed when the request has tools and a parser."""
    tokens_in, tokens_out = tokens
    if not request.tools or parser is None or request.tool_choice == "none":
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
