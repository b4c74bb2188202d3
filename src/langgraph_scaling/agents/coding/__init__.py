"""The coding agent: propose candidates in scaled branches, verify them with tests, commit one.

A task is a function to write (verified with the examples visible in its prompt) or a bug to
fix in a repository (candidate unified diffs, verified by applying them to a temporary copy
and running the repository's test command). The model/backend and the scaling policy come
from the runtime context (:class:`CodingAgentContext`), so the same graph runs on the
embedded CPU model, an in-process vLLM engine on GPU, or a remote OpenAI-compatible server.

Modules: ``context.py`` (the invoke-time settings), ``graph.py`` (the state, the nodes and
:func:`build_coding_agent`).

Example:
    >>> from langgraph_scaling.agents.coding import CodingAgentContext, build_coding_agent
    >>> CodingAgentContext().selection
    'best'
"""

from langgraph_scaling.agents.coding.context import CodingAgentContext
from langgraph_scaling.agents.coding.graph import CodingState, build_coding_agent

__all__ = ["CodingAgentContext", "CodingState", "build_coding_agent"]
