"""Traces and user-facing streams of a scaled step, in real LangGraph graphs.

A scaled step is one run in the trace tree (the ``ScaledChatModel``'s own chat-model run,
or a chain run named after the step for ``ScalingMiddleware``), its branches' model runs
are its children, the report is in its outputs, and the token streams a chat UI reads
(``astream_events``, ``stream_mode="messages"``) carry only the committed answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import anyio
import anyio.lowlevel
import anyio.to_thread
import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, BaseCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGenerationChunk, LLMResult

from langgraph_scaling import (
    ScaledChatModel,
    ScalingMiddleware,
    ScalingPolicy,
    ToolCallVerifier,
)
from tests._react import TOOL_RUNS, multiply, react_graph
from tests.fakes import ScriptedChatModel, tool_call

K = 4
BRANCH_ANSWERS = ["BR0 hello", "BR1 hello", "BR2 bye"]


@dataclass
class Run:
    """One run as a callback handler sees it."""

    run_id: UUID
    parent: UUID | None
    name: str
    kind: str
    tags: list[str]
    metadata: dict[str, Any]
    outputs: Any = None


class RunRecorder(BaseCallbackHandler):
    """Records every chat-model and chain run: ids, parent ids, names, tags, metadata."""

    def __init__(self) -> None:
        self.runs: dict[UUID, Run] = {}

    def _start(self, kind: str, serialized: Any, run_id: UUID, **kw: Any) -> None:
        name = kw.get("name") or (serialized or {}).get("name") or "?"
        self.runs[run_id] = Run(
            run_id,
            kw.get("parent_run_id"),
            name,
            kind,
            kw.get("tags") or [],
            kw.get("metadata") or {},
        )

    def on_chat_model_start(
        self, serialized: Any, messages: list[list[BaseMessage]], *, run_id: UUID, **kw: Any
    ) -> None:
        self._start("chat_model", serialized, run_id, **kw)

    def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: UUID, **kw: Any) -> None:
        self._start("chain", serialized, run_id, **kw)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kw: Any) -> None:
        self.runs[run_id].outputs = response

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kw: Any) -> None:
        self.runs[run_id].outputs = outputs

    def named(self, name: str) -> list[Run]:
        return [r for r in self.runs.values() if r.name == name]

    def children(self, run: Run) -> list[Run]:
        return [r for r in self.runs.values() if r.parent == run.run_id]


class StreamingScriptedModel(ScriptedChatModel):
    """A scripted model that streams its answer word by word when a handler wants tokens."""

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        words = self._next(messages, kwargs).text.split(" ")
        for i, word in enumerate(words):
            await anyio.lowlevel.checkpoint()  # the other branches stream in between
            yield ChatGenerationChunk(
                message=AIMessageChunk(content=word if i == 0 else f" {word}")
            )


def agreeing_model() -> ScriptedChatModel:
    """Turn 1: every branch calls multiply(6, 7); turn 2: every branch answers in text."""
    calls = [tool_call("multiply", {"a": 6, "b": 7}, f"c{i}") for i in range(K)]
    return ScriptedChatModel(script=[*calls, *["The answer is 42."] * K])


def policy() -> ScalingPolicy:
    return ScalingPolicy(router=K, verifiers=[ToolCallVerifier()], max_concurrency=1)


def assert_branches_under(rec: RunRecorder, step: Run) -> None:
    branches = rec.children(step)
    assert sorted(b.metadata["scaling_branch"] for b in branches) == list(range(K))
    assert all(b.kind == "chat_model" and b.name == "ScriptedChatModel" for b in branches)
    assert all("nostream" in b.tags for b in branches)


@pytest.mark.parametrize("call", ["ainvoke", "invoke"])
async def test_scaled_chat_model_step_is_one_run_with_its_branches_under_it(call: str) -> None:
    TOOL_RUNS.clear()
    graph = react_graph(ScaledChatModel(agreeing_model(), policy=policy()), sync=call == "invoke")
    rec, inputs = RunRecorder(), {"messages": [HumanMessage("6*7?")]}
    if call == "ainvoke":
        await graph.ainvoke(inputs, {"callbacks": [rec]})
    else:
        await anyio.to_thread.run_sync(lambda: graph.invoke(inputs, {"callbacks": [rec]}))

    steps = rec.named("ScaledChatModel")
    assert len(steps) == 2, "one run per scaled step (the tool call, then the answer)"
    for step in steps:
        assert step.kind == "chat_model" and rec.runs[step.parent or step.run_id].name == "agent"
        assert_branches_under(rec, step)
        report = step.outputs.llm_output["scaling"]
        assert report["launched"] == K and report["step"] == "agent"
        assert step.outputs.generations[0][0].message.response_metadata["scaling"] == report
    branch_parents = {r.parent for r in rec.named("ScriptedChatModel")}
    assert branch_parents == {s.run_id for s in steps}, "no branch run beside its step's run"


@pytest.mark.parametrize("call", ["ainvoke", "invoke"])
async def test_middleware_step_is_one_chain_run_named_after_it(call: str) -> None:
    TOOL_RUNS.clear()
    agent = create_agent(
        agreeing_model(), tools=[multiply], middleware=[ScalingMiddleware(policy(), step="answer")]
    )
    rec, inputs = RunRecorder(), {"messages": [HumanMessage("6*7?")]}
    if call == "ainvoke":
        out = await agent.ainvoke(inputs, {"callbacks": [rec]})
    else:
        out = await anyio.to_thread.run_sync(lambda: agent.invoke(inputs, {"callbacks": [rec]}))

    assert out["messages"][-1].content == "The answer is 42." and list(TOOL_RUNS) == [42]
    steps = rec.named("answer")
    assert len(steps) == 2, "one run per scaled model call"
    for step in steps:
        assert step.kind == "chain" and rec.runs[step.parent or step.run_id].name == "model"
        assert_branches_under(rec, step)
        report = step.outputs["scaling"]
        assert report["launched"] == K and report["step"] == "answer"
        assert step.outputs["messages"][-1].response_metadata["scaling"] == report
    branch_parents = {r.parent for r in rec.named("ScriptedChatModel")}
    assert branch_parents == {s.run_id for s in steps}, "no branch run beside its step's run"


async def _stream_events(graph: Any) -> list[dict[str, Any]]:
    inputs = {"messages": [HumanMessage("hi")]}
    return [e async for e in graph.astream_events(inputs, version="v2")]


async def _streamed_messages(graph: Any) -> list[str]:
    inputs = {"messages": [HumanMessage("hi")]}
    stream = graph.astream(inputs, stream_mode="messages")
    return [m.text async for m, _ in stream if isinstance(m, AIMessage)]


def _tokens(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    chunks = [e for e in events if e["event"] == "on_chat_model_stream"]
    return [(e["name"], e["data"]["chunk"].text) for e in chunks]


async def test_scaled_chat_model_streams_only_the_committed_answer() -> None:
    """The react graph binds tools, and the fake binds them as real chat models do (a
    ``RunnableBinding``, which merges the context's run config into each branch's call)."""
    model = ScaledChatModel(
        StreamingScriptedModel(script=BRANCH_ANSWERS), policy=ScalingPolicy(router=3)
    )
    graph = react_graph(model)

    events = await _stream_events(graph)
    ends = [e for e in events if e["event"] == "on_chat_model_end"]
    step_end = next(e for e in ends if e["name"] == "ScaledChatModel")
    committed = step_end["data"]["output"]
    assert committed.text in BRANCH_ANSWERS
    assert committed.response_metadata["scaling"]["launched"] == 3
    # One chunk, of the step's run: the committed answer; no branch's tokens.
    assert _tokens(events) == [("ScaledChatModel", committed.text)]
    step_id = step_end["run_id"]
    assert all(step_id in e["parent_ids"] for e in ends if e["name"] != "ScaledChatModel")
    # stream_mode="messages" shows it once too.
    assert await _streamed_messages(graph) == [committed.text]


@pytest.mark.parametrize("tools", [[], [multiply]], ids=["no-tools", "bound-tools"])
async def test_middleware_streams_no_branch_tokens_and_its_run_ends_with_the_answer(
    tools: list[Any],
) -> None:
    agent = create_agent(
        StreamingScriptedModel(script=BRANCH_ANSWERS),
        tools=tools,
        middleware=[ScalingMiddleware(ScalingPolicy(router=3), step="answer")],
    )

    events = await _stream_events(agent)
    assert _tokens(events) == [], "branch tokens stay out of on_chat_model_stream"
    step_end = next(e for e in events if e["event"] == "on_chain_end" and e["name"] == "answer")
    committed = step_end["data"]["output"]["messages"][-1]
    assert committed.text in BRANCH_ANSWERS
    assert step_end["data"]["output"]["scaling"]["launched"] == 3
    assert await _streamed_messages(agent) == [committed.text]


async def test_scaled_node_branches_stream_no_tokens() -> None:
    """A scaled node whose branches call a streaming model: no branch's tokens reach the
    user's stream (the node's committed update is the answer)."""
    from langgraph.graph import START, MessagesState, StateGraph

    from langgraph_scaling import scaled_node

    inner = StreamingScriptedModel(script=BRANCH_ANSWERS)

    async def answer(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await inner.ainvoke(state["messages"])]}

    g = StateGraph(MessagesState)
    g.add_node("answer", scaled_node(answer, policy=ScalingPolicy(router=3)))
    g.add_edge(START, "answer")
    events = await _stream_events(g.compile())
    assert _tokens(events) == []


async def test_a_retried_failed_attempt_still_reports() -> None:
    """RetryPolicy reruns a node whose scaled step failed: both attempts are in the reports."""
    from langgraph.graph import START, MessagesState, StateGraph
    from langgraph.types import RetryPolicy

    from langgraph_scaling import StepFailedError, collect_reports

    model = ScaledChatModel(
        ScriptedChatModel(script=[RuntimeError("down")] * 3 + ["ok"] * 3),
        policy=ScalingPolicy(router=3, max_concurrency=1),
    )

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    g = StateGraph(MessagesState)
    retry = RetryPolicy(retry_on=StepFailedError, initial_interval=0.01, jitter=False)
    g.add_node("agent", agent, retry_policy=retry)
    g.add_edge(START, "agent")
    with collect_reports() as reports:
        await g.compile().ainvoke({"messages": [HumanMessage("hi")]})
    assert [(r.failed, r.winner) for r in reports] == [(3, None), (0, 0)]
