"""``ChatModelBackend``: any LangChain chat model as a backend (k concurrent calls)."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import anyio
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage

from langgraph_scaling.backends._protocol import Emit, Sample, SampleRequest, TokenLogprob
from langgraph_scaling.branching import error_text, run_branches
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.langgraph._glue import enter_branch

__all__ = ["ChatModelBackend", "metadata_logprobs", "sampling_kwargs", "to_sample"]


def sampling_kwargs(model: BaseChatModel, temperature: float, seed: int | None) -> dict[str, Any]:
    """Per-call kwargs giving branch diversity, for the models that accept them.

    Only fields the model declares are passed (``temperature``, ``seed``), so models without
    them (scripted fakes, some providers) are called unchanged.
    """
    fields = type(model).model_fields
    kwargs: dict[str, Any] = {}
    if "temperature" in fields:
        kwargs["temperature"] = temperature
    if "seed" in fields and seed is not None:
        kwargs["seed"] = seed
    return kwargs


class ChatModelBackend:
    """Runs a LangChain chat model ``n`` times concurrently, one call per branch.

    Each call runs under the current run config (inside a
    :class:`~langgraph_scaling.ScaledChatModel`, the step's run, so each branch's model run
    is traced as its child), tagged ``nostream`` (see
    :func:`~langgraph_scaling.langgraph._glue.enter_branch`) and without the handlers that
    stream tokens (:func:`~langgraph_scaling.branching.without_token_streams`), so neither
    ``stream_mode="messages"`` nor ``astream_events`` shows a branch's tokens.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> backend = ChatModelBackend(GenericFakeChatModel(messages=iter(["a", "b"])))
        >>> backend.name
        'chat_model'
    """

    def __init__(self, model: BaseChatModel, *, max_concurrency: int | None = None) -> None:
        if not isinstance(model, BaseChatModel):
            raise ConfigError("ChatModelBackend.model", model, "must be a LangChain chat model")
        if max_concurrency is not None and max_concurrency < 1:
            raise ConfigError("ChatModelBackend.max_concurrency", max_concurrency, "must be >= 1")
        self.model = model
        self._limit = max_concurrency

    @property
    def name(self) -> str:
        return "chat_model"

    def _call_kwargs(self, request: SampleRequest, seed: int) -> dict[str, Any]:
        kwargs = sampling_kwargs(self.model, request.temperature, seed)
        fields = type(self.model).model_fields
        if request.max_tokens is not None and "max_tokens" in fields:
            kwargs["max_tokens"] = request.max_tokens
        if request.logprobs is not None and "logprobs" in fields:
            kwargs["logprobs"] = True  # OpenAI-style chat models (ChatOpenAI and kin)
            if "top_logprobs" in fields:
                kwargs["top_logprobs"] = request.logprobs
        return kwargs

    async def sample(self, request: SampleRequest, emit: Emit) -> None:
        model: Any = self.model
        if request.tools:
            kw: dict[str, Any] = {"tool_choice": request.tool_choice} if request.tool_choice else {}
            if "parallel_tool_calls" in request.extra and _takes_parallel(self.model):
                kw["parallel_tool_calls"] = request.extra["parallel_tool_calls"]
            model = self.model.bind_tools([dict(t) for t in request.tools], **kw)

        async def branch(i: int) -> Sample:
            kwargs = self._call_kwargs(request, request.seeds[i])
            config = enter_branch(i)  # in the context too: a bound model merges it back
            out = await model.ainvoke(list(request.messages), config, **kwargs)
            return to_sample(i, out)

        async def emit_sample(_: int, sample: Sample) -> None:
            await emit(sample)

        await run_branches(
            request.n,
            branch,
            emit_sample,
            failed=lambda i, exc: Sample(index=i, error=error_text(exc)),
            limiter=anyio.CapacityLimiter(self._limit) if self._limit else None,
        )


def _takes_parallel(model: Any) -> bool:
    """Whether ``model.bind_tools`` names ``parallel_tool_calls`` (ChatOpenAI, ChatAnthropic
    do); others may pass unknown keywords on to their client, which then fails."""
    try:
        return "parallel_tool_calls" in inspect.signature(model.bind_tools).parameters
    except (TypeError, ValueError):
        return False


def to_sample(index: int, out: object) -> Sample:
    """A :class:`Sample` from a chat model's output (usage metadata gives token counts)."""
    if not isinstance(out, AIMessage):
        return Sample(index=index, error=f"model returned {type(out).__name__}, not AIMessage")
    usage: Mapping[str, Any] = out.usage_metadata or {}
    finish = out.response_metadata.get("finish_reason")
    return Sample(
        index=index,
        message=out,
        tokens_in=int(usage.get("input_tokens", 0)),
        tokens_out=int(usage.get("output_tokens", 0)),
        finish_reason=str(finish) if finish is not None else None,
        logprobs=metadata_logprobs(out.response_metadata),
    )


def metadata_logprobs(metadata: Mapping[str, Any]) -> tuple[TokenLogprob, ...] | None:
    """OpenAI-style ``response_metadata["logprobs"]["content"]`` as :class:`TokenLogprob` s.

    Example:
        >>> content = [{"token": "a", "logprob": -0.5,
        ...             "top_logprobs": [{"token": "b", "logprob": -1.0},
        ...                              {"token": "a", "logprob": -0.5}]}]
        >>> metadata_logprobs({"logprobs": {"content": content}})[0].top
        (('a', -0.5), ('b', -1.0))
        >>> metadata_logprobs({}) is None
        True
    """
    block = metadata.get("logprobs")
    content = block.get("content") if isinstance(block, Mapping) else None
    if not isinstance(content, list):
        return None
    tokens = []
    for entry in content:
        top = sorted(
            ((str(t["token"]), float(t["logprob"])) for t in entry.get("top_logprobs") or ()),
            key=lambda t: -t[1],
        )
        tokens.append(TokenLogprob(str(entry["token"]), float(entry["logprob"]), tuple(top)))
    return tuple(tokens)
