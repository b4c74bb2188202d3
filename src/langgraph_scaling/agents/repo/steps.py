"""The repository agent's scaled steps: a model turn, the edit, the reproduction test.

Each is one :class:`~langgraph_scaling.ScaledChatModel` call whose policy is the run's
policy with the step's own verifiers and vote key: a turn must call a tool
(``tool_choice="required"``, checked by ``ToolCallVerifier``, voted by action); the edit's
branches are tested by ``PatchVerifier`` on the workspace; the reproduction test's by
:class:`~.verify.ReproductionVerifier`. Every branch's verdict is recorded
(:class:`~.verify.Recorder`), so a failed edit step tells the model what each branch got
wrong. Progress goes to ``stream_mode="custom"`` as ``agent_action`` events.

Example:
    >>> record(3, "read_file", {"path": "a.py"}, "a.py (2 lines)\\n...")["result"]
    'a.py (2 lines)'
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.config import get_stream_writer
from pydantic import ValidationError

from langgraph_scaling.agents.repo.context import RepoAgentContext
from langgraph_scaling.agents.repo.guidance import (
    looked_enough,
    looks,
    repeats,
)
from langgraph_scaling.agents.repo.history import fit, size
from langgraph_scaling.agents.repo.prompts import (
    reproduction_added,
    reproduction_request,
)
from langgraph_scaling.agents.repo.tools import (
    LOOK_TOOLS,
    bounded_specs,
    make_repo_tools,
    salvage_edit_call,
)
from langgraph_scaling.agents.repo.verify import (
    Recorder,
    ReproductionVerifier,
    action_key,
    change_key,
)
from langgraph_scaling.agents.repo.workspace import Workspace
from langgraph_scaling.edits import EditError, parse_edits
from langgraph_scaling.errors import StepFailedError
from langgraph_scaling.langgraph import ScaledChatModel
from langgraph_scaling.verifiers.tool_call import ToolCallVerifier

if TYPE_CHECKING:
    from langgraph_scaling.agents.repo.graph import RepoState

__all__ = [
    "CONTEXT_FULL",
    "agent_turn",
    "context_full",
    "emit",
    "history_left",
    "record",
    "reproduce_step",
    "run_look_tools",
    "workspace_of",
]


def emit(event: dict[str, Any]) -> None:
    """Send a progress event to ``stream_mode="custom"`` (nothing outside a graph)."""
    try:
        writer = get_stream_writer()
    except RuntimeError:
        return
    writer(event)


def record(turn: int, tool: str, args: Mapping[str, Any], result: str) -> dict[str, Any]:
    """One ``actions`` entry (and its progress event): short arguments, the result's first
    line."""
    shown = {k: (v if len(str(v)) <= 80 else f"{str(v)[:77]}...") for k, v in args.items()}
    first = result.strip().splitlines()[0] if result.strip() else ""
    action = {"turn": turn, "tool": tool, "args": shown, "result": first[:200]}
    emit({"event": "agent_action", **action})
    return action


def workspace_of(state: RepoState) -> Workspace:
    return Workspace(Path(state["repo"]), state.get("changes") or {})


def _tools(state: RepoState, ctx: RepoAgentContext, ws: Workspace | None = None) -> list[BaseTool]:
    return make_repo_tools(
        ws or workspace_of(state),
        state["test_command"],
        timeout=ctx.test_timeout,
        protected=ctx.protected,
        sandbox=ctx.sandbox,
    )


async def agent_turn(state: RepoState, ctx: RepoAgentContext) -> RepoState:
    """One model turn that must call a tool; branches vote on the action."""
    base = ctx.step_policy()
    checker = ToolCallVerifier(require_tool_call=True)
    policy = base.model_copy(update={"verifiers": (checker,), "vote_key": action_key})
    model = ScaledChatModel(ctx.backend(), policy=policy, step="agent")
    constrained = ctx.tool_choice == "required"
    # a constrained call's strings are capped to close within the answer's tokens
    tools = bounded_specs(_tools(state, ctx), ctx.answer_tokens() if constrained else None)
    choice = "edit" if constrained and looked_enough(state, ctx) else None
    bound = model.bind_tools(
        tools, tool_choice=choice or ctx.tool_choice, parallel_tool_calls=False
    )
    try:
        message = await bound.ainvoke(fit(state["messages"], ctx.history_budget(), tools))
    except StepFailedError as exc:
        if not context_full(exc):
            raise
        why = CONTEXT_FULL
        return {"steps": state.get("steps", 0) + 1, "stop_reason": why, "reports": [
            exc.report.model_dump(mode="json")] if exc.report else []}  # fmt: skip
    if choice == "edit":  # no branch's call parsed: keep the plan the committed one began
        message = salvage_edit_call(message)
    return {
        "messages": [message],
        "steps": state.get("steps", 0) + 1,
        "reports": [message.response_metadata["scaling"]],
    }


CONTEXT_FULL = "The conversation outgrew the model's context window"
"""Why a run stopped when a step's prompt no longer fits (the turn's and the edit's)."""


def history_left(ctx: RepoAgentContext, ask: HumanMessage) -> int | None:
    """The history budget left beside the request ``ask``."""
    budget = ctx.history_budget()
    return None if budget is None else budget - size([ask])


def context_full(exc: StepFailedError) -> bool:
    """Every branch failed because the prompt no longer fits the model's context (vLLM's and
    OpenAI's wording): the run ends with what it has instead of crashing."""
    text = " ".join(str(e) for e in (exc, exc.__cause__) if e is not None)
    return "maximum context length" in text


async def _call(tool: BaseTool, args: dict[str, Any]) -> str:
    try:
        return str(await tool.ainvoke(args))
    except (ValidationError, TypeError, EditError) as err:
        return f"error: bad arguments for {tool.name}: {str(err).splitlines()[0]}"


async def run_look_tools(state: RepoState, ctx: RepoAgentContext) -> RepoState:
    """Answer each tool call of the last turn (the looking tools run; others are refused)."""
    last = state["messages"][-1]
    turn = state.get("steps", 0)
    calls = last.tool_calls if isinstance(last, AIMessage) else []
    if not calls:
        names = ", ".join([*LOOK_TOOLS, "edit", "finish"])
        nudge = HumanMessage(f"Call one of the tools ({names}).")
        return {"messages": [nudge], "actions": [record(turn, "(no tool call)", {}, "")]}
    tools = {t.name: t for t in _tools(state, ctx)}
    answers: list[AnyMessage] = []
    actions: list[dict[str, Any]] = []
    for call in calls:
        name, args = str(call["name"]), dict(call.get("args") or {})
        if name in LOOK_TOOLS:
            result = await _call(tools[name], args)
        else:
            result = f"error: no tool {name!r}; call one of {', '.join(tools)}, one at a time"
        action = record(turn, name, args, result)
        earlier = repeats(action, [*looks(state), *actions])
        if earlier is not None:
            result = (
                f"(The same call as turn {earlier['turn']}; nothing has changed since. "
                f"Now write the fix with edit.)\n{result}"
            )
        answers.append(ToolMessage(result, tool_call_id=call.get("id") or name, name=name))
        actions.append(action)
    return {"messages": answers, "actions": actions}


def _repro_path(ws: Workspace) -> str:
    folder = "tests/" if any(f.startswith("tests/") for f in ws.files()) else ""
    return f"{folder}test_issue_reproduction.py"


async def reproduce_step(state: RepoState, ctx: RepoAgentContext) -> RepoState:
    """Write a test that fails on the original code; add it, or end with ``no_fix``."""
    ws = workspace_of(state)
    path = _repro_path(ws)
    turn = state.get("steps", 0) + 1
    base = ctx.step_policy()
    with tempfile.TemporaryDirectory(prefix="repo-agent-repro-") as tmp:
        root = ws.materialise(Path(tmp) / "repo")
        (root / path).touch()  # so that a whole-file answer for the new test parses
        check = ReproductionVerifier(
            root,
            state["test_command"],
            test_globs=ctx.protected,
            timeout=ctx.test_timeout,
            sandbox=ctx.sandbox,
        )
        recorder = Recorder(check)
        policy = base.model_copy(update={"verifiers": (recorder,), "vote_key": change_key(root)})
        model = ScaledChatModel(ctx.backend(), policy=policy, step="reproduce")
        ask = reproduction_request(path)
        answer = await model.ainvoke([*fit(state["messages"], history_left(ctx, ask)), ask])
        report = answer.response_metadata["scaling"]
        won = recorder.get(report.get("winner"))
        added = (
            {c.path: c.after for c in parse_edits(won.text, root).changes}
            if won is not None and won.verdict.passed
            else None
        )
    text = won.verdict.feedback if won is not None else "no branch finished"
    update: RepoState = {
        "steps": turn,
        "reports": [report],
        "actions": [record(turn, "reproduce", {"path": path}, text)],
    }
    if added is None:
        update["outcome"] = "no_fix"
        update["reason"] = (
            "Every test passes before any edit, and no branch wrote a test that fails on "
            f"the original code ({text.splitlines()[0] if text else 'no feedback'})."
        )
        return update
    files = sorted(added)
    update |= {
        "changes": {**ws.changes, **added},
        "reproduction_test": files,
        "messages": [reproduction_added(", ".join(files), text)],
    }
    return update
