"""``ChatModelBackend``: any LangChain chat model as a backend (k concurrent calls)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig
from langgraph.constants import TAG_NOSTREAM
from langgraph.errors import GraphBubbleUp

from langgraph_scaling.backends._protocol import Emit, Sample, SampleRequest
from langgraph_scaling.errors import ConfigError

__all__ = ["ChatModelBackend", "branch_config", "sampling_kwargs"]


def branch_config(index: int, base: RunnableConfig | None = None) -> RunnableConfig:
    """The run config of branch ``index``'s model call: ``base``, tagged and marked.

    Branch calls are traced as children but tagged ``nostream``, so only the committed answer
    reaches ``stream_mode="messages"`` (a chat UI); ``scaling_branch`` names the branch.

    Example:
        >>> branch_config(2, {"tags": ["mine"]})["metadata"]
        {'scaling_branch': 2}
    """
    base = base or {}
    return {
        **base,
        "tags": [*base.get("tags", []), TAG_NOSTREAM],
        "metadata": {**base.get("metadata", {}), "scaling_branch": index},
    }


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

    async def sample(self, request: SampleRequest, emit: Emit) -> None:
        model: Any = self.model
        if request.tools:
            kw = {"tool_choice": request.tool_choice} if request.tool_choice else {}
            model = self.model.bind_tools([dict(t) for t in request.tools], **kw)
        limiter = anyio.CapacityLimiter(self._limit) if self._limit else None

        async def one(i: int) -> None:
            kwargs = sampling_kwargs(self.model, request.temperature, request.seeds[i])
            if request.max_tokens is not None and "max_tokens" in type(self.model).model_fields:
                kwargs["max_tokens"] = request.max_tokens
            config = branch_config(i)
            try:
                if limiter is not None:
                    async with limiter:
                        out = await model.ainvoke(list(request.messages), config, **kwargs)
                else:
                    out = await model.ainvoke(list(request.messages), config, **kwargs)
            except GraphBubbleUp:
                raise
            except Exception as exc:  # one branch failed; the others go on
                await emit(Sample(index=i, error=f"{type(exc).__name__}: {exc}"))
                return
            await emit(to_sample(i, out))

        async with anyio.create_task_group() as tg:
            for i in range(request.n):
                tg.start_soon(one, i)


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
    )
