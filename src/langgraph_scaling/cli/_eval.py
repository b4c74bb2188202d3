"""``langgraph-scaling eval``: the coding agent over a task set under several policies."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from langgraph_scaling.backends._protocol import Backend
from langgraph_scaling.cli._policies import PolicySpec
from langgraph_scaling.errors import BackendUnavailableError, ScalingError
from langgraph_scaling.tasks import CodingTask
from langgraph_scaling.tasks.humaneval import judge

__all__ = ["TaskResult", "run_eval", "summarise", "write_outputs"]


@dataclass
class TaskResult:
    """One task under one policy."""

    task_id: str
    policy: str
    passed: bool
    """Judged by the hidden tests."""
    visible_passed: bool | None
    samples: int
    tokens_in: int
    tokens_out: int
    wall_s: float
    error: str | None = None


async def _one(
    graph: Any, task: CodingTask, hidden: dict[str, Any], spec: PolicySpec, backend: Backend
) -> TaskResult:
    from langgraph_scaling.graphs.coding_agent import CodingAgentContext

    ctx = CodingAgentContext(model=backend, policy=spec.policy, verify=spec.verify)
    start = time.monotonic()
    try:
        out = await graph.ainvoke({"task": task}, context=ctx)
    except ScalingError as exc:
        if isinstance(exc, BackendUnavailableError) or isinstance(
            exc.__cause__, BackendUnavailableError
        ):
            raise  # the engine is gone: every later task would fail the same way
        return TaskResult(
            task.id,
            spec.name,
            False,
            None,
            0,
            0,
            0,
            round(time.monotonic() - start, 3),
            f"{type(exc).__name__}: {exc}",
        )
    wall = time.monotonic() - start
    (report,) = out["reports"]
    return TaskResult(
        task_id=task.id,
        policy=spec.name,
        passed=await judge(out["answer"], hidden),
        visible_passed=report.get("winner_passed"),
        samples=report["launched"],
        tokens_in=report["tokens_in"],
        tokens_out=report["tokens_out"],
        wall_s=round(wall, 3),
    )


async def run_eval(
    tasks: Sequence[tuple[CodingTask, dict[str, Any]]],
    specs: Sequence[PolicySpec],
    backend: Backend,
    console: Console,
) -> list[TaskResult]:
    """Every task under every policy, with a progress bar."""
    from langgraph_scaling.graphs.coding_agent import build_coding_agent

    graph = build_coding_agent()
    results: list[TaskResult] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("solved {task.fields[solved]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        for spec in specs:
            bar = progress.add_task(f"{spec.name:>14}", total=len(tasks), solved=0)
            solved = 0
            for task, hidden in tasks:
                result = await _one(graph, task, hidden, spec, backend)
                results.append(result)
                solved += result.passed
                progress.update(bar, advance=1, solved=solved)
    return results


def summarise(results: Sequence[TaskResult]) -> list[dict[str, Any]]:
    """Per policy: accuracy, samples/tokens/wall per task, errors."""
    rows = []
    for name in dict.fromkeys(r.policy for r in results):
        rs = [r for r in results if r.policy == name]
        n = len(rs)
        rows.append(
            {
                "policy": name,
                "tasks": n,
                "solved": sum(r.passed for r in rs),
                "accuracy": sum(r.passed for r in rs) / n,
                "samples_per_task": sum(r.samples for r in rs) / n,
                "tokens_per_task": sum(r.tokens_in + r.tokens_out for r in rs) / n,
                "output_tokens_per_task": sum(r.tokens_out for r in rs) / n,
                "wall_s_per_task": sum(r.wall_s for r in rs) / n,
                "errors": sum(r.error is not None for r in rs),
            }
        )
    return rows


def table(rows: Sequence[dict[str, Any]]) -> Table:
    """The results table printed at the end of ``eval``."""
    t = Table(title="HumanEval (hidden tests)")
    for col in (
        "policy",
        "accuracy",
        "solved",
        "samples/task",
        "tokens/task",
        "wall s/task",
        "errors",
    ):
        t.add_column(col, justify="left" if col == "policy" else "right")
    for r in rows:
        t.add_row(
            r["policy"],
            f"{r['accuracy']:.1%}",
            f"{r['solved']}/{r['tasks']}",
            f"{r['samples_per_task']:.1f}",
            f"{r['tokens_per_task']:.0f}",
            f"{r['wall_s_per_task']:.1f}",
            str(r["errors"]),
        )
    return t


def plot(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """Accuracy against samples and tokens per task, one point per policy (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, key, label in (
        (axes[0], "samples_per_task", "samples per task"),
        (axes[1], "tokens_per_task", "tokens per task (prompt + output)"),
    ):
        for r in rows:
            ax.scatter(r[key], 100 * r["accuracy"], s=50)
            ax.annotate(
                r["policy"],
                (r[key], 100 * r["accuracy"]),
                textcoords="offset points",
                xytext=(5, 4),
                fontsize=9,
            )
        ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("accuracy on hidden tests (%)")
        ax.grid(alpha=0.3)
    n = rows[0]["tasks"] if rows else 0
    fig.suptitle(f"Accuracy against compute ({n} HumanEval tasks)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_outputs(
    results: Sequence[TaskResult], rows: Sequence[dict[str, Any]], out: Path, meta: dict[str, Any]
) -> tuple[Path, Path]:
    """JSON results and the PNG plot under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        **meta,
        "machine": {"cpus": _cpus(), "cpu": _cpu_model(), "python": platform.python_version()},
    }
    data = {"meta": meta, "summary": list(rows), "results": [asdict(r) for r in results]}
    json_path, png_path = out / "eval.json", out / "eval.png"
    json_path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    plot(rows, png_path)
    return json_path, png_path


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
