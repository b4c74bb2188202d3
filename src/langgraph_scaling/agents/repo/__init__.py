"""The repository agent: a tool-using agent whose every step is scaled and whose edit is
test-verified.

It looks around a repository (``list_files``, ``read_file``, ``search_code``), runs its
tests in the sandbox (``run_tests``) and edits it (``edit``, in any form
:mod:`langgraph_scaling.edits` reads); every model turn is a scaled step, and the edit step's
branches are each verified by the patch verifier with the test files protected. When every
test passes before any edit, it first writes a test that fails (Agentless-style). A run
ends ``fixed`` (a verified edit), ``best_effort`` (the best unverified edit, said so) or
``no_fix``, with the reports of every step.

Modules: ``context.py`` (:class:`RepoAgentContext`), ``workspace.py`` (the repository plus
the agent's edits, the sandboxed test run), ``tools.py``, ``verify.py`` (the reproduction
check, the branch recorder, the action vote key), ``prompts.py``, ``steps.py`` (the scaled
turn and reproduction steps), ``edit.py`` (the scaled edit step; ``unchanged.py``: its second
try for branches that copied the code back), ``graph.py`` (:class:`RepoState`,
:func:`build_repo_agent`).

Example:
    >>> from langgraph_scaling.agents.repo import RepoAgentContext, build_repo_agent
    >>> build_repo_agent().context_schema is RepoAgentContext
    True
"""

from langgraph_scaling.agents.repo.context import RepoAgentContext
from langgraph_scaling.agents.repo.graph import Outcome, RepoState, build_repo_agent

__all__ = ["Outcome", "RepoAgentContext", "RepoState", "build_repo_agent"]
