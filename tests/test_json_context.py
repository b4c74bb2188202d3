"""The runtime context is plain JSON (as a LangGraph server sends it), and run budgets
belong to a run, not to the context object."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph

from langgraph_scaling import ScaledChatModel, ScalingContext, ScalingPolicy, collect_reports
from langgraph_scaling.errors import ScalingWarning
from tests.fakes import ScriptedChatModel


def _graph() -> Any:
    model = ScaledChatModel(
        ScriptedChatModel(script=["ok"]), policy=ScalingPolicy(router=4, max_concurrency=1)
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
    return g.compile(checkpointer=InMemorySaver())


def test_the_context_has_a_json_schema() -> None:
    schema = _graph().get_context_jsonschema()
    assert set(schema["properties"]) == {"steps", "run_budget", "difficulty"}
    budget = schema["$defs"]["Budget"]["properties"]["max_branches"]
    assert "Most branches" in budget["description"]


async def test_a_json_context_sets_step_and_run_budgets() -> None:
    graph = _graph()
    context = {"steps": {"agent": {"max_branches": 2}}, "run_budget": {"max_branches": 5}}
    with collect_reports() as reports:
        await graph.ainvoke(
            {"messages": [HumanMessage("hi")]},
            {"configurable": {"thread_id": "json"}},
            context=context,
        )
    assert [(r.step, r.launched) for r in reports] == [("agent", 2), ("critic", 3)]


async def test_a_reused_context_object_starts_each_run_fresh() -> None:
    """Once, the second invoke with the same context started with its budget used up."""
    graph = _graph()
    context = ScalingContext(run_budget={"max_branches": 5})
    for thread in ("one", "two"):
        with collect_reports() as reports:
            await graph.ainvoke(
                {"messages": [HumanMessage("hi")]},
                {"configurable": {"thread_id": thread}},
                context=context,
            )
        assert [r.launched for r in reports] == [4, 1], thread


async def test_a_new_input_on_the_same_thread_is_a_new_run() -> None:
    graph = _graph()
    config = {"configurable": {"thread_id": "chat"}}
    for _ in range(2):
        with collect_reports() as reports:
            await graph.ainvoke(
                {"messages": [HumanMessage("again")]},
                config,
                context={"run_budget": {"max_branches": 6}},
            )
        assert [r.launched for r in reports] == [4, 2]


async def test_a_misspelt_step_override_warns_at_the_first_step() -> None:
    """Once, ``steps={"agnet": ...}`` silently did nothing unless the user called check()."""
    graph = _graph()
    with pytest.warns(ScalingWarning, match=r"override for 'agnet'.*named 'agent'"):
        await graph.ainvoke(
            {"messages": [HumanMessage("hi")]},
            {"configurable": {"thread_id": "typo"}},
            context={"steps": {"agnet": {"max_branches": 1}}},
        )


async def test_an_agent_override_on_the_middleware_step_warns() -> None:
    """create_agent's model node is the step ``model``; an override on ``agent`` says so."""
    from langchain.agents import create_agent

    from langgraph_scaling import ScalingMiddleware

    agent = create_agent(
        ScriptedChatModel(script=["ok"]),
        tools=[],
        middleware=[ScalingMiddleware(ScalingPolicy(router=2, max_concurrency=1))],
        context_schema=ScalingContext,
    )
    with pytest.warns(ScalingWarning, match=r"override for 'agent'.*named 'model'"):
        await agent.ainvoke(
            {"messages": [HumanMessage("hi")]}, context={"steps": {"agent": {"max_branches": 1}}}
        )
