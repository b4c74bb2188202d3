"""Many concurrent graph runs with scaled steps against the fake server, with leak counters.

Shared by tests/test_reliability_load.py (CI size) and benchmarks/load.py (large runs).
"""

from __future__ import annotations

import gc
import os
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import anyio
from langchain_core.messages import HumanMessage

from langgraph_scaling import ScaledChatModel, ScalingPolicy
from langgraph_scaling.backends.openai_server import OpenAIServerBackend
from tests._fake_openai import FakeOpenAI, text_answer, tool_answer
from tests._react import react_graph


def _answer(body: dict[str, Any], index: int) -> dict[str, Any]:
    if any(m.get("role") == "tool" for m in body["messages"]):
        return text_answer("The answer is 42.")(body, index)
    return tool_answer("multiply", '{"a": 6, "b": 7}')(body, index)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def child_pids() -> list[int]:
    children: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        children += [int(p) for p in (task / "children").read_text().split()]
    return children


def temp_entries() -> int:
    return len(os.listdir(tempfile.gettempdir()))


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _batch(graph: Any, n: int, concurrency: int) -> list[str]:
    answers = [""] * n
    limiter = anyio.CapacityLimiter(concurrency)

    async def one(i: int) -> None:
        async with limiter:
            result = await graph.ainvoke({"messages": [HumanMessage(f"What is 6 times 7? #{i}")]})
        answers[i] = result["messages"][-1].content

    async with anyio.create_task_group() as tg:
        for i in range(n):
            tg.start_soon(one, i)
    return answers


async def run_load(n: int, *, k: int = 4, concurrency: int | None = None) -> dict[str, Any]:
    """``n`` graph runs (two scaled steps of ``k`` branches each), ``concurrency`` at once."""
    concurrency = concurrency or n
    server = await FakeOpenAI(answer=_answer, keep_requests=False).start()
    private_tmp, saved_tmp = tempfile.mkdtemp(prefix="lgs-load-"), tempfile.tempdir
    tempfile.tempdir = private_tmp  # count only what this process leaves in its temp dir
    try:
        async with OpenAIServerBackend(server.url, "fake", max_retries=5, backoff=0.05) as b:
            graph = react_graph(ScaledChatModel(b, policy=ScalingPolicy(router=k)))
            await _batch(graph, 10, 10)  # warm-up: imports, caches, first connections
            gc.collect()
            before = {"fds": open_fds(), "children": len(child_pids()), "temp": temp_entries()}
            rss_before = rss_kib()
            tracemalloc.start()
            start = time.monotonic()
            answers = await _batch(graph, n, concurrency)
            wall = time.monotonic() - start
            gc.collect()
            retained, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss_after = rss_kib()
        after = {"fds": open_fds(), "children": len(child_pids()), "temp": temp_entries()}
    finally:
        tempfile.tempdir = saved_tmp
        await server.stop()
    os.rmdir(private_tmp)  # fails if anything was left in it
    return {
        "invocations": n,
        "branches_per_step": k,
        "concurrency": concurrency,
        "correct": answers.count("The answer is 42."),
        "requests": server.n_requests - 20,
        "wall_s": round(wall, 3),
        "invocations_per_s": round(n / wall, 1),
        "retained_bytes": retained,
        "peak_traced_bytes": peak,
        "rss_delta_kib": rss_after - rss_before,
        "before": before,
        "after": after,
    }
