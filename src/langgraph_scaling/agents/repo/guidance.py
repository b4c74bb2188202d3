"""How the repository agent helps a small model: a guard against looping on one call, and
what an edit branch is shown.

A 0.5B model called ``list_files`` on the same path for twelve turns, and wrote no passing
edit with the whole conversation in front of it. So after ``look_limit`` looking turns in a
row, or a repeated call, the next turn must be the edit; and an edit branch sees the
opening, the code as it is and the last failure instead of the looking turns.

Example:
    >>> a = {"turn": 1, "tool": "read_file", "args": {"path": "a.py"}}
    >>> repeats({**a, "turn": 2}, [a])["turn"]
    1
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AnyMessage, HumanMessage, ToolMessage

from langgraph_scaling.agents.repo.context import RepoAgentContext
from langgraph_scaling.agents.repo.prompts import EDIT_FAILED
from langgraph_scaling.agents.repo.prompts import REPRODUCTION_ADDED as ADDED
from langgraph_scaling.agents.repo.workspace import Workspace
from langgraph_scaling.edits import matches_any

if TYPE_CHECKING:
    from langgraph_scaling.agents.repo.graph import RepoState

__all__ = ["edit_view", "focus", "last_failure", "looked_enough", "looks", "repeats"]


def looks(state: RepoState) -> list[dict[str, Any]]:
    """The looking actions since the last edit or reproduction step (the start's excluded)."""
    found: list[dict[str, Any]] = []
    for action in reversed(state.get("actions", [])):
        if action["tool"] in {"edit", "reproduce"} or action["turn"] == 0:
            break
        found.insert(0, action)
    return found


def repeats(action: Mapping[str, Any], earlier: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The earlier look that made the same call, if any."""
    same = (action["tool"], action["args"])
    return next((a for a in earlier if (a["tool"], a["args"]) == same), None)


def looked_enough(state: RepoState, ctx: RepoAgentContext) -> bool:
    """Whether the next turn must be the edit: ``look_limit`` looking turns in a row, or
    the last one repeated an earlier call (small models loop on one call)."""
    done = looks(state)
    if not done:
        return False
    turns = {a["turn"] for a in done}
    return len(turns) >= ctx.look_limit or repeats(done[-1], done[:-1]) is not None


def focus(state: RepoState, ws: Workspace, ctx: RepoAgentContext) -> dict[str, str]:
    """The code files the edit is likely about, as they are now: those the agent read (the
    latest first), else the modules (``__init__.py`` aside) when there are at most two;
    none that is protected, and none over a third of the prompt budget."""
    code = [f for f in ws.files() if f.endswith(".py") and not matches_any(f, ctx.protected)]
    modules = [f for f in code if Path(f).name != "__init__.py"]
    read = [
        str(a["args"].get("path", "")).strip().lstrip("/")
        for a in reversed(state.get("actions", []))
        if a["tool"] in {"read_file", "list_files"}
    ]
    picked = list(dict.fromkeys(p for p in read if p in code))[:2]
    if not picked and len(modules) <= 2:
        picked = modules
    shown = {path: ws.read(path) or "" for path in picked}
    budget = ctx.history_budget()
    cap = None if budget is None else budget // 3 * 3  # a third of the prompt, in characters
    return {path: text for path, text in shown.items() if cap is None or len(text) <= cap}


def edit_view(state: RepoState) -> list[AnyMessage]:
    """What an edit branch sees before its request: the opening (system prompt, issue,
    files, first test run) and any reproduction test's note, not the looking turns; a
    small model writes edits better without them."""
    messages = state["messages"]
    notes = [m for m in messages[2:] if isinstance(m, HumanMessage) and m.text.startswith(ADDED)]
    return [*messages[:2], *notes]


def last_failure(state: RepoState) -> str:
    """The feedback of the last failed edit step, if any (its tool answer)."""
    for message in reversed(state["messages"]):
        if isinstance(message, ToolMessage) and message.text.startswith(EDIT_FAILED):
            return message.text
    return ""
