"""The repository agent's graph: look, test, edit with verification, finish.

``start`` runs the tests once; when they all pass, ``reproduce`` first writes a test that
fails (a scaled step checked by :class:`~.verify.ReproductionVerifier`). Then ``agent``
(a scaled model turn that must call a tool, calls voted by action) alternates with
``tools`` (the looking tools) and ``edit`` (a scaled step whose branches each write the
edit, verified by :class:`~langgraph_scaling.verifiers.patch.PatchVerifier` with the test
files protected). A verified edit ends the run as ``fixed``; ``finish`` or the step limit
ends it with the best unverified edit (``best_effort``) or none (``no_fix``).

Example:
    >>> graph = build_repo_agent()
    >>> sorted(graph.get_graph().nodes)
    ['__end__', '__start__', 'agent', 'edit', 'finish', 'reproduce', 'start', 'tools']
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

from langchain_core.messages import AIMessage, AnyMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.runtime import Runtime

from langgraph_scaling.agents.repo import steps
from langgraph_scaling.agents.repo.context import RepoAgentContext
from langgraph_scaling.agents.repo.edit import edit_step
from langgraph_scaling.agents.repo.prompts import opening
from langgraph_scaling.agents.repo.tools import suite_text
from langgraph_scaling.agents.repo.workspace import Workspace, run_in_copy
from langgraph_scaling.edits import safe_path

__all__ = ["Outcome", "RepoState", "build_repo_agent"]

Outcome = Literal["fixed", "best_effort", "no_fix"]
"""How a run ended: a verified edit, the best unverified one, or no edit."""


class RepoState(TypedDict, total=False):
    """State of one run (plain JSON and messages, so any checkpointer keeps it)."""

    repo: str
    """The repository (input; never written unless ``apply_edit`` and ``fixed``)."""
    issue: str
    """The bug report (input)."""
    test_command: list[str]
    """The command that runs the repository's tests (input)."""
    messages: Annotated[list[AnyMessage], add_messages]
    """The conversation with the model."""
    changes: dict[str, str | None]
    """The agent's edits so far: path -> new text (``None``: deleted)."""
    steps: int
    """Model turns taken (tool turns, edit steps, the reproduction step)."""
    baseline_passed: bool
    """Whether every test passed before any edit."""
    failing_before: list[str]
    """Tests failing before any edit."""
    reproduction_test: list[str]
    """Test files the agent added to reproduce the issue."""
    best_edit: dict[str, Any] | None
    """The best edit that did not pass and broke no test that passed before:
    ``changes``, ``score``, ``failing`` (tests still failing), ``feedback``."""
    stop_reason: str
    """Why the agent could not take another turn (e.g. its context is full), if so."""
    outcome: Outcome
    reason: str
    """Why the run ended as it did, in a sentence."""
    diff: str
    """The committed edit (reproduction test included) as a unified diff."""
    applied: bool
    """Whether the edit was written to the repository."""
    actions: Annotated[list[dict[str, Any]], operator.add]
    """One line per tool call or step: turn, tool, arguments, result."""
    reports: Annotated[list[dict[str, Any]], operator.add]
    """The compact report of every scaled step."""


def _ctx(runtime: Runtime[RepoAgentContext]) -> RepoAgentContext:
    return runtime.context or RepoAgentContext()


async def start(state: RepoState, runtime: Runtime[RepoAgentContext]) -> RepoState:
    """Run the tests once; open the conversation with the issue, the files and the result."""
    ctx = _ctx(runtime)
    ws = Workspace(Path(state["repo"]))
    command = state["test_command"]
    run = await run_in_copy(ws, command, limit_s=ctx.test_timeout, sandbox=ctx.sandbox)
    tests = suite_text(run.exit_code, run.output)
    action = steps.record(0, "run_tests", {}, tests)
    update: RepoState = {
        "messages": opening(state["issue"], ws.files(), tests),
        "steps": 0,
        "changes": {},
        "baseline_passed": run.passed,
        "failing_before": list(run.failing),
        "actions": [action],
    }
    if run.passed and not ctx.reproduce:
        update["outcome"] = "no_fix"
        update["reason"] = (
            "Every test passes before any edit, so no edit can be verified "
            "(reproduce=False: no reproduction test was written)."
        )
    return update


def _after_start(state: RepoState) -> str:
    if state.get("outcome"):
        return "finish"
    return "reproduce" if state.get("baseline_passed") else "agent"


async def reproduce(state: RepoState, runtime: Runtime[RepoAgentContext]) -> RepoState:
    """Write a test that fails on the original code (a scaled, verified step)."""
    return await steps.reproduce_step(state, _ctx(runtime))


async def agent(state: RepoState, runtime: Runtime[RepoAgentContext]) -> RepoState:
    """One model turn that must call a tool (scaled; calls voted by action)."""
    return await steps.agent_turn(state, _ctx(runtime))


async def tools(state: RepoState, runtime: Runtime[RepoAgentContext]) -> RepoState:
    """Run the looking tools the last turn called; answer every call."""
    return await steps.run_look_tools(state, _ctx(runtime))


async def edit(state: RepoState, runtime: Runtime[RepoAgentContext]) -> RepoState:
    """The edit step: k branches write the edit, the patch verifier tests each."""
    return await edit_step(state, _ctx(runtime))


def _last_calls(state: RepoState) -> list[str]:
    last = state["messages"][-1]
    calls = last.tool_calls if isinstance(last, AIMessage) else []
    return [str(c["name"]) for c in calls]


def _after_agent(state: RepoState) -> str:
    if state.get("stop_reason"):
        return "finish"
    names = _last_calls(state)
    if names[:1] == ["finish"]:
        return "finish"
    return "edit" if "edit" in names else "tools"


def _next_turn(state: RepoState, runtime: Runtime[RepoAgentContext]) -> str:
    if state.get("outcome") or state.get("stop_reason"):
        return "finish"
    return "agent" if state.get("steps", 0) < _ctx(runtime).max_steps else "finish"


def finish(state: RepoState, runtime: Runtime[RepoAgentContext]) -> RepoState:
    """Settle the outcome, build the diff, and write it to the repository if asked."""
    ctx = _ctx(runtime)
    outcome = state.get("outcome")
    reason = state.get("reason", "")
    changes = dict(state.get("changes") or {})
    if outcome is None:
        outcome, reason, changes = _settle(state, ctx, changes)
    repo = Path(state["repo"])
    diff = Workspace(repo, changes).diff()
    applied = False
    if ctx.apply_edit and outcome == "fixed" and diff:
        _write(repo, changes)
        applied = True
    steps.emit({"event": "agent_end", "outcome": outcome, "reason": reason})
    return {
        "outcome": outcome,
        "reason": reason,
        "changes": changes,
        "diff": diff,
        "applied": applied,
    }


def _settle(
    state: RepoState, ctx: RepoAgentContext, changes: dict[str, str | None]
) -> tuple[Outcome, str, dict[str, str | None]]:
    """The outcome of a run that ended without a verified edit."""
    names = _last_calls(state) if state.get("messages") else []
    if state.get("stop_reason"):
        why = str(state["stop_reason"])
    elif names[:1] == ["finish"]:
        last = state["messages"][-1]
        assert isinstance(last, AIMessage)
        summary = str(last.tool_calls[0]["args"].get("summary", "")).strip()
        why = "The agent finished" + (f" ({summary[:200]})" if summary else "")
    else:
        why = f"The step limit ({ctx.max_steps} model turns) was reached"
    best = state.get("best_edit")
    if best:
        note = str(best["feedback"]).splitlines()[0] if best["feedback"] else ""
        return (
            "best_effort",
            f"{why} without an edit that passed the tests; the best edit (score "
            f"{best['score']:.2f}) is kept, unverified. {note}".strip(),
            {**changes, **best["changes"]},
        )
    return "no_fix", f"{why} without an edit that passed the tests.", changes


def _write(repo: Path, changes: dict[str, str | None]) -> None:
    for name, text in changes.items():
        target = repo / safe_path(repo, name)
        if text is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")


def build_repo_agent(**compile_kwargs: Any) -> Any:
    """Compile the repository agent (pass ``checkpointer=...`` and other compile options).

    Input: ``{"repo": path, "issue": text, "test_command": [argv...]}``; the model and the
    scaling policy come from the runtime context (:class:`RepoAgentContext`).

    Example:
        >>> from langgraph.checkpoint.memory import InMemorySaver
        >>> build_repo_agent(checkpointer=InMemorySaver()).context_schema.__name__
        'RepoAgentContext'
    """
    g = StateGraph(RepoState, context_schema=RepoAgentContext)
    for name, node in [
        ("start", start),
        ("reproduce", reproduce),
        ("agent", agent),
        ("tools", tools),
        ("edit", edit),
        ("finish", finish),
    ]:
        g.add_node(name, node)
    g.add_edge(START, "start")
    g.add_conditional_edges("start", _after_start, ["reproduce", "agent", "finish"])
    g.add_conditional_edges("reproduce", _next_turn, ["agent", "finish"])
    g.add_conditional_edges("agent", _after_agent, ["tools", "edit", "finish"])
    g.add_conditional_edges("tools", _next_turn, ["agent", "finish"])
    g.add_conditional_edges("edit", _next_turn, ["agent", "finish"])
    g.add_edge("finish", END)
    return g.compile(**compile_kwargs)
