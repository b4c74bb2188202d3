"""Votes commit what the majority chose, and the report says what the vote was."""

from __future__ import annotations

import operator
import uuid
from typing import Annotated, Any, Literal

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command
from typing_extensions import TypedDict

from langgraph_scaling import ScaledChatModel, ScalingPolicy, scaled_node
from tests.fakes import ScriptedChatModel


class _State(TypedDict):
    route: str
    messages: Annotated[list[Any], operator.add]
    reports: Annotated[list[dict[str, Any]], operator.add]


async def test_a_command_is_voted_by_where_it_goes_not_by_message_ids() -> None:
    """Two of three branches choose ``b``: the graph goes to ``b`` and the report says 2 of 3."""
    choices = iter(["b", "a", "b"])

    def decide(state: _State) -> Command[Literal["a", "b"]]:
        target = next(choices)
        # A message per branch, with a random id as a model's messages have.
        note = AIMessage(f"going to {target}", id=str(uuid.uuid4()))
        return Command(goto=target, update={"route": target, "messages": [note]})

    def a(state: _State) -> dict[str, Any]:
        return {"route": state["route"] + ">a"}

    def b(state: _State) -> dict[str, Any]:
        return {"route": state["route"] + ">b"}

    g = StateGraph(_State)
    g.add_node(
        "decide",
        scaled_node(
            decide, policy=ScalingPolicy(router=3, max_concurrency=1), report_key="reports"
        ),
        destinations=("a", "b"),
    )
    g.add_node("a", a)
    g.add_node("b", b)
    g.add_edge(START, "decide")
    g.add_edge("a", END)
    g.add_edge("b", END)
    graph = g.compile(checkpointer=InMemorySaver())
    out = await graph.ainvoke(
        {"route": "", "messages": [], "reports": []}, {"configurable": {"thread_id": "v"}}
    )
    assert out["route"] == "b>b"
    assert sorted(out["reports"][0]["votes"].values()) == [1, 2]


async def test_long_vote_keys_stay_distinct_in_the_report() -> None:
    """Keys that share their first 80 characters once overwrote each other in ``votes``."""
    prefix = "The answer, after a long derivation that repeats itself at length, is " * 2
    model = ScaledChatModel(
        ScriptedChatModel(script=[prefix + "42.", prefix + "42.", prefix + "41."]),
        policy=ScalingPolicy(router=3, max_concurrency=1),
    )
    message = await model.ainvoke([HumanMessage("?")])
    assert message.content == prefix + "42."
    votes = message.response_metadata["scaling"]["votes"]
    assert sorted(votes.values()) == [1, 2], votes
