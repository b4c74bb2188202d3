"""What every benchmark records, runs and draws: the machine, a grid of runs, bar charts.

Example:
    >>> sorted(machine())
    ['cpu', 'cpus', 'python']
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

IMG = Path(__file__).parent.parent / "docs" / "img"
T = TypeVar("T")


def machine() -> dict[str, Any]:
    """Cores, CPU model, Python: recorded next to every result."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {"cpus": len(os.sched_getaffinity(0)), "cpu": cpu, "python": platform.python_version()}


def rotated(items: Sequence[T], turn: int) -> list[T]:
    """``items`` started at position ``turn`` (wrapping), so that each takes its turn first.

    Example:
        >>> rotated(["a", "b", "c"], 4)
        ['b', 'c', 'a']
    """
    start = turn % len(items)
    return [*items[start:], *items[:start]]


def bars(
    path: Path,
    title: str,
    panels: Sequence[tuple[str, Mapping[str, float]]],
    *,
    labels: Sequence[Mapping[str, str]] | None = None,
) -> None:
    """One bar chart per panel (``(y label, {bar: value})``), side by side, as a PNG.

    ``labels`` puts a text over each bar (e.g. a ratio); by default the value itself.
    """
    width = max(4.2 * len(panels) + 1, 8.0)
    fig, axes = subplots(len(panels), figsize=(width, 4.4), squeeze=False)
    for i, (ax, (ylabel, values)) in enumerate(zip(axes[0], panels, strict=True)):
        names = list(values)
        ax.bar(range(len(names)), [values[n] for n in names], color="tab:blue")
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", alpha=0.3)
        texts = labels[i] if labels else {n: f"{values[n]:.3g}" for n in names}
        for x, n in enumerate(names):
            ax.annotate(texts.get(n, ""), (x, values[n]), ha="center", va="bottom", fontsize=8)
    fig.suptitle(title, fontsize=10)
    save(fig, path)


def subplots(ncols: int, *, figsize: tuple[float, float], **kwargs: Any) -> Any:
    """``(figure, axes)``: one row of ``ncols`` panels, drawn off-screen (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(1, ncols, figsize=figsize, **kwargs)


def save(fig: Any, path: Path, *, rect: tuple[float, float, float, float] | None = None) -> None:
    """Lay the figure out (inside ``rect``), write it as a PNG at ``path`` and free it."""
    import matplotlib.pyplot as plt

    fig.tight_layout(rect=rect)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


async def run_grid(
    backend: Any,
    grid: Sequence[tuple[str, T]],
    one: Callable[[Any, str, T], Awaitable[dict[str, Any]]],
    write: Callable[[list[dict[str, Any]], float, bool], None],
    *,
    rows: list[dict[str, Any]],
    concurrency: int,
) -> list[dict[str, Any]]:
    """Run ``one(backend, bug, variant)`` for each pair of ``grid`` on one engine.

    ``concurrency`` pairs run at once; each finished row is printed and appended to
    ``rows`` (earlier rows of an ``--extend`` run stay first), and ``write(rows, wall_s,
    complete)`` saves what there is after each row and once at the end, so an interrupted
    run keeps its rows. The backend is started before the first pair and closed after the
    last (or on an error).
    """
    import anyio

    limiter = anyio.CapacityLimiter(concurrency)
    started = time.monotonic()
    if not grid:  # every pair done already: no engine to start
        write(rows, 0.0, True)
        return rows

    async def run_one(bug_id: str, variant: T) -> None:
        async with limiter:
            row = await one(backend, bug_id, variant)
        rows.append(row)
        print(json.dumps(row), flush=True)
        write(rows, time.monotonic() - started, False)

    try:
        await backend.start()
        async with anyio.create_task_group() as tg:
            for bug_id, variant in grid:
                tg.start_soon(run_one, bug_id, variant)
    finally:
        await backend.aclose()
    write(rows, time.monotonic() - started, True)
    return rows


def earlier_rows(path: Path, extend: bool, **settings: Any) -> list[dict[str, Any]]:
    """The rows an ``--extend`` run keeps from ``path`` (none without ``extend``).

    Raises:
        SystemExit: the file's rows were made with other ``settings`` (its recorded ``k``,
            ``seed`` ...), which one file must not mix.
    """
    if not extend or not path.exists():
        return []
    old = json.loads(path.read_text())
    for name, value in settings.items():
        if old.get(name, value) != value:
            raise SystemExit(f"{path} was made with {name}={old[name]!r}, not {value!r}")
    return list(old.get("results", []))


def todo(
    ids: Sequence[str], variants: Sequence[T], done: set[tuple[str, Any]]
) -> list[tuple[str, T]]:
    """Each ``(bug, variant)`` pair not in ``done``, variants in rotated order per bug."""
    return [
        (bug_id, v)
        for turn, bug_id in enumerate(ids)
        for v in rotated(variants, turn)
        if (bug_id, v) not in done
    ]


def write_results(
    path: Path, benchmark: str, summary: Mapping[str, Any], rows: list[Any], **fields: Any
) -> None:
    """Write a benchmark's JSON at ``path``: name, command, date, machine, ``fields``, rows."""
    data = {
        "benchmark": benchmark,
        "command": "python " + " ".join(sys.argv),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **fields,
        "summary": summary,
        "results": rows,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
