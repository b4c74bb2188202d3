"""``ScaledChatModel``: a chat model that answers with the best of several branches."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    BaseCallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.runnables.config import patch_config, var_child_runnable_config
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.utils import LC_ID_PREFIX
from pydantic import BaseModel, ConfigDict

from langgraph_scaling._sync import run_blocking
from langgraph_scaling.backends._protocol import Backend
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.langgraph._glue import current_config, run_scaled, step_name
from langgraph_scaling.langgraph.context import register_step
from langgraph_scaling.policy import ScalingPolicy
from langgraph_scaling.sampling import BackendSampler, as_backend

__all__ = ["ScaledChatModel"]


class ScaledChatModel(BaseChatModel):
    """Wraps a chat model (or backend): each call runs a scaled step and returns the winner.

    It is itself a LangChain chat model: ``bind_tools`` works and ``ainvoke``/``invoke``
    return the selected ``AIMessage`` (text or tool calls), whose
    ``response_metadata["scaling"]`` holds the compact step report.

    Traced as one chat-model run per step (LangChain callbacks, so LangSmith too): each
    branch's model run is its child (tagged ``nostream``, ``metadata["scaling_branch"]``),
    the report is in its outputs (``llm_output["scaling"]`` and on the message), and the
    committed answer is its one streamed chunk; no branch streams its tokens, so
    ``astream_events`` and ``stream_mode="messages"`` show only the committed answer.

    Example:
        >>> import anyio
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> fake = GenericFakeChatModel(messages=iter(["4", "5", "4"]))
        >>> model = ScaledChatModel(fake, policy=ScalingPolicy(router=3, max_concurrency=1))
        >>> anyio.run(model.ainvoke, "2+2?").content
        '4'
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner: Any
    """The wrapped chat model or backend."""
    policy: ScalingPolicy = ScalingPolicy()
    """How each call is scaled."""
    step: str | None = None
    """Step name for reports and per-step budgets (default: the LangGraph node's name)."""

    def __init__(
        self,
        model: BaseChatModel | Backend | None = None,
        *,
        policy: ScalingPolicy | None = None,
        step: str | None = None,
        **kwargs: Any,
    ) -> None:
        if model is None:
            model = kwargs.pop("inner", None)
        as_backend(model)  # raises ConfigError naming the bad model
        if policy is not None and not isinstance(policy, ScalingPolicy):
            raise ConfigError("ScaledChatModel.policy", policy, "must be a ScalingPolicy")
        register_step(step, "ScaledChatModel.step")
        super().__init__(inner=model, policy=policy or ScalingPolicy(), step=step, **kwargs)

    @property
    def _llm_type(self) -> str:
        return "langgraph-scaling"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools; every branch sees them and tool calls are voted canonically.

        Raises:
            ConfigError: ``tools`` is empty (binding nothing is almost always a bug; call
                the model unbound instead).
        """
        if not tools:
            raise ConfigError("ScaledChatModel.bind_tools(tools)", tools, "needs at least one tool")
        formatted = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Answers as ``schema`` (a pydantic model, TypedDict or JSON schema), by tool calling.

        The schema becomes the one tool, called with ``tool_choice="any"`` (sent to servers
        as ``"required"``, which vLLM enforces with structured decoding), so every branch
        answers with a tool call, branches vote on its arguments and a
        :class:`~langgraph_scaling.ToolCallVerifier` checks them against the schema.
        ``method`` may be omitted or ``"function_calling"``; ``"json_schema"`` and
        ``"json_mode"`` are refused rather than silently answered by tool calling.

        Raises:
            ConfigError: another ``method``.

        Example:
            >>> from pydantic import BaseModel
            >>> from langgraph_scaling.testing import ScriptedChatModel
            >>> class Answer(BaseModel):
            ...     value: int
            >>> call = {"name": "Answer", "args": {"value": 4}, "id": "1"}
            >>> script = [AIMessage("", tool_calls=[call])]
            >>> model = ScaledChatModel(ScriptedChatModel(script=script))
            >>> model.with_structured_output(Answer).invoke("2+2?")
            Answer(value=4)
        """
        method = kwargs.pop("method", None)
        if method not in (None, "function_calling"):
            raise ConfigError(
                "ScaledChatModel.with_structured_output(method)",
                method,
                "only method='function_calling' (the default) is supported: the schema is "
                "the one tool, so branches vote on its arguments",
            )
        return super().with_structured_output(schema, include_raw=include_raw, **kwargs)

    async def _scaled(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        callbacks: BaseCallbackManager | None,
        kwargs: dict[str, Any],
    ) -> ChatResult:
        """Run the step; the branches' model runs are children of ``callbacks``' run."""
        if not messages:
            raise ConfigError("ScaledChatModel messages", messages, "needs at least one message")
        tools = list(kwargs.get("tools") or [])
        tool_choice = kwargs.get("tool_choice")
        extra: dict[str, Any] = {"stop": stop} if stop else {}
        if kwargs.get("parallel_tool_calls") is not None:  # False: at most one call
            extra["parallel_tool_calls"] = bool(kwargs["parallel_tool_calls"])
        if kwargs.get("structured_outputs"):  # vLLM's, e.g. {"regex": ...}; others ignore it
            extra["structured_outputs"] = dict(kwargs["structured_outputs"])
        sampler = BackendSampler(
            as_backend(self.inner, max_concurrency=self.policy.max_concurrency),
            messages,
            self.policy,
            tools=tools,
            tool_choice=tool_choice,
            extra=extra,
        )
        name = step_name(self.step, current_config(), "model")
        with _runs_under(callbacks):
            outcome = await run_scaled(
                sampler,
                self.policy,
                step=name,
                messages=messages,
                tools=tools,
                extras={"tool_choice": tool_choice},  # ToolCallVerifier: was a call required?
            )
        assert outcome.winner.message is not None  # model branches always carry a message
        report = outcome.report.model_dump(mode="json", exclude={"candidates"})
        message = outcome.winner.message.model_copy(
            update={
                "response_metadata": {
                    **outcome.winner.message.response_metadata,
                    "scaling": report,
                },
                "usage_metadata": {
                    "input_tokens": outcome.report.tokens_in,
                    "output_tokens": outcome.report.tokens_out,
                    "total_tokens": outcome.report.tokens_in + outcome.report.tokens_out,
                },
            }
        )
        generation = ChatGeneration(message=message)
        return ChatResult(generations=[generation], llm_output={"scaling": report})

    def _streams_answer(self, kwargs: dict[str, Any]) -> bool:
        return self.disable_streaming is not True and not (
            self.disable_streaming == "tool_calling" and kwargs.get("tools")
        )

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        streams = self._streams_answer(kwargs)
        result = await self._scaled(messages, stop, _child_callbacks(run_manager), kwargs)
        if run_manager is not None and streams:
            chunk = _committed_chunk(result, run_manager.run_id)
            await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
        return result

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        streams = self._streams_answer(kwargs)
        children = _child_callbacks(run_manager)

        async def go() -> ChatResult:
            return await self._scaled(messages, stop, children, kwargs)

        result = run_blocking(go)
        if run_manager is not None and streams:
            chunk = _committed_chunk(result, run_manager.run_id)
            run_manager.on_llm_new_token(chunk.text, chunk=chunk)
        return result


def _child_callbacks(
    run: AsyncCallbackManagerForLLMRun | CallbackManagerForLLMRun | None,
) -> AsyncCallbackManager | None:
    """Callbacks whose runs are children of ``run`` and inherit what it passes on.

    What a chain run's ``get_child()`` gives; a model run has none, being usually a leaf.
    """
    if run is None:
        return None
    manager = AsyncCallbackManager(handlers=[], parent_run_id=run.run_id)
    manager.set_handlers(run.inheritable_handlers)
    manager.add_tags(run.inheritable_tags)
    manager.add_metadata(run.inheritable_metadata)
    return manager


@contextmanager
def _runs_under(callbacks: BaseCallbackManager | None) -> Iterator[None]:
    """Runs started inside the block (the branches' model calls) are children of the run
    ``callbacks`` belongs to (the step's own chat-model run): the run config in the context
    carries them."""
    if callbacks is None:
        yield
        return
    token = var_child_runnable_config.set(patch_config(current_config(), callbacks=callbacks))
    try:
        yield
    finally:
        var_child_runnable_config.reset(token)


def _committed_chunk(result: ChatResult, run_id: UUID) -> ChatGenerationChunk:
    """The committed answer as the step run's one streamed chunk.

    The final message gets the chunk's id, so a consumer that dedupes by id (LangGraph's
    ``stream_mode="messages"``) shows it once.
    """
    message = result.generations[0].message
    if message.id is None:
        message.id = f"{LC_ID_PREFIX}{run_id}"
    chunk = AIMessageChunk(**message.model_dump(exclude={"type"}), chunk_position="last")
    return ChatGenerationChunk(message=chunk)
