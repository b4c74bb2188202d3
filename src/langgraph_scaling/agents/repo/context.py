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

DEFAULT_WINDOW = 4096
"""The window assumed when the backend does not say (the embedded engine's)."""
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
    retry_unchanged: bool = False
    """When no edit branch passed and some wrote the code back unchanged, as many branches
    try once more in the same step, told that their answer changes nothing (see
    ``unchanged``). Off by default: on 24 bugs of the corpus with the 0.5B model it fixed
    2 against 3 without it, at 1.25x the tokens in, and most retries copied again."""
    trim_edits: bool = True
    """After a verified edit, undo each of its hunks the test command passes without (one
    run without the edit, then one per hunk, at most 8; see ``trim``): filler such as
    rewritten docstrings is left out."""
    apply_edit: bool = False
    """Write the committed edit to the repository (only a verified one)."""
    context_window: StrictInt | Literal["auto"] | None = "auto"
    """The model's context in tokens: what each step sends is shortened to leave the answer
    room (see ``history``). ``auto``: the backend's ``max_model_len`` when it has one (the
    embedded engine's 4096), else 4096; ``None``: never shortened."""
    look_limit: StrictInt = Field(default=4, ge=1)
    """Looking turns in a row after which the next turn must call ``edit`` (so must the
    turn after a repeated call); with ``tool_choice="required"`` only."""
    tool_choice: Literal["required", "auto"] = "required"
    """``required``: every turn's tool call is constrained (structured outputs on vLLM);
    ``auto``: the model writes it freely and the engine's tool parser reads it (a branch
    without a call still fails ``ToolCallVerifier``). For measuring what the constraint buys."""
    constrain_edit: bool = True
    """With ``tool_choice="required"``: each edit branch's answer is constrained (vLLM's
    structured outputs, a regular expression) to one of the repository's code files and one
    python block holding the changed definitions whole, the form the embedded 0.5B model
    gets right most often (:mod:`.edit_call`); ``False``: it writes SEARCH/REPLACE or
    whole-function text freely. The constraint is sent as vLLM's ``structured_outputs``
    (in ``extra_body`` to a server); a server that refuses it by name (not vLLM) gets the
    requests without it, with a warning, and the answers are then not constrained."""

    @model_validator(mode="after")
    def _room_to_answer(self) -> RepoAgentContext:
        if isinstance(self.context_window, int):
            budget = self.context_window - self.answer_room(self.context_window)
            if budget < MIN_PROMPT:
                raise ValueError(
                    f"context_window={self.context_window} leaves {budget} tokens for the "
                    f"prompt after the answer's {self.answer_room(self.context_window)} "
                    f"(the policy's max_new_tokens plus 5 % of the window); the agent needs "
                    f"at least {MIN_PROMPT}"
                )
        return self

    def answer_tokens(self) -> int:
        """Tokens an answer may take: the policy's ``max_new_tokens``, 768 when it has none."""
        return self.step_policy().max_new_tokens or 768

    def answer_room(self, window: int) -> int:
        """Tokens kept free for the answer: :meth:`answer_tokens` plus 5 % of ``window``
        for the estimate's error."""
        return self.answer_tokens() + window // 20

    def window(self) -> int | None:
        """The context window in tokens (``auto`` resolved against the backend)."""
        if self.context_window != "auto":
            return self.context_window
        known = getattr(self.backend(), "max_model_len", None)
        return known if isinstance(known, int) else DEFAULT_WINDOW

    def history_budget(self) -> int | None:
        """Approximate tokens the prompt of a step may take (``None``: unlimited)."""
        window = self.window()
        return None if window is None else max(MIN_PROMPT, window - self.answer_room(window))

    def step_policy(self) -> ScalingPolicy:
        """The policy every step starts from (``policy``, or one from the JSON fields)."""
        return self.scaling_policy()
