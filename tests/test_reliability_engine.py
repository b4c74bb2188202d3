"""Engine faults through OpenAIServerBackend against a loopback fake server.

The server goes away mid-step, refuses connections, answers too slowly or with 5xx; the
step fails with one clear error chained to the backend error, the SQLite checkpoint keeps
the state from before the step, and resuming once the server is back completes the run.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from langgraph_scaling import Budget, ScaledChatModel, ScalingPolicy, StepFailedError
from langgraph_scaling.backends.openai_server import OpenAIServerBackend
from langgraph_scaling.errors import BackendError, BackendUnavailableError
from tests._fake_openai import FakeOpenAI, text_answer, tool_answer, wait_until
from tests._react import TOOL_RUNS, react_graph
from tests._vllm_server import free_port


def agent_answer(body: dict[str, Any], index: int) -> dict[str, Any]:
    """Call the tool first; answer in text once a tool result is in the prompt."""
    if any(m.get("role") == "tool" for m in body["messages"]):
        return text_answer("The answer is 42.")(body, index)
    return tool_answer("multiply", '{"a": 6, "b": 7}')(body, index)


def backend(url: str, **kwargs: Any) -> OpenAIServerBackend:
    options: dict[str, Any] = {"max_retries": 2, "backoff": 0.01, "timeout": 10.0}
    return OpenAIServerBackend(url, "fake", **{**options, **kwargs})


def scaled(b: OpenAIServerBackend, **budget: Any) -> ScaledChatModel:
    return ScaledChatModel(b, policy=ScalingPolicy(router=4, budget=Budget(**budget)))


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAI]:
    fake = await FakeOpenAI(answer=agent_answer).start()
    yield fake
    await fake.stop()


@pytest.fixture
async def saver(tmp_path: Path) -> AsyncIterator[AsyncSqliteSaver]:
    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "ckpt.db")) as s:
        yield s


CONFIG: Any = {"configurable": {"thread_id": "t1"}}
QUESTION = {"messages": [HumanMessage("What is 6 times 7?")]}


async def test_server_dying_mid_step_keeps_checkpoint_and_resume_completes(
    server: FakeOpenAI, saver: AsyncSqliteSaver
) -> None:
    TOOL_RUNS.clear()
    server.die_when = lambda body: any(m.get("role") == "tool" for m in body["messages"])
    async with backend(server.url) as b:
        graph = react_graph(scaled(b), checkpointer=saver)
        with pytest.raises(StepFailedError, match="all 4 branches failed") as info:
            await graph.ainvoke(QUESTION, CONFIG)
        assert isinstance(info.value.__cause__, BackendUnavailableError)
        assert "cannot be reached" in str(info.value)

        state = await graph.aget_state(CONFIG)
        assert state.next == ("agent",)
        assert isinstance(state.values["messages"][-1], ToolMessage)
        assert state.values["messages"][-1].content == "42"
        assert list(TOOL_RUNS) == [42]

        server.die_when = None
        await server.start()  # back on the same port
        result = await graph.ainvoke(None, CONFIG)
    assert result["messages"][-1].content == "The answer is 42."
    assert list(TOOL_RUNS) == [42], "the committed tool call was not run again"


async def test_connection_refused_keeps_input_checkpoint_and_resume_completes(
    saver: AsyncSqliteSaver,
) -> None:
    TOOL_RUNS.clear()
    down = FakeOpenAI(answer=agent_answer, port=free_port())
    async with backend(down.url) as b:
        graph = react_graph(scaled(b), checkpointer=saver)
        start = time.monotonic()
        with pytest.raises(StepFailedError) as info:
            await graph.ainvoke(QUESTION, CONFIG)
        assert time.monotonic() - start < 5
        assert isinstance(info.value.__cause__, BackendUnavailableError)
        assert "after 3 attempts; is it running?" in str(info.value.__cause__)
        state = await graph.aget_state(CONFIG)
        assert state.next == ("agent",)
        assert [m.content for m in state.values["messages"]] == ["What is 6 times 7?"]

        await down.start()
        try:
            result = await graph.ainvoke(None, CONFIG)
        finally:
            await down.stop()
    assert result["messages"][-1].content == "The answer is 42."
    assert list(TOOL_RUNS) == [42]


async def test_slow_server_is_cut_by_the_step_deadline(server: FakeOpenAI) -> None:
    async with backend(server.url, use_n=False) as b:
        await scaled(b).ainvoke("warm-up")  # importing openai alone can take 0.5 s
        server.delay = 30
        model = scaled(b, max_seconds=0.5)
        start = time.monotonic()
        with pytest.raises(StepFailedError, match="timeout: stopped by the step deadline"):
            await model.ainvoke("What is 6 times 7?")
        elapsed = time.monotonic() - start
    assert elapsed < 3, f"the 0.5 s deadline took {elapsed:.1f} s to cut the step"
    await wait_until(lambda: server.disconnects == 4)  # every in-flight request was aborted
    assert server.in_flight == 0


async def test_5xx_is_retried_with_backoff_then_succeeds(server: FakeOpenAI) -> None:
    server.answer = text_answer("4")
    server.statuses = [503, 502]
    async with backend(server.url, backoff=0.2) as b:
        start = time.monotonic()
        result = await scaled(b).ainvoke("What is 2+2?")
        elapsed = time.monotonic() - start
    assert result.content == "4"
    assert len(server.requests) == 3
    assert elapsed >= 0.3 * 0.5, "the two retries waited (backoff 0.2 s, then 0.4 s, jittered)"


async def test_persistent_5xx_gives_up_after_bounded_retries(server: FakeOpenAI) -> None:
    server.always_status = 503
    async with backend(server.url, max_retries=2, backoff=0.05) as b:
        with pytest.raises(StepFailedError, match="all 4 branches failed") as info:
            await scaled(b).ainvoke("What is 2+2?")
    cause = info.value.__cause__
    assert isinstance(cause, BackendError) and not isinstance(cause, BackendUnavailableError)
    assert "answered HTTP 503" in str(cause)
    assert "HTTP 503" in str(info.value)
    assert len(server.requests) == 3, "one try and max_retries=2 retries, no more"


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(600)  # the server's own start may take its 300 s on a loaded machine
async def test_killing_a_real_vllm_server_mid_step_fails_the_step_clearly(
    tmp_path: Path,
) -> None:
    from tests._vllm_fixtures import ENFORCE_EAGER, KV_CACHE_GIB, MAX_MODEL_LEN, model_path_or_skip
    from tests._vllm_server import VLLMServer

    path = model_path_or_skip()
    server = VLLMServer(
        path,
        served_model_name="qwen",
        max_model_len=MAX_MODEL_LEN,
        kv_cache_gib=KV_CACHE_GIB,
        log_path=tmp_path / "server.log",
        extra_args=["--enforce-eager"] if ENFORCE_EAGER else [],
    )
    await anyio.to_thread.run_sync(server.start)
    try:
        async with OpenAIServerBackend(server.base_url, "qwen", max_retries=1, backoff=0.1) as b:
            policy = ScalingPolicy(router=4, max_new_tokens=1500)
            model = ScaledChatModel(b, policy=policy)

            async def kill() -> None:
                await anyio.sleep(1.0)  # mid-generation: 1500 tokens take longer
                await anyio.to_thread.run_sync(lambda: server.stop(grace=0))

            start = time.monotonic()
            async with anyio.create_task_group() as tg:
                tg.start_soon(kill)
                with pytest.raises(StepFailedError, match="all 4 branches failed") as info:
                    await model.ainvoke("Count from 1 to 5000, one number per line.")
            assert isinstance(info.value.__cause__, BackendUnavailableError)
            assert time.monotonic() - start < 30
    finally:
        server.stop(grace=0)
