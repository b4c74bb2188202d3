from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def batches(items: Sequence[T], size: int) -> list[list[T]]:
    """Consecutive batches of ``size`` items; the last one may be shorter."""
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def windows(items: Sequence[T], width: int) -> list[tuple[T, ...]]:
    """Every run of ``width`` consecutive items, in order."""
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    return [tuple(items[i : i + width]) for i in range(len(items) - width + 1)]


def pairwise_windows(items: Sequence[T]) -> list[tuple[T, ...]]:
    return windows(items, 2)
