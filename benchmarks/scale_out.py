"""Scale-out benchmark: scaled steps over 1-8 replicas behind vllm-router.

The replicas are simulated (``_sim_replicas.py``: continuous batching, 5 ms per decode
iteration plus 0.25 ms per running sequence, a prefill cost per prompt that a simulated
prefix cache skips); the router is the real ``vllm-router`` process; the clients are the
package's own engine (``run_step`` over ``BackendSampler`` and ``OpenAIServerBackend``),
``--clients`` of them running scaled steps back to back. Each step's prompt is new
(~1,000 tokens); each branch generates ``--tokens`` tokens.

Conditions, per number of replicas and per ``k``:

- ``n=k``: one request per step (``n=k``), ``--policy consistent_hash`` with the step's
  ``X-Session-ID``: the prompt is prefilled once;
- ``k x n=1 keyed``: ``k`` single requests per step, ``consistent_hash`` on the step key:
  all on one replica, which prefills the prompt once;
- ``k x n=1 sticky_least_loaded``: the same, with vllm-router's ``sticky_least_loaded``
  policy, which places a new ``X-Session-ID`` on the replica with the fewest sessions and
  keeps it there;
- ``k x n=1 round_robin``: ``k`` single requests spread over the replicas: each replica a
  step reaches prefills its prompt (no affinity);
- ``n=k direct``: one replica without the router (its overhead).

Each cell: every client finishes one warm-up step, then the steps that finish within a
window of ``max(--seconds, 1.5 x warm-up p50)`` (at most 6 s) are counted, with their
latencies. Reported: steps/s, p50/p95 step
latency, prefills per step, and the CPU share of the client process, the router and the
simulated replicas (2 cores here: a client at ~100 % of one core is the limit).
Writes ``benchmarks/results/scale_out.json``.

Usage::

    .venv/bin/python benchmarks/scale_out.py                      # ~7 min on 2 cores
    .venv/bin/python benchmarks/scale_out.py --replicas 1 2 --ks 1 4 --seconds 1   # smoke
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio
from langchain_core.messages import HumanMessage, SystemMessage

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from _common import machine  # noqa: E402

from langgraph_scaling import ScalingPolicy  # noqa: E402
from langgraph_scaling.backends.openai_server import OpenAIServerBackend  # noqa: E402
from langgraph_scaling.engine import run_step  # noqa: E402
from langgraph_scaling.errors import ScalingError  # noqa: E402
from langgraph_scaling.sampling import BackendSampler  # noqa: E402
from tests._vllm_router import VLLMRouter  # noqa: E402
from tests._vllm_server import free_port  # noqa: E402

RESULTS = REPO / "benchmarks/results/scale_out.json"
SIM = Path(__file__).parent / "_sim_replicas.py"
CONDITIONS: dict[str, dict[str, Any]] = {
    "n=k": {"policy": "consistent_hash", "use_n": True, "header": "X-Session-ID"},
    "k x n=1 keyed": {"policy": "consistent_hash", "use_n": False, "header": "X-Session-ID"},
    "k x n=1 sticky_least_loaded": {
        "policy": "sticky_least_loaded",
        "use_n": False,
        "header": "X-Session-ID",
    },
    "k x n=1 round_robin": {"policy": "round_robin", "use_n": False, "header": None},
    "n=k direct": {"policy": None, "use_n": True, "header": None},
}
SYSTEM = "You are a careful assistant. Answer briefly."


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def get_json(url: str, *, method: str = "GET") -> Any:
    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as r:
        return json.loads(r.read())


def prompt_tokens() -> int:
    """What the simulated replicas count for :func:`prompt`: its JSON's length / 4."""
    from langgraph_scaling.backends._messages import to_openai_messages

    return len(json.dumps(to_openai_messages(prompt()), sort_keys=True)) // 4


def prompt() -> list[Any]:
    """A new ~1,000-token prompt (its JSON is ~4,000 characters)."""
    return [SystemMessage(SYSTEM), HumanMessage(f"{uuid.uuid4().hex} " * 120)]


async def one_cell(url: str, k: int, cond: dict[str, Any], args: argparse.Namespace) -> dict:
    """Run ``args.clients`` clients on ``url``; the cell's numbers (no CPU shares)."""
    backend = OpenAIServerBackend(
        url, "sim", use_n=cond["use_n"], affinity_header=cond["header"], timeout=120
    )
    policy = ScalingPolicy(router=k, max_new_tokens=args.tokens)
    warm: list[float] = []
    done: list[tuple[float, float]] = []
    errors = 0
    all_warm = anyio.Event()

    async def client(offset: float) -> None:
        nonlocal errors
        first = True
        await anyio.sleep(offset)  # start out of step with the others
        while True:
            start = time.perf_counter()
            try:
                await run_step(BackendSampler(backend, prompt(), policy), policy)
            except ScalingError:
                errors += 1
                continue
            end = time.perf_counter()
            if first:
                first = False
                warm.append(end - start)
                if len(warm) == args.clients:
                    all_warm.set()
            elif all_warm.is_set():
                done.append((start, end))

    async with anyio.create_task_group() as tg:
        for i in range(args.clients):
            tg.start_soon(client, 0.3 * i / args.clients)
        with anyio.fail_after(120):
            await all_warm.wait()
        window = min(max(args.seconds, 1.5 * statistics.median(warm)), 6.0)
        t0, cpu0 = time.perf_counter(), time.process_time()
        await anyio.sleep(window)
        t1, cpu1 = time.perf_counter(), time.process_time()
        tg.cancel_scope.cancel()
    await backend.aclose()
    inside = sorted(end - start for start, end in done if t0 <= end <= t1)
    finished = len(inside)
    pct = statistics.quantiles(inside, n=20) if len(inside) >= 2 else [0.0] * 19
    return {
        "steps": finished,
        "steps_per_s": round(finished / window, 2),
        "p50_s": round(statistics.median(inside), 3) if inside else None,
        "p95_s": round(pct[18], 3) if inside else None,
        "window_s": round(window, 2),
        "errors": errors,
        "client_cpu": round((cpu1 - cpu0) / window, 2),
    }


def measure(
    url: str, k: int, name: str, sims: list[str], pids: dict[str, int], args: argparse.Namespace
) -> dict[str, Any]:
    """One cell, with the replicas reset before it and their counters read after it."""
    for sim in sims:
        get_json(f"{sim}/reset", method="POST")
    cpu0, t0 = {who: cpu_seconds(pid) for who, pid in pids.items()}, time.perf_counter()
    cell = anyio.run(one_cell, url, k, CONDITIONS[name], args)
    cpu1, elapsed = {who: cpu_seconds(pid) for who, pid in pids.items()}, time.perf_counter() - t0
    stats = [get_json(f"{sim}/stats") for sim in sims]
    steps_total = max(
        sum(s["requests"] for s in stats) / (1 if CONDITIONS[name]["use_n"] else k), 1
    )
    return {
        "condition": name,
        "k": k,
        **cell,
        "prefills_per_step": round(sum(s["prefills"] for s in stats) / steps_total, 2),
        "requests_per_replica": [s["requests"] for s in stats],
        **{f"{who}_cpu": round((cpu1[who] - cpu0[who]) / elapsed, 2) for who in pids},
    }


def run_replicas(count: int, args: argparse.Namespace, logs: Path) -> list[dict[str, Any]]:
    """Every condition and ``k`` on ``count`` simulated replicas."""
    ports = [free_port() for _ in range(count)]
    sims = [f"http://127.0.0.1:{p}" for p in ports]
    cells: list[dict[str, Any]] = []
    with ExitStack() as stack:
        sim = subprocess.Popen(
            [sys.executable, str(SIM), "--ports", *map(str, ports)],
            stdout=subprocess.PIPE,
            stderr=(logs / f"sim{count}.log").open("wb"),
        )
        stack.callback(sim.wait, 10)
        stack.callback(sim.terminate)
        assert sim.stdout is not None and sim.stdout.readline().strip() == b"ready"
        routers: dict[str, VLLMRouter] = {}
        for policy in {c["policy"] for c in CONDITIONS.values() if c["policy"]}:
            router = VLLMRouter(
                sims, policy=policy, log_level="warning", log_path=logs / f"{policy}{count}.log"
            )
            stack.enter_context(router)
            routers[policy] = router
        for k in args.ks:
            for name, cond in CONDITIONS.items():
                if cond["policy"] is None and count > 1:
                    continue  # direct: one replica only
                router = routers.get(cond["policy"])
                url = router.base_url if router else f"{sims[0]}/v1"
                pids = {"sim": sim.pid}
                if router is not None and router.pid is not None:
                    pids["router"] = router.pid
                cell = {"replicas": count, **measure(url, k, name, sims, pids, args)}
                print(json.dumps(cell), flush=True)
                cells.append(cell)
    return cells


def table(cells: Sequence[dict[str, Any]], replicas: Sequence[int]) -> str:
    """Markdown: one row per (condition, k), one column per replica count."""
    head = "| condition | k | " + " | ".join(f"{r} replicas" for r in replicas) + " |"
    lines = [head, "|" + "---|" * (2 + len(replicas))]
    for name in CONDITIONS:
        for k in sorted({c["k"] for c in cells}):
            row = {c["replicas"]: c for c in cells if c["condition"] == name and c["k"] == k}
            if not row:
                continue
            texts = [
                f"{row[r]['steps_per_s']:g}/s ({row[r]['p50_s']}/{row[r]['p95_s']} s)"
                if r in row
                else ""
                for r in replicas
            ]
            lines.append(f"| {name} | {k} | " + " | ".join(texts) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--ks", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    cells: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="scale-out-") as tmp:
        for count in args.replicas:
            cells += run_replicas(count, args, Path(tmp))
    result = {
        "benchmark": "scale_out",
        "command": " ".join(["python", "benchmarks/scale_out.py", *sys.argv[1:]]),
        "machine": machine(),
        "clients": args.clients,
        "tokens_per_branch": args.tokens,
        "prompt_tokens": prompt_tokens(),
        "cost_model": "decode 5 ms + 0.25 ms per running sequence per iteration; "
        "prefill 0.05 ms per prompt token unless cached; 64 sequences per replica",
        "wall_s": round(time.perf_counter() - started, 1),
        "cells": cells,
        "table": table(cells, args.replicas),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(result["table"])


if __name__ == "__main__":
    main()
