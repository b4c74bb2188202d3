"""``ScaledChatModel``: a chat model that answers with the best of several branches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict

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

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if not messages:
            raise ConfigError("ScaledChatModel messages", messages, "needs at least one message")
        tools = list(kwargs.pop("tools", None) or [])
        tool_choice = kwargs.pop("tool_choice", None)
        extra = {"stop": stop} if stop else {}
        sampler = BackendSampler(
            as_backend(self.inner, max_concurrency=self.policy.max_concurrency),
            messages,
            self.policy,
            tools=tools,
            tool_choice=tool_choice,
            extra=extra,
        )
        name = step_name(self.step, current_config(), "model")
        outcome = await run_scaled(sampler, self.policy, step=name, messages=messages, tools=tools)
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
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        async def go() -> ChatResult:
            return await self._agenerate(messages, stop, None, **kwargs)

        return run_blocking(go)
