"""The prebuilt graphs served by a real LangGraph server (``langgraph dev``, in-memory).

The server runs from its own venv (``.venv-server``, made by ``.ci/install.sh``: its pins
clash with vLLM's) and loads the graphs through ``langgraph.json``; the model is a loopback
fake OpenAI server, reached through the JSON context's ``base_url``. A request's context
sets the branches a step gets, and the context schema the server publishes describes it.

A deployment runs many server workers over one durable store (Postgres in production; here
the in-memory runtime's files under the deployment's directory): a thread started on one
worker is resumed on another, a new process, with its run budget and reports intact.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests._fake_openai import FakeOpenAI, text_answer, tool_answer

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

REPO = Path(__file__).resolve().parents[1]
SERVER = REPO / ".venv-server" / "bin" / "langgraph"

if not SERVER.exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{SERVER} is missing: .ci/install.sh makes it")
    pytest.skip("no .venv-server (bash .ci/install.sh makes it)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serving(
    workdir: Path, config: Path, logs: Path | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A ``langgraph dev`` worker serving ``config`` with ``workdir`` as its cwd.

    The in-memory runtime keeps its checkpoints and threads under ``workdir/.langgraph_api``
    and writes them there when it stops, so a second worker started in the same directory
    finds every thread the first one left.
    """
    port = _free_port()
    log_path = (logs or workdir) / f"langgraph-dev-{port}.log"
    log = log_path.open("w")
    cmd = [str(SERVER), "dev", "--no-browser", "--no-reload", "--port", str(port)]
    proc = await anyio.open_process(
        [*cmd, "--config", str(config)], cwd=workdir, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            with anyio.fail_after(120):
                while True:
                    assert proc.returncode is None, log_path.read_text()
                    try:
                        if (await client.get("/ok")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await anyio.sleep(0.3)
            yield client
    finally:
        with anyio.CancelScope(shield=True):
            if proc.returncode is None:
                proc.terminate()
            with anyio.move_on_after(30):
                await proc.wait()
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        log.close()


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(REPO, REPO / "langgraph.json", logs=tmp_path) as client:
        yield client


async def _ask(client: httpx.AsyncClient, context: dict[str, Any]) -> dict[str, Any]:
    body = {
        "assistant_id": "react_agent",
        "input": {"messages": [{"role": "user", "content": "What is 6 times 7?"}]},
        "context": context,
    }
    response = await client.post("/runs/wait", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_a_served_graph_takes_budgets_per_request(server: httpx.AsyncClient) -> None:
    fake = await FakeOpenAI(answer=text_answer("The answer is 42.")).start()
    try:
        where = {"base_url": fake.url, "served_model": "fake"}
        plain = await _ask(server, where)
        capped = await _ask(server, {**where, "steps": {"agent": {"max_branches": 2}}})
    finally:
        await fake.stop()
    assert [body["n"] for body in fake.requests] == [4, 2]
    reports = [out["messages"][-1]["response_metadata"]["scaling"] for out in (plain, capped)]
    assert [r["launched"] for r in reports] == [4, 2]
    assert capped["messages"][-1]["content"] == "The answer is 42."


async def test_the_served_context_schema_lists_the_json_fields(server: httpx.AsyncClient) -> None:
    found = await server.post("/assistants/search", json={"graph_id": "coding_agent"})
    assistant = found.json()[0]["assistant_id"]
    schemas = (await server.get(f"/assistants/{assistant}/schemas")).json()
    fields = set(schemas["context_schema"]["properties"])
    assert {"steps", "run_budget", "router", "selection", "base_url", "verify"} <= fields
    assert not {"model", "policy"} & fields  # Python objects stay out of the schema


def _deployment(workdir: Path) -> Path:
    """A deployment's own ``langgraph.json``: the prebuilt graph, served from ``workdir``."""
    config = workdir / "langgraph.json"
    graphs = {"react_agent": f"{REPO / 'graphs' / 'react_agent.py'}:graph"}
    config.write_text(json.dumps({"dependencies": [str(REPO)], "graphs": graphs}))
    return config


async def test_a_run_moves_to_another_worker_with_its_budget_and_reports(tmp_path: Path) -> None:
    """Worker A runs the first scaled step and stops at an interrupt; worker B, a new server
    process over the same durable state, resumes the thread: the run budget counts what A
    spent and A's report is still on the thread."""
    fake = await FakeOpenAI(answer=tool_answer("calculator", '{"expression": "6*7"}')).start()
    context = {"base_url": fake.url, "served_model": "fake", "run_budget": {"max_branches": 6}}
    config = _deployment(tmp_path)
    try:
        async with serving(tmp_path, config) as worker_a:
            thread = (await worker_a.post("/threads", json={})).json()["thread_id"]
            body = {
                "assistant_id": "react_agent",
                "input": {"messages": [{"role": "user", "content": "What is 6 times 7?"}]},
                "context": context,
                "interrupt_before": ["tools"],
            }
            first = await worker_a.post(f"/threads/{thread}/runs/wait", json=body)
            assert first.status_code == 200, first.text
        fake.answer = text_answer("6 times 7 is 42.")
        async with serving(tmp_path, config) as worker_b:
            resume = {"assistant_id": "react_agent", "input": None, "context": context}
            second = await worker_b.post(f"/threads/{thread}/runs/wait", json=resume)
            assert second.status_code == 200, second.text
            state = (await worker_b.get(f"/threads/{thread}/state")).json()
    finally:
        await fake.stop()
    assert [request["n"] for request in fake.requests] == [4, 2]  # 6 branches for the run
    messages = state["values"]["messages"]
    assert [m["type"] for m in messages] == ["human", "ai", "tool", "ai"]
    assert messages[2]["content"] == "42"  # the calculator ran once, on worker B
    reports = [m["response_metadata"]["scaling"] for m in messages if m["type"] == "ai"]
    assert [r["launched"] for r in reports] == [4, 2]
    assert reports[1]["budget_left"]["run_branches_left"] == 0
    assert messages[-1]["content"] == "6 times 7 is 42."
