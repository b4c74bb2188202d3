# Shows: streaming branch progress with stream_mode="custom" and reading the step reports
# afterwards. Runs offline on a scripted fake model that sleeps, so progress is visible.
"""Branch events arrive as each branch finishes; the compact report comes last."""

from __future__ import annotations

import anyio
from langchain_core.messages import HumanMessage
from langgraph.graph import START, MessagesState, StateGraph

from langgraph_scaling import CallableVerifier, ScaledChatModel, ScalingPolicy, collect_reports
from langgraph_scaling.testing import ScriptedChatModel

is_number = CallableVerifier(lambda c: c.text.strip().isdigit(), name="is_number")
model = ScaledChatModel(
    ScriptedChatModel(script=["42", "forty-two", "42", "41"], delay=0.2),
    policy=ScalingPolicy(router=4, verifiers=[is_number], selection="weighted_vote"),
)


async def agent(state: MessagesState) -> dict[str, object]:
    return {"messages": [await model.ainvoke(state["messages"])]}


builder = StateGraph(MessagesState)
builder.add_node("agent", agent)
builder.add_edge(START, "agent")
graph = builder.compile()


async def main() -> None:
    with collect_reports() as reports:
        async for event in graph.astream(
            {"messages": [HumanMessage("6*7?")]}, stream_mode="custom"
        ):
            if event["event"] == "branch":
                print(
                    f"branch {event['branch']}: passed={event['passed']} key={event['vote_key']!r}"
                )
            elif event["event"] == "step_end":
                print("winner:", event["report"]["winner"], "-", event["report"]["reason"])
    (report,) = reports
    print(
        f"report: {report.launched} launched, {report.finished} finished, "
        f"{report.wall_s:.2f} s, votes {report.votes}"
    )


if __name__ == "__main__":
    anyio.run(main)
