"""The coding agent, compiled for ``langgraph.json`` (``graph``).

The agent itself lives in the library (:mod:`langgraph_scaling.agents.coding`); this app
module compiles it and re-exports its names for existing imports.

Example:
    >>> from langgraph_scaling.graphs.coding_agent import CodingAgentContext, graph
    >>> sorted(graph.get_graph().nodes)
    ['__end__', '__start__', 'commit', 'propose']
"""

from __future__ import annotations

from langgraph_scaling.agents.coding import CodingAgentContext, CodingState, build_coding_agent

__all__ = ["CodingAgentContext", "CodingState", "build_coding_agent", "graph"]

graph = build_coding_agent()
