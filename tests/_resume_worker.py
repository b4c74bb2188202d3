"""A graph run in its own process, for tests/test_reliability_resume.py.

``python -m tests._resume_worker DB LOG_DIR start|resume [hang] [budget]``: a ReAct-style
graph whose scaled agent step (4 branches) calls the ``record`` tool twice, then answers;
with ``hang`` the answering step never finishes (the test kills the process there); with
``budget`` the run has a run budget of 10 branches, given as a JSON-valued context. The
model appends ``<pid> <step>`` to ``calls.log`` per branch and the tool appends its value to
``tools.log``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from langgraph_scaling import ScaledChatModel, ScalingContext, ScalingPolicy
from langgraph_scaling.testing import ScriptedChatModel, tool_call

DB, LOG_DIR, PHASE = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
HANG = "hang" in sys.argv[4:]
BUDGET = "budget" in sys.argv[4:]


def append(name: str, line: str) -> None:
    with (LOG_DIR / name).open("a") as f:
        f.write(line + "\n")


@tool
def record(value: int) -> int:
    """Record a value."""
    append("tools.log", str(value))
    return value


class StepModel(ScriptedChatModel):
    """Step = number of tool results so far: 0 and 1 call ``record``; 2 answers."""

    async def _agenerate(self, messages, stop=None, run_manager=None, **kw):  # type: ignore[no-untyped-def]
        step = sum(isinstance(m, ToolMessage) for m in messages)
        append("calls.log", f"{os.getpid()} {step}")
        if step < 2:
            msg = tool_call("record", {"value": step + 1}, f"call{step}")
        else:
            if HANG:
                await asyncio.sleep(3600)
            msg = AIMessage(f"done after {step} tools")
        return ChatResult(generations=[ChatGeneration(message=msg)])


async def main() -> None:
    model = ScaledChatModel(StepModel(script=[""]), policy=ScalingPolicy(router=4))
    bound = model.bind_tools([record])

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await bound.ainvoke(state["messages"])]}

    g = StateGraph(MessagesState, context_schema=ScalingContext)
    g.add_node("agent", agent)
    g.add_node("tools", ToolNode([record]))
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", tools_condition)
    g.add_edge("tools", "agent")
    config: Any = {"configurable": {"thread_id": "run-1"}}
    async with AsyncSqliteSaver.from_conn_string(DB) as saver:
        graph = g.compile(checkpointer=saver)
        first = {"messages": [HumanMessage("go")]} if PHASE == "start" else None
        context = {"run_budget": {"max_branches": 10}} if BUDGET else {}
        result = await graph.ainvoke(first, config, context=context)
    print(json.dumps([[type(m).__name__, m.text] for m in result["messages"]]))


if __name__ == "__main__":
    asyncio.run(main())
