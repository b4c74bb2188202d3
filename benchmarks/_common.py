"""What every benchmark records and draws: the machine, and simple bar charts.

Example:
    >>> sorted(machine())
    ['cpu', 'cpus', 'python']
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping, Sequence
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
