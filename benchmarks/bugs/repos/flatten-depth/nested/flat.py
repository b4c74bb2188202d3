from typing import Any


def _is_nested(value: Any) -> bool:
    return isinstance(value, list | tuple)


def flatten(items: list[Any] | tuple[Any, ...], max_depth: int | None = None) -> list[Any]:
    """The leaves of ``items`` in order; ``max_depth`` levels of nesting are removed at most."""
    out: list[Any] = []
    for item in items:
        if _is_nested(item) and (max_depth is None or max_depth > 0):
            out.extend(flatten(item, None if max_depth is None else max_depth - 1))
        else:
            out.append(item)
    return out


def depth(value: Any) -> int:
    """0 for a leaf, 1 for a flat list, and so on."""
    if not _is_nested(value):
        return 0
    return 1 + max((depth(v) for v in value), default=0)
