"""Runs one scaled step: how many branches, in which waves, until when.

The engine knows nothing about LangGraph or vLLM: it drives a :class:`Sampler` (something
that produces ``n`` candidates and hands each over as it finishes) under a
:class:`~langgraph_scaling.policy.ScalingPolicy`, and returns the winner with a
:class:`~langgraph_scaling.report.StepReport`. The three entry points only build samplers.

Concurrency is structured: each wave is an anyio task group (:mod:`langgraph_scaling._step`);
a strategy that stops early (``first_pass``) cancels it as soon as a branch passes;
``max_seconds`` is a ``move_on_after`` around all waves and refinement, after which the best
finished candidate is committed. What the policy's selection strategy needs (stop early,
revise) it declares itself (:class:`~langgraph_scaling.selection.Selector`).

Example:
    >>> import anyio
    >>> from langchain_core.messages import AIMessage
    >>> class Answers:
    ...     async def sample(self, n, seeds, emit, *, wave, limiter):
    ...         for i in range(n):
    ...             await emit(i, Candidate(index=i, message=AIMessage("4"), text="4",
    ...                                     status="ok"))
    >>> outcome = anyio.run(lambda: run_step(Answers(), ScalingPolicy(router=3)))
    >>> outcome.winner.text, outcome.report.launched
    ('4', 3)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio

from langgraph_scaling._step import EventSink, StepState
from langgraph_scaling.branching import EmitCandidate, Sampler
from langgraph_scaling.budget import Budget, RunLedger
from langgraph_scaling.errors import StepFailedError
from langgraph_scaling.policy import ScalingPolicy
from langgraph_scaling.refine import refine
from langgraph_scaling.report import Candidate, RouterDecision, StepReport
from langgraph_scaling.reporting import build_report
from langgraph_scaling.routing import RouterSignals
from langgraph_scaling.selection import vote_shares
from langgraph_scaling.verifiers.protocol import VerifyContext

__all__ = ["EmitCandidate", "EventSink", "Sampler", "StepOutcome", "plan_waves", "run_step"]


@dataclass
class StepOutcome:
    """The committed candidate, the report, and (for callers that want them) all candidates."""

    winner: Candidate
    report: StepReport
    candidates: list[Candidate] = field(default_factory=list)


def plan_waves(decision: RouterDecision, budget: Budget) -> tuple[list[int], list[str]]:
    """The router's waves clamped to the step budget's branch limits.

    Example:
        >>> plan_waves(RouterDecision(router="r", waves=(2, 2, 4), reason=""),
        ...            Budget(max_branches=5))
        ([2, 2, 1], ['router asked for 8 branches; budget max_branches=5'])
    """
    notes: list[str] = []
    waves = [w for w in decision.waves if w > 0] or [1]
    cap = budget.max_branches
    if cap is not None and sum(waves) > cap:
        clamped, left = [], cap
        for w in waves:
            if left <= 0:
                break
            clamped.append(min(w, left))
            left -= clamped[-1]
        notes.append(f"router asked for {sum(waves)} branches; budget max_branches={cap}")
        waves = clamped
    if sum(waves) < budget.min_branches:
        waves[0] += budget.min_branches - sum(waves)
        notes.append(f"raised to min_branches={budget.min_branches}")
    return waves, notes


def _should_stop(st: StepState, decision: RouterDecision) -> str | None:
    """Why no further wave should start, or ``None`` to escalate."""
    cands = st.candidates
    if st.selector.stops_early and any(c.passed for c in cands):
        return "a branch passed every verifier"
    if decision.stop_on_pass and st.policy.verifiers and any(c.passed for c in cands):
        return "a branch passed every verifier"
    if decision.agreement is not None and len([c for c in cands if c.status == "ok"]) >= 2:
        share = (st.selector.share or vote_shares)(cands)
        if share >= decision.agreement:
            return f"agreement {share:.2f} >= {decision.agreement}"
    budget, (tokens_in, tokens_out) = st.policy.budget, st.tokens
    return budget.reached(tokens_in + tokens_out, budget.cost(tokens_in, tokens_out))


def _granted(st: StepState, ledger: RunLedger | None, wave: int, n: int) -> int:
    """Branches the run budget grants to this wave (0: do not run it)."""
    if ledger is None:
        return n
    granted = ledger.grant(n)
    if granted == 0 and wave > 0:
        st.notes.append(f"no escalation: {ledger.exhausted_reason()}")
        return 0
    if granted < n:
        why = ledger.exhausted_reason() or "run budget nearly used up"
        st.notes.append(f"wave {wave}: {max(granted, 1)} of {n} branches ({why})")
    return max(granted, 1)


async def _run_waves(
    st: StepState,
    sampler: Sampler,
    decision: RouterDecision,
    waves: list[int],
    ledger: RunLedger | None,
) -> None:
    for wave, wanted in enumerate(waves):
        if wave > 0 and (why := _should_stop(st, decision)) is not None:
            st.notes.append(f"stopped after wave {wave}: {why}")
            return
        n = _granted(st, ledger, wave, wanted)
        if n == 0:
            return

        async def produce(seeds: list[int], emit: EmitCandidate, *, _w: int = wave) -> None:
            await sampler.sample(len(seeds), seeds, emit, wave=_w, limiter=st.limiter)

        await st.run_wave(produce, n, wave=wave)


def _time_out_unfinished(st: StepState) -> None:
    st.notes.append(f"max_seconds={st.policy.budget.max_seconds} reached")
    for c in st.candidates:
        if c.status in ("pending", "cancelled"):
            c.status, c.error = "timeout", "stopped by the step deadline"


async def run_step(
    sampler: Sampler,
    policy: ScalingPolicy,
    *,
    step: str = "step",
    context: VerifyContext | None = None,
    signals: RouterSignals | None = None,
    ledger: RunLedger | None = None,
    on_event: EventSink | None = None,
) -> StepOutcome:
    """Run one scaled step and return the committed candidate with its report.

    Raises:
        StepFailedError: every branch failed (the error lists what happened to each; when a
            backend error sank a whole wave, it is the ``__cause__``).
    """
    signals = signals or RouterSignals(step=step, has_verifiers=bool(policy.verifiers))
    limiter = anyio.CapacityLimiter(policy.max_concurrency) if policy.max_concurrency else None
    st = StepState(policy, step, context or VerifyContext(step=step), on_event or _ignore, limiter)
    decision = policy.router.decide(signals, policy.budget)
    waves, st.notes = plan_waves(decision, policy.budget)
    st.event("step_start", router=decision.model_dump(mode="json"), waves=waves)

    with anyio.move_on_after(policy.budget.max_seconds) as deadline:
        await _run_waves(st, sampler, decision, waves, ledger)
        if st.selector.revises:
            await refine(st, sampler)
    if deadline.cancelled_caught:
        _time_out_unfinished(st)

    chosen = st.selector(st.candidates)
    report = build_report(st, decision, chosen, ledger, deadline.cancelled_caught)
    if ledger is not None:
        ledger.charge(report.tokens_in, report.tokens_out)
    st.event("step_end", report=report.model_dump(mode="json"))
    if chosen.winner is None:  # chained to the backend error that sank a whole wave, if any
        cause = st.wave_errors[-1] if st.wave_errors else None
        lines = [f"branch {c.index}: {c.status}: {c.error}" for c in st.candidates]
        raise StepFailedError(step, lines, report=report) from cause
    return StepOutcome(chosen.winner, report, st.candidates)


def _ignore(_: dict[str, Any]) -> None:
    return None
