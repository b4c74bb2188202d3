"""``CodingTask``: what the coding agent is asked to do, with only the tests it may see."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from langgraph_scaling.errors import ConfigError

__all__ = ["CodingTask", "load_task_file"]


class CodingTask(BaseModel):
    """A function to write (``kind="function"``) or a bug to fix in a repository (``"patch"``).

    Hidden tests are never part of a task: the agent verifies with ``visible_tests`` (or the
    repository's ``test_command``) only.

    Example:
        >>> t = CodingTask(id="add", prompt="def add(a, b):\\n    '''Add.'''\\n",
        ...                entry_point="add", visible_tests="assert add(1, 2) == 3")
        >>> t.kind
        'function'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """Task identifier (e.g. ``HumanEval/0``)."""
    kind: Literal["function", "patch"] = "function"
    """``function``: write code for ``prompt``; ``patch``: fix ``repo`` with a unified diff."""
    prompt: str
    """The function signature and docstring, or the bug report."""
    entry_point: str | None = None
    """Function under test (function tasks)."""
    visible_tests: str = ""
    """Assert statements the agent may run (function tasks)."""
    repo: Path | None = None
    """Repository to patch (patch tasks)."""
    test_command: tuple[str, ...] = ()
    """Command that runs the repository's tests (patch tasks)."""
    context_files: tuple[str, ...] = ()
    """Repository files (relative paths) shown to the model (patch tasks)."""

    def model_post_init(self, _: Any) -> None:
        if self.kind == "patch":
            if self.repo is None or not self.repo.is_dir():
                raise ConfigError("CodingTask.repo", self.repo, "must be an existing directory")
            if not self.test_command:
                raise ConfigError("CodingTask.test_command", self.test_command, "is required")
        elif not self.prompt.strip():
            raise ConfigError("CodingTask.prompt", self.prompt, "must not be empty")


def load_task_file(path: Path) -> CodingTask:
    """A task from a JSON file (fields of :class:`CodingTask`) or a ``.py`` prompt file."""
    if not path.is_file():
        raise ConfigError("task file", str(path), "does not exist")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        return CodingTask(id=path.stem, prompt=text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            "task file", str(path), f"is not valid JSON ({exc.msg}, line {exc.lineno})"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError("task file", str(path), "must hold a JSON object")
    if isinstance(data.get("repo"), str) and not Path(data["repo"]).is_absolute():
        data["repo"] = str((path.parent / data["repo"]).resolve())
    try:
        return CodingTask(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "task"
        raise ConfigError(f"CodingTask.{field}", err.get("input"), err["msg"]) from None
