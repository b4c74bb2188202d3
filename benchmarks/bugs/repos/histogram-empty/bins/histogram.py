from collections.abc import Sequence


def histogram(
    values: Sequence[float], bins: int, *, low: float | None = None, high: float | None = None
) -> list[int]:
    """Counts in ``bins`` equal-width bins over ``[low, high]`` (the data range by default)."""
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    if not values:
        return [0] * bins
    lo = min(values) if low is None else low
    hi = max(values) if high is None else high
    width = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for v in values:
        if lo <= v <= hi:
            counts[min(int((v - lo) / width), bins - 1)] += 1
    return counts


def bar_chart(values: Sequence[float], bins: int, width: int = 20) -> str:
    """One line of ``#`` per bin, the fullest bin ``width`` characters long."""
    counts = histogram(values, bins)
    peak = max(counts) or 1
    return "\n".join("#" * round(c * width / peak) for c in counts)
