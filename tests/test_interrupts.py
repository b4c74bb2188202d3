"""``interrupt()`` inside a scaled node asks the human once per step, and every branch
receives the answer; approval after a scaled step in its own node keeps the approved answer.

Once, with k=3 branches the graph interrupted three times in a row, each answer reached one
branch only, and every branch re-ran on each resume.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt
from typing_extensions import TypedDict

from langgraph_scaling import ScalingPolicy, scaled_node


class _State(TypedDict):
    answer: str
    approved: str
    calls: Annotated[list[str], operator.add]


async def test_one_interrupt_per_step_and_every_branch_gets_the_answer() -> None:
    heard: list[Any] = []

    def ask(state: _State) -> dict[str, Any]:
        first = interrupt("which colour?")
        second = interrupt("which size?")
        heard.append((first, second))
        return {"answer": f"{first} {second}"}

    g = StateGraph(_State)
    g.add_node("ask", scaled_node(ask, policy=ScalingPolicy(router=3)))
    g.add_edge(START, "ask")
    graph = g.compile(checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "colours"}}
    out = await graph.ainvoke({"answer": "", "approved": "", "calls": []}, config)
    asked = [out["__interrupt__"]]
    for reply in ("red", "large"):
        out = await graph.ainvoke(Command(resume=reply), config)
        if "__interrupt__" in out:
            asked.append(out["__interrupt__"])
    assert [[i.value for i in round_] for round_ in asked] == [["which colour?"], ["which size?"]]
    assert heard == [("red", "large")] * 3  # all three branches heard both answers
    assert out["answer"] == "red large"


async def test_approval_in_the_next_node_keeps_the_scaled_answer() -> None:
    """The supported pattern: the step commits, then a plain node asks; resuming re-runs only
    the asking node, so the human approves the answer that is committed."""
    samples = iter(["blue", "green", "blue", "teal", "teal", "teal"])

    def propose(state: _State) -> dict[str, Any]:
        return {"answer": next(samples), "calls": ["propose"]}

    def approve(state: _State) -> dict[str, Any]:
        return {"approved": interrupt({"approve": state["answer"]})}

    g = StateGraph(_State)
    g.add_node("propose", scaled_node(propose, policy=ScalingPolicy(router=3, max_concurrency=1)))
    g.add_node("approve", approve)
    g.add_edge(START, "propose")
    g.add_edge("propose", "approve")
    g.add_edge("approve", END)
    graph = g.compile(checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "approval"}}
    out = await graph.ainvoke({"answer": "", "approved": "", "calls": []}, config)
    assert out["__interrupt__"][0].value == {"approve": "blue"}
    out = await graph.ainvoke(Command(resume="yes"), config)
    assert (out["answer"], out["approved"]) == ("blue", "yes")
    assert out["calls"] == ["propose"]  # the scaled step did not run again
