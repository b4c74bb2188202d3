"""Determinism: with fixed seeds and a seed-deterministic model, the same step picks the
same winner whatever order its branches finish in (random per-branch delays)."""

from __future__ import annotations

import random

import anyio
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from langgraph_scaling import ScaledChatModel, ScalingPolicy, collect_reports
from langgraph_scaling.engine import run_step
from langgraph_scaling.sampling import BackendSampler, as_backend
from tests.fakes import ScriptedChatModel

# Answer by seed (base seed 0, branches 0..5): B and A tie 2-2, so only the documented
# tie-break (score, then lowest branch index) decides: branch 0's "B".
ANSWERS = {0: "B", 1: "A", 2: "C", 3: "A", 4: "B", 5: "D"}


class SeededModel(ScriptedChatModel):
    """Answers as a function of the ``seed`` kwarg, after a random delay."""

    async def _agenerate(self, messages, stop=None, run_manager=None, **kw):  # type: ignore[no-untyped-def]
        self.call_kwargs.append(dict(kw))
        await anyio.sleep(random.uniform(0, 0.05))  # shuffles the completion order
        return ChatResult(generations=[ChatGeneration(message=AIMessage(ANSWERS[kw["seed"]]))])


@pytest.mark.parametrize("selection", ["vote", "weighted_vote", "best"])
async def test_same_seeds_same_winner_whatever_the_finish_order(selection: str) -> None:
    policy = ScalingPolicy(router=6, seed=0, selection=selection, keep_candidates=True)
    outcomes = []
    for run in range(6):
        random.seed(run)
        model = SeededModel(script=[""])
        outcome = await run_step(
            BackendSampler(as_backend(model), [HumanMessage("q")], policy), policy
        )
        finish_order = sorted(outcome.candidates, key=lambda c: c.duration_s)
        outcomes.append(
            (
                outcome.winner.index,
                outcome.winner.text,
                outcome.report.votes,
                [c.index for c in finish_order],
            )
        )
    winners = {(index, text, tuple(sorted(votes.items()))) for index, text, votes, _ in outcomes}
    assert winners == {(0, "B", (("text:A", 2), ("text:B", 2), ("text:C", 1), ("text:D", 1)))}
    assert len({tuple(order) for *_, order in outcomes}) > 1, "finish orders did vary"


async def test_scaled_chat_model_is_reproducible_across_runs() -> None:
    texts = []
    for run in range(3):
        random.seed(100 + run)
        model = ScaledChatModel(SeededModel(script=[""]), policy=ScalingPolicy(router=6, seed=0))
        with collect_reports() as reports:
            texts.append((await model.ainvoke("q")).content)
        assert reports[0].winner == 0
    assert texts == ["B", "B", "B"]
