from collections.abc import Sequence


def lower_bound(items: Sequence[int], target: int) -> int:
    """The first index whose item is not less than ``target`` (``len(items)`` if none)."""
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


def find_first(items: Sequence[int], target: int) -> int:
    """The index of the first ``target`` in ``items``, or -1."""
    i = lower_bound(items, target)
    return i if i < len(items) and items[i] == target else -1


def count(items: Sequence[int], target: int) -> int:
    return lower_bound(items, target + 1) - lower_bound(items, target)
