"""The backend protocol: how the engine asks an engine or model for k samples.

The engine never imports vLLM or a client library: it speaks to a :class:`Backend`.
A backend produces ``request.n`` samples for one prompt and hands each to ``emit`` as soon as
it is finished, so that ``first_pass`` selection can stop the rest early. Cancelling the
``sample`` call (an anyio cancel scope) must stop generation and free engine work (vLLM's
``AsyncLLM.generate`` aborts its request when its generator is closed).

A failure of one sample is reported as a :class:`Sample` with ``error`` set; a failure of the
whole request raises :class:`~langgraph_scaling.errors.BackendError`.

A backend may also have a lifecycle: ``async start()`` (an engine to bring up before the
first request, e.g. in-process vLLM) and ``async aclose()`` (connections or an engine to
free). Both are optional (:class:`Startable`, :class:`Closable`; both: :class:`ManagedBackend`);
:func:`start_backend` and :func:`aclose_backend` call them where present.

Example:
    >>> from langchain_core.messages import AIMessage, HumanMessage
    >>> class Echo:
    ...     name = "echo"
    ...     async def sample(self, request, emit):
    ...         for i in range(request.n):
    ...             await emit(Sample(index=i, message=AIMessage(request.messages[-1].text)))
    >>> isinstance(Echo(), Backend)
    True
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import anyio
from langchain_core.messages import AIMessage, BaseMessage

from langgraph_scaling.confidence import TokenLogprob

__all__ = [
    "Backend",
    "Closable",
    "Emit",
    "ManagedBackend",
    "Sample",
    "SampleRequest",
    "Startable",
    "TokenLogprob",
    "aclose_backend",
    "start_backend",
]


@dataclass(frozen=True)
class SampleRequest:
    """One wave of branches for one prompt.

    Attributes:
        messages: the chat prompt (LangChain messages, system message included).
        n: how many samples to produce.
        seeds: one seed per sample (``len(seeds) == n``); backends that take seeds use them.
        temperature: sampling temperature (> 0 for diverse branches).
        max_tokens: cap on generated tokens per sample (``None``: the backend's default).
        tools: bound tools as OpenAI-style function schemas.
        tool_choice: ``None``, ``"auto"``, ``"required"``, ``"none"`` or a tool name.
        extra: backend-specific sampling options (``top_p``, ``stop`` ...).
        logprobs: ``None``: no log-probabilities; ``k >= 0``: return each generated token's
            log-probability with its ``k`` most likely alternatives (``Sample.logprobs``).
            A backend whose engine cannot give them returns ``Sample.logprobs=None``.
        affinity: one key for every request of a step (all waves and revisions), so a
            router in front of several replicas sends them to one replica, where they
            share its prefix cache (``OpenAIServerBackend`` sends it as ``X-Session-ID``,
            which vllm-router's ``consistent_hash`` policy hashes). ``BackendSampler``
            sets a new one per step; ``None``: the backend uses one per ``sample`` call.
    """

    messages: Sequence[BaseMessage]
    n: int
    seeds: Sequence[int]
    temperature: float = 0.8
    max_tokens: int | None = None
    tools: Sequence[Mapping[str, Any]] = ()
    tool_choice: Any = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    logprobs: int | None = None
    affinity: str | None = None


@dataclass
class Sample:
    """One finished sample.

    Attributes:
        index: position in the request (``0 <= index < n``); ``seeds[index]`` produced it.
        message: the model output (text and/or parsed tool calls); ``None`` when it failed.
        tokens_in: prompt tokens this sample added (0 when it shared a prompt already counted,
            as the ``n`` samples of one vLLM request do).
        tokens_out: generated tokens.
        finish_reason: ``stop``, ``length``, ``tool_calls`` ...
        error: what went wrong with this sample only, else ``None``.
        logprobs: one entry per generated token when the request asked for them and the
            engine gave them, else ``None``.
    """

    index: int
    message: AIMessage | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    finish_reason: str | None = None
    error: str | None = None
    logprobs: tuple[TokenLogprob, ...] | None = None


Emit = Callable[[Sample], Awaitable[None]]


@runtime_checkable
class Backend(Protocol):
    """Produces ``request.n`` samples, emitting each as it finishes."""

    @property
    def name(self) -> str:
        """Short name for reports (``vllm``, ``openai``, ``chat_model`` ...)."""
        ...

    async def sample(self, request: SampleRequest, emit: Emit) -> None:
        """Generate the samples; call ``await emit(sample)`` once per finished sample."""
        ...


@runtime_checkable
class Startable(Protocol):
    """Something with an engine to start before its first request."""

    async def start(self) -> None:
        """Bring the engine up (idempotent); raise ``BackendUnavailableError`` if it cannot."""
        ...


@runtime_checkable
class Closable(Protocol):
    """Something holding an engine or connections to release."""

    async def aclose(self) -> None:
        """Release them; the object may be started (or used) again afterwards."""
        ...


@runtime_checkable
class ManagedBackend(Backend, Startable, Closable, Protocol):
    """A backend with the whole lifecycle: ``start()``, then requests, then ``aclose()``."""


async def start_backend(backend: object) -> bool:
    """Start ``backend`` if it has a ``start()``; ``True`` when it had one.

    Example:
        >>> class Echo:
        ...     name = "echo"
        ...     async def sample(self, request, emit): ...
        >>> anyio.run(start_backend, Echo())
        False
    """
    if not isinstance(backend, Startable):
        return False
    await backend.start()
    return True


async def aclose_backend(backend: object) -> bool:
    """Close ``backend`` if it has an ``aclose()``, even while cancelled; ``True`` when it had one.

    Example:
        >>> class Pooled:
        ...     name, closed = "pooled", False
        ...     async def sample(self, request, emit): ...
        ...     async def aclose(self): self.closed = True
        >>> backend = Pooled()
        >>> anyio.run(aclose_backend, backend), backend.closed
        (True, True)
    """
    if not isinstance(backend, Closable):
        return False
    with anyio.CancelScope(shield=True):
        await backend.aclose()
    return True
