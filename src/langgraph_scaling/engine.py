"""Runs one scaled step: waves of branches, verification, selection, refinement, report.

The engine knows nothing about LangGraph or vLLM: it drives a :class:`Sampler` (something
that produces ``n`` candidates and hands each over as it finishes) under a
:class:`~langgraph_scaling.policy.ScalingPolicy`, and returns the winner with a
:class:`~langgraph_scaling.report.StepReport`. The three entry points only build samplers.

Concurrency is structured: each wave is an anyio task group; ``first_pass`` cancels it as
soon as a branch passes; ``max_seconds`` is a ``move_on_after`` around all waves, after
which the best finished candidate is committed.

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

import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
from langgraph.errors import GraphBubbleUp

from langgraph_scaling._control import UNCHECKABLE, control_exception, infrastructure_error
from langgraph_scaling.budget import Budget, RunLedger
from langgraph_scaling.errors import StepFailedError
from langgraph_scaling.policy import ScalingPolicy
from langgraph_scaling.report import Candidate, RouterDecision, StepReport, Verdict
from langgraph_scaling.routing import RouterSignals
from langgraph_scaling.selection import Selection, compute_key, select, vote_shares
from langgraph_scaling.selection.keys import short_key
from langgraph_scaling.verifiers._protocol import VerifyContext

__all__ = ["EmitCandidate", "EventSink", "Sampler", "StepOutcome", "run_step"]

EmitCandidate = Callable[[int, Candidate], Awaitable[None]]
EventSink = Callable[[dict[str, Any]], None]


class Sampler(Protocol):
    """Produces ``n`` candidates for one wave, emitting ``(local_index, candidate)``.

    ``revise`` (optional) produces revisions of a candidate given verifier feedback; samplers
    without it cannot be used with ``selection="refine"``.
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


class Reviser(Protocol):
    """A sampler that can also revise a candidate from feedback."""

    async def revise(
        self, candidate: Candidate, feedback: str, seeds: Sequence[int], emit: EmitCandidate
    ) -> None: ...


@dataclass
class StepOutcome:
    """The committed candidate, the report, and (for callers that want them) all candidates."""

    winner: Candidate
    report: StepReport
    candidates: list[Candidate] = field(default_factory=list)


@dataclass
class _Step:
    policy: ScalingPolicy
    name: str
    context: VerifyContext
    on_event: EventSink
    limiter: anyio.CapacityLimiter | None
    candidates: list[Candidate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    wave_errors: list[Exception] = field(default_factory=list)
    waves_run: int = 0
    refine_rounds: int = 0
    started: float = field(default_factory=time.monotonic)

    # -- bookkeeping -------------------------------------------------------------------
    @property
    def tokens(self) -> tuple[int, int]:
        return (
            sum(c.tokens_in for c in self.candidates),
            sum(c.tokens_out for c in self.candidates),
        )

    def event(self, event: str, **data: Any) -> None:
        self.on_event({"kind": "langgraph_scaling", "event": event, "step": self.name, **data})

    def seeds(self, n: int) -> list[int]:
        base = self.policy.seed
        if base is None:
            return [random.randrange(2**31) for _ in range(n)]
        first = len(self.candidates)
        return [base + first + i for i in range(n)]

    # -- one wave ----------------------------------------------------------------------
    async def run_wave(
        self,
        produce: Callable[[list[int], EmitCandidate], Awaitable[None]],
        n: int,
        *,
        wave: int,
        round: int = 0,
    ) -> None:
        seeds = self.seeds(n)
        slots = [
            Candidate(index=len(self.candidates) + i, wave=wave, round=round, seed=seeds[i])
            for i in range(n)
        ]
        self.candidates.extend(slots)
        launched = time.monotonic()
        self.event("wave_start", wave=wave, round=round, branches=n)

        try:
            async with anyio.create_task_group() as tg:

                async def emit(local: int, produced: Candidate) -> None:
                    slot = slots[local]
                    _fill(slot, produced, time.monotonic() - launched)
                    tg.start_soon(self.judge, slot, tg.cancel_scope)

                try:
                    await produce(seeds, emit)
                except Exception as exc:  # the whole wave failed; its branches say why
                    if (control := control_exception(exc)) is not None:
                        raise control from None
                    self.wave_errors.append(exc)
                    for slot in slots:
                        if slot.status == "pending":
                            slot.status, slot.error = "failed", f"{type(exc).__name__}: {exc}"
        except BaseExceptionGroup as group:  # an interrupt from a branch reaches LangGraph
            if (control := control_exception(group)) is not None:
                raise control from None
            if (broken := infrastructure_error(group)) is not None:
                raise broken from None  # a verifier that cannot run fails the step, loudly
            raise
        for slot in slots:
            if slot.status == "pending":
                slot.status, slot.error = "cancelled", "stopped early (another branch won)"
        self.waves_run += 1

    async def judge(self, cand: Candidate, wave_scope: anyio.CancelScope) -> None:
        """Vote key and verdicts of one finished branch; first_pass may end the wave."""
        if cand.status != "ok":
            self.event("branch", **_brief(cand))
            return
        done = False
        try:
            if self.limiter is not None:
                async with self.limiter:
                    await self._judge(cand)
            else:
                await self._judge(cand)
            done = True
        finally:
            if not done:  # cancelled mid-verification: never commit it half-checked
                cand.status, cand.error = "cancelled", "stopped before verification finished"
        self.event("branch", **_brief(cand))
        if self.policy.selection == "first_pass" and cand.passed:
            wave_scope.cancel()

    async def _judge(self, cand: Candidate) -> None:
        cand.vote_key = await self._vote_key(cand)
        for verifier in self.policy.verifiers:
            cand.verdicts.append(await _run_verifier(verifier, cand, self.context))

    async def _vote_key(self, cand: Candidate) -> str:
        key = self.policy.vote_key
        if isinstance(key, str):
            return compute_key(cand, key)
        try:
            return str(await key(cand, self.context))
        except GraphBubbleUp:
            raise
        except Exception as exc:
            self.notes.append(f"vote key failed for branch {cand.index}: {exc!r}")
            return compute_key(cand)


def _fill(slot: Candidate, produced: Candidate, elapsed: float) -> None:
    for name in (
        "status",
        "message",
        "update",
        "text",
        "tokens_in",
        "tokens_out",
        "finish_reason",
        "error",
    ):
        setattr(slot, name, getattr(produced, name))
    if slot.status == "pending":
        slot.status = "ok" if produced.error is None else "failed"
    slot.duration_s = elapsed


def _brief(c: Candidate) -> dict[str, Any]:
    return {
        "branch": c.index,
        "wave": c.wave,
        "round": c.round,
        "status": c.status,
        "passed": c.passed,
        "score": round(c.score, 3),
        "vote_key": (c.vote_key or "")[:120],
        "tokens_out": c.tokens_out,
        "error": c.error,
    }


async def _run_verifier(verifier: Any, cand: Candidate, context: VerifyContext) -> Verdict:
    name = str(getattr(verifier, "name", type(verifier).__name__))
    try:
        verdict = await verifier.verify(cand, context)
    except (GraphBubbleUp, *UNCHECKABLE):
        raise  # an interrupt, or a check that could not run: never a failed candidate
    except Exception as exc:  # a verifier's bug on this candidate fails the candidate only
        return Verdict(
            verifier=name,
            passed=False,
            score=0.0,
            feedback=f"verifier crashed: {type(exc).__name__}: {exc}",
            details={"verifier_error": True},
        )
    if not isinstance(verdict, Verdict):
        return Verdict(
            verifier=name,
            passed=False,
            score=0.0,
            feedback=f"verifier returned {type(verdict).__name__}, not a Verdict",
            details={"verifier_error": True},
        )
    return verdict


def plan_waves(decision: RouterDecision, budget: Budget) -> tuple[list[int], list[str]]:
    """The router's waves clamped to the step budget's branch limits."""
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


def _should_stop(step: _Step, decision: RouterDecision) -> str | None:
    cands = step.candidates
    if step.policy.selection == "first_pass" and any(c.passed for c in cands):
        return "a branch passed every verifier"
    if decision.stop_on_pass and step.policy.verifiers and any(c.passed for c in cands):
        return "a branch passed every verifier"
    if decision.agreement is not None and len([c for c in cands if c.status == "ok"]) >= 2:
        share = vote_shares(cands)
        if share >= decision.agreement:
            return f"agreement {share:.2f} >= {decision.agreement}"
    b = step.policy.budget
    tokens_in, tokens_out = step.tokens
    if b.max_tokens is not None and tokens_in + tokens_out >= b.max_tokens:
        return f"max_tokens={b.max_tokens} reached"
    if b.max_cost is not None and b.cost(tokens_in, tokens_out) >= b.max_cost:
        return f"max_cost={b.max_cost} reached"
    return None


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
    st = _Step(policy, step, context or VerifyContext(step=step), on_event or _ignore, limiter)
    decision = policy.router.decide(signals, policy.budget)
    waves, st.notes = plan_waves(decision, policy.budget)
    st.event("step_start", router=decision.model_dump(mode="json"), waves=waves)

    with anyio.move_on_after(policy.budget.max_seconds) as deadline:
        await _run_waves(st, sampler, decision, waves, ledger)
        if policy.selection == "refine":
            await _refine(st, sampler)
    if deadline.cancelled_caught:
        st.notes.append(f"max_seconds={policy.budget.max_seconds} reached")
        for c in st.candidates:
            if c.status in ("pending", "cancelled"):
                c.status, c.error = "timeout", "stopped by the step deadline"

    method = "best" if policy.selection == "refine" else policy.selection
    chosen = select(method, st.candidates)
    report = _report(st, decision, chosen, ledger, deadline.cancelled_caught)
    if ledger is not None:
        ledger.charge(report.tokens_in, report.tokens_out)
    st.event("step_end", report=report.model_dump(mode="json"))
    if chosen.winner is None:  # chained to the backend error that sank a whole wave, if any
        cause = st.wave_errors[-1] if st.wave_errors else None
        raise StepFailedError(
            step, [f"branch {c.index}: {c.status}: {c.error}" for c in st.candidates]
        ) from cause
    return StepOutcome(chosen.winner, report, st.candidates)


async def _run_waves(
    st: _Step,
    sampler: Sampler,
    decision: RouterDecision,
    waves: list[int],
    ledger: RunLedger | None,
) -> None:
    for wave, n in enumerate(waves):
        if wave > 0 and (why := _should_stop(st, decision)) is not None:
            st.notes.append(f"stopped after wave {wave}: {why}")
            return
        if ledger is not None:
            granted = ledger.grant(n)
            if granted == 0 and wave > 0:
                st.notes.append(f"no escalation: {ledger.exhausted_reason()}")
                return
            if granted < n:
                why = ledger.exhausted_reason() or "run budget nearly used up"
                st.notes.append(f"wave {wave}: {max(granted, 1)} of {n} branches ({why})")
                n = max(granted, 1)

        async def produce(seeds: list[int], emit: EmitCandidate, *, _w: int = wave) -> None:
            await sampler.sample(len(seeds), seeds, emit, wave=_w, limiter=st.limiter)

        await st.run_wave(produce, n, wave=wave)


async def _refine(st: _Step, sampler: Sampler) -> None:
    revise = getattr(sampler, "revise", None)
    if revise is None:
        st.notes.append("refine: this sampler cannot revise; kept the best candidate")
        return
    cap = st.policy.budget.max_branches
    for rnd in range(1, st.policy.refine_rounds + 1):
        current = select("best", st.candidates).winner
        if current is None or current.passed:
            return
        if not current.feedback:
            st.notes.append("refine: no verifier feedback to act on")
            return
        if cap is not None and len(st.candidates) >= cap:
            st.notes.append(f"refine stopped: max_branches={cap} used")
            return

        async def produce(seeds: list[int], emit: EmitCandidate, *, c: Candidate = current) -> None:
            await revise(c, st.policy.refine_prompt.format(feedback=c.feedback), seeds, emit)

        await st.run_wave(produce, 1, wave=st.waves_run, round=rnd)
        st.refine_rounds = rnd


def _report(
    st: _Step,
    decision: RouterDecision,
    chosen: Selection,
    ledger: RunLedger | None,
    deadline_hit: bool,
) -> StepReport:
    b = st.policy.budget
    tokens_in, tokens_out = st.tokens
    spent = len(st.candidates)
    left: dict[str, float | int | None] = {
        "branches": None if b.max_branches is None else b.max_branches - spent,
        "tokens": None if b.max_tokens is None else b.max_tokens - tokens_in - tokens_out,
        "seconds": None
        if b.max_seconds is None
        else round(b.max_seconds - (time.monotonic() - st.started), 3),
        "cost": None if b.max_cost is None else b.max_cost - b.cost(tokens_in, tokens_out),
    }
    if ledger is not None:
        left.update(ledger.snapshot())
    status = [c.status for c in st.candidates]
    return StepReport(
        step=st.name,
        selection=st.policy.selection,
        winner=None if chosen.winner is None else chosen.winner.index,
        reason=chosen.reason,
        winner_passed=(
            chosen.winner.passed if chosen.winner is not None and st.policy.verifiers else None
        ),
        router=decision,
        launched=spent,
        finished=status.count("ok"),
        failed=status.count("failed"),
        cancelled=status.count("cancelled") + status.count("timeout"),
        waves_run=st.waves_run,
        refine_rounds=st.refine_rounds,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost=b.cost(tokens_in, tokens_out),
        wall_s=round(time.monotonic() - st.started, 4),
        deadline_hit=deadline_hit,
        notes=st.notes,
        budget_left=left,
        votes={short_key(k): v for k, v in chosen.votes.items()},
        candidates=[c.summary() for c in st.candidates] if st.policy.keep_candidates else [],
    )


def _ignore(_: dict[str, Any]) -> None:
    return None
