Interval = tuple[int, int]


def overlaps(a: Interval, b: Interval) -> bool:
    """Whether two closed intervals share at least one point."""
    return a[0] <= b[1] and b[0] <= a[1]


def merge(intervals: list[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same points; touching ones are joined."""
    for start, end in intervals:
        if start > end:
            raise ValueError(f"interval ({start}, {end}) ends before it starts")
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def covered_length(intervals: list[Interval]) -> int:
    """How many points the intervals cover together, each end included."""
    return sum(end - start + 1 for start, end in merge(intervals))
