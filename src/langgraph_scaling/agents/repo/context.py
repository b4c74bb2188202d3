"""The repository agent's invoke-time settings (the graph's ``context_schema``).

Example:
    >>> ctx = RepoAgentContext(router=2, max_steps=6)
    >>> ctx.step_policy().router.n, ctx.max_steps, ctx.protect
    (2, 6, 'reject')
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt, model_validator

from langgraph_scaling.langgraph.agent_context import AgentContext
from langgraph_scaling.policy import ScalingPolicy, SelectionMethod
from langgraph_scaling.verifiers.patch import DEFAULT_PROTECTED

__all__ = ["RepoAgentContext"]

MIN_PROMPT = 512
"""Fewest prompt tokens a step may be left (the opening alone takes a few hundred)."""


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
    context_window: StrictInt | None = Field(default=4096, ge=512)
    """The model's context in tokens (the embedded engine's is 4096). What each step sends
    is shortened to leave ``max_new_tokens`` free (see ``history``); ``None``: never."""
    look_limit: StrictInt = Field(default=4, ge=1)
    """Looking turns in a row after which the next turn must call ``edit`` (so must the
    turn after a repeated call); with ``tool_choice="required"`` only."""
    tool_choice: Literal["required", "auto"] = "required"
    """``required``: every turn's tool call is constrained (structured outputs on vLLM);
    ``auto``: the model writes it freely and the engine's tool parser reads it (a branch
    without a call still fails ``ToolCallVerifier``). For measuring what the constraint buys."""

    @model_validator(mode="after")
    def _room_to_answer(self) -> RepoAgentContext:
        budget = self.history_budget()
        if budget is not None and budget < MIN_PROMPT:
            raise ValueError(
                f"context_window={self.context_window} leaves {budget} tokens for the prompt "
                f"after the answer's {self.answer_room()} (max_new_tokens plus 5 %); "
                f"the agent needs at least {MIN_PROMPT}"
            )
        return self

    def answer_room(self) -> int:
        """Tokens kept free for the answer (``max_new_tokens``, or 768), plus 5 % margin."""
        room = self.max_new_tokens or 768
        return room + (self.context_window or 0) // 20

    def history_budget(self) -> int | None:
        """Approximate tokens the prompt of a step may take (``None``: unlimited)."""
        return None if self.context_window is None else self.context_window - self.answer_room()

    def step_policy(self) -> ScalingPolicy:
        """The policy every step starts from (``policy``, or one from the JSON fields)."""
        return self.scaling_policy()
