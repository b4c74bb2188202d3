"""Verifier interrupts: every candidate's question in one pause, each answer to its verifier.

LangGraph matches ``interrupt()`` calls to resume values by their order in the node's task.
Verifiers of a step's candidates run side by side in that task, so with one shared counter
the human was asked once per candidate, one after another. Instead, while a step runs in a
LangGraph task, :class:`StepPause`:

- gives each candidate's verifiers their own interrupt counter and their own answers
  (:meth:`StepPause.verifying`), and renames each interrupt they raise with an id of its
  own (the task's namespace, the step's slot, the candidate, the question's number), so
  the wave pauses once with one ``Interrupt`` per asking candidate and
  ``Command(resume={interrupt.id: value, ...})`` answers them all (a plain
  ``Command(resume=value)`` answers a lone question);
- records every candidate the step sampled (:meth:`StepPause.replaying`), so resuming
  replays them instead of calling the model again: only the verifiers run again, now with
  their answers.

The record (candidates, answers, the ids still waiting) is kept where LangGraph keeps the
task's answers, its resume list, in the slot of the task's interrupt counter that the step
takes the first time one of its verifiers asks, as one ``interrupt()`` call would; the
node's own interrupts before and after the step keep their order. A scaled node's branches
do not see the record (:func:`visible_answers`).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import anyio
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import var_child_runnable_config
from langgraph._internal._constants import (
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_RESUME_MAP,
    CONFIG_KEY_SCRATCHPAD,
    CONFIG_KEY_SEND,
    RESUME,
)
from langgraph.errors import GraphInterrupt
from langgraph.types import Interrupt
from xxhash import xxh3_128_hexdigest

from langgraph_scaling._step import FILLED
from langgraph_scaling.branching import EmitCandidate, Sampler
from langgraph_scaling.report import Candidate

__all__ = ["StepPause", "has_pending_pause", "visible_answers", "without_resume_writes"]

_MARK = "langgraph_scaling_step_pause"
"""The key that marks a step's record in a task's resume list."""


def _is_record(value: Any) -> bool:
    return isinstance(value, dict) and _MARK in value


def visible_answers(resume: Sequence[Any]) -> list[Any]:
    """The task's answers without the steps' records (what a node's own code reads).

    Example:
        >>> visible_answers(["red", {_MARK: 1, "pending": []}, "large"])
        ['red', 'large']
    """
    return [value for value in resume if not _is_record(value)]


def has_pending_pause(resume: Sequence[Any]) -> bool:
    """Whether a step in this task paused on verifier questions that are still unanswered.

    Example:
        >>> has_pending_pause([{_MARK: 1, "pending": ["ab"], "answers": {}}])
        True
    """
    return any(_is_record(v) and any(i not in v["answers"] for i in v["pending"]) for v in resume)


def without_resume_writes(send: Callable[[Sequence[tuple[str, Any]]], None]) -> Any:
    """``send`` minus the resume-list writes of ``interrupt()``: the step keeps that list."""

    def filtered(writes: Sequence[tuple[str, Any]]) -> None:
        kept = [w for w in writes if w[0] != RESUME]
        if kept:
            send(kept)

    return filtered


def _no_resume(consume: bool = False) -> Any:
    return None


def _give_back(scratchpad: Any, taken: int) -> None:
    """Undo one call of the task's interrupt counter: its next call returns ``taken``."""
    rest, first = scratchpad.interrupt_counter, [taken]

    def counter() -> int:
        try:
            return first.pop()
        except IndexError:
            return int(rest())

    scratchpad.interrupt_counter = counter


class StepPause:
    """One scaled step's verifier questions and sampled candidates inside a LangGraph task."""

    def __init__(self, conf: dict[str, Any], step: str) -> None:
        self.scratchpad = conf[CONFIG_KEY_SCRATCHPAD]
        self.send = conf[CONFIG_KEY_SEND]
        self.ns = str(conf.get(CONFIG_KEY_CHECKPOINT_NS, ""))
        self.step = step
        self.slot: int | None = None
        self.record: dict[str, Any] = {_MARK: 1, "step": step, "waves": {}, "answers": {}}
        self.record["pending"] = []
        self.asked: set[str] = set()
        self._find(conf.get(CONFIG_KEY_RESUME_MAP) or {})

    @classmethod
    def of(cls, config: RunnableConfig | None, step: str) -> StepPause | None:
        """The step's pause in the current LangGraph task, ``None`` outside one."""
        conf = dict((config or {}).get("configurable") or {})
        if conf.get(CONFIG_KEY_SCRATCHPAD) is None or conf.get(CONFIG_KEY_SEND) is None:
            return None
        return cls(conf, step)

    def _find(self, resume_map: dict[str, Any]) -> None:
        """Take this step's slot and answers if an earlier run of the task paused in it."""
        resume = self.scratchpad.resume
        if not any(_is_record(v) for v in resume):
            return
        slot = self.scratchpad.interrupt_counter()
        if not (slot < len(resume) and _is_record(resume[slot])):
            _give_back(self.scratchpad, slot)
            return
        if resume[slot]["step"] != self.step:
            _give_back(self.scratchpad, slot)
            return
        saved = resume[slot]
        self.slot = slot
        self.record.update(waves=dict(saved["waves"]), answers=dict(saved["answers"]))
        answers = self.record["answers"]
        waiting = [i for i in saved["pending"] if i not in answers]
        for interrupt_id in waiting:
            if interrupt_id in resume_map:
                answers[interrupt_id] = resume_map[interrupt_id]
        if len(waiting) == 1 and not resume_map:  # Command(resume=value) for a lone question
            value = self.scratchpad.get_null_resume(True)
            if value is not None:
                answers[waiting[0]] = value

    def _claim(self) -> int:
        """The step's slot in the task's interrupt order, taken when a verifier first asks."""
        if self.slot is None:
            resume = self.scratchpad.resume
            self.slot = slot = self.scratchpad.interrupt_counter()
            resume.insert(min(slot, len(resume)), dict(self.record))
        return self.slot

    def interrupt_id(self, candidate: int, question: int) -> str:
        """The id of candidate ``candidate``'s ``question``-th interrupt in this step."""
        key = f"{self.ns}|{self._claim()}|verifier|{candidate}|{question}"
        return xxh3_128_hexdigest(key.encode())

    def _answers_of(self, candidate: int) -> list[Any]:
        if self.slot is None:
            return []
        answers: dict[str, Any] = self.record["answers"]
        found: list[Any] = []
        for question in itertools.count():
            interrupt_id = self.interrupt_id(candidate, question)
            if interrupt_id not in answers:
                return found
            found.append(answers[interrupt_id])
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def verifying(self, cand: Candidate) -> Iterator[None]:
        """Run ``cand``'s verifiers with their own interrupt counter and answers.

        An interrupt they raise leaves as a ``GraphInterrupt`` whose interrupts carry this
        candidate's ids.
        """
        base = var_child_runnable_config.get() or {}
        conf = dict(base.get("configurable") or {})
        answers = self._answers_of(cand.index)
        counter = itertools.count()
        conf[CONFIG_KEY_SCRATCHPAD] = dataclasses.replace(
            self.scratchpad,
            interrupt_counter=lambda: next(counter),
            resume=answers,
            get_null_resume=_no_resume,
        )
        conf[CONFIG_KEY_SEND] = without_resume_writes(conf.get(CONFIG_KEY_SEND) or self.send)
        token = var_child_runnable_config.set({**base, "configurable": conf})
        try:
            yield
        except GraphInterrupt as asked:
            raise GraphInterrupt(self._renamed(cand.index, len(answers), asked)) from None
        finally:
            var_child_runnable_config.reset(token)

    def _renamed(self, candidate: int, answered: int, asked: GraphInterrupt) -> list[Interrupt]:
        renamed = []
        for offset, question in enumerate(asked.args[0] if asked.args else ()):
            interrupt_id = self.interrupt_id(candidate, answered + offset)
            self.asked.add(interrupt_id)
            renamed.append(
                Interrupt(question.value, interrupt_id, response_schema=question.response_schema)
            )
        return renamed

    def replaying(self, sampler: Sampler) -> Sampler:
        """``sampler``, with each wave's candidates recorded, or replayed when recorded."""
        return _Replaying(sampler, self.record["waves"])

    def save(self, paused: GraphInterrupt | None = None) -> None:
        """Keep the record in the task's resume list (if the step took a slot)."""
        if self.slot is None:
            return
        asked = paused.args[0] if paused is not None and paused.args else ()
        self.record["pending"] = [i.id for i in asked if i.id in self.asked]
        resume = self.scratchpad.resume
        resume[self.slot] = dict(self.record)
        self.send([(RESUME, list(resume))])


def _fields(cand: Candidate) -> dict[str, Any]:
    return {name: getattr(cand, name) for name in FILLED}


class _Replaying:
    """A sampler that records what its waves produced, and replays recorded waves."""

    def __init__(self, inner: Sampler, waves: dict[str, list[dict[str, Any] | None]]) -> None:
        self.inner, self.waves = inner, waves
        self._revisions = itertools.count()
        if callable(getattr(inner, "revise", None)):
            self.revise = self._revise

    async def sample(
        self,
        n: int,
        seeds: Sequence[int],
        emit: EmitCandidate,
        *,
        wave: int,
        limiter: anyio.CapacityLimiter | None,
    ) -> None:
        async def produce(keep: EmitCandidate) -> None:
            await self.inner.sample(n, seeds, keep, wave=wave, limiter=limiter)

        await self._recorded(f"wave {wave}", n, emit, produce)

    async def _revise(
        self, candidate: Candidate, feedback: str, seeds: Sequence[int], emit: EmitCandidate
    ) -> None:
        async def produce(keep: EmitCandidate) -> None:
            await self.inner.revise(candidate, feedback, seeds, keep)  # type: ignore[attr-defined]

        await self._recorded(f"revision {next(self._revisions)}", len(seeds), emit, produce)

    async def _recorded(
        self,
        key: str,
        n: int,
        emit: EmitCandidate,
        produce: Callable[[EmitCandidate], Any],
    ) -> None:
        recorded = self.waves.get(key)
        if recorded is not None and len(recorded) == n:
            for local, fields in enumerate(recorded):
                if fields is not None:
                    await emit(local, Candidate(index=local, **fields))
            return
        kept: list[dict[str, Any] | None] = [None] * n
        self.waves[key] = kept

        async def keep(local: int, cand: Candidate) -> None:
            kept[local] = _fields(cand)
            await emit(local, cand)

        await produce(keep)
