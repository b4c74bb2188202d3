"""Generation across replicas behind vLLM's own router (vllm-router, the ``router`` extra).

Fast tests put loopback fake replicas behind the real ``vllm-router`` process: the router
wiring (``consistent_hash`` on the backend's per-step ``X-Session-ID``) and what happens
when a replica dies mid-step. The model tests do the same with two real ``vllm serve``
replicas of the embedded model, one core each, measured by each replica's ``/metrics``.

What vllm-router 0.1.17 does (seen here, and in its logs): ``consistent_hash`` hashes the
``X-Session-ID`` header first (then ``X-User-ID``, ...); with no key at all every request
hashes the same and lands on one replica. A request whose replica refuses the connection
or dies mid-request is retried by the router (5 attempts by default) on whatever the
policy picks, which is the same dead replica until its circuit breaker opens (10 failures
by default, ``--cb-failure-threshold``); then the ring is rebuilt from the live replicas.
When the router gives up it answers HTTP 500 ``Request failed: error sending request for
url (...)``, which the backend retries, and notes on the samples.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from langchain_core.messages import AIMessage

from langgraph_scaling import ScaledChatModel, ScalingPolicy
from langgraph_scaling.backends.openai_server import OpenAIServerBackend
from tests._fake_openai import FakeOpenAI, text_answer
from tests._vllm_router import VLLMRouter, router_executable, scrape
from tests._vllm_server import VLLMServer

pytest.importorskip("openai", reason="the openai extra is not installed")

FAILOVER_FLAGS = ["--cb-failure-threshold", "3", "--cb-timeout-duration-secs", "30"]
"""Recommended: after 3 failed attempts on a replica the router's own retries (5) move
to a live one, so a replica lost mid-step costs one router retry, not a 500."""


def router_or_skip() -> None:
    if router_executable() is None:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            "vllm-router is not installed (install the `router` extra)"
        )


def show_log(path: Path, lines: int = 40) -> None:
    """Print a log's tail: pytest shows it with a failing test's captured output."""
    if path.exists():
        tail = path.read_text(errors="replace").splitlines()[-lines:]
        print(f"--- {path} (last {len(tail)} lines) ---", *tail, sep="\n")


@asynccontextmanager
async def routed(
    urls: list[str], log: Path, *flags: str, policy: str = "consistent_hash"
) -> AsyncIterator[VLLMRouter]:
    """A real vllm-router in front of ``urls``, its log shown when the test fails."""
    router_or_skip()
    router = VLLMRouter(urls, policy=policy, extra_args=flags, log_path=log)
    try:
        async with router:
            yield router
    finally:
        show_log(log)


def backend(url: str, **options: Any) -> OpenAIServerBackend:
    return OpenAIServerBackend(url, "fake", backoff=0.05, max_backoff=0.2, **options)


@pytest.fixture
async def fakes() -> AsyncIterator[list[FakeOpenAI]]:
    servers = [
        await FakeOpenAI(answer=text_answer("4")).start(),
        await FakeOpenAI(answer=text_answer("4")).start(),
    ]
    yield servers
    for server in servers:
        await server.stop()


def step_keys(server: FakeOpenAI) -> list[str]:
    return [h.get("x-session-id", "") for h in server.headers]


async def test_each_step_stays_on_one_replica_and_steps_spread(
    fakes: list[FakeOpenAI], tmp_path: Path
) -> None:
    async with routed([f.url for f in fakes], tmp_path / "router.log") as router:
        model = ScaledChatModel(
            backend(router.base_url, use_n=False),  # 3 requests per step, each routed alone
            policy=ScalingPolicy(router=3),
        )
        for _ in range(16):
            await model.ainvoke("2+2?")

    a, b = step_keys(fakes[0]), step_keys(fakes[1])
    assert len(a) + len(b) == 16 * 3 and "" not in a + b
    assert not set(a) & set(b), "a step's requests went to both replicas"
    assert all(a.count(k) == 3 for k in set(a)) and all(b.count(k) == 3 for k in set(b))
    assert a and b, "16 steps all hashed to one replica"


async def test_without_a_key_consistent_hash_sends_everything_to_one_replica(
    fakes: list[FakeOpenAI], tmp_path: Path
) -> None:
    """Why the backend sends a key: vllm-router hashes an empty key for every request."""
    async with routed([f.url for f in fakes], tmp_path / "router.log") as router:
        model = ScaledChatModel(
            backend(router.base_url, use_n=False, affinity_header=None),
            policy=ScalingPolicy(router=3),
        )
        for question in ("2+2?", "3+3?", "4+4?", "5+5?"):
            await model.ainvoke(question)
    assert sorted(f.n_requests for f in fakes) == [0, 12]


@pytest.mark.parametrize(
    ("flags", "backend_retries"),
    [([], True), (FAILOVER_FLAGS, False)],
    ids=["router-defaults-backend-retries", "failover-flags-router-retries"],
)
async def test_a_replica_dying_mid_step_does_not_fail_the_step(
    fakes: list[FakeOpenAI], tmp_path: Path, flags: list[str], backend_retries: bool
) -> None:
    died: list[FakeOpenAI] = []

    def dies_first(server: FakeOpenAI) -> Any:
        def when(body: dict[str, Any]) -> bool:
            if died:
                return False
            died.append(server)
            return True

        return when

    for server in fakes:
        server.die_when = dies_first(server)
    async with routed([f.url for f in fakes], tmp_path / "router.log", *flags) as router:
        model = ScaledChatModel(backend(router.base_url), policy=ScalingPolicy(router=4))
        message = await model.ainvoke("2+2?")

    assert isinstance(message, AIMessage) and message.text == "4"
    report = message.response_metadata["scaling"]
    assert (report["finished"], report["failed"]) == (4, 0)
    (dead,) = died
    (alive,) = [f for f in fakes if f is not dead]
    assert alive.n_requests == 1 and dead.n_requests == 1
    retries = message.response_metadata.get("retries", [])
    if backend_retries:  # the router gave up on the dead replica twice: HTTP 500, retried
        assert retries and all("error sending request for url" in r for r in retries)
        assert dead.url.removesuffix("/v1") in retries[0], "the note names the lost replica"
    else:  # the router moved to the live replica by itself; the backend saw a plain 200
        assert retries == []


# --- two real vLLM replicas of the embedded model ---------------------------------------

REPLICA_METRICS = ("vllm:request_success_total", "vllm:num_requests_running")


class Replicas:
    """Two ``vllm serve`` replicas (one core each) behind one vllm-router."""

    def __init__(self, servers: list[VLLMServer], router: VLLMRouter) -> None:
        self.servers = servers
        self.router = router

    async def served(self) -> list[float]:
        """Requests each replica has finished (``vllm:request_success_total``)."""
        return [await self.metric(s, "vllm:request_success_total") for s in self.servers]

    @staticmethod
    async def metric(server: VLLMServer, name: str) -> float:
        url = server.base_url.removesuffix("/v1") + "/metrics"
        return (await anyio.to_thread.run_sync(lambda: scrape(url, REPLICA_METRICS)))[name]


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    """Both replicas start at once (60-120 s each here), then the router in front of them."""
    from tests._vllm_fixtures import ENFORCE_EAGER, MAX_MODEL_LEN, model_path_or_skip

    router_or_skip()
    path = model_path_or_skip()
    logs = tmp_path_factory.mktemp("replicas")
    cores = sorted(os.sched_getaffinity(0))
    servers = [
        VLLMServer(
            path,
            served_model_name="qwen",
            max_model_len=MAX_MODEL_LEN,
            kv_cache_gib=1,
            log_path=logs / f"replica{i}.log",
            cpus=[cores[i % len(cores)]],
            extra_args=["--enforce-eager"] if ENFORCE_EAGER else [],
        )
        for i in range(2)
    ]
    router = VLLMRouter([s.base_url for s in servers], log_path=logs / "router.log")
    try:
        with ThreadPoolExecutor(len(servers)) as pool:  # both engines start at once
            for started in [pool.submit(s.start) for s in servers]:
                started.result()
        router.start()
        yield Replicas(servers, router)
    finally:
        router.stop()
        for server in servers:
            server.stop(grace=5)
        for log in [*(s.log_path for s in servers), router.log_path]:
            if log is not None:
                show_log(log, lines=15)


def real_model(replicas: Replicas, **policy: Any) -> ScaledChatModel:
    b = OpenAIServerBackend(replicas.router.base_url, "qwen", use_n=False, backoff=0.2)
    return ScaledChatModel(b, policy=ScalingPolicy(**policy))


async def settled(replicas: Replicas, before: list[float], total: float) -> list[float]:
    """Per-replica finished-request deltas once they add up to ``total`` (metrics lag)."""
    with anyio.fail_after(20):
        while True:
            deltas = [a - b for a, b in zip(await replicas.served(), before, strict=True)]
            if sum(deltas) >= total:
                return deltas
            await anyio.sleep(0.2)


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_real_replicas_keep_each_step_on_one_replica(replicas: Replicas) -> None:
    model = real_model(replicas, router=3, max_new_tokens=8)
    used: set[int] = set()
    for step in range(12):
        before = await replicas.served()
        message = await model.ainvoke(f"Say the number {step}.")
        assert message.response_metadata["scaling"]["finished"] == 3
        deltas = await settled(replicas, before, 3)
        assert sorted(deltas) == [0, 3], f"step {step} was split over replicas: {deltas}"
        used.add(deltas.index(3))
        if step >= 3 and used == {0, 1}:
            break
    assert used == {0, 1}, "every step went to the same replica"


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_killing_a_real_replica_mid_step_still_completes_the_step(
    replicas: Replicas,
) -> None:
    """Last in the module: it leaves one replica dead."""
    model = real_model(replicas, router=3, max_new_tokens=200, temperature=0.8)
    before = await replicas.served()
    killed: list[int] = []

    async def kill_the_busy_one() -> None:
        with anyio.fail_after(60):
            while True:
                running = [
                    await Replicas.metric(s, "vllm:num_requests_running") for s in replicas.servers
                ]
                if max(running) > 0:
                    break
                await anyio.sleep(0.05)
        await anyio.sleep(0.5)  # mid-generation
        killed.append(running.index(max(running)))
        await anyio.to_thread.run_sync(replicas.servers[killed[0]].kill)

    async with anyio.create_task_group() as tg:
        tg.start_soon(kill_the_busy_one)
        message = await model.ainvoke("Count from 1 to 100, one number per line.")

    report = message.response_metadata["scaling"]
    assert report["finished"] == 3 and report["failed"] == 0, report
    survivor = replicas.servers[1 - killed[0]]
    served = await Replicas.metric(survivor, "vllm:request_success_total")
    assert served - before[1 - killed[0]] >= 3, "the survivor generated the whole step"
    print("retries noted:", message.response_metadata.get("retries"))


@pytest.mark.slow
def test_scale_out_benchmark_smoke(tmp_path: Path) -> None:
    """The benchmark's wiring, tiny: affinity prefills a step's prompt once, round robin
    once per replica the step reaches."""
    router_or_skip()
    out = tmp_path / "scale_out.json"
    script = Path(__file__).parent.parent / "benchmarks" / "scale_out.py"
    argv = ["--replicas", "2", "--ks", "4", "--clients", "4", "--tokens", "4", "--seconds", "0.5"]
    subprocess.run([sys.executable, str(script), *argv, "--out", str(out)], check=True, timeout=240)

    cells = {c["condition"]: c for c in json.loads(out.read_text())["cells"]}
    assert set(cells) == {
        "n=k",
        "k x n=1 keyed",
        "k x n=1 sticky_least_loaded",
        "k x n=1 round_robin",
    }
    assert all(c["steps"] > 0 and c["errors"] == 0 for c in cells.values())
    for name in ("n=k", "k x n=1 keyed", "k x n=1 sticky_least_loaded"):
        assert cells[name]["prefills_per_step"] <= 1.1, cells[name]
    assert cells["k x n=1 round_robin"]["prefills_per_step"] >= 1.8
