"""``ScalingPolicy``: everything that decides how one agent step is scaled.

One frozen object holds the router (how many branches), the verifiers, the selection method,
an optional refinement and the :class:`~langgraph_scaling.budget.Budget`. Every entry point
(chat-model wrapper, node wrapper, agent middleware) takes one.

Example:
    >>> policy = ScalingPolicy(router="adaptive", selection="first_pass",
    ...                        budget=Budget(max_branches=8, max_seconds=60))
    >>> policy.router.name, policy.budget.max_branches
    ('adaptive', 8)
    >>> ScalingPolicy(selection="majority")
    Traceback (most recent call last):
    ...
    langgraph_scaling.errors.ConfigError: ScalingPolicy.selection='majority' is invalid: ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, get_args

from pydantic import Field, SkipValidation, StrictInt, field_validator

from langgraph_scaling._validation import ConfigModel, Number
from langgraph_scaling.budget import Budget
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.routing import FixedRouter, Router, resolve_router
from langgraph_scaling.selection import SELECTORS, Selector, selector
from langgraph_scaling.selection.keys import KeyKind, VoteKeyFn
from langgraph_scaling.verifiers.protocol import Verifier

__all__ = ["Budget", "ScalingPolicy", "SelectionMethod", "check_selection"]

SelectionMethod = str
"""A selection strategy's name: a key of :data:`langgraph_scaling.selection.SELECTORS`
(``vote``, ``weighted_vote``, ``best``, ``first_pass``, ``refine``)."""

_REFINE_PROMPT = (
    "Your previous answer did not pass verification.\n\n{feedback}\n\n"
    "Revise it: give the complete corrected answer in the same format as before."
)


class ScalingPolicy(ConfigModel):
    """How a step branches, verifies, selects and spends (frozen, validated)."""

    extra_reason: ClassVar[str] = "unknown policy field"

    router: Router = FixedRouter(4)
    """How many branches: a :class:`Router`, a name (``fixed``, ``adaptive``, ``heuristic``)
    or an int (``fixed(n)``)."""
    verifiers: tuple[Verifier, ...] = ()
    """Checks each candidate faces; all run, their scores feed selection."""
    selection: SelectionMethod | SkipValidation[Selector] = "vote"
    """A strategy's name (``vote``, ``weighted_vote``, ``best``, ``first_pass``, ``refine``:
    best, then critique-and-revise rounds fed by verifier feedback; ``confidence_vote``,
    ``confidence_filter``, ``ranked``) or a :class:`~langgraph_scaling.selection.Selector`
    (e.g. ``lexicographic("verifier:tests", "votes", "confidence")``)."""
    refine_rounds: StrictInt = Field(default=2, ge=1)
    """Most critique-and-revise rounds when ``selection="refine"``."""
    refine_prompt: str = _REFINE_PROMPT
    """Template of the revision request; ``{feedback}`` receives the verifiers' feedback."""
    vote_key: KeyKind | VoteKeyFn = "auto"
    """How answers are normalised for votes: ``auto``, ``text``, ``tool_calls``, ``code``,
    ``behavior`` (the tests each candidate passed and its outputs on them, read from the
    verdicts), or an async ``fn(candidate, context) -> str``."""
    temperature: Number = Field(default=0.8, ge=0, allow_inf_nan=False)
    """Sampling temperature of each branch (> 0 gives diverse branches)."""
    seed: StrictInt | None = Field(default=0, ge=0)
    """Base seed: branch ``i`` gets ``seed + i`` where the model takes seeds."""
    greedy_first: bool = False
    """Branch 0 of the first wave decodes greedily (temperature 0), the rest sample at
    ``temperature``; for model branches (chat models, backends), not node functions."""
    logprobs: StrictInt | None = Field(default=None, ge=0, le=20)
    """Ask for per-token log-probabilities with this many top alternatives (candidates'
    ``confidence``); a strategy that needs more (``confidence_vote``) raises it."""
    max_new_tokens: StrictInt | None = Field(default=None, ge=1)
    """Cap on generated tokens per branch (``None``: the model's default)."""
    max_concurrency: StrictInt | None = Field(default=None, ge=1)
    """Most branches and verifications running at once (``None``: no limit)."""
    budget: Budget = Budget()
    """The per-step budget (overridable per step at invoke time); a dict of its fields works."""
    keep_candidates: bool = False
    """Keep every candidate's summary in the step report (off: report stays compact)."""

    @field_validator("router", mode="before")
    @classmethod
    def _router(cls, value: Any) -> Router:
        return resolve_router(value)

    @field_validator("verifiers", mode="before")
    @classmethod
    def _verifiers(cls, value: Any) -> tuple[Verifier, ...]:
        return _check_verifiers(value)

    @field_validator("selection", mode="before")
    @classmethod
    def _selection(cls, value: Any) -> Any:
        return check_selection("ScalingPolicy.selection", value)

    @field_validator("vote_key", mode="before")
    @classmethod
    def _vote_key(cls, value: Any) -> Any:
        if not callable(value) and value not in get_args(KeyKind):
            raise ConfigError(
                "ScalingPolicy.vote_key", value, f"use {list(get_args(KeyKind))} or a callable"
            )
        return value

    @field_validator("budget", mode="before")
    @classmethod
    def _budget(cls, value: Any) -> Budget:
        if isinstance(value, Mapping):
            return Budget(**value)
        if not isinstance(value, Budget):
            raise ConfigError("ScalingPolicy.budget", value, "must be a Budget")
        return value

    @field_validator("refine_prompt", mode="before")
    @classmethod
    def _refine_prompt(cls, value: Any) -> str:
        if not isinstance(value, str) or "{feedback}" not in value:
            raise ConfigError("ScalingPolicy.refine_prompt", value, "must contain '{feedback}'")
        return value

    @property
    def selector(self) -> Selector:
        """The selection strategy itself."""
        return selector(self.selection)

    @property
    def wanted_logprobs(self) -> int | None:
        """Top alternatives per token to ask the backend for (``None``: no log-probabilities)."""
        asked = [k for k in (self.logprobs, self.selector.logprobs) if k is not None]
        return max(asked) if asked else None

    def branch_temperature(self, wave: int, index: int) -> float:
        """Temperature of branch ``index`` (within the wave) of wave ``wave``."""
        return 0.0 if self.greedy_first and wave == 0 and index == 0 else self.temperature

    def with_budget(self, budget: Budget) -> ScalingPolicy:
        """The same policy with another budget (validated)."""
        return self.model_copy(update={"budget": budget})


def check_selection(field_name: str, value: Any) -> Any:
    """``value`` if it names a registered selection strategy (or is a :class:`Selector`), else
    a :class:`ConfigError`."""
    if isinstance(value, Selector):
        return value
    if not isinstance(value, str) or value not in SELECTORS:
        raise ConfigError(field_name, value, f"use one of {list(SELECTORS)}")
    return value


def _check_verifiers(value: Any) -> tuple[Verifier, ...]:
    items = (value,) if isinstance(value, Verifier) else value
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise ConfigError("ScalingPolicy.verifiers", value, "must be a list of verifiers")
    for i, v in enumerate(items):
        if not isinstance(v, Verifier):
            raise ConfigError(
                f"ScalingPolicy.verifiers[{i}]",
                v,
                "is not a verifier (needs a name and an async verify(candidate, context))",
            )
    return tuple(items)
