from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


def _identity(x: Any) -> Any:
    return x


def unique(items: Iterable[T], key: Callable[[T], Hashable] | None = None) -> list[T]:
    """The first item of each ``key`` class, in their original order."""
    get_key = key or _identity
    seen: set[Hashable] = set()
    out = []
    for item in items:
        k = get_key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def duplicates(items: Iterable[T], key: Callable[[T], Hashable] | None = None) -> list[T]:
    """The items that ``unique`` drops."""
    get_key = key or _identity
    seen: set[Hashable] = set()
    out = []
    for item in items:
        k = get_key(item)
        if k in seen:
            out.append(item)
        seen.add(k)
    return out
