"""Wire format of OpenAI-compatible chat completions: tool choice, errors, retry hints, choices.

Pure functions that translate between the server's JSON (as the ``openai`` client parses
it) and the backend's samples; ``openai_server.py`` does the requests.

Example:
    >>> tool_choice("any"), tool_choice("search")
    ('required', {'type': 'function', 'function': {'name': 'search'}})
    >>> retry_after({"retry-after": "2"})
    2.0
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

from langgraph_scaling.backends._messages import make_ai_message
from langgraph_scaling.backends._protocol import Sample

__all__ = ["error_text", "mentions_n", "retry_after", "split_tokens", "to_sample", "tool_choice"]

# LangChain's names for "call some tool" beside OpenAI's own.
_CHOICE_ALIASES = {"any": "required", "auto": "auto", "required": "required", "none": "none"}


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked to wait (``retry-after-ms``, or ``Retry-After`` in seconds
    or as an HTTP date), or ``None``."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            seconds = float(headers.get(name) or "nan") * scale
        except ValueError:
            continue
        if math.isfinite(seconds):
            return max(seconds, 0.0)
    try:
        when = email.utils.parsedate_to_datetime(headers.get("retry-after") or "")
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def tool_choice(choice: Any) -> Any:
    """OpenAI's ``tool_choice`` for LangChain's (``"any"`` is ``"required"``; a name, that tool).

    ``with_structured_output`` and ``bind_tools(tool_choice="any")`` send ``"any"``, which
    OpenAI-compatible servers do not know and once received as a tool named ``any``.
    """
    if choice is True:
        return "required"
    if isinstance(choice, str):
        alias = _CHOICE_ALIASES.get(choice)
        return alias or {"type": "function", "function": {"name": choice}}
    return choice


def mentions_n(exc: Any) -> bool:
    text = error_text(exc).lower()
    return any(word in text for word in ("'n'", '"n"', " n ", "n must", "n >", "n=", "`n`"))


def error_text(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        message = body.get("message") or body.get("error")
        if isinstance(message, Mapping):
            message = message.get("message")
        if message:
            return str(message)
    return str(getattr(exc, "message", exc))


def split_tokens(choices: Sequence[Any], total: int) -> list[int]:
    """Per-choice output tokens: vLLM ``token_ids`` if present, else ``total`` split by text."""
    exact = [
        getattr(c, "token_ids", None) or (c.model_extra or {}).get("token_ids") for c in choices
    ]
    if all(isinstance(ids, list) for ids in exact):
        return [len(ids) for ids in exact]  # type: ignore[arg-type]
    if len(choices) == 1:
        return [total]
    lengths = [len(_choice_text(c)) + 1 for c in choices]
    shares = [total * length // sum(lengths) for length in lengths]
    shares[0] += total - sum(shares)
    return shares


def _choice_text(choice: Any) -> str:
    message = choice.message
    text = message.content or ""
    for call in message.tool_calls or ():
        text += call.function.arguments or ""
    return str(text)


def to_sample(response: Any, choice: Any, index: int, tokens_in: int, tokens_out: int) -> Sample:
    message = choice.message
    raw_calls = [
        {
            "id": call.id,
            "function": {"name": call.function.name, "arguments": call.function.arguments},
        }
        for call in message.tool_calls or ()
    ]
    metadata = {"model_name": response.model, "finish_reason": choice.finish_reason}
    ai = make_ai_message(
        message.content,
        raw_calls,
        response_metadata=metadata,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
    )
    return Sample(
        index=index,
        message=ai,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        finish_reason=choice.finish_reason,
    )
