"""The sync API called from inside a running event loop (Jupyter, sync code under async).

Each entry point's sync path once raised ``RuntimeError: Already running asyncio in this
thread`` there, while a plain LangChain model's ``invoke`` worked. Every test here calls
the sync API from an ``async def`` test, i.e. with a loop running in the calling thread.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from typing_extensions import TypedDict

from langgraph_scaling import ScaledChatModel, ScalingPolicy, ToolCallVerifier, scaled_node
from tests._react import TOOL_RUNS, multiply, react_graph
from tests.fakes import ScriptedChatModel, tool_call

pytestmark = pytest.mark.anyio


def _model() -> ScriptedChatModel:
    return ScriptedChatModel(
        script=[
            tool_call("multiply", {"a": 6, "b": 7}, "c1"),
            tool_call("multiply", {"a": 6, "b": 7}, "c2"),
            tool_call("multiply", {"a": 6, "b": 8}, "c3"),
            "The answer is 42.",
            "The answer is 42.",
            "It is 48.",
        ]
    )


def _policy() -> ScalingPolicy:
    return ScalingPolicy(router=3, verifiers=[ToolCallVerifier()], max_concurrency=1)


async def test_scaled_chat_model_invoke() -> None:
    model = ScaledChatModel(
        ScriptedChatModel(script=["4", "4", "5"]), policy=ScalingPolicy(router=3)
    )
    assert model.invoke("2+2?").content == "4"


async def test_graph_invoke_with_a_sync_node_calling_the_scaled_model() -> None:
    TOOL_RUNS.clear()
    graph = react_graph(ScaledChatModel(_model(), policy=_policy()), sync=True)
    out = graph.invoke({"messages": [HumanMessage("6*7?")]})
    assert list(TOOL_RUNS) == [42]
    assert out["messages"][-1].content == "The answer is 42."


class _State(TypedDict):
    answer: str


async def test_graph_invoke_with_a_sync_scaled_node() -> None:
    answers = iter(["12", "13", "12"])
    seen: list[Any] = []

    def solve(state: _State, config: dict[str, Any]) -> dict[str, Any]:
        seen.append(config["configurable"].get("thread_id"))
        return {"answer": next(answers)}

    g = StateGraph(_State)
    g.add_node("solve", scaled_node(solve, policy=ScalingPolicy(router=3, max_concurrency=1)))
    g.add_edge(START, "solve")
    graph = g.compile(checkpointer=InMemorySaver())
    out = graph.invoke({"answer": ""}, {"configurable": {"thread_id": "loop"}})
    assert out["answer"] == "12"
    assert seen == ["loop"] * 3  # the run's config reached every branch


async def test_create_agent_invoke_with_scaling_middleware() -> None:
    from langchain.agents import create_agent

    from langgraph_scaling import ScalingMiddleware

    TOOL_RUNS.clear()
    agent = create_agent(_model(), tools=[multiply], middleware=[ScalingMiddleware(_policy())])
    out = agent.invoke({"messages": [HumanMessage("6*7?")]})
    assert list(TOOL_RUNS) == [42]
    assert out["messages"][-1].content == "The answer is 42."
