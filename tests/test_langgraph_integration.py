"""The three entry points in real LangGraph graphs with real checkpointers."""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.types import interrupt
from typing_extensions import TypedDict

from langgraph_scaling import (
    Budget,
    ScaledChatModel,
    ScalingContext,
    ScalingPolicy,
    ToolCallVerifier,
    collect_reports,
    scaled_node,
)
from tests._react import TOOL_RUNS, multiply, react_graph
from tests.fakes import ScriptedChatModel, tool_call


def disagreeing_model() -> ScriptedChatModel:
    # Turn 1: three branches, two agree on multiply(6, 7) (args in another order), one says
    # multiply(6, 8), one calls a tool that does not exist. Turn 2: branches answer in text.
    return ScriptedChatModel(
        script=[
            tool_call("multiply", {"a": 6, "b": 7}, "c1"),
            tool_call("multiply", {"b": 7, "a": 6}, "c2"),
            tool_call("multiply", {"a": 6, "b": 8}, "c3"),
            tool_call("divide", {"a": 6, "b": 7}, "c4"),
            "The answer is 42.",
            "The answer is 42.",
            "It is 48.",
            "The answer is  42.",
        ]
    )


async def run_react(checkpointer: Any) -> tuple[dict[str, Any], Any]:
    TOOL_RUNS.clear()
    model = ScaledChatModel(
        disagreeing_model(),
        policy=ScalingPolicy(
            router=4, verifiers=[ToolCallVerifier()], selection="weighted_vote", max_concurrency=1
        ),
    )
    graph = react_graph(model, checkpointer=checkpointer, context_schema=ScalingContext)
    config = {"configurable": {"thread_id": "t1"}}
    with collect_reports() as reports:
        result = await graph.ainvoke(
            {"messages": [HumanMessage("What is 6 times 7?")]}, config, context=ScalingContext()
        )
    return result, (graph, config, reports)


async def test_scaled_chat_model_in_react_graph_with_memory_checkpointer() -> None:
    result, (graph, config, reports) = await run_react(InMemorySaver())
    assert list(TOOL_RUNS) == [42], "the majority tool call (canonical args) was the one executed"
    final = result["messages"][-1]
    assert final.content == "The answer is 42."
    assert [r.step for r in reports] == ["agent", "agent"]
    first = reports[0]
    assert first.launched == 4 and first.votes[next(iter(first.votes))] >= 2
    # the unknown tool failed verification and never ran
    assert final.response_metadata["scaling"]["winner"] is not None
    state = await graph.aget_state(config)
    assert state.values["messages"][-1].content == "The answer is 42."
    # candidates are not stored in the checkpoint, only the compact report
    assert "candidates" not in final.response_metadata["scaling"]


async def test_scaled_chat_model_with_sqlite_checkpointer(tmp_path: Path) -> None:
    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "ckpt.db")) as saver:
        result, (graph, config, _) = await run_react(saver)
        assert result["messages"][-1].content == "The answer is 42."
        history = [s async for s in graph.aget_state_history(config)]
        assert len(history) >= 4  # start, agent, tools, agent
    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "ckpt.db")) as reopened:
        graph2 = react_graph(ScaledChatModel(disagreeing_model()), checkpointer=reopened)
        state = await graph2.aget_state(config)
        assert state.values["messages"][-1].content == "The answer is 42."


def test_sync_invoke_of_scaled_chat_model_in_graph() -> None:
    TOOL_RUNS.clear()
    model = ScaledChatModel(
        disagreeing_model(),
        policy=ScalingPolicy(router=4, verifiers=[ToolCallVerifier()], max_concurrency=1),
    )
    graph = react_graph(model, checkpointer=InMemorySaver(), sync=True)
    result = graph.invoke(
        {"messages": [HumanMessage("6*7?")]}, {"configurable": {"thread_id": "s"}}
    )
    assert list(TOOL_RUNS) == [42]
    assert result["messages"][-1].content == "The answer is 42."


class NodeState(TypedDict):
    question: str
    answer: str
    reports: Annotated[list[dict[str, Any]], operator.add]


@pytest.mark.parametrize("is_async", [True, False], ids=["async-node", "sync-node"])
async def test_scaled_node_commits_majority_update(is_async: bool) -> None:
    answers = iter(["12", "12", "13", "12", "11"])

    def pick(state: NodeState, config: dict[str, Any]) -> dict[str, Any]:
        assert "scaling_branch" in config["metadata"]
        return {"answer": next(answers)}

    async def apick(state: NodeState, config: dict[str, Any]) -> dict[str, Any]:
        return pick(state, config)

    g = StateGraph(NodeState)
    g.add_node(
        "solve",
        scaled_node(
            apick if is_async else pick, policy=ScalingPolicy(router=5), report_key="reports"
        ),
    )
    g.add_edge(START, "solve")
    graph = g.compile(checkpointer=InMemorySaver())
    out = await graph.ainvoke(
        {"question": "3*4", "answer": "", "reports": []}, {"configurable": {"thread_id": "n"}}
    )
    assert out["answer"] == "12"
    (report,) = out["reports"]
    assert report["step"] == "solve" and report["launched"] == 5
    assert report["votes"]['update:{"answer":"12"}'] == 3


async def test_interrupt_inside_a_branch_reaches_langgraph() -> None:
    def ask(state: NodeState) -> dict[str, Any]:
        value = interrupt("need approval")
        return {"answer": str(value)}

    g = StateGraph(NodeState)
    g.add_node("ask", scaled_node(ask, policy=ScalingPolicy(router=3)))
    g.add_edge(START, "ask")
    graph = g.compile(checkpointer=InMemorySaver())
    out = await graph.ainvoke(
        {"question": "q", "answer": "", "reports": []}, {"configurable": {"thread_id": "i"}}
    )
    assert "__interrupt__" in out
    assert out["__interrupt__"][0].value == "need approval"


async def test_custom_stream_carries_branch_progress_and_report() -> None:
    model = ScaledChatModel(
        ScriptedChatModel(script=["a", "b", "a"]), policy=ScalingPolicy(router=3)
    )

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    g = StateGraph(MessagesState)
    g.add_node("agent", agent)
    g.add_edge(START, "agent")
    events = [
        e
        async for e in g.compile().astream({"messages": [HumanMessage("x")]}, stream_mode="custom")
    ]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "step_start" and kinds[-1] == "step_end"
    assert kinds.count("branch") == 3
    assert events[-1]["report"]["winner"] is not None
    assert events[-1]["step"] == "agent"


async def test_invoke_time_step_override_and_run_budget() -> None:
    model = ScaledChatModel(
        ScriptedChatModel(script=["ok"]),
        policy=ScalingPolicy(router=4, budget=Budget(max_branches=4)),
    )

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    async def critic(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    g = StateGraph(MessagesState, context_schema=ScalingContext)
    g.add_node("agent", agent)
    g.add_node("critic", critic)
    g.add_edge(START, "agent")
    g.add_edge("agent", "critic")
    graph = g.compile()

    with collect_reports() as reports:
        await graph.ainvoke(
            {"messages": [HumanMessage("x")]},
            context=ScalingContext(steps={"agent": {"max_branches": 2}}),
        )
    assert [(r.step, r.launched) for r in reports] == [("agent", 2), ("critic", 4)]

    with collect_reports() as reports:
        await graph.ainvoke(
            {"messages": [HumanMessage("x")]},
            context=ScalingContext(run_budget=Budget(max_branches=5)),
        )
    assert [(r.step, r.launched) for r in reports] == [("agent", 4), ("critic", 1)]
    assert any("run budget" in n for n in reports[1].notes)


async def test_create_agent_with_scaling_middleware() -> None:
    from langchain.agents import create_agent

    from langgraph_scaling import ScalingMiddleware

    TOOL_RUNS.clear()
    agent = create_agent(
        disagreeing_model(),
        tools=[multiply],
        middleware=[
            ScalingMiddleware(
                ScalingPolicy(router=4, verifiers=[ToolCallVerifier()], max_concurrency=1)
            )
        ],
        checkpointer=InMemorySaver(),
    )
    with collect_reports() as reports:
        out = await agent.ainvoke(
            {"messages": [HumanMessage("6*7?")]}, {"configurable": {"thread_id": "a"}}
        )
    assert list(TOOL_RUNS) == [42]
    assert out["messages"][-1].content == "The answer is 42."
    assert len(reports) == 2 and all(r.launched == 4 for r in reports)
    assert isinstance(out["messages"][1], AIMessage)
    assert out["messages"][1].response_metadata["scaling"]["step"] == "model"


def test_create_agent_middleware_sync_invoke() -> None:
    from langchain.agents import create_agent

    from langgraph_scaling import ScalingMiddleware

    TOOL_RUNS.clear()
    agent = create_agent(
        disagreeing_model(),
        tools=[multiply],
        middleware=[
            ScalingMiddleware(
                ScalingPolicy(router=4, verifiers=[ToolCallVerifier()], max_concurrency=1)
            )
        ],
    )
    out = agent.invoke({"messages": [HumanMessage("6*7?")]})
    assert list(TOOL_RUNS) == [42]
    assert out["messages"][-1].content == "The answer is 42."


async def _streamed_ai_messages(graph: Any, config: Any) -> list[AIMessage]:
    out = []
    async for msg, _ in graph.astream(
        {"messages": [HumanMessage("6*7?")]}, config, stream_mode="messages"
    ):
        if isinstance(msg, AIMessage):
            out.append(msg)
    return out


@pytest.mark.parametrize("entry", ["chat_model", "middleware"])
async def test_messages_stream_shows_the_committed_message_not_every_branch(entry: str) -> None:
    from langchain.agents import create_agent

    from langgraph_scaling import ScalingMiddleware

    policy = ScalingPolicy(router=4, verifiers=[ToolCallVerifier()], max_concurrency=1)
    if entry == "chat_model":
        graph = react_graph(ScaledChatModel(disagreeing_model(), policy=policy))
    else:
        graph = create_agent(
            disagreeing_model(), tools=[multiply], middleware=[ScalingMiddleware(policy)]
        )
    streamed = await _streamed_ai_messages(graph, {"configurable": {"thread_id": entry}})
    # Two turns (the tool call, then the answer): one message each, the committed one.
    assert [m.content or m.tool_calls[0]["name"] for m in streamed] == [
        "multiply",
        "The answer is 42.",
    ]
