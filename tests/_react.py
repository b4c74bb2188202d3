"""The small ReAct graph several tests drive, and its one tool.

An ``agent`` node calls a chat model (usually a ``ScaledChatModel``) bound to ``multiply``;
``tools_condition`` routes tool calls to a ``ToolNode`` and back. ``TOOL_RUNS`` records the
products the tool computed (bounded, so the load test does not grow it without end).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

TOOL_RUNS: deque[int] = deque(maxlen=64)


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    TOOL_RUNS.append(a * b)
    return a * b


def react_graph(
    model: Any, *, checkpointer: Any = None, context_schema: Any = None, sync: bool = False
) -> Any:
    """agent -> tools -> agent until the model answers in text; ``sync`` uses ``invoke``."""
    bound = model.bind_tools([multiply])

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await bound.ainvoke(state["messages"])]}

    def sync_agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [bound.invoke(state["messages"])]}

    g = StateGraph(MessagesState, context_schema=context_schema)
    g.add_node("agent", sync_agent if sync else agent)
    g.add_node("tools", ToolNode([multiply]))
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", tools_condition)
    g.add_edge("tools", "agent")
    return g.compile(checkpointer=checkpointer)
