import heapq
import itertools
from collections.abc import Hashable

_REMOVED = "<removed>"


class TaskQueue:
    """Lowest priority number first; equal priorities come out in insertion order."""

    def __init__(self) -> None:
        self._heap: list[list[object]] = []
        self._entries: dict[Hashable, list[object]] = {}
        self._counter = itertools.count()

    def push(self, task: Hashable, priority: int = 0) -> None:
        """Add ``task``, or change its priority if it is already queued."""
        if task in self._entries:
            self.remove(task)
        entry: list[object] = [priority, next(self._counter), task]
        self._entries[task] = entry
        heapq.heappush(self._heap, entry)

    def remove(self, task: Hashable) -> None:
        """Drop a queued task; ``KeyError`` if it is not queued."""
        entry = self._entries.pop(task)
        entry[-1] = _REMOVED

    def pop(self) -> Hashable:
        """The next task; ``KeyError`` if the queue is empty."""
        while self._heap:
            *_, task = heapq.heappop(self._heap)
            if task is not _REMOVED:
                del self._entries[task]
                return task
        raise KeyError("pop from an empty task queue")

    def __len__(self) -> int:
        return len(self._entries)

    def __bool__(self) -> bool:
        return bool(self._entries)
