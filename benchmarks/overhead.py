"""Package overhead: what one scaled step costs on top of an instant model.

The model is :class:`langgraph_scaling.testing.ScriptedChatModel` with no delay, so every
millisecond measured is the package's (plus LangChain's own call machinery, measured
separately as the baseline). Three paths at k branches:

* ``baseline``: k plain ``ainvoke`` calls of the fake model, concurrently (what any fan-out
  pays without this package);
* ``run_step``: the engine directly, ``run_step`` + ``BackendSampler`` over the chat model
  (vote selection on the AST key);
* ``ScaledChatModel``: the public wrapper's ``ainvoke`` (report, metadata, callbacks).

Then throughput: ``--concurrent`` scaled steps at once in one task group, steps per second.

Example:
    $ .venv/bin/python benchmarks/overhead.py            # writes benchmarks/results/overhead.json
    $ .venv/bin/python benchmarks/overhead.py --smoke    # a second or two, nothing written
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from langchain_core.messages import HumanMessage

sys.path.insert(0, str(Path(__file__).parent))
from _common import IMG, bars, machine

from langgraph_scaling import ScaledChatModel, ScalingPolicy
from langgraph_scaling.engine import run_step
from langgraph_scaling.sampling import BackendSampler, as_backend
from langgraph_scaling.testing import ScriptedChatModel

RESULTS = Path(__file__).parent / "results" / "overhead.json"
ANSWERS = [
    "```python\ndef f(x):\n    return x + 1\n```",
    "```python\ndef f(x):\n    return 1 + x\n```",
]
PROMPT = [HumanMessage("Write f(x) returning x + 1.")]


def _model() -> ScriptedChatModel:
    return ScriptedChatModel(script=ANSWERS, delay=0.0)


async def _timed(fn: Callable[[], Awaitable[Any]], repeats: int) -> dict[str, float]:
    for _ in range(max(1, repeats // 10)):  # warm-up
        await fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - t)
    return {
        "median_ms": round(1000 * statistics.median(times), 3),
        "mean_ms": round(1000 * statistics.fmean(times), 3),
        "p90_ms": round(1000 * sorted(times)[int(0.9 * len(times))], 3),
        "repeats": repeats,
    }


async def measure(k: int, repeats: int, concurrent: int) -> dict[str, Any]:
    """Per-step latencies of the three paths at ``k`` and concurrent throughput."""
    policy = ScalingPolicy(router=k, selection="vote", vote_key="code")

    async def baseline() -> None:
        model = _model()
        async with anyio.create_task_group() as tg:
            for _ in range(k):
                tg.start_soon(model.ainvoke, PROMPT)

    async def engine() -> None:
        await run_step(BackendSampler(as_backend(_model()), PROMPT, policy), policy)

    scaled = ScaledChatModel(_model(), policy=policy)

    async def wrapper() -> None:
        await scaled.ainvoke(PROMPT)

    rows = {
        "baseline": await _timed(baseline, repeats),
        "run_step": await _timed(engine, repeats),
        "ScaledChatModel": await _timed(wrapper, repeats),
    }
    base = rows["baseline"]["median_ms"]
    for name in ("run_step", "ScaledChatModel"):
        rows[name]["overhead_ms_over_baseline"] = round(rows[name]["median_ms"] - base, 3)
        rows[name]["ratio_vs_baseline"] = round(rows[name]["median_ms"] / base, 2)

    t = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(concurrent):
            tg.start_soon(wrapper)
    wall = time.perf_counter() - t
    rows["throughput"] = {
        "concurrent_steps": concurrent,
        "wall_s": round(wall, 3),
        "steps_per_s": round(concurrent / wall, 1),
        "branches_per_s": round(concurrent * k / wall, 1),
    }
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--repeats", type=int, default=200)
    p.add_argument("--concurrent", type=int, default=100)
    p.add_argument("--out", default=str(RESULTS))
    p.add_argument("--plot", default=str(IMG / "overhead.png"))
    p.add_argument("--smoke", action="store_true", help="k=2, few repeats, nothing written")
    args = p.parse_args(argv)
    k, repeats, conc = (2, 5, 5) if args.smoke else (args.k, args.repeats, args.concurrent)
    rows = anyio.run(measure, k, repeats, conc)
    out = {
        "benchmark": "overhead",
        "command": " ".join(sys.argv),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "k": k,
        "model": "ScriptedChatModel(delay=0)",
        "results": rows,
    }
    print(json.dumps(out, indent=1))
    if not args.smoke:
        Path(args.out).write_text(json.dumps(out, indent=1), encoding="utf-8")
        plot(out, Path(args.plot))
    return 0


def plot(out: dict[str, Any], path: Path) -> None:
    """Median milliseconds per step of the three paths, with the ratio to the baseline."""
    rows = {n: r for n, r in out["results"].items() if "median_ms" in r}
    base = rows["baseline"]["median_ms"]
    text = {n: f"{r['median_ms']:.2f} ms ({r['median_ms'] / base:.2f}x)" for n, r in rows.items()}
    bars(
        path,
        f"One k={out['k']} step on an instant fake model: the package's overhead "
        f"({out['results']['throughput']['steps_per_s']} steps/s at "
        f"{out['results']['throughput']['concurrent_steps']} concurrent)",
        [("median ms per step", {n: r["median_ms"] for n, r in rows.items()})],
        labels=[text],
    )


if __name__ == "__main__":
    sys.exit(main())
