# Shows: the same scaling added to a `langchain.agents.create_agent` agent as a middleware.
# Runs offline on a scripted fake model (needs the `agents` extra: langchain).
"""Every model call of the agent runs as a scaled step; the report rides on the message."""

from __future__ import annotations

from langchain.agents import create_agent
from langchain_core.tools import tool

from langgraph_scaling import ScalingMiddleware, ScalingPolicy, ToolCallVerifier
from langgraph_scaling.testing import ScriptedChatModel, tool_call


@tool
def lookup_capital(country: str) -> str:
    """The capital city of a country."""
    return {"france": "Paris", "italy": "Rome"}.get(country.strip().lower(), "unknown")


model = ScriptedChatModel(
    script=[
        tool_call("lookup_capital", {"country": "France"}),
        tool_call("lookup_capital", {"country": " France "}),
        tool_call("lookup_capital", {"country": "Italy"}),
        "The capital of France is Paris.",
        "Paris.",
        "The capital of France is Paris.",
    ]
)
agent = create_agent(
    model,
    tools=[lookup_capital],
    middleware=[ScalingMiddleware(ScalingPolicy(router=3, verifiers=[ToolCallVerifier()]))],
)

if __name__ == "__main__":
    result = agent.invoke({"messages": [("user", "What is the capital of France?")]})
    for message in result["messages"]:
        scaling = message.response_metadata.get("scaling")
        print(f"{message.type:>5}: {message.text or message.tool_calls[0]['args']}")
        if scaling:
            print(f"       {scaling['reason']}")
