"""A tool-using ReAct agent whose model step is scaled: tool calls are voted canonically.

Shows drop-in use on a general agent: the only change from a plain LangGraph ReAct agent is
that the chat model is wrapped in :class:`~langgraph_scaling.ScaledChatModel`. Branches
whose tool calls name an unknown tool or break the tool's schema fail verification.

The agent must act before it answers: its first model turn after a user message is bound
with ``tool_choice="required"`` (``ReactAgentContext.first_tool_choice``), which vLLM
backends enforce with constrained decoding, so even the embedded 0.5B model makes a real
call instead of writing one as JSON text. Later turns, which read the tool results, are
``"auto"``: the agent needs them to answer in text and end the loop (requiring a call on
every turn would never end it). ``first_tool_choice="auto"`` gives LangGraph's usual agent.

Example:
    >>> from langgraph_scaling.graphs.react_agent import graph
    >>> sorted(graph.get_graph().nodes)
    ['__end__', '__start__', 'agent', 'tools']
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Sequence
from typing import Any, Literal

from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import BaseTool, tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.runtime import Runtime
from pydantic import Field, StrictInt

from langgraph_scaling import ScaledChatModel, ScalingPolicy, ToolCallVerifier
from langgraph_scaling.langgraph.agent_context import AgentContext
from langgraph_scaling.policy import SelectionMethod

__all__ = ["ReactAgentContext", "build_react_agent", "calculator", "graph"]

_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
    ast.FloorDiv: operator.floordiv,
}


def _eval(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return float(_OPS[type(node.op)](_eval(node.left), _eval(node.right)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand)
    raise ValueError(f"unsupported expression: {ast.dump(node)[:60]}")


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression (numbers and + - * / // % **)."""
    try:
        value = _eval(ast.parse(expression, mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError) as exc:
        return f"error: {exc}"
    return str(int(value)) if float(value).is_integer() else str(value)


class ReactAgentContext(AgentContext):
    """Invoke-time settings: where the model is, how the step scales, budgets (JSON-valued).

    ``model=`` (a chat model or backend) and ``policy=`` (a whole policy) are accepted from
    Python; a server request sets the JSON fields, e.g.
    ``{"base_url": "http://127.0.0.1:8000/v1", "served_model": "qwen", "router": 8,
    "steps": {"agent": {"max_branches": 2}}}``.
    """

    selection: SelectionMethod = "weighted_vote"
    max_new_tokens: StrictInt | None = Field(default=256, ge=1)
    system_prompt: str = "You are a helpful assistant. Use the tools when they help."
    """The system message put before the conversation."""
    first_tool_choice: Literal["auto", "required"] = "required"
    """``tool_choice`` of the first model turn after a user message (later turns: ``"auto"``).
    ``"required"``: the agent calls a tool before it answers."""

    def agent_policy(self) -> ScalingPolicy:
        """The agent step's policy: tool calls checked against the tools' schemas."""
        return self.scaling_policy(verifiers=[ToolCallVerifier()])


def build_react_agent(tools: Sequence[BaseTool] = (calculator,), **compile_kwargs: Any) -> Any:
    """Compile the scaled ReAct agent over ``tools``."""
    tools = list(tools)

    async def agent(state: MessagesState, runtime: Runtime[ReactAgentContext]) -> dict[str, Any]:
        ctx = runtime.context or ReactAgentContext()
        scaled = ScaledChatModel(ctx.backend(), policy=ctx.agent_policy(), step="agent")
        must_act = isinstance(state["messages"][-1], HumanMessage)
        model = scaled.bind_tools(tools, tool_choice=ctx.first_tool_choice if must_act else "auto")
        messages = [SystemMessage(ctx.system_prompt), *state["messages"]]
        return {"messages": [await model.ainvoke(messages)]}

    g = StateGraph(MessagesState, context_schema=ReactAgentContext)
    g.add_node("agent", agent)
    g.add_node("tools", ToolNode(tools))
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", tools_condition)
    g.add_edge("tools", "agent")
    return g.compile(**compile_kwargs)


graph = build_react_agent()
