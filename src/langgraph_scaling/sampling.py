"""Samplers over backends: one prompt, ``n`` branches, revisions from feedback.

Example:
    >>> from langgraph_scaling.backends import Sample
    >>> from langchain_core.messages import AIMessage
    >>> candidate_from_sample(Sample(index=0, message=AIMessage("4"), tokens_out=1)).status
    'ok'
    >>> candidate_from_sample(Sample(index=1, error="overloaded")).error
    'overloaded'
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import anyio
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from langgraph_scaling.backends._protocol import Backend, Sample, SampleRequest
from langgraph_scaling.backends.chat_model import ChatModelBackend
from langgraph_scaling.branching import EmitCandidate, candidate_from_message
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.policy import ScalingPolicy
from langgraph_scaling.refine import revision_turn
from langgraph_scaling.report import Candidate

__all__ = ["BackendSampler", "as_backend", "candidate_from_sample"]


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
    candidate = candidate_from_message(
        sample.index,
        sample.message,
        tokens=(sample.tokens_in, sample.tokens_out),
        finish_reason=sample.finish_reason,
    )
    candidate.logprobs = sample.logprobs
    return candidate


class BackendSampler:
    """Samples branches of one chat prompt from a backend, and revises from feedback.

    A whole wave is one backend request (``n`` = the number of seeds), so a backend that
    batches (vLLM's ``n``) shares the prompt among the branches; the backend bounds its
    own concurrency. Every request of the sampler carries one ``affinity`` key (a new
    random one unless given): one sampler is one step, and a router keeps a step's
    requests (waves, a greedy branch, revisions) on one replica.
    """

    def __init__(
        self,
        backend: Backend,
        messages: Sequence[BaseMessage],
        policy: ScalingPolicy,
        *,
        tools: Sequence[Mapping[str, Any]] = (),
        tool_choice: Any = None,
        extra: Mapping[str, Any] | None = None,
        affinity: str | None = None,
    ) -> None:
        self.backend = backend
        self.messages = list(messages)
        self.policy = policy
        self.tools = list(tools)
        self.tool_choice = tool_choice
        self.extra = dict(extra or {})
        self.affinity = affinity or uuid.uuid4().hex

    async def _run(
        self,
        messages: list[BaseMessage],
        seeds: Sequence[int],
        emit: EmitCandidate,
        *,
        temperature: float | None = None,
        first: int = 0,
    ) -> None:
        """One backend request for ``seeds``; its branches are ``first, first + 1, ...``."""
        request = SampleRequest(
            messages=messages,
            n=len(seeds),
            seeds=list(seeds),
            temperature=self.policy.temperature if temperature is None else temperature,
            max_tokens=self.policy.max_new_tokens,
            tools=self.tools,
            tool_choice=self.tool_choice,
            extra=self.extra,
            logprobs=self.policy.wanted_logprobs,
            affinity=self.affinity,
        )

        async def on_sample(sample: Sample) -> None:
            if not 0 <= sample.index < len(seeds):
                return  # a backend bug must not corrupt another branch's slot
            await emit(first + sample.index, candidate_from_sample(sample))

        await self.backend.sample(request, on_sample)

    async def _greedy_then_sampled(self, seeds: Sequence[int], emit: EmitCandidate) -> None:
        """Branch 0 greedy, the others sampled: two requests, run together."""
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: self._run(self.messages, seeds[:1], emit, temperature=0.0))
            if len(seeds) > 1:
                tg.start_soon(lambda: self._run(self.messages, seeds[1:], emit, first=1))

    async def sample(
        self,
        n: int,
        seeds: Sequence[int],
        emit: EmitCandidate,
        *,
        wave: int,
        limiter: anyio.CapacityLimiter | None,
    ) -> None:
        """One request for the wave; ``n``, ``wave`` and ``limiter`` are the protocol's only
        (``n == len(seeds)``; the backend limits its own concurrency). With
        ``policy.greedy_first``, branch 0 of wave 0 is a greedy request of its own."""
        if wave == 0 and self.policy.greedy_first and self.policy.temperature > 0:
            await self._greedy_then_sampled(seeds, emit)
            return
        await self._run(self.messages, seeds, emit)

    async def revise(
        self, candidate: Candidate, feedback: str, seeds: Sequence[int], emit: EmitCandidate
    ) -> None:
        """Sample revisions of ``candidate`` with ``feedback`` as the next turn."""
        if candidate.message is None:
            return
        await self._run([*self.messages, *revision_turn(candidate.message, feedback)], seeds, emit)
