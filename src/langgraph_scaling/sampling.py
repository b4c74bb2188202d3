"""Samplers over backends: one prompt, ``n`` branches, revisions from feedback."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import anyio
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from langgraph_scaling.backends._protocol import Backend, Sample, SampleRequest
from langgraph_scaling.backends.chat_model import ChatModelBackend
from langgraph_scaling.engine import EmitCandidate
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.policy import ScalingPolicy
from langgraph_scaling.report import Candidate

__all__ = ["BackendSampler", "as_backend", "candidate_from_sample", "revision_turn"]


def as_backend(model: BaseChatModel | Backend, *, max_concurrency: int | None = None) -> Backend:
    """A backend from a chat model (k concurrent calls) or a backend as it is."""
    if isinstance(model, BaseChatModel):
        return ChatModelBackend(model, max_concurrency=max_concurrency)
    if isinstance(model, Backend):
        return model
    raise ConfigError("model", model, "must be a LangChain chat model or a Backend")


def candidate_from_sample(sample: Sample) -> Candidate:
    """The engine's view of one backend sample."""
    if sample.error is not None or sample.message is None:
        return Candidate(
            index=sample.index,
            status="failed",
            error=sample.error or "no message",
            tokens_in=sample.tokens_in,
            tokens_out=sample.tokens_out,
        )
    msg = sample.message
    status: Any = "ok"
    error = None
    if not msg.text.strip() and not msg.tool_calls and not msg.invalid_tool_calls:
        status, error = "failed", "empty message"
    return Candidate(
        index=sample.index,
        status=status,
        error=error,
        message=msg,
        text=msg.text,
        tokens_in=sample.tokens_in,
        tokens_out=sample.tokens_out,
        finish_reason=sample.finish_reason,
    )


def revision_turn(answer: AIMessage, feedback: str) -> list[BaseMessage]:
    """The answer and the feedback on it, as the turn that asks for a revision.

    A tool-calling answer gets the feedback as each call's result, as the tool protocol
    requires; a text answer gets it as the user's reply.
    """
    if answer.tool_calls:
        results = [
            ToolMessage(feedback, tool_call_id=str(c.get("id") or "")) for c in answer.tool_calls
        ]
        return [answer, *results]
    return [answer, HumanMessage(feedback)]


class BackendSampler:
    """Samples branches of one chat prompt from a backend, and revises from feedback."""

    def __init__(
        self,
        backend: Backend,
        messages: Sequence[BaseMessage],
        policy: ScalingPolicy,
        *,
        tools: Sequence[Mapping[str, Any]] = (),
        tool_choice: Any = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.backend = backend
        self.messages = list(messages)
        self.policy = policy
        self.tools = list(tools)
        self.tool_choice = tool_choice
        self.extra = dict(extra or {})

    async def _run(
        self, messages: list[BaseMessage], seeds: Sequence[int], emit: EmitCandidate
    ) -> None:
        request = SampleRequest(
            messages=messages,
            n=len(seeds),
            seeds=list(seeds),
            temperature=self.policy.temperature,
            max_tokens=self.policy.max_new_tokens,
            tools=self.tools,
            tool_choice=self.tool_choice,
            extra=self.extra,
        )

        async def on_sample(sample: Sample) -> None:
            if not 0 <= sample.index < len(seeds):
                return  # a backend bug must not corrupt another branch's slot
            await emit(sample.index, candidate_from_sample(sample))

        await self.backend.sample(request, on_sample)

    async def sample(
        self,
        n: int,
        seeds: Sequence[int],
        emit: EmitCandidate,
        *,
        wave: int,
        limiter: anyio.CapacityLimiter | None,
    ) -> None:
        await self._run(self.messages, seeds, emit)

    async def revise(
        self, candidate: Candidate, feedback: str, seeds: Sequence[int], emit: EmitCandidate
    ) -> None:
        if candidate.message is None:
            return
        await self._run([*self.messages, *revision_turn(candidate.message, feedback)], seeds, emit)
