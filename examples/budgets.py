# Shows: per-step budgets at build time, overridden per step at invoke time, and a run-level
# budget shared by all steps of one invocation. Runs offline on a scripted fake model.
"""A planner and a critic step, each scaled; the context decides how much each may spend."""

from __future__ import annotations

import anyio
from langchain_core.messages import HumanMessage
from langgraph.graph import START, MessagesState, StateGraph

from langgraph_scaling import (
    Budget,
    ScaledChatModel,
    ScalingContext,
    ScalingPolicy,
    collect_reports,
)
from langgraph_scaling.testing import ScriptedChatModel

fake = ScriptedChatModel(script=["plan A", "plan A", "plan B"])
# Build time: the planner may use up to 6 branches, the critic 3 and 10 seconds.
planner = ScaledChatModel(
    fake, step="planner", policy=ScalingPolicy(router=6, budget=Budget(max_branches=6))
)
critic = ScaledChatModel(
    fake, step="critic", policy=ScalingPolicy(router=3, budget=Budget(max_seconds=10))
)


async def plan(state: MessagesState) -> dict[str, object]:
    return {"messages": [await planner.ainvoke(state["messages"])]}


async def review(state: MessagesState) -> dict[str, object]:
    return {"messages": [await critic.ainvoke(state["messages"])]}


builder = StateGraph(MessagesState, context_schema=ScalingContext)
builder.add_node("plan", plan)
builder.add_node("review", review)
builder.add_edge(START, "plan")
builder.add_edge("plan", "review")
graph = builder.compile()


async def run(label: str, context: ScalingContext) -> None:
    with collect_reports() as reports:
        await graph.ainvoke({"messages": [HumanMessage("Plan the release.")]}, context=context)
    spent = ", ".join(f"{r.step}={r.launched}" for r in reports)
    notes = [n for r in reports for n in r.notes]
    print(f"{label:<36} branches: {spent}  {notes if notes else ''}")


async def main() -> None:
    await run("build-time budgets", ScalingContext())
    await run(
        "invoke-time override (planner: 2)", ScalingContext(steps={"planner": {"max_branches": 2}})
    )
    await run("run budget of 7 branches in all", ScalingContext(run_budget=Budget(max_branches=7)))


if __name__ == "__main__":
    anyio.run(main)
