"""Branch faults in real graphs: a hang past a per-step deadline, an unparsable tool call,
and the one clear error when every branch fails (what tests/test_engine.py does not cover)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatResult
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph

from langgraph_scaling import (
    ScaledChatModel,
    ScalingContext,
    ScalingPolicy,
    StepFailedError,
    ToolCallVerifier,
    collect_reports,
)
from langgraph_scaling.backends.openai_server import OpenAIServerBackend
from tests._fake_openai import FakeOpenAI, tool_answer
from tests.fakes import ScriptedChatModel


class Hanging(ScriptedChatModel):
    """Script entries equal to ``"hang"`` never answer (well, after a minute)."""

    async def _agenerate(self, messages, stop=None, run_manager=None, **kw):  # type: ignore[no-untyped-def]
        result: ChatResult = await super()._agenerate(messages, stop, run_manager, **kw)
        if result.generations[0].message.text == "hang":
            await anyio.sleep(60)
        return result


def one_node_graph(model: Any) -> Any:
    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    g = StateGraph(MessagesState, context_schema=ScalingContext)
    g.add_node("agent", agent)
    g.add_edge(START, "agent")
    return g.compile()


async def test_branch_hanging_past_the_per_step_deadline_is_cut_and_others_win() -> None:
    model = ScaledChatModel(
        Hanging(script=["4", "hang", "4", "hang"]), policy=ScalingPolicy(router=4)
    )
    graph = one_node_graph(model)
    context = ScalingContext(steps={"agent": {"max_seconds": 0.5}})
    context.check(graph)
    start = time.monotonic()
    with collect_reports() as reports:
        result = await graph.ainvoke({"messages": [HumanMessage("2+2?")]}, context=context)
    assert time.monotonic() - start < 3
    assert result["messages"][-1].content == "4"
    (report,) = reports
    assert report.deadline_hit
    assert (report.finished, report.cancelled) == (2, 2)
    assert "max_seconds=0.5 reached" in report.notes


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAI]:
    def answer(body: dict[str, Any], index: int) -> dict[str, Any]:
        args = '{"a": 6, "b": ' if index == 0 else '{"a": 6, "b": 7}'  # branch 0: cut JSON
        return tool_answer("multiply", args)(body, index)

    fake = await FakeOpenAI(answer=answer).start()
    yield fake
    await fake.stop()


@pytest.mark.parametrize("verified", [True, False], ids=["with-verifier", "vote-only"])
async def test_unparsable_tool_call_is_recorded_and_loses(
    server: FakeOpenAI, verified: bool
) -> None:
    policy = ScalingPolicy(
        router=4,
        verifiers=[ToolCallVerifier()] if verified else [],
        selection="weighted_vote" if verified else "vote",
        keep_candidates=True,
    )
    async with OpenAIServerBackend(server.url, "fake", max_retries=0) as backend:
        model = ScaledChatModel(backend, policy=policy).bind_tools([multiply])
        with collect_reports() as reports:
            message = await model.ainvoke("What is 6 times 7?")
    assert message.tool_calls[0]["args"] == {"a": 6, "b": 7}
    assert not message.invalid_tool_calls
    (report,) = reports
    broken = report.candidates[0]
    assert broken.status == "ok" and broken.tool_calls == []  # recorded, with its own vote
    assert report.winner != 0
    assert sorted(report.votes.values()) == [1, 3]
    if verified:
        assert not broken.passed
        assert "multiply: arguments are not valid JSON" in broken.verdicts[0].feedback


async def test_every_branch_failing_raises_one_error_listing_each_branch() -> None:
    model = ScaledChatModel(
        Hanging(script=[RuntimeError("engine down"), AIMessage(""), "hang"]),
        policy=ScalingPolicy(router=3, max_concurrency=1),
    )
    graph = one_node_graph(model)
    context = ScalingContext(steps={"agent": {"max_seconds": 0.5}})
    with pytest.raises(StepFailedError) as info:
        await graph.ainvoke({"messages": [HumanMessage("2+2?")]}, context=context)
    error = info.value
    assert error.step == "agent"
    assert str(error).startswith("Scaled step 'agent' failed: all 3 branches failed.")
    assert error.failures == [
        "branch 0: failed: RuntimeError: engine down",
        "branch 1: failed: empty message",
        "branch 2: timeout: stopped by the step deadline",
    ]
