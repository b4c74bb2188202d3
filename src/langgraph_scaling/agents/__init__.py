"""Agents built from the library's pieces: graphs the CLI runs and apps serve.

One subpackage per agent, so an agent can grow into several modules (nodes, tools, prompts)
without touching the others. The top-level ``graphs/`` folder (installed as
``langgraph_scaling.graphs``) is the app layer: it compiles these for ``langgraph.json``;
nothing in the library imports it.

Example:
    >>> from langgraph_scaling.agents import build_coding_agent
    >>> sorted(build_coding_agent().get_graph().nodes)
    ['__end__', '__start__', 'commit', 'propose']
"""

from langgraph_scaling.agents.coding import CodingAgentContext, CodingState, build_coding_agent

__all__ = ["CodingAgentContext", "CodingState", "build_coding_agent"]
