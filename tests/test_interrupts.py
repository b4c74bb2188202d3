"""``interrupt()`` inside a scaled node asks the human once per step, and every branch
receives the answer; approval after a scaled step in its own node keeps the approved answer;
``interrupt()`` inside a verifier asks about every candidate in one pause.

Once, with k=3 branches the graph interrupted three times in a row, each answer reached one
branch only, and every branch re-ran on each resume; verifiers asked once per candidate, one
after another.
"""

from __future__ import annotations

import operator
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import Command, interrupt
from typing_extensions import TypedDict

from langgraph_scaling import ScaledChatModel, ScalingPolicy, scaled_node
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.testing import ScriptedChatModel
from langgraph_scaling.verifiers import VerifyContext


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


class _AskHuman:
    """A verifier that asks a human about each candidate (twice with ``questions=2``)."""

    name = "ask_human"

    def __init__(self, questions: int = 1) -> None:
        self.questions = questions
        self.heard: list[tuple[str, Any]] = []

    async def verify(self, cand: Candidate, context: VerifyContext) -> Verdict:
        answers = [interrupt({"check": cand.text, "q": q}) for q in range(self.questions)]
        self.heard.append((cand.text, answers))
        ok = all(a == "yes" for a in answers)
        return Verdict(verifier=self.name, passed=ok, score=float(ok))


def _agent_graph(model: Any, checkpointer: Any) -> Any:
    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    g = StateGraph(MessagesState)
    g.add_node("agent", agent)
    g.add_edge(START, "agent")
    return g.compile(checkpointer=checkpointer)


def _node_graph(fake: ScriptedChatModel, policy: ScalingPolicy, checkpointer: Any) -> Any:
    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await fake.ainvoke(state["messages"])]}

    g = StateGraph(MessagesState)
    g.add_node("agent", scaled_node(agent, policy=policy))
    g.add_edge(START, "agent")
    return g.compile(checkpointer=checkpointer)


@asynccontextmanager
async def _saver(kind: str, tmp_path: Path) -> AsyncIterator[Any]:
    if kind == "memory":
        yield InMemorySaver()
        return
    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "checkpoints.db")) as saver:
        yield saver


@pytest.mark.parametrize("saver", ["memory", "sqlite"])
@pytest.mark.parametrize("entry", ["ScaledChatModel", "scaled_node"])
async def test_verifier_interrupts_of_all_candidates_pause_once(
    saver: str, entry: str, tmp_path: Path
) -> None:
    """k=3: one pause with one interrupt per candidate; one resume map answers each verifier
    with its own value; the branches' model calls are not made again."""
    fake = ScriptedChatModel(script=["alpha", "beta", "gamma"])
    asker = _AskHuman()
    policy = ScalingPolicy(router=3, selection="best", verifiers=[asker])
    async with _saver(saver, tmp_path) as checkpointer:
        if entry == "ScaledChatModel":
            graph = _agent_graph(ScaledChatModel(fake, policy=policy), checkpointer)
        else:
            graph = _node_graph(fake, policy, checkpointer)
        config: Any = {"configurable": {"thread_id": f"{entry}-{saver}"}}
        out = await graph.ainvoke({"messages": [HumanMessage("pick one")]}, config)

        asked = out["__interrupt__"]
        assert sorted(i.value["check"] for i in asked) == ["alpha", "beta", "gamma"]
        assert len({i.id for i in asked}) == 3
        assert len(fake.calls) == 3 and asker.heard == []
        state = await graph.aget_state(config)
        assert sorted(i.id for i in state.interrupts) == sorted(i.id for i in asked)

        reply = {i.id: ("yes" if i.value["check"] == "beta" else "no") for i in asked}
        out = await graph.ainvoke(Command(resume=reply), config)

    assert "__interrupt__" not in out
    assert out["messages"][-1].text == "beta"
    assert sorted(asker.heard) == [("alpha", ["no"]), ("beta", ["yes"]), ("gamma", ["no"])]
    assert len(fake.calls) == 3  # resuming replayed the candidates
    if entry == "ScaledChatModel":
        report = out["messages"][-1].response_metadata["scaling"]
        assert (report["launched"], report["finished"], report["winner_passed"]) == (3, 3, True)


async def test_two_questions_per_candidate_pause_twice() -> None:
    fake = ScriptedChatModel(script=["alpha", "beta", "gamma"])
    asker = _AskHuman(questions=2)
    policy = ScalingPolicy(router=3, selection="best", verifiers=[asker])
    graph = _agent_graph(ScaledChatModel(fake, policy=policy), InMemorySaver())
    config: Any = {"configurable": {"thread_id": "two-questions"}}
    out = await graph.ainvoke({"messages": [HumanMessage("pick one")]}, config)
    rounds = []
    while "__interrupt__" in out:
        asked = out["__interrupt__"]
        rounds.append(sorted((i.value["check"], i.value["q"]) for i in asked))
        reply = {i.id: "yes" if i.value["check"] == "gamma" else "no" for i in asked}
        out = await graph.ainvoke(Command(resume=reply), config)
    assert rounds == [
        [("alpha", 0), ("beta", 0), ("gamma", 0)],
        [("alpha", 1), ("beta", 1), ("gamma", 1)],
    ]
    assert out["messages"][-1].text == "gamma"
    assert ("gamma", ["yes", "yes"]) in asker.heard
    assert len(fake.calls) == 3


async def test_a_lone_verifier_question_takes_a_plain_resume() -> None:
    fake = ScriptedChatModel(script=["alpha"])
    asker = _AskHuman()
    model = ScaledChatModel(fake, policy=ScalingPolicy(router=1, verifiers=[asker]))

    async def agent(state: MessagesState) -> dict[str, Any]:
        answer = await model.ainvoke(state["messages"])
        approved = interrupt("ship it?")  # the node's own interrupt after the step
        return {"messages": [answer, AIMessage(f"approved: {approved}")]}

    g = StateGraph(MessagesState)
    g.add_node("agent", agent)
    g.add_edge(START, "agent")
    graph = g.compile(checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "lone"}}
    out = await graph.ainvoke({"messages": [HumanMessage("go")]}, config)
    assert [i.value for i in out["__interrupt__"]] == [{"check": "alpha", "q": 0}]
    out = await graph.ainvoke(Command(resume="yes"), config)
    assert [i.value for i in out["__interrupt__"]] == ["ship it?"]
    out = await graph.ainvoke(Command(resume="ok"), config)
    assert [m.text for m in out["messages"][-2:]] == ["alpha", "approved: ok"]
    assert asker.heard == [("alpha", ["yes"]), ("alpha", ["yes"])]  # verified again, no asking
    assert len(fake.calls) == 1
