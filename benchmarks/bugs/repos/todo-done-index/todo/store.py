import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Task:
    text: str
    done: bool = False


class Store:
    """Tasks in a JSON file; positions shown to users start at 1."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tasks: list[Task] = []
        if path.exists():
            self.tasks = [Task(**t) for t in json.loads(path.read_text(encoding="utf-8"))]

    def save(self) -> None:
        data = [asdict(t) for t in self.tasks]
        self.path.write_text(json.dumps(data, indent=1), encoding="utf-8")

    def add(self, text: str) -> int:
        self.tasks.append(Task(text))
        return len(self.tasks)

    def get(self, position: int) -> Task:
        """The task shown at ``position`` (1-based); ``IndexError`` if there is none."""
        if not 1 <= position <= len(self.tasks):
            raise IndexError(f"no task number {position}")
        return self.tasks[position - 1]
