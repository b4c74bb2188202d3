"""Cancelling a graph run stops every branch, kills running sandboxes and aborts engine
requests, promptly (the measured latency is printed with ``-s`` and recorded in
docs/reliability.md)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from langchain_core.messages import HumanMessage
from langgraph.graph import START, MessagesState, StateGraph

from langgraph_scaling import ScaledChatModel, ScalingPolicy
from langgraph_scaling.backends.openai_server import OpenAIServerBackend
from langgraph_scaling.sandbox import Sandbox
from langgraph_scaling.verifiers import CodeExecutionVerifier
from tests._fake_openai import FakeOpenAI, wait_until
from tests.fakes import ScriptedChatModel

SPIN = "```python\nwhile True:\n    pass\n```"


def sandbox_pids() -> list[int]:
    """Host pids of processes running under a sandbox run uid (as test_sandbox_hostile)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid >= 3_000_000_000:
                    found.append(int(entry.name))
            except FileNotFoundError:
                continue
    return found


def graph_of(model: ScaledChatModel) -> Any:
    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    g = StateGraph(MessagesState)
    g.add_node("agent", agent)
    g.add_edge(START, "agent")
    return g.compile()


async def cancel_when(graph: Any, ready: Callable[[], bool]) -> float:
    """Run ``graph`` until ``ready()``, cancel it, return seconds from cancel to return."""
    cancelled_at = 0.0
    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:

            async def canceller() -> None:
                nonlocal cancelled_at
                await wait_until(ready, within=25)
                cancelled_at = time.monotonic()
                tg.cancel_scope.cancel()

            tg.start_soon(canceller)
            await graph.ainvoke({"messages": [HumanMessage("go")]})
            pytest.fail("the graph finished before it was cancelled")
    return time.monotonic() - cancelled_at


@pytest.mark.slow
async def test_cancel_kills_sandboxes_of_running_verifiers() -> None:
    assert sandbox_pids() == []
    sandbox = Sandbox(max_concurrency=4)  # the shared one runs os.cpu_count() at once
    verifier = CodeExecutionVerifier(timeout=60, sandbox=sandbox)
    policy = ScalingPolicy(router=4, verifiers=[verifier])
    model = ScaledChatModel(ScriptedChatModel(script=[SPIN]), policy=policy)
    latency = await cancel_when(graph_of(model), lambda: len(sandbox_pids()) >= 4)
    print(f"\ncancel -> return with 4 spinning sandboxes: {latency * 1000:.0f} ms")
    assert sandbox_pids() == [], "a sandbox process survived the cancellation"
    assert latency < 2.0


async def test_cancel_aborts_engine_requests() -> None:
    server = await FakeOpenAI(delay=60).start()
    try:
        async with OpenAIServerBackend(server.url, "fake", use_n=False) as backend:
            model = ScaledChatModel(backend, policy=ScalingPolicy(router=4))
            latency = await cancel_when(graph_of(model), lambda: server.in_flight == 4)
            start = time.monotonic()
            await wait_until(lambda: server.disconnects == 4)
            seen = time.monotonic() - start + latency
    finally:
        await server.stop()
    print(
        f"\ncancel -> return: {latency * 1000:.0f} ms; server saw 4 aborts by {seen * 1000:.0f} ms"
    )
    assert server.in_flight == 0 and len(server.requests) == 4
    assert latency < 1.0
