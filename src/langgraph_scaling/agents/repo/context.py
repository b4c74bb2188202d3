"""The repository agent's invoke-time settings (the graph's ``context_schema``).

Example:
    >>> ctx = RepoAgentContext(router=2, max_steps=6)
    >>> ctx.step_policy().router.n, ctx.max_steps, ctx.protect
    (2, 6, 'reject')
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt

from langgraph_scaling.langgraph.agent_context import AgentContext
from langgraph_scaling.policy import ScalingPolicy, SelectionMethod
from langgraph_scaling.verifiers.patch import DEFAULT_PROTECTED

__all__ = ["RepoAgentContext"]


class RepoAgentContext(AgentContext):
    """Invoke-time settings of the repository agent (JSON-valued; see ``AgentContext``).

    Every model turn, the edit step and the reproduction-test step scale with the same
    policy (``policy=`` from Python, or ``router``/``selection``/... from JSON); each step
    adds its own verifiers (tool-call schemas, the patch verifier, the "must fail" check)
    and its own vote key.
    """

    selection: SelectionMethod = "best"
    """How each step picks its answer (``best``: the verifiers' score, ties by vote)."""
    max_new_tokens: StrictInt | None = Field(default=768, ge=1)
    """Tokens each branch may generate (an edit needs room)."""
    max_steps: StrictInt = Field(default=12, ge=1)
    """Model turns the agent may take (each tool call and each edit step is one)."""
    test_timeout: float = Field(default=60.0, gt=0, allow_inf_nan=False)
    """Seconds one run of the test command may take."""
    protected: tuple[str, ...] = DEFAULT_PROTECTED
    """Globs of test files an edit may not change (see ``PatchVerifier``)."""
    protect: Literal["reject", "restore"] = "reject"
    """An edit touching a protected file fails (``reject``) or loses those changes."""
    reproduce: bool = True
    """When every test passes before any edit, first write a test that fails (Agentless)."""
    apply_edit: bool = False
    """Write the committed edit to the repository (only a verified one)."""

    def step_policy(self) -> ScalingPolicy:
        """The policy every step starts from (``policy``, or one from the JSON fields)."""
        return self.scaling_policy()
