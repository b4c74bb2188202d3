"""Dev-set eval wall time with one task at a time against the default concurrency.

One in-process engine (``embedded_backend()``, the CLI's), started once. The tasks are
split into blocks (``--block``, 8 tasks); each block runs the CLI's ``run_eval`` twice, at
``--concurrency 1`` and at the backend's default (8), which one goes first alternating
from block to block, so that both see the same load from whatever else runs on the machine.
Wall times are summed over blocks; they exclude the engine start and the pre-flight checks.
Accuracy, solved tasks and errors come from the CLI's own summary; ``agreement`` is the share
of (policy, task) pairs judged the same at both concurrencies (batching changes
floating-point sums, so a sample can change even with the same seeds). The JSON
(``benchmarks/results/eval_concurrency.json``) is rewritten after every block, with
``complete: false`` until the last.

HumanEval/0-39 is the development set; the held-out 40-163 are never used here.

Example:
    $ .venv/bin/python benchmarks/eval_concurrency.py                       # 0-39, ~1 h
    $ .venv/bin/python benchmarks/eval_concurrency.py --tasks 0-7 --out /tmp/ec.json
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from _common import machine
from rich.console import Console

from langgraph_scaling.backends.default import embedded_backend
from langgraph_scaling.cli._eval import TaskResult, default_concurrency, run_eval, summarise
from langgraph_scaling.cli._policies import parse_policies
from langgraph_scaling.cli._preflight import check_backend, check_sandbox
from langgraph_scaling.tasks import DEV_SET, humaneval_tasks, parse_task_ids

RESULTS = Path(__file__).parent / "results" / "eval_concurrency.json"


def _agreement(a: Sequence[TaskResult], b: Sequence[TaskResult]) -> float:
    same = sum(x.passed == y.passed for x, y in zip(a, b, strict=True))
    return round(same / len(a), 4) if a else 1.0


def _record(
    args: argparse.Namespace,
    walls: dict[int, float],
    results: dict[int, list[TaskResult]],
    startup: float,
    complete: bool,
) -> dict[str, Any]:
    one, default = list(walls)
    runs = [
        {"concurrency": c, "wall_s": round(walls[c], 1), "summary": summarise(results[c])}
        for c in walls
    ]
    done = sorted({int(r.task_id.split("/")[1]) for r in results[one]})
    return {
        "benchmark": "eval_concurrency",
        "command": " ".join(["python", "benchmarks/eval_concurrency.py", *sys.argv[1:]]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "tasks": args.tasks,
        "tasks_done": f"{done[0]}-{done[-1]}" if done else "",
        "complete": complete,
        "policies": args.policies,
        "block": args.block,
        "engine_startup_s": round(startup, 1),
        "runs": runs,
        "speedup": round(walls[one] / walls[default], 2) if walls[default] else None,
        "agreement": _agreement(_by_task(results[one]), _by_task(results[default])),
        "results": {str(c): [asdict(x) for x in res] for c, res in results.items()},
    }


def _by_task(results: list[TaskResult]) -> list[TaskResult]:
    return sorted(results, key=lambda r: (r.policy, int(r.task_id.split("/")[1])))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    ids = parse_task_ids(args.tasks)
    if any(i not in DEV_SET for i in ids):
        raise SystemExit("only the development set (HumanEval/0-39) is used for benchmarks")
    specs = parse_policies(args.policies)
    backend: Any = embedded_backend()
    console = Console(file=sys.stderr if args.progress else io.StringIO())
    t0 = time.perf_counter()
    async with backend:
        startup = time.perf_counter() - t0
        await check_sandbox()
        await check_backend(backend)
        levels = tuple(args.levels or (1, args.concurrency or default_concurrency(backend)))
        walls = dict.fromkeys(levels, 0.0)
        results: dict[int, list[TaskResult]] = {c: [] for c in levels}
        blocks = [ids[i : i + args.block] for i in range(0, len(ids), args.block)]
        for b, block in enumerate(blocks):
            tasks = humaneval_tasks(block)
            for c in levels if b % 2 == 0 else levels[::-1]:
                start = time.perf_counter()
                out = await run_eval(tasks, specs, backend, console, concurrency=c)
                walls[c] += time.perf_counter() - start
                results[c] += out
                print(
                    json.dumps({"block": block, "concurrency": c, "wall_s": walls[c]}), flush=True
                )
            record = _record(args, walls, results, startup, complete=b == len(blocks) - 1)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(record, indent=2) + "\n")
    return record


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tasks", default="0-39")
    parser.add_argument("--policies", default="single,vote@4,best@4")
    parser.add_argument("--concurrency", type=int, default=None, help="default: the backend's")
    parser.add_argument("--block", type=int, default=8, help="tasks per block")
    parser.add_argument(
        "--levels", type=int, nargs=2, default=None, help="two other concurrencies to compare"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--progress", action="store_true", help="progress bars on stderr")
    args = parser.parse_args(argv)
    result = anyio.run(run, args)
    brief = {k: result[k] for k in ("speedup", "agreement")}
    brief["runs"] = [
        {"concurrency": r["concurrency"], "wall_s": r["wall_s"]}
        | {s["policy"]: s["accuracy"] for s in r["summary"]}
        for r in result["runs"]
    ]
    print(json.dumps(brief, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
