"""``ScalingMiddleware``: scale the model call of every ``create_agent`` turn."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import anyio
import anyio.to_thread
from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.utils.function_calling import convert_to_openai_tool

from langgraph_scaling._sync import run_blocking
from langgraph_scaling.backends.chat_model import sampling_kwargs
from langgraph_scaling.branching import (
    EmitCandidate,
    candidate_from_message,
    failed_candidate,
    run_branches,
)
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.langgraph._glue import enter_branch, run_scaled
from langgraph_scaling.langgraph.context import register_step
from langgraph_scaling.policy import ScalingPolicy
from langgraph_scaling.refine import revision_turn
from langgraph_scaling.report import Candidate

__all__ = ["ScalingMiddleware"]

Handler = Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]]


def candidate_from_response(index: int, response: ModelResponse[Any]) -> Candidate:
    """A candidate from a model handler's response: its last AI message is the answer."""
    ai = [m for m in response.result if isinstance(m, AIMessage)]
    if not ai:
        return Candidate(index=index, status="failed", error="no AI message in response")
    return candidate_from_message(index, ai[-1], update=response)


class _HandlerSampler:
    def __init__(self, request: ModelRequest[Any], handler: Handler, policy: ScalingPolicy):
        self.request, self.handler, self.policy = request, handler, policy

    def _branch_request(
        self, seed: int, messages: list[BaseMessage] | None = None, temperature: float | None = None
    ) -> ModelRequest[Any]:
        t = self.policy.temperature if temperature is None else temperature
        settings = {**self.request.model_settings, **sampling_kwargs(self.request.model, t, seed)}
        if messages is None:
            return self.request.override(model_settings=settings)
        return self.request.override(model_settings=settings, messages=list(messages))  # type: ignore[arg-type]

    async def _run(
        self,
        seeds: Sequence[int],
        emit: EmitCandidate,
        messages: list[BaseMessage] | None,
        limiter: anyio.CapacityLimiter | None,
        wave: int | None = None,
    ) -> None:
        async def branch(i: int) -> Candidate:
            enter_branch(i)  # the handler calls the model with the context's run config
            t = None if wave is None else self.policy.branch_temperature(wave, i)
            response = await self.handler(self._branch_request(seeds[i], messages, t))
            return candidate_from_response(i, response)

        await run_branches(len(seeds), branch, emit, failed=failed_candidate, limiter=limiter)

    async def sample(
        self,
        n: int,
        seeds: Sequence[int],
        emit: EmitCandidate,
        *,
        wave: int,
        limiter: anyio.CapacityLimiter | None,
    ) -> None:
        await self._run(seeds, emit, None, limiter, wave)

    async def revise(
        self, candidate: Candidate, feedback: str, seeds: Sequence[int], emit: EmitCandidate
    ) -> None:
        if candidate.message is None:
            return
        turn = revision_turn(candidate.message, feedback)
        await self._run(seeds, emit, [*self.request.messages, *turn], None)


class ScalingMiddleware(AgentMiddleware):
    """Agent middleware that runs each model call as a scaled step.

    Each step is one chain run named after the step (``step``, default ``"model"``) under
    the agent's model node; each branch's model run is its child (tagged ``nostream``,
    ``metadata["scaling_branch"]``, and without the handlers that stream tokens, so no
    branch's tokens reach ``astream_events`` or ``stream_mode="messages"``). The run's
    outputs are what the step commits: ``messages`` (the committed answer, also streamed
    by ``stream_mode="messages"``), ``structured_response`` and the report ``scaling``.

    Example:
        >>> from langchain.agents import create_agent
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> from langchain_core.messages import AIMessage
        >>> model = GenericFakeChatModel(messages=iter([AIMessage("hi")] * 3))
        >>> agent = create_agent(model, tools=[],
        ...                      middleware=[ScalingMiddleware(ScalingPolicy(router=3))])
        >>> agent.invoke({"messages": [("user", "hello")]})["messages"][-1].content
        'hi'
    """

    def __init__(self, policy: ScalingPolicy | None = None, *, step: str = "model") -> None:
        super().__init__()
        policy = policy or ScalingPolicy()
        if not isinstance(policy, ScalingPolicy):
            raise ConfigError("ScalingMiddleware.policy", policy, "must be a ScalingPolicy")
        register_step(step, "ScalingMiddleware.step")
        self.policy = policy
        self.step = step

    async def awrap_model_call(
        self, request: ModelRequest[Any], handler: Handler
    ) -> ModelResponse[Any]:
        if not request.messages:
            raise ConfigError(
                "ScalingMiddleware request.messages", [], "the agent state has no messages"
            )

        async def scaled_step(_: dict[str, Any]) -> dict[str, Any]:
            return await self._scaled(request, handler)

        # One chain run named after the step: the branches' model runs are its children,
        # and its outputs are what the step commits, with the report.
        step = RunnableLambda(scaled_step, name=self.step)
        out = await step.ainvoke({"messages": request.messages})
        return ModelResponse(result=out["messages"], structured_response=out["structured_response"])

    async def _scaled(self, request: ModelRequest[Any], handler: Handler) -> dict[str, Any]:
        """Run the step: what it commits (``messages``, ``structured_response``) and the
        compact report (``scaling``, also on the committed message)."""
        tools = [convert_to_openai_tool(t) for t in request.tools]
        context = getattr(request.runtime, "context", None)
        outcome = await run_scaled(
            _HandlerSampler(request, handler, self.policy),
            self.policy,
            step=self.step,
            messages=request.messages,
            tools=tools,
            state=request.state,
            runtime_context=context,
            extras={"tool_choice": request.tool_choice},
        )
        response: ModelResponse[Any] = outcome.winner.update
        report = outcome.report.model_dump(mode="json", exclude={"candidates"})
        result = [
            m.model_copy(update={"response_metadata": {**m.response_metadata, "scaling": report}})
            if m is outcome.winner.message
            else m
            for m in response.result
        ]
        return {
            "messages": result,
            "structured_response": response.structured_response,
            "scaling": report,
        }

    def wrap_model_call(
        self, request: ModelRequest[Any], handler: Callable[[ModelRequest[Any]], ModelResponse[Any]]
    ) -> ModelResponse[Any]:
        async def ahandler(req: ModelRequest[Any]) -> ModelResponse[Any]:
            return await anyio.to_thread.run_sync(handler, req)

        async def go() -> ModelResponse[Any]:
            return await self.awrap_model_call(request, ahandler)

        return run_blocking(go)
