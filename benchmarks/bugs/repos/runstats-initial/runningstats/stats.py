from collections.abc import Iterable


class RunningStats:
    """Summary of a stream of numbers without storing it."""

    def __init__(self, values: Iterable[float] = ()) -> None:
        self.count = 0
        self.total = 0.0
        self.minimum: float | None = None
        self.maximum: float | None = None
        for value in values:
            self.add(value)

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        if self.minimum is None or value < self.minimum:
            self.minimum = value
        if self.maximum is None or value > self.maximum:
            self.maximum = value

    @property
    def mean(self) -> float:
        if not self.count:
            raise ValueError("mean of an empty stream")
        return self.total / self.count

    def merge(self, other: "RunningStats") -> "RunningStats":
        merged = RunningStats()
        for part in (self, other):
            if part.count:
                merged.count += part.count
                merged.total += part.total
                assert part.minimum is not None and part.maximum is not None
                merged.add_extremes(part.minimum, part.maximum)
        return merged

    def add_extremes(self, low: float, high: float) -> None:
        if self.minimum is None or low < self.minimum:
            self.minimum = low
        if self.maximum is None or high > self.maximum:
            self.maximum = high
