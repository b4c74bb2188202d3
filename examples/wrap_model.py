# Shows: adding scaling to an existing LangGraph ReAct agent by changing one line (wrap the model).
# Runs offline on a scripted fake model whose branches disagree; pass --embedded to run it on
# the embedded Qwen2.5-Coder-0.5B-Instruct through in-process vLLM instead.
"""Four branches propose tool calls; the majority (arguments compared canonically) wins."""

from __future__ import annotations

import sys

import anyio
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from langgraph_scaling import ScaledChatModel, ScalingPolicy, ToolCallVerifier
from langgraph_scaling.testing import ScriptedChatModel, tool_call


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def make_model() -> object:
    if "--embedded" in sys.argv:
        from langgraph_scaling.backends.default import default_backend

        return default_backend()
    return ScriptedChatModel(
        script=[
            tool_call("multiply", {"a": 6, "b": 7}),
            tool_call("multiply", {"b": 7, "a": 6}),
            tool_call("multiply", {"a": 6, "b": 8}),
            tool_call("mul", {"x": 6}),
            "6 times 7 is 42.",
            "6 times 7 is 42.",
            "It is 48.",
            "6 times 7 is 42.",
        ]
    )


async def main() -> None:
    # Before: model = ChatOpenAI(...) -- after, the one changed line:
    model = ScaledChatModel(
        make_model(),
        policy=ScalingPolicy(router=4, verifiers=[ToolCallVerifier()], selection="weighted_vote"),
    )
    bound = model.bind_tools([multiply])

    async def agent(state: MessagesState) -> dict[str, object]:
        return {"messages": [await bound.ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode([multiply]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    graph = builder.compile(checkpointer=InMemorySaver())

    result = await graph.ainvoke(
        {"messages": [HumanMessage("What is 6 times 7?")]}, {"configurable": {"thread_id": "demo"}}
    )
    for message in result["messages"]:
        scaling = message.response_metadata.get("scaling")
        line = message.text or str([c["name"] + str(c["args"]) for c in message.tool_calls])
        print(f"{message.type:>5}: {line}")
        if scaling:
            print(f"       scaled: {scaling['launched']} branches, votes {scaling['votes']}")


if __name__ == "__main__":
    anyio.run(main)
