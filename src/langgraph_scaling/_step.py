"""The working record of one scaled step, and how one wave of branches runs on it.

:class:`StepState` holds every candidate (one slot per launched branch, filled as branches
finish), the notes for the report, and the counters. :meth:`StepState.run_wave` launches a
wave in an anyio task group and judges each branch as soon as it finishes, in the same
group; a strategy that stops early cancels the group's scope once a candidate passes.

Example:
    >>> import anyio
    >>> from langchain_core.messages import AIMessage
    >>> from langgraph_scaling.branching import candidate_from_message
    >>> st = StepState(ScalingPolicy(), "step", VerifyContext(), lambda event: None, None)
    >>> async def produce(seeds, emit):
    ...     for i in range(len(seeds)):
    ...         await emit(i, candidate_from_message(i, AIMessage("hi")))
    >>> anyio.run(lambda: st.run_wave(produce, 2, wave=0))
    >>> [(c.index, c.seed, c.status, c.vote_key) for c in st.candidates]
    [(0, 0, 'ok', 'text:hi'), (1, 1, 'ok', 'text:hi')]
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
from langgraph.errors import GraphInterrupt
from langgraph.types import Interrupt

from langgraph_scaling._control import control_exception, infrastructure_error
from langgraph_scaling._judge import judge
from langgraph_scaling.branching import EmitCandidate, error_text, limited
from langgraph_scaling.policy import ScalingPolicy
from langgraph_scaling.report import Candidate
from langgraph_scaling.selection import Selector
from langgraph_scaling.verifiers.protocol import VerifyContext

__all__ = ["FILLED", "EventSink", "Produce", "StepState"]

EventSink = Callable[[dict[str, Any]], None]
"""Receives the step's progress events (``stream_mode="custom"`` inside LangGraph)."""

Produce = Callable[[list[int], EmitCandidate], Awaitable[None]]
"""Samples one wave: one branch per seed, each handed to ``emit`` as it finishes."""

FILLED = (
    "status",
    "message",
    "update",
    "text",
    "tokens_in",
    "tokens_out",
    "finish_reason",
    "error",
    "logprobs",
)
"""What a finished branch's candidate hands to its slot."""


@dataclass
class StepState:
    """Everything one step has launched, finished and noted so far."""

    policy: ScalingPolicy
    name: str
    context: VerifyContext
    on_event: EventSink
    limiter: anyio.CapacityLimiter | None
    candidates: list[Candidate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    wave_errors: list[Exception] = field(default_factory=list)
    asked: list[tuple[int, Sequence[Interrupt]]] = field(default_factory=list)
    """Interrupts raised by the current wave's verifiers, with the candidate's index."""
    waves_run: int = 0
    refine_rounds: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def selector(self) -> Selector:
        """The policy's selection strategy."""
        return self.policy.selector

    @property
    def tokens(self) -> tuple[int, int]:
        """Prompt and generated tokens of every candidate so far."""
        return (
            sum(c.tokens_in for c in self.candidates),
            sum(c.tokens_out for c in self.candidates),
        )

    def event(self, event: str, **data: Any) -> None:
        """Send one progress event."""
        self.on_event({"kind": "langgraph_scaling", "event": event, "step": self.name, **data})

    def seeds(self, n: int) -> list[int]:
        """Seeds of the next ``n`` branches: ``policy.seed + index``, or random without one."""
        base = self.policy.seed
        if base is None:
            return [random.randrange(2**31) for _ in range(n)]
        first = len(self.candidates)
        return [base + first + i for i in range(n)]

    async def run_wave(self, produce: Produce, n: int, *, wave: int, round: int = 0) -> None:
        """Launch ``n`` branches and judge each as it finishes; unfinished ones are cancelled."""
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

                await self._produce(produce, seeds, emit, slots)
        except BaseExceptionGroup as group:  # an interrupt from a branch reaches LangGraph
            if (control := control_exception(group)) is not None:
                raise control from None
            if (broken := infrastructure_error(group)) is not None:
                raise broken from None  # a verifier that cannot run fails the step, loudly
            raise
        asked, self.asked = sorted(self.asked, key=lambda a: a[0]), []
        if asked and not tg.cancel_scope.cancel_called:  # every asking verifier, one pause
            raise GraphInterrupt([i for _, interrupts in asked for i in interrupts])
        for slot in slots:
            if slot.status == "pending":
                slot.status, slot.error = "cancelled", "stopped early (another branch won)"
        self.waves_run += 1

    async def _produce(
        self, produce: Produce, seeds: list[int], emit: EmitCandidate, slots: list[Candidate]
    ) -> None:
        try:
            await produce(seeds, emit)
        except Exception as exc:  # the whole wave failed; its branches say why
            if (control := control_exception(exc)) is not None:
                raise control from None
            self.wave_errors.append(exc)
            for slot in slots:
                if slot.status == "pending":
                    slot.status, slot.error = "failed", error_text(exc)

    async def judge(self, cand: Candidate, wave_scope: anyio.CancelScope) -> None:
        """Vote key and verdicts of one finished branch; a passing one may end the wave."""
        if cand.status != "ok":
            self.event("branch", **_brief(cand))
            return
        done = False
        try:
            async with limited(self.limiter):
                await judge(cand, self.policy, self.context, self.notes)
            done = True
        except GraphInterrupt as asked:  # the wave pauses once every candidate is judged
            self.asked.append((cand.index, asked.args[0] if asked.args else ()))
            return
        finally:
            if not done:  # cancelled mid-verification: never commit it half-checked
                cand.status, cand.error = "cancelled", "stopped before verification finished"
        self.event("branch", **_brief(cand))
        if self.selector.stops_early and cand.passed:
            wave_scope.cancel()


def _fill(slot: Candidate, produced: Candidate, elapsed: float) -> None:
    for name in FILLED:
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
        "feedback": _first_failure(c),
    }


def _first_failure(c: Candidate) -> str:
    """The first line of the first failing verdict's feedback (``""`` when none failed)."""
    for verdict in c.verdicts:
        if not verdict.passed and verdict.feedback.strip():
            return verdict.feedback.strip().splitlines()[0][:160]
    return ""
