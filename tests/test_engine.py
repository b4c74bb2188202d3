"""The engine: concurrency, failures, early exit, deadlines, routers, budgets, refinement."""

from __future__ import annotations

import time
from collections.abc import Sequence

import anyio
import pytest
from langchain_core.messages import AIMessage, HumanMessage

from langgraph_scaling import (
    AdaptiveRouter,
    Budget,
    CallableVerifier,
    ScalingPolicy,
    StepFailedError,
)
from langgraph_scaling.budget import RunLedger
from langgraph_scaling.engine import run_step
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.sampling import BackendSampler, as_backend
from tests.fakes import ScriptedChatModel

PROMPT = [HumanMessage("What is 2+2?")]


def sampler(model: ScriptedChatModel, policy: ScalingPolicy) -> BackendSampler:
    return BackendSampler(as_backend(model), PROMPT, policy)


def equals(answer: str) -> CallableVerifier:
    return CallableVerifier(
        lambda c: (c.text.strip() == answer, f"expected {answer}, got {c.text!r}"), name="equals"
    )


async def test_branches_run_concurrently() -> None:
    model = ScriptedChatModel(script=["4"], delay=1.0)
    policy = ScalingPolicy(router=8)
    start = time.monotonic()
    outcome = await run_step(sampler(model, policy), policy)
    elapsed = time.monotonic() - start
    assert outcome.report.finished == 8
    assert len(model.calls) == 8
    assert elapsed < 3.0, f"8 branches of 1 s took {elapsed:.1f} s: not concurrent"


async def test_vote_commits_majority_answer() -> None:
    model = ScriptedChatModel(script=["5", "4", "4", "3", "4"])
    policy = ScalingPolicy(router=5)
    outcome = await run_step(sampler(model, policy), policy)
    assert outcome.winner.text == "4"
    assert outcome.report.votes["text:4"] == 3


async def test_failing_branches_are_recorded_and_others_go_on() -> None:
    model = ScriptedChatModel(script=[RuntimeError("boom"), "4", AIMessage(""), "4"])
    policy = ScalingPolicy(router=4, keep_candidates=True)
    outcome = await run_step(sampler(model, policy), policy)
    assert outcome.winner.text == "4"
    report = outcome.report
    assert (report.launched, report.finished, report.failed) == (4, 2, 2)
    errors = sorted(c.error or "" for c in report.candidates if c.status == "failed")
    assert errors == ["RuntimeError: boom", "empty message"]


async def test_all_branches_failing_raises_one_clear_error() -> None:
    model = ScriptedChatModel(script=[RuntimeError("engine down"), ValueError("bad json")])
    policy = ScalingPolicy(router=2)
    with pytest.raises(StepFailedError, match="all 2 branches failed") as info:
        await run_step(sampler(model, policy), policy, step="agent")
    assert "RuntimeError: engine down" in str(info.value)
    assert "ValueError: bad json" in str(info.value)
    assert info.value.step == "agent"


async def test_crashing_verifier_fails_the_candidate_not_the_step() -> None:
    def picky(c: Candidate) -> bool:
        if c.text == "boom":
            raise ZeroDivisionError("verifier bug")
        return True

    model = ScriptedChatModel(script=["boom", "4"])
    policy = ScalingPolicy(router=2, selection="best", verifiers=[CallableVerifier(picky)])
    outcome = await run_step(sampler(model, policy), policy)
    assert outcome.winner.text == "4"


async def test_first_pass_cancels_the_slow_branches() -> None:
    class Mixed(ScriptedChatModel):
        async def _agenerate(self, messages, stop=None, run_manager=None, **kw):  # type: ignore[no-untyped-def]
            result = await super()._agenerate(messages, stop, run_manager, **kw)
            if result.generations[0].message.text == "slow":
                await anyio.sleep(30)
            return result

    model = Mixed(script=["slow", "4", "slow", "slow"])
    policy = ScalingPolicy(router=4, selection="first_pass", verifiers=[equals("4")])
    start = time.monotonic()
    outcome = await run_step(sampler(model, policy), policy)
    assert time.monotonic() - start < 5
    assert outcome.winner.text == "4"
    assert outcome.report.cancelled == 3


async def test_deadline_returns_best_verified_so_far() -> None:
    class Slow(ScriptedChatModel):
        async def _agenerate(self, messages, stop=None, run_manager=None, **kw):  # type: ignore[no-untyped-def]
            result = await super()._agenerate(messages, stop, run_manager, **kw)
            if result.generations[0].message.text == "hang":
                await anyio.sleep(60)
            return result

    model = Slow(script=["4", "hang", "hang"])
    policy = ScalingPolicy(router=3, verifiers=[equals("4")], budget=Budget(max_seconds=0.5))
    start = time.monotonic()
    outcome = await run_step(sampler(model, policy), policy)
    assert time.monotonic() - start < 3
    assert outcome.winner.text == "4"
    assert outcome.report.deadline_hit
    assert outcome.report.cancelled == 2


async def test_deadline_with_nothing_finished_fails_clearly() -> None:
    model = ScriptedChatModel(script=["4"], delay=30)
    policy = ScalingPolicy(router=2, budget=Budget(max_seconds=0.2))
    with pytest.raises(StepFailedError, match="timeout"):
        await run_step(sampler(model, policy), policy)


async def test_adaptive_router_stops_when_a_branch_passes() -> None:
    model = ScriptedChatModel(script=["4"])
    policy = ScalingPolicy(router=AdaptiveRouter(schedule=(2, 4, 8)), verifiers=[equals("4")])
    outcome = await run_step(sampler(model, policy), policy)
    assert outcome.report.launched == 2
    assert outcome.report.waves_run == 1
    assert "passed every verifier" in " ".join(outcome.report.notes)


async def test_adaptive_router_escalates_while_unsolved() -> None:
    model = ScriptedChatModel(script=["1", "2", "3", "5", "6", "4", "7", "8"])
    policy = ScalingPolicy(
        router=AdaptiveRouter(schedule=(2, 4, 8), agreement=None),
        verifiers=[equals("4")],
        selection="best",
    )
    outcome = await run_step(sampler(model, policy), policy)
    assert outcome.report.launched == 8
    assert outcome.report.waves_run == 3
    assert outcome.winner.text == "4"


async def test_budget_caps_branches_and_says_so() -> None:
    model = ScriptedChatModel(script=["4"])
    policy = ScalingPolicy(router=16, budget=Budget(max_branches=3))
    outcome = await run_step(sampler(model, policy), policy)
    assert outcome.report.launched == 3
    assert "max_branches=3" in outcome.report.notes[0]


async def test_token_budget_stops_escalation() -> None:
    model = ScriptedChatModel(script=["1", "2"])  # 15 tokens per call
    policy = ScalingPolicy(
        router=AdaptiveRouter(schedule=(2, 4, 8), agreement=None),
        verifiers=[equals("4")],
        budget=Budget(max_tokens=20),
    )
    outcome = await run_step(sampler(model, policy), policy)
    assert outcome.report.launched == 2
    assert outcome.report.tokens_in + outcome.report.tokens_out == 30
    assert any("max_tokens=20" in n for n in outcome.report.notes)


async def test_run_ledger_falls_back_to_one_branch() -> None:
    model = ScriptedChatModel(script=["4"])
    policy = ScalingPolicy(router=4)
    ledger = RunLedger(Budget(max_branches=6))
    first = await run_step(sampler(model, policy), policy, ledger=ledger)
    second = await run_step(sampler(model, policy), policy, ledger=ledger)
    third = await run_step(sampler(model, policy), policy, ledger=ledger)
    assert [r.report.launched for r in (first, second, third)] == [4, 2, 1]
    assert "run budget max_branches=6 used up" in " ".join(third.report.notes)


async def test_refine_feeds_verifier_feedback_back() -> None:
    model = ScriptedChatModel(script=["3", "3", "4"])
    policy = ScalingPolicy(router=2, selection="refine", refine_rounds=2, verifiers=[equals("4")])
    outcome = await run_step(sampler(model, policy), policy)
    assert outcome.winner.text == "4"
    assert outcome.report.refine_rounds == 1
    revision_prompt = model.calls[-1]
    assert isinstance(revision_prompt[-1], HumanMessage)
    assert "expected 4, got '3'" in revision_prompt[-1].text


async def test_events_stream_as_the_step_runs() -> None:
    events: list[dict[str, object]] = []
    model = ScriptedChatModel(script=["4"])
    policy = ScalingPolicy(router=2)
    await run_step(sampler(model, policy), policy, step="s", on_event=events.append)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "step_start" and kinds[-1] == "step_end"
    assert kinds.count("branch") == 2


async def test_seeds_and_temperature_reach_models_that_take_them() -> None:
    model = ScriptedChatModel(script=["4"])
    policy = ScalingPolicy(router=3, seed=100, temperature=0.7)
    await run_step(sampler(model, policy), policy)
    assert sorted(kw["seed"] for kw in model.call_kwargs) == [100, 101, 102]
    assert {kw["temperature"] for kw in model.call_kwargs} == {0.7}


async def test_async_vote_key_function_groups_answers() -> None:
    async def parity(c: Candidate, _ctx: object) -> str:
        return str(int(c.text) % 2)

    model = ScriptedChatModel(script=["1", "2", "4"])
    policy = ScalingPolicy(router=3, vote_key=parity)
    outcome = await run_step(sampler(model, policy), policy)
    assert outcome.winner.text == "2"
    assert outcome.report.votes == {"0": 2, "1": 1}


async def test_cancelling_the_caller_stops_all_branches() -> None:
    model = ScriptedChatModel(script=["4"], delay=30)
    policy = ScalingPolicy(router=4)
    start = time.monotonic()
    with anyio.move_on_after(0.3):
        await run_step(sampler(model, policy), policy)
    assert time.monotonic() - start < 2


def test_verifier_returning_garbage_fails_the_candidate() -> None:
    class Garbage:
        name = "garbage"

        async def verify(self, candidate: Candidate, context: object) -> Verdict:
            return "yes"  # type: ignore[return-value]

    async def go() -> Sequence[Candidate]:
        model = ScriptedChatModel(script=["4"])
        policy = ScalingPolicy(router=1, verifiers=[Garbage()], keep_candidates=True)
        return (await run_step(sampler(model, policy), policy)).candidates

    (only,) = anyio.run(go)
    assert not only.passed
    assert "not a Verdict" in only.verdicts[0].feedback
