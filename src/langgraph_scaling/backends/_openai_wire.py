"""Wire format of OpenAI-compatible chat completions: the request body, choices as samples.

Pure functions that translate between the backend's requests and samples and the server's
JSON (as the ``openai`` client parses it); ``openai_server.py`` sends the requests and
``_openai_failures.py`` says what a failed one becomes.

Log-probabilities: ``SampleRequest.logprobs=k`` is sent as ``logprobs=True,
top_logprobs=k``, and each choice's ``logprobs.content`` comes back as
``Sample.logprobs`` (``None`` when the server gave none). ``logprobs`` / ``top_logprobs``
in ``extra`` ask for the same thing (``extra={"logprobs": True, "top_logprobs": 2}`` is
``logprobs=2``); ``SampleRequest.logprobs`` wins when both are given.

Affinity: ``SampleRequest.affinity`` goes out as an HTTP header (``affinity_header``,
``X-Session-ID`` by default), the first thing vllm-router's ``consistent_hash`` policy
hashes; every request of a step then lands on one replica. A sample whose request was
sent again (a lost replica, 502/503) says so in ``response_metadata["retries"]``.

Example:
    >>> tool_choice("any"), tool_choice("search")
    ('required', {'type': 'function', 'function': {'name': 'search'}})
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from langgraph_scaling.backends._messages import make_ai_message, to_openai_messages
from langgraph_scaling.backends._protocol import Sample, SampleRequest
from langgraph_scaling.confidence import TokenLogprob

__all__ = [
    "DIRECT_OPTIONS",
    "asked_logprobs",
    "request_body",
    "split_tokens",
    "to_logprobs",
    "to_sample",
    "tool_choice",
]

DIRECT_OPTIONS = frozenset(
    {"top_p", "stop", "presence_penalty", "frequency_penalty", "logit_bias", "user",
     "response_format", "parallel_tool_calls"}
)  # fmt: skip
"""``extra`` options the chat-completions endpoint takes directly; others go into
``extra_body`` (vLLM's own sampling options), except the log-probability options."""

_LOGPROB_OPTIONS = frozenset({"logprobs", "top_logprobs"})

# LangChain's names for "call some tool" beside OpenAI's own.
_CHOICE_ALIASES = {"any": "required", "auto": "auto", "required": "required", "none": "none"}


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


def request_body(
    request: SampleRequest,
    *,
    model: str,
    n: int,
    seed: int | None,
    return_token_ids: bool = False,
    affinity_header: str | None = None,
    leave_out: Collection[str] = (),
) -> dict[str, Any]:
    """Keyword arguments of ``chat.completions.create`` for ``n`` samples of ``request``,
    without the ``extra_body`` options in ``leave_out`` (those the server refused).

    Example:
        >>> from langchain_core.messages import HumanMessage
        >>> req = SampleRequest([HumanMessage("hi")], n=2, seeds=[7, 8], extra={"top_k": 5})
        >>> body = request_body(req, model="m", n=2, seed=7)
        >>> body["n"], body["seed"], body["extra_body"]
        (2, 7, {'top_k': 5})
        >>> keyed = SampleRequest([HumanMessage("hi")], n=1, seeds=[7], affinity="step-1")
        >>> request_body(keyed, model="m", n=1, seed=7, affinity_header="X-Session-ID")[
        ...     "extra_headers"]
        {'X-Session-ID': 'step-1'}
    """
    kwargs: dict[str, Any] = {
        "model": model,
        "messages": to_openai_messages(request.messages),
        "temperature": request.temperature,
    }
    if n > 1:
        kwargs["n"] = n
    if seed is not None:
        kwargs["seed"] = seed
    if request.max_tokens is not None:
        kwargs["max_tokens"] = request.max_tokens
    if request.tools:
        kwargs["tools"] = [dict(t) for t in request.tools]
        if request.tool_choice is not None:
            kwargs["tool_choice"] = tool_choice(request.tool_choice)
    top = asked_logprobs(request)
    if top is not None:
        kwargs["logprobs"], kwargs["top_logprobs"] = True, top
    extra_body: dict[str, Any] = {}
    for key, value in request.extra.items():
        if key not in _LOGPROB_OPTIONS and key not in leave_out:
            (kwargs if key in DIRECT_OPTIONS else extra_body)[key] = value
    if return_token_ids and "return_token_ids" not in leave_out:
        extra_body["return_token_ids"] = True
    if extra_body:
        kwargs["extra_body"] = extra_body
    if affinity_header and request.affinity:
        kwargs["extra_headers"] = {affinity_header: request.affinity}
    return kwargs


def asked_logprobs(request: SampleRequest) -> int | None:
    """Top alternatives per token the request asks for (``None``: no log-probabilities).

    Example:
        >>> asked_logprobs(SampleRequest([], n=1, seeds=[0], extra={"logprobs": True}))
        0
        >>> asked_logprobs(SampleRequest([], n=1, seeds=[0], logprobs=3))
        3
    """
    if request.logprobs is not None:
        return request.logprobs
    if request.extra.get("logprobs") or request.extra.get("top_logprobs") is not None:
        return int(request.extra.get("top_logprobs") or 0)
    return None


def to_logprobs(choice: Any) -> tuple[TokenLogprob, ...] | None:
    """A choice's ``logprobs.content`` as :class:`TokenLogprob` s, ``None`` if it has none.

    ``top`` is sorted most likely first (vLLM's server lists the sampled token first).
    """
    content = getattr(getattr(choice, "logprobs", None), "content", None)
    if content is None:
        return None
    tokens = []
    for entry in content:
        top = sorted(
            ((t.token, float(t.logprob)) for t in entry.top_logprobs or ()), key=lambda t: -t[1]
        )
        tokens.append(TokenLogprob(entry.token, float(entry.logprob), tuple(top)))
    return tuple(tokens)


def split_tokens(choices: Sequence[Any], total: int) -> list[int]:
    """Per-choice output tokens: exact from vLLM's ``token_ids`` or from per-token
    log-probabilities that add up to ``total``, else ``total`` split by text."""
    exact = [
        getattr(c, "token_ids", None) or (c.model_extra or {}).get("token_ids") for c in choices
    ]
    if all(isinstance(ids, list) for ids in exact):
        return [len(ids) for ids in exact]  # type: ignore[arg-type]
    if len(choices) == 1:
        return [total]
    counted = [getattr(getattr(c, "logprobs", None), "content", None) for c in choices]
    if all(isinstance(tokens, list) for tokens in counted):
        lengths = [len(tokens) for tokens in counted]  # type: ignore[arg-type]
        if sum(lengths) == total:
            return lengths
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


def to_sample(
    response: Any,
    choice: Any,
    index: int,
    tokens_in: int,
    tokens_out: int,
    *,
    retries: Sequence[str] = (),
) -> Sample:
    """One choice as a sample; ``retries`` (the failed attempts before the answer) go
    into its message's ``response_metadata["retries"]``."""
    message = choice.message
    raw_calls = [
        {
            "id": call.id,
            "function": {"name": call.function.name, "arguments": call.function.arguments},
        }
        for call in message.tool_calls or ()
    ]
    metadata: dict[str, Any] = {"model_name": response.model, "finish_reason": choice.finish_reason}
    if retries:
        metadata["retries"] = list(retries)
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
        logprobs=to_logprobs(choice),
    )
