"""The prebuilt graphs served by a real LangGraph server (``langgraph dev``, in-memory).

The server runs from its own venv (``.venv-server``, made by ``.ci/install.sh``: its pins
clash with vLLM's) and loads the graphs through ``langgraph.json``; the model is a loopback
fake OpenAI server, reached through the JSON context's ``base_url``. A request's context
sets the branches a step gets, and the context schema the server publishes describes it.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests._fake_openai import FakeOpenAI, text_answer

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


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    port = _free_port()
    log = (tmp_path / "langgraph-dev.log").open("w")
    cmd = [str(SERVER), "dev", "--no-browser", "--no-reload", "--port", str(port)]
    proc = await anyio.open_process(
        [*cmd, "--config", "langgraph.json"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            with anyio.fail_after(120):
                while True:
                    assert proc.returncode is None, (tmp_path / "langgraph-dev.log").read_text()
                    try:
                        if (await client.get("/ok")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await anyio.sleep(0.3)
            yield client
    finally:
        with anyio.CancelScope(shield=True):
            proc.terminate()
            with anyio.move_on_after(30):
                await proc.wait()
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        log.close()


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
