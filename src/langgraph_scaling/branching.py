"""Branches: what a sampler is, how ``n`` branches run, and what a branch's answer means.

Every sampler (over a backend, a node function, an agent's model handler) and the chat-model
backend run their branches through :func:`run_branches`: one anyio task group, bounded by an
optional ``CapacityLimiter``; a branch that raises becomes a failed result and the others go
on, except that LangGraph interrupts (also inside exception groups) and cancellation are
re-raised. :func:`candidate_from_message` is the one rule for what counts as an answer.
A branch's model run is traced under the step's run but streams its tokens to no one
(:func:`without_token_streams`).

Example:
    >>> import anyio
    >>> from langchain_core.messages import AIMessage
    >>> got = {}
    >>> async def branch(i):
    ...     if i == 1:
    ...         raise RuntimeError("boom")
    ...     return candidate_from_message(i, AIMessage(f"answer {i}"))
    >>> async def emit(i, cand):
    ...     got[i] = (cand.status, cand.error or cand.text)
    >>> anyio.run(lambda: run_branches(3, branch, emit, failed=failed_candidate))
    >>> dict(sorted(got.items()))
    {0: ('ok', 'answer 0'), 1: ('failed', 'RuntimeError: boom'), 2: ('ok', 'answer 2')}
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

import anyio
from langchain_core.callbacks import BaseCallbackManager
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig

# The marker types LangChain itself uses to decide that a handler wants a model's tokens
# (``BaseChatModel._should_stream``); LangGraph imports them from here too.
from langchain_core.tracers._streaming import (
    _StreamingCallbackHandler,
    _V2StreamingCallbackHandler,
)

from langgraph_scaling._control import control_exception
from langgraph_scaling.report import Candidate

__all__ = [
    "EMPTY_ANSWER",
    "EmitCandidate",
    "Sampler",
    "candidate_from_message",
    "error_text",
    "failed_candidate",
    "is_empty",
    "limited",
    "run_branches",
    "without_token_streams",
]

R = TypeVar("R")

EmitCandidate = Callable[[int, Candidate], Awaitable[None]]
"""Hands one finished branch to the engine: ``(local index in the wave, candidate)``."""

EMPTY_ANSWER = "empty message"
"""The error of a branch whose message says nothing (see :func:`is_empty`)."""


class Sampler(Protocol):
    """Produces ``n`` candidates for one wave, emitting ``(local_index, candidate)``.

    ``seeds`` has one seed per branch (``len(seeds) == n``); ``limiter``, when given,
    bounds how many branches (and verifications) run at once. A sampler may also have
    ``async revise(candidate, feedback, seeds, emit)``, which produces revisions of a
    candidate from verifier feedback; only such samplers support strategies that revise
    (``selection="refine"``).
    """

    async def sample(
        self,
        n: int,
        seeds: Sequence[int],
        emit: EmitCandidate,
        *,
        wave: int,
        limiter: anyio.CapacityLimiter | None,
    ) -> None: ...


def limited(limiter: anyio.CapacityLimiter | None) -> AbstractAsyncContextManager[Any]:
    """``async with limited(limiter):`` holds a slot of ``limiter``, or nothing without one.

    Example:
        >>> async def twice():
        ...     async with limited(None), limited(anyio.CapacityLimiter(1)):
        ...         return "ran"
        >>> anyio.run(twice)
        'ran'
    """
    return limiter if limiter is not None else contextlib.nullcontext()


def error_text(exc: BaseException) -> str:
    """How a branch's exception is reported: ``"Type: message"``.

    Example:
        >>> error_text(TimeoutError("slow"))
        'TimeoutError: slow'
    """
    return f"{type(exc).__name__}: {exc}"


def failed_candidate(index: int, exc: Exception) -> Candidate:
    """The candidate of a branch that raised ``exc``."""
    return Candidate(index=index, status="failed", error=error_text(exc))


async def run_branches(
    n: int,
    branch: Callable[[int], Awaitable[R]],
    emit: Callable[[int, R], Awaitable[None]],
    *,
    failed: Callable[[int, Exception], R],
    limiter: anyio.CapacityLimiter | None = None,
) -> None:
    """Run ``branch(0) ... branch(n - 1)`` concurrently and ``emit`` each result as it ends.

    Each branch holds a slot of ``limiter`` (if any) while it runs. A branch that raises
    is emitted as ``failed(index, exc)`` and the others go on; a LangGraph interrupt
    (``GraphBubbleUp``, even inside an exception group) and cancellation propagate.
    """

    async def one(i: int) -> None:
        try:
            async with limited(limiter):
                result = await branch(i)
        except Exception as exc:  # one branch failed; the others go on
            if control_exception(exc) is not None:
                raise  # an interrupt belongs to LangGraph, not to this branch
            result = failed(i, exc)
        await emit(i, result)

    async with anyio.create_task_group() as tg:
        for i in range(n):
            tg.start_soon(one, i)


def _streams_tokens(handler: object) -> bool:
    return isinstance(handler, _StreamingCallbackHandler | _V2StreamingCallbackHandler)


def without_token_streams(config: RunnableConfig) -> RunnableConfig:
    """``config`` for a branch's model call: traced as usual, its tokens streamed to no one.

    The callback handlers that carry tokens to the user (``astream_events``,
    ``astream_log``, LangGraph's ``stream_mode="messages"``) are left out, by the test
    LangChain uses to decide that a chat model should stream, so the branch's model does
    not stream and no chat UI shows a branch's tokens. Every other handler (LangSmith's
    tracer, your own) stays, and so does the parent run: the branch's run is traced as a
    child of the step's run.

    Example:
        >>> from langchain_core.callbacks import StdOutCallbackHandler
        >>> from langchain_core.tracers.event_stream import _AstreamEventsCallbackHandler
        >>> out = StdOutCallbackHandler()
        >>> quiet = without_token_streams({"callbacks": [out, _AstreamEventsCallbackHandler()]})
        >>> quiet["callbacks"] == [out]
        True
    """
    callbacks = config.get("callbacks")
    if isinstance(callbacks, BaseCallbackManager):
        manager = callbacks.copy()
        for handler in [*manager.handlers, *manager.inheritable_handlers]:
            if _streams_tokens(handler):
                manager.remove_handler(handler)
        return {**config, "callbacks": manager}
    if isinstance(callbacks, list):
        return {**config, "callbacks": [h for h in callbacks if not _streams_tokens(h)]}
    return config


def is_empty(message: AIMessage) -> bool:
    """True when ``message`` says nothing: no text, no tool calls, not even unparsable ones.

    An unparsable tool call is an answer (verifiers can say what is wrong with it); an
    empty message is not.

    Example:
        >>> is_empty(AIMessage(" ")), is_empty(AIMessage("", tool_calls=[
        ...     {"name": "f", "args": {}, "id": "1"}]))
        (True, False)
    """
    return not message.text.strip() and not message.tool_calls and not message.invalid_tool_calls


def candidate_from_message(
    index: int,
    message: AIMessage,
    *,
    update: Any = None,
    tokens: tuple[int, int] | None = None,
    finish_reason: str | None = None,
) -> Candidate:
    """The candidate of a branch that answered with ``message``; failed if it :func:`is_empty`.

    ``tokens`` (prompt, generated) default to the message's usage metadata; ``update`` is
    what the branch would commit when it is not the message alone (a node's state update,
    an agent's model response).

    Example:
        >>> candidate_from_message(0, AIMessage("")).error
        'empty message'
    """
    if tokens is None:
        usage: Mapping[str, Any] = message.usage_metadata or {}
        tokens = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
    empty = is_empty(message)
    return Candidate(
        index=index,
        status="failed" if empty else "ok",
        error=EMPTY_ANSWER if empty else None,
        message=message,
        update=update,
        text=message.text,
        tokens_in=tokens[0],
        tokens_out=tokens[1],
        finish_reason=finish_reason,
    )
