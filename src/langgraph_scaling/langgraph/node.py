"""``scaled_node``: run a LangGraph node function once per branch and commit one update."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import anyio
import anyio.to_thread
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langchain_core.runnables.config import var_child_runnable_config
from langgraph.runtime import get_runtime
from langgraph.types import Command

from langgraph_scaling._sync import run_blocking
from langgraph_scaling.branching import (
    EmitCandidate,
    candidate_from_message,
    failed_candidate,
    run_branches,
    without_token_streams,
)
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.langgraph._glue import (
    branch_config,
    branch_interrupts,
    run_scaled,
    step_name,
    take_resume,
)
from langgraph_scaling.langgraph.context import register_step
from langgraph_scaling.policy import ScalingPolicy
from langgraph_scaling.report import Candidate
from langgraph_scaling.selection import selector

__all__ = ["scaled_node"]


def _messages_of(update: Any) -> list[BaseMessage]:
    if isinstance(update, dict):
        msgs = update.get("messages")
        if isinstance(msgs, BaseMessage):
            return [msgs]
        if isinstance(msgs, list):
            return [m for m in msgs if isinstance(m, BaseMessage)]
    return []


def _with_report(update: Any, key: str, report: dict[str, Any]) -> Any:
    """``update`` (a dict, or a ``Command``'s dict update) with the report added under ``key``."""
    if isinstance(update, dict):
        return {**update, key: [report]}
    if isinstance(update, Command) and isinstance(update.update, dict | None):
        return dataclasses.replace(update, update={**(update.update or {}), key: [report]})
    return update


def candidate_from_update(index: int, update: Any) -> Candidate:
    """A candidate from a node's state update; its last AI message, if any, is the answer.

    An update without an AI message is a candidate too (it votes by its content); one whose
    AI message is empty fails like any empty answer.

    Example:
        >>> candidate_from_update(0, {"messages": [AIMessage("42")]}).text
        '42'
        >>> candidate_from_update(1, {"count": 3}).status
        'ok'
    """
    ai = [m for m in _messages_of(update) if isinstance(m, AIMessage)]
    if not ai:
        return Candidate(index=index, status="ok", update=update)
    return candidate_from_message(index, ai[-1], update=update)


NodeCall = Callable[[Any, Any, RunnableConfig], Awaitable[Any]]
"""``await call(state, runtime, config)``: one run of the node function."""


def _node_call(fn: Callable[..., Any]) -> NodeCall:
    """``fn`` as a :data:`NodeCall` passing only what it takes; sync ones run in a thread."""
    params = inspect.signature(fn).parameters
    wants_config, wants_runtime = "config" in params, "runtime" in params
    is_async = inspect.iscoroutinefunction(fn)

    async def call(state: Any, runtime: Any, config: RunnableConfig) -> Any:
        kwargs: dict[str, Any] = {}
        if wants_config:
            kwargs["config"] = config
        if wants_runtime:
            kwargs["runtime"] = runtime
        # The branch's config is the current one inside it (each branch is its own task),
        # so get_config(), interrupt() and the stream writer see this branch.
        token = var_child_runnable_config.set(config)
        try:
            if is_async:
                return await fn(state, **kwargs)
            return await anyio.to_thread.run_sync(lambda: fn(state, **kwargs))
        finally:
            var_child_runnable_config.reset(token)

    return call


class _NodeSampler:
    def __init__(self, call: NodeCall, state: Any, runtime: Any, config: RunnableConfig) -> None:
        self.call, self.state, self.runtime, self.config = call, state, runtime, config

    async def sample(
        self,
        n: int,
        seeds: Sequence[int],
        emit: EmitCandidate,
        *,
        wave: int,
        limiter: anyio.CapacityLimiter | None,
    ) -> None:
        async def branch(i: int) -> Candidate:
            config = branch_config(
                i,
                without_token_streams(branch_interrupts(self.config)),
                nostream=False,
                scaling_seed=seeds[i],
                scaling_wave=wave,
            )
            return candidate_from_update(i, await self.call(self.state, self.runtime, config))

        await run_branches(n, branch, emit, failed=failed_candidate, limiter=limiter)


def _checked_policy(policy: ScalingPolicy | None) -> ScalingPolicy:
    policy = policy or ScalingPolicy()
    if not isinstance(policy, ScalingPolicy):
        raise ConfigError("scaled_node.policy", policy, "must be a ScalingPolicy")
    if selector(policy.selection).revises:
        raise ConfigError(
            "scaled_node.policy.selection",
            policy.selection,
            "node branches cannot be revised; wrap the model instead",
        )
    return policy


def scaled_node(
    fn: Callable[..., Any],
    *,
    policy: ScalingPolicy | None = None,
    name: str | None = None,
    report_key: str | None = None,
) -> RunnableLambda[Any, Any]:
    """Turn a node function into one that runs it once per branch and commits one update.

    ``fn`` may be sync or async and take ``(state)``, ``(state, config)`` and/or
    ``runtime``, like any LangGraph node. Each branch gets ``config["metadata"]`` with
    ``scaling_branch`` and ``scaling_seed``. With ``report_key``, the compact step report is
    added to the update under that key (give it a list reducer in your state schema).

    Example:
        >>> from langgraph.graph import StateGraph, START, MessagesState
        >>> from langchain_core.messages import AIMessage
        >>> def answer(state):
        ...     return {"messages": [AIMessage("42")]}
        >>> g = StateGraph(MessagesState)
        >>> _ = g.add_node("answer", scaled_node(answer, policy=ScalingPolicy(router=3)))
        >>> _ = g.add_edge(START, "answer")
        >>> g.compile().invoke({"messages": []})["messages"][-1].content
        '42'
    """
    if not callable(fn):
        raise ConfigError("scaled_node.fn", fn, "must be a callable node function")
    register_step(name, "scaled_node.name")
    policy = _checked_policy(policy)
    call = _node_call(fn)

    async def arun(state: Any, config: RunnableConfig) -> Any:
        runtime = get_runtime()
        take_resume(config)
        step = step_name(name, config, getattr(fn, "__name__", "node"))
        outcome = await run_scaled(
            _NodeSampler(call, state, runtime, config),
            policy,
            step=step,
            messages=_messages_of(state),
            state=state,
            runtime_context=runtime.context,
        )
        update = outcome.winner.update
        if report_key:
            compact = outcome.report.model_dump(mode="json", exclude={"candidates"})
            update = _with_report(update, report_key, compact)
        return update

    def run(state: Any, config: RunnableConfig) -> Any:
        return run_blocking(arun, state, config)

    return RunnableLambda(run, afunc=arun, name=getattr(fn, "__name__", "scaled_node"))
