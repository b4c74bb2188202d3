"""``langgraph-scaling eval``: the coding agent over a task set under several policies.

Tasks run ``concurrency`` at a time (so the engine batches their branches); results come back
in task order whatever order they finished in. A task whose step, sandbox or verifier could
not run is an *error* (its text kept), never a wrong answer: accuracy is over judged tasks.
A dead engine stops the eval.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from langgraph_scaling.backends import Backend
from langgraph_scaling.cli._policies import PolicySpec
from langgraph_scaling.errors import BackendUnavailableError, ScalingError
from langgraph_scaling.tasks import CodingTask
from langgraph_scaling.tasks.humaneval import judge

if TYPE_CHECKING:
    from langgraph_scaling.sandbox import Sandbox

__all__ = [
    "TaskResult",
    "default_concurrency",
    "errors_report",
    "run_eval",
    "summarise",
    "write_outputs",
]


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


def default_concurrency(backend: Any) -> int:
    """Tasks at once: 8 (16 for an in-process engine on GPU).

    On 2 CPU cores, HumanEval/0-7 under single, vote@4 and best@4 ran 3.2x faster at 8 than
    one at a time, and 2.0-2.4x at 4 (``benchmarks/eval_concurrency.py``).
    """
    if getattr(backend, "name", None) == "vllm" and getattr(backend, "device", None) not in (
        "cpu",
        None,
    ):
        return 16
    return 8


def _failed(task: CodingTask, spec: PolicySpec, start: float, exc: ScalingError) -> TaskResult:
    wall = round(time.monotonic() - start, 3)
    error = f"{type(exc).__name__}: {exc}"
    return TaskResult(task.id, spec.name, False, None, 0, 0, 0, wall, error)


def _engine_gone(exc: BaseException) -> BackendUnavailableError | None:
    """The engine's death behind ``exc`` (a step whose branches all failed with it)."""
    for e in (exc, exc.__cause__):
        if isinstance(e, BackendUnavailableError):
            return e
    return None


async def _one(
    graph: Any,
    task: CodingTask,
    hidden: dict[str, Any],
    spec: PolicySpec,
    backend: Backend,
    sandbox: Sandbox | None,
) -> TaskResult:
    from langgraph_scaling.agents.coding import CodingAgentContext

    # The task's visible tests and the model-made checks run in ``sandbox`` too.
    ctx = CodingAgentContext(
        model=backend,
        policy=spec.policy,
        verify=spec.verify,
        signals=spec.signals,
        sandbox=sandbox,
    )
    start = time.monotonic()
    try:
        out = await graph.ainvoke({"task": task}, context=ctx)
        wall = time.monotonic() - start
        passed = await judge(out["answer"], hidden, sandbox=sandbox)
    except ScalingError as exc:
        if (gone := _engine_gone(exc)) is not None:
            raise gone from gone.__cause__  # gone: every later task would fail the same way
        return _failed(task, spec, start, exc)
    (report,) = out["reports"]
    return TaskResult(
        task_id=task.id,
        policy=spec.name,
        passed=passed,
        visible_passed=report.get("winner_passed"),
        samples=report["launched"],
        tokens_in=report["tokens_in"],
        tokens_out=report["tokens_out"],
        wall_s=round(wall, 3),
    )


def _first_scaling_error(group: BaseExceptionGroup[Any]) -> ScalingError | None:
    for exc in group.exceptions:
        if isinstance(exc, ScalingError):
            return exc
        if isinstance(exc, BaseExceptionGroup) and (found := _first_scaling_error(exc)):
            return found
    return None


async def run_eval(
    tasks: Sequence[tuple[CodingTask, dict[str, Any]]],
    specs: Sequence[PolicySpec],
    backend: Backend,
    console: Console,
    *,
    concurrency: int = 1,
    sandbox: Sandbox | None = None,
) -> list[TaskResult]:
    """Every task under every policy, ``concurrency`` at a time, with a progress bar.

    Args:
        sandbox: where the visible and the hidden tests run (default: the shared sandbox).

    Returns:
        One result per (policy, task), policy by policy, tasks in the order given.

    Raises:
        BackendUnavailableError: the engine died or cannot be reached (the eval stops).
    """
    from langgraph_scaling.agents.coding import build_coding_agent

    graph = build_coding_agent()
    done: dict[tuple[int, int], TaskResult] = {}
    limiter = anyio.CapacityLimiter(concurrency)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("solved {task.fields[solved]}  errors {task.fields[errors]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bars = [
            progress.add_task(f"{spec.name:>14}", total=len(tasks), solved=0, errors=0)
            for spec in specs
        ]

        async def one(si: int, ti: int) -> None:
            async with limiter:
                result = await _one(graph, *tasks[ti], specs[si], backend, sandbox)
            done[si, ti] = result
            mine = [r for (s, _), r in done.items() if s == si]
            solved, errors = sum(r.passed for r in mine), sum(r.error is not None for r in mine)
            progress.update(bars[si], advance=1, solved=solved, errors=errors)

        try:
            async with anyio.create_task_group() as tg:
                for si in range(len(specs)):
                    for ti in range(len(tasks)):
                        tg.start_soon(one, si, ti)
        except BaseExceptionGroup as group:
            if (first := _first_scaling_error(group)) is not None:
                raise first from first.__cause__  # itself, not the group of cancelled tasks
            raise
    return [done[si, ti] for si in range(len(specs)) for ti in range(len(tasks))]


def summarise(results: Sequence[TaskResult]) -> list[dict[str, Any]]:
    """Per policy: accuracy over the judged tasks, samples/tokens/wall per task, errors.

    A task that errored is not judged: it counts in ``errors``, not against ``accuracy``
    (``None`` when no task was judged).
    """
    rows = []
    for name in dict.fromkeys(r.policy for r in results):
        rs = [r for r in results if r.policy == name]
        n = len(rs)
        judged = sum(r.error is None for r in rs)
        solved = sum(r.passed for r in rs)
        rows.append(
            {
                "policy": name,
                "tasks": n,
                "judged": judged,
                "solved": solved,
                "accuracy": solved / judged if judged else None,
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
            "-" if r["accuracy"] is None else f"{r['accuracy']:.1%}",
            f"{r['solved']}/{r['judged']}",
            f"{r['samples_per_task']:.1f}",
            f"{r['tokens_per_task']:.0f}",
            f"{r['wall_s_per_task']:.1f}",
            str(r["errors"]),
        )
    return t


def errors_report(results: Sequence[TaskResult], *, width: int = 300) -> list[str]:
    """One line per task that errored: ``task [policy]: error`` (shortened to ``width``)."""
    lines = []
    for r in results:
        if r.error is not None:
            text = " ".join(r.error.split())
            text = text if len(text) <= width else text[: width - 3] + "..."
            lines.append(f"{r.task_id} [{r.policy}]: {text}")
    return lines


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
            if r["accuracy"] is None:
                continue
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
