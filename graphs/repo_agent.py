"""The repository agent, compiled for ``langgraph.json`` (``graph``).

The agent lives in the library (:mod:`langgraph_scaling.agents.repo`); this app module
compiles it. Input: ``{"repo": path, "issue": text, "test_command": [argv...]}``; the
context (``RepoAgentContext``) is JSON: ``router``, ``max_steps``, ``base_url``...

Example:
    >>> from langgraph_scaling.graphs.repo_agent import graph
    >>> "edit" in graph.get_graph().nodes
    True
"""

from __future__ import annotations

from langgraph_scaling.agents.repo import RepoAgentContext, RepoState, build_repo_agent

__all__ = ["RepoAgentContext", "RepoState", "build_repo_agent", "graph"]

graph = build_repo_agent()
