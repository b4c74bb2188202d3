"""What every entry point does around the engine: read the run context, stream, report.

Also the run config of each branch: branch calls are traced as children of the step, tagged
``nostream`` where only the committed answer should reach ``stream_mode="messages"``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import ensure_config, var_child_runnable_config
from langgraph._internal._constants import CONFIG_KEY_SCRATCHPAD, CONFIG_KEY_SEND, RESUME
from langgraph.config import get_config, get_stream_writer
from langgraph.constants import TAG_NOSTREAM
from langgraph.errors import GraphInterrupt
from langgraph.runtime import get_runtime

from langgraph_scaling._judge import ASKING
from langgraph_scaling.branching import without_token_streams
from langgraph_scaling.engine import Sampler, StepOutcome, run_step
from langgraph_scaling.errors import StepFailedError
from langgraph_scaling.langgraph._pause import (
    StepPause,
    has_pending_pause,
    visible_answers,
    without_resume_writes,
)
from langgraph_scaling.langgraph.context import ScalingContext, find_scaling_context, publish
from langgraph_scaling.policy import ScalingPolicy
from langgraph_scaling.routing import RouterSignals
from langgraph_scaling.verifiers.protocol import VerifyContext

__all__ = [
    "TAG_NOSTREAM",
    "branch_config",
    "branch_interrupts",
    "current_config",
    "enter_branch",
    "run_scaled",
    "step_name",
    "take_resume",
]


def branch_config(
    index: int, base: RunnableConfig | None = None, *, nostream: bool = True, **metadata: Any
) -> RunnableConfig:
    """The run config of branch ``index``: ``base``, marked and (by default) tagged.

    ``metadata["scaling_branch"]`` names the branch, followed by ``metadata``; with
    ``nostream`` the call is tagged ``nostream``, so only the committed answer reaches
    ``stream_mode="messages"`` (a chat UI).

    Example:
        >>> branch_config(2, {"tags": ["mine"]})["metadata"]
        {'scaling_branch': 2}
        >>> branch_config(2, {"tags": ["mine"]}, nostream=False, scaling_wave=1)
        {'tags': ['mine'], 'metadata': {'scaling_branch': 2, 'scaling_wave': 1}}
    """
    base = base or {}
    config: RunnableConfig = {
        **base,
        "metadata": {**base.get("metadata", {}), "scaling_branch": index, **metadata},
    }
    if nostream:
        config["tags"] = [*base.get("tags", []), TAG_NOSTREAM]
    return config


def enter_branch(index: int) -> RunnableConfig:
    """Make the calling task's run config branch ``index``'s, and return it.

    The config is the context's (the step's run), without the handlers that stream tokens,
    marked and tagged by :func:`branch_config`. It is set in the context as well as
    returned: a bound model (what every ``bind_tools`` returns) and a middleware's handler
    merge the context's config into their call's, which would otherwise bring the token
    streams back. Call it first thing in a branch's own task, whose context is its own copy.
    """
    config = branch_config(index, without_token_streams(ensure_config()))
    var_child_runnable_config.set(config)
    return config


def branch_interrupts(config: RunnableConfig) -> RunnableConfig:
    """``config`` for a node branch: its own interrupt counter, the node's resume values.

    LangGraph matches an ``interrupt()`` to its resume value by the order of the calls in
    the node's task. Branches run the node's code side by side, so with one shared counter
    branch ``i``'s first interrupt was the node's ``i``-th: the human was asked once per
    branch and each answer reached one branch. Each branch counts its own interrupts, and
    all read the one resume list that :func:`take_resume` fills before they start, so the
    step asks once and every branch receives the answer.
    """
    conf = config.get("configurable") or {}
    scratchpad = conf.get(CONFIG_KEY_SCRATCHPAD)
    if scratchpad is None:
        return config
    counter = itertools.count()
    own = dataclasses.replace(
        scratchpad,
        interrupt_counter=lambda: next(counter),
        resume=visible_answers(scratchpad.resume),
    )
    send = without_resume_writes(conf[CONFIG_KEY_SEND])  # take_resume already saved them
    return {**config, "configurable": {**conf, CONFIG_KEY_SCRATCHPAD: own, CONFIG_KEY_SEND: send}}


def take_resume(config: RunnableConfig) -> None:
    """Before the branches start: move a pending resume value into the node's resume list.

    Done once, in the node's own task, so that no branch can consume the value before the
    others read it (LangGraph's ``interrupt()`` does this move for its first caller). A
    value that answers the step's paused verifier is left to the step.
    """
    conf = config.get("configurable") or {}
    scratchpad = conf.get(CONFIG_KEY_SCRATCHPAD)
    if scratchpad is None or has_pending_pause(scratchpad.resume):
        return
    value = scratchpad.get_null_resume(True)
    if value is not None:
        scratchpad.resume.append(value)
        conf[CONFIG_KEY_SEND]([(RESUME, scratchpad.resume)])


def current_config() -> RunnableConfig | None:
    """The LangGraph/LangChain config of the current run, or ``None`` outside one."""
    try:
        return get_config()
    except RuntimeError:
        return None


def step_name(explicit: str | None, config: RunnableConfig | None, default: str) -> str:
    """The step's name: the explicit one, else the LangGraph node running it."""
    if explicit:
        return explicit
    node = (config or {}).get("metadata", {}).get("langgraph_node")
    return str(node) if node else default


def _runtime_context(config: RunnableConfig | None) -> Any:
    if config is None:
        return None
    try:
        runtime = get_runtime()
    except (RuntimeError, KeyError):
        return None
    return getattr(runtime, "context", None)


def _writer(config: RunnableConfig | None) -> Any:
    if config is None:
        return None
    try:
        return get_stream_writer()
    except (RuntimeError, KeyError):
        return None


async def _run_pausable(
    sampler: Sampler, policy: ScalingPolicy, pause: StepPause | None, **options: Any
) -> StepOutcome:
    """``run_step``, with its verifiers' interrupts and candidates kept by ``pause``."""
    asking = ASKING.set(pause)
    try:
        outcome = await run_step(pause.replaying(sampler) if pause else sampler, policy, **options)
    except GraphInterrupt as paused:  # verifiers asked: keep the candidates for the resume
        if pause is not None:
            pause.save(paused)
        raise
    finally:
        ASKING.reset(asking)
    if pause is not None:
        pause.save()
    return outcome


async def run_scaled(
    sampler: Sampler,
    policy: ScalingPolicy,
    *,
    step: str,
    messages: Sequence[BaseMessage] = (),
    tools: Sequence[dict[str, Any]] = (),
    state: Any = None,
    runtime_context: Any = None,
    extras: dict[str, Any] | None = None,
) -> StepOutcome:
    """Run one scaled step inside (or outside) a LangGraph run.

    Applies the run context's per-step budget override and run budget, fills router
    signals, streams events to ``stream_mode="custom"`` and publishes the report.
    """
    config = current_config()
    ctx: ScalingContext | None = find_scaling_context(
        runtime_context if runtime_context is not None else _runtime_context(config)
    )
    if ctx is not None:
        ctx.notice_step(step)
        policy = policy.with_budget(ctx.step_budget(step, policy.budget))
    signals = RouterSignals(
        step=step,
        prompt_chars=sum(len(m.text) for m in messages),
        n_tools=len(tools),
        prior_failures=ctx.failures(step) if ctx else 0,
        difficulty=ctx.difficulty_for(step) if ctx else None,
        has_verifiers=bool(policy.verifiers),
    )
    writer = _writer(config)
    verify_context = VerifyContext(
        step=step, messages=tuple(messages), tools=tuple(tools), state=state, extras=extras or {}
    )
    try:
        outcome = await _run_pausable(
            sampler,
            policy,
            StepPause.of(config, step),
            step=step,
            context=verify_context,
            signals=signals,
            ledger=ctx.run_ledger(messages) if ctx else None,
            on_event=writer,
        )
    except StepFailedError as failed:  # a retried attempt's report is a report too
        if failed.report is not None:
            publish(failed.report)
        raise
    if ctx is not None and policy.verifiers:
        ctx.record(step, outcome.winner.passed)
    publish(outcome.report)
    return outcome
