"""One way to run branches, one rule for what an answer is, whichever entry point runs them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.errors import GraphInterrupt
from langgraph.graph import START, MessagesState, StateGraph

from langgraph_scaling import ScaledChatModel, ScalingPolicy, StepFailedError, scaled_node
from langgraph_scaling.backends import Sample
from langgraph_scaling.branching import (
    EmitCandidate,
    candidate_from_message,
    failed_candidate,
    run_branches,
)
from langgraph_scaling.engine import run_step
from langgraph_scaling.langgraph.node import candidate_from_update
from langgraph_scaling.report import Candidate
from langgraph_scaling.sampling import candidate_from_sample
from langgraph_scaling.selection import SELECTORS, selector
from tests.fakes import ScriptedChatModel

UNPARSABLE = AIMessage(
    "", invalid_tool_calls=[{"name": "f", "args": '{"a": ', "id": "c1", "error": None}]
)


def from_middleware(message: AIMessage) -> Candidate:
    from langchain.agents.middleware import ModelResponse

    from langgraph_scaling.langgraph.middleware import candidate_from_response

    return candidate_from_response(0, ModelResponse(result=[message]))


CONVERTERS: dict[str, Callable[[AIMessage], Candidate]] = {
    "backend-sample": lambda m: candidate_from_sample(Sample(index=0, message=m)),
    "node-update": lambda m: candidate_from_update(0, {"messages": [m]}),
    "middleware-response": from_middleware,
}


@pytest.mark.parametrize("convert", CONVERTERS.values(), ids=CONVERTERS.keys())
@pytest.mark.parametrize(
    ("message", "status", "error"),
    [
        (AIMessage("4"), "ok", None),
        (AIMessage("  \n"), "failed", "empty message"),
        (UNPARSABLE, "ok", None),  # an answer verifiers can explain, not an empty one
    ],
    ids=["text", "blank", "unparsable-tool-call"],
)
def test_every_entry_point_agrees_on_what_an_answer_is(
    convert: Callable[[AIMessage], Candidate], message: AIMessage, status: str, error: str | None
) -> None:
    cand = convert(message)
    assert (cand.status, cand.error) == (status, error)
    assert cand.message is message


def test_a_node_update_without_a_message_is_still_an_answer() -> None:
    cand = candidate_from_update(3, {"answer": "12"})
    assert (cand.index, cand.status, cand.message, cand.update) == (3, "ok", None, {"answer": "12"})


def test_message_usage_gives_tokens_unless_told() -> None:
    msg = AIMessage("4", usage_metadata={"input_tokens": 7, "output_tokens": 2, "total_tokens": 9})
    assert candidate_from_message(0, msg).tokens_in == 7
    assert candidate_from_message(0, msg, tokens=(0, 5)).tokens_out == 5


async def test_limiter_bounds_branches_and_failures_do_not_stop_the_others() -> None:
    running = peak = 0
    got: dict[int, Candidate] = {}

    async def branch(i: int) -> Candidate:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await anyio.sleep(0.01)
        running -= 1
        if i == 2:
            raise ValueError("bad branch")
        return candidate_from_message(i, AIMessage(str(i)))

    async def emit(i: int, cand: Candidate) -> None:
        got[i] = cand

    limiter = anyio.CapacityLimiter(2)
    await run_branches(5, branch, emit, failed=failed_candidate, limiter=limiter)
    assert peak == 2
    assert sorted(got) == [0, 1, 2, 3, 4]
    assert (got[2].status, got[2].error) == ("failed", "ValueError: bad branch")


class _Interrupting:
    """A sampler whose branch raises an interrupt wrapped in its own exception group."""

    async def sample(
        self, n: int, seeds: Any, emit: EmitCandidate, *, wave: int, limiter: Any
    ) -> None:
        async def branch(i: int) -> Candidate:
            if i == 1:
                raise ExceptionGroup("inner task group", [GraphInterrupt(("need approval",))])
            return candidate_from_message(i, AIMessage("ok"))

        await run_branches(n, branch, emit, failed=failed_candidate, limiter=limiter)


async def test_an_interrupt_inside_an_exception_group_is_not_a_failed_branch() -> None:
    with pytest.raises(GraphInterrupt):
        await run_step(_Interrupting(), ScalingPolicy(router=3))


async def test_cancelling_the_step_cancels_every_branch() -> None:
    finished: list[int] = []

    async def branch(i: int) -> Candidate:
        await anyio.sleep(10)
        finished.append(i)
        return candidate_from_message(i, AIMessage("late"))

    async def emit(i: int, cand: Candidate) -> None:
        finished.append(i)

    with anyio.move_on_after(0.05) as scope:
        await run_branches(3, branch, emit, failed=failed_candidate)
    assert scope.cancelled_caught and finished == []


async def test_node_branches_with_empty_messages_fail_like_model_branches() -> None:
    answers = iter(["", "42", ""])

    def solve(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage(next(answers))]}

    g = StateGraph(MessagesState)
    g.add_node("solve", scaled_node(solve, policy=ScalingPolicy(router=3, max_concurrency=1)))
    g.add_edge(START, "solve")
    out = await g.compile().ainvoke({"messages": [HumanMessage("?")]})
    assert out["messages"][-1].content == "42"

    model = ScaledChatModel(ScriptedChatModel(script=["", ""]), policy=ScalingPolicy(router=2))
    with pytest.raises(StepFailedError, match="empty message"):
        await model.ainvoke("?")


def test_strategies_declare_what_they_need_from_the_engine() -> None:
    flags = {name: (s.stops_early, s.revises, s.logprobs) for name, s in SELECTORS.items()}
    assert flags == {
        "vote": (False, False, None),
        "weighted_vote": (False, False, None),
        "best": (False, False, None),
        "first_pass": (True, False, None),
        "refine": (False, True, None),
        "confidence_vote": (False, False, 5),
        "confidence_filter": (False, False, 5),
        "ranked": (False, False, 5),
        "combined": (False, False, 5),
        "dual_agreement": (False, False, None),
    }
    with pytest.raises(ValueError, match=r"selection='majority' is invalid: use one of"):
        selector("majority")
