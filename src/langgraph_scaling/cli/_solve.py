"""``langgraph-scaling solve``: one task, live branch progress, the committed answer."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax

from langgraph_scaling.backends import Backend
from langgraph_scaling.cli._policies import PolicySpec
from langgraph_scaling.sandbox import Sandbox
from langgraph_scaling.tasks import CodingTask

__all__ = ["solve"]


def _show(console: Console, event: dict[str, Any]) -> None:
    kind = event.get("event")
    if kind == "step_start":
        r = event["router"]
        console.print(f"[bold]{event['step']}[/]: {r['reason']} (waves {event['waves']})")
    elif kind == "wave_start":
        what = f"revision round {event['round']}" if event["round"] else f"wave {event['wave']}"
        console.print(f"  {what}: {event['branches']} branch(es)")
    elif kind == "branch":
        if event["status"] != "ok":
            mark = f"[yellow]{event['status']}[/] {event.get('error') or ''}"
        elif event["passed"]:
            mark = "[green]passed[/]"
        else:
            mark = "[red]failed[/]"
        why = f" - {escape(event['feedback'])}" if event.get("feedback") else ""
        console.print(
            f"    branch {event['branch']}: {mark} score={event['score']} "
            f"tokens={event['tokens_out']}{why}"
        )
    elif kind == "agent_action":
        args = ", ".join(f"{k}={v!r}" for k, v in event["args"].items())
        console.print(
            f"[bold cyan]turn {event['turn']}[/] {escape(event['tool'])}({escape(args)}) "
            f"-> {escape(event['result'])}"
        )
    elif kind == "step_end":
        rep = event["report"]
        console.print(
            f"  winner: branch {rep['winner']} ({rep['reason']}); "
            f"{rep['launched']} branches, {rep['tokens_out']} tokens out, "
            f"{rep['wall_s']:.1f} s"
        )
        for note in rep["notes"]:
            console.print(f"  note: {note}")


async def _run_showing(graph: Any, inputs: Any, ctx: Any, console: Console) -> dict[str, Any]:
    """Run ``graph`` to its end, printing its custom events (branches); its last state."""
    final: dict[str, Any] = {}
    async for mode, chunk in graph.astream(inputs, context=ctx, stream_mode=["custom", "values"]):
        if mode == "custom":
            _show(console, chunk)
        else:
            final = chunk
    return final


async def solve(
    task: CodingTask,
    spec: PolicySpec,
    backend: Backend,
    console: Console,
    *,
    apply_patch: bool = False,
    max_steps: int = 12,
    sandbox: Sandbox | None = None,
) -> dict[str, Any]:
    """Run the coding agent on ``task``, printing branches as they finish; its tests run
    in ``sandbox`` (default: the shared local one).

    A patch task runs the repository agent (``passed`` is ``outcome == "fixed"``); a
    function task the one-shot coding agent.
    """
    if task.kind == "patch":
        return await solve_repo(
            task,
            spec,
            backend,
            console,
            apply_edit=apply_patch,
            max_steps=max_steps,
            sandbox=sandbox,
        )
    from langgraph_scaling.agents.coding import CodingAgentContext, build_coding_agent

    graph = build_coding_agent()
    ctx = CodingAgentContext(
        model=backend,
        policy=spec.policy,
        verify=spec.verify,
        apply_patch=apply_patch,
        signals=spec.signals,
        sandbox=sandbox,
    )
    final = await _run_showing(graph, {"task": task}, ctx, console)
    verdict = "[green]passed[/]" if final.get("passed") else "[red]did not pass[/]"
    console.print(f"\nCommitted answer ({verdict} visible verification):")
    console.print(Syntax(final.get("answer", ""), "python", line_numbers=False))
    return final


async def solve_repo(
    task: CodingTask,
    spec: PolicySpec,
    backend: Backend,
    console: Console,
    *,
    apply_edit: bool = False,
    max_steps: int = 12,
    sandbox: Sandbox | None = None,
) -> dict[str, Any]:
    """Run the repository agent on a patch task: each tool call, each branch, the outcome."""
    from langgraph_scaling.agents.repo import RepoAgentContext, build_repo_agent

    assert task.repo is not None
    issue = task.prompt
    if task.context_files:
        issue += "\n\nFiles to look at: " + ", ".join(task.context_files)
    ctx = RepoAgentContext(
        model=backend,
        policy=spec.policy,
        apply_edit=apply_edit,
        max_steps=max_steps,
        sandbox=sandbox,
    )
    inputs = {"repo": str(task.repo), "issue": issue, "test_command": list(task.test_command)}
    final = await _run_showing(build_repo_agent(), inputs, ctx, console)
    outcome = final.get("outcome", "no_fix")
    colour = {"fixed": "green", "best_effort": "yellow"}.get(outcome, "red")
    console.print(f"\nOutcome: [{colour}]{outcome}[/] - {escape(final.get('reason', ''))}")
    if final.get("diff"):
        what = "The verified edit" if outcome == "fixed" else "The best edit (unverified)"
        console.print(f"{what}:")
        console.print(Syntax(final["diff"], "diff", line_numbers=False))
    if final.get("applied"):
        console.print(f"Applied to {task.repo}.")
    elif apply_edit:
        console.print(f"Not applied to {task.repo}: only a verified edit is written.")
    return {**final, "passed": outcome == "fixed"}
