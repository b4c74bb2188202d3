from collections import Counter
from collections.abc import Sequence


def _require(values: Sequence[float], name: str) -> None:
    if not values:
        raise ValueError(f"{name}() of an empty sequence")


def mean(values: Sequence[float]) -> float:
    _require(values, "mean")
    return sum(values) / len(values)


def median(values: Sequence[float]) -> float:
    _require(values, "median")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def mode(values: Sequence[float]) -> float:
    """The most common value; the smallest one on a tie."""
    _require(values, "mode")
    counts = Counter(values)
    best = max(counts.values())
    return min(v for v, c in counts.items() if c == best)


def variance(values: Sequence[float]) -> float:
    """The sample variance (divides by n - 1)."""
    if len(values) < 2:
        raise ValueError("variance() needs at least two values")
    m = mean(values)
    return sum((v - m) ** 2 for v in values) / (len(values) - 1)


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"n": len(values), "mean": mean(values), "median": median(values)}
