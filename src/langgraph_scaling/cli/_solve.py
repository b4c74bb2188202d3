"""``langgraph-scaling solve``: one task, live branch progress, the committed answer."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.syntax import Syntax

from langgraph_scaling.backends import Backend
from langgraph_scaling.cli._policies import PolicySpec
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
        console.print(
            f"    branch {event['branch']}: {mark} score={event['score']} "
            f"tokens={event['tokens_out']}"
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


async def solve(
    task: CodingTask,
    spec: PolicySpec,
    backend: Backend,
    console: Console,
    *,
    apply_patch: bool = False,
) -> dict[str, Any]:
    """Run the coding agent on ``task``, printing branches as they finish."""
    from langgraph_scaling.agents.coding import CodingAgentContext, build_coding_agent

    graph = build_coding_agent()
    ctx = CodingAgentContext(
        model=backend,
        policy=spec.policy,
        verify=spec.verify,
        apply_patch=apply_patch,
        signals=spec.signals,
    )
    final: dict[str, Any] = {}
    async for mode, chunk in graph.astream(
        {"task": task}, context=ctx, stream_mode=["custom", "values"]
    ):
        if mode == "custom":
            _show(console, chunk)
        else:
            final = chunk
    lexer = "diff" if task.kind == "patch" else "python"
    verdict = "[green]passed[/]" if final.get("passed") else "[red]did not pass[/]"
    console.print(f"\nCommitted answer ({verdict} visible verification):")
    console.print(Syntax(final.get("answer", ""), lexer, line_numbers=False))
    if final.get("applied"):
        console.print(f"Applied to {task.repo}.")
    return final
