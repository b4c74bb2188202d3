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

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict

from langgraph_scaling.budget import Budget
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.routing import FixedRouter, Router, resolve_router
from langgraph_scaling.selection.keys import KeyKind, VoteKeyFn
from langgraph_scaling.verifiers._protocol import Verifier

__all__ = ["Budget", "ScalingPolicy", "SelectionMethod"]

SelectionMethod = Literal["vote", "weighted_vote", "best", "first_pass", "refine"]

_REFINE_PROMPT = (
    "Your previous answer did not pass verification.\n\n{feedback}\n\n"
    "Revise it: give the complete corrected answer in the same format as before."
)


class ScalingPolicy(BaseModel):
    """How a step branches, verifies, selects and spends (frozen, validated)."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    router: Router = FixedRouter(4)
    """How many branches: a :class:`Router`, a name (``fixed``, ``adaptive``, ``heuristic``)
    or an int (``fixed(n)``)."""
    verifiers: tuple[Verifier, ...] = ()
    """Checks each candidate faces; all run, their scores feed selection."""
    selection: SelectionMethod = "vote"
    """``vote``, ``weighted_vote``, ``best``, ``first_pass`` or ``refine`` (best, then
    critique-and-revise rounds fed by verifier feedback)."""
    refine_rounds: int = 2
    """Most critique-and-revise rounds when ``selection="refine"``."""
    refine_prompt: str = _REFINE_PROMPT
    """Template of the revision request; ``{feedback}`` receives the verifiers' feedback."""
    vote_key: KeyKind | VoteKeyFn = "auto"
    """How answers are normalised for votes: ``auto``, ``text``, ``tool_calls``, ``code``,
    or an async ``fn(candidate, context) -> str`` (e.g. a behaviour key)."""
    temperature: float = 0.8
    """Sampling temperature of each branch (> 0 gives diverse branches)."""
    seed: int | None = 0
    """Base seed: branch ``i`` gets ``seed + i`` where the model takes seeds."""
    max_new_tokens: int | None = None
    """Cap on generated tokens per branch (``None``: the model's default)."""
    max_concurrency: int | None = None
    """Most branches and verifications running at once (``None``: no limit)."""
    budget: Budget = Budget()
    """The per-step budget (overridable per step at invoke time)."""
    keep_candidates: bool = False
    """Keep every candidate's summary in the step report (off: report stays compact)."""

    def __init__(self, **data: Any) -> None:
        super().__init__(**self._check(data))

    @classmethod
    def _check(cls, data: dict[str, Any]) -> dict[str, Any]:
        for key in data:
            if key not in cls.model_fields:
                raise ConfigError(f"ScalingPolicy.{key}", data[key], "unknown policy field")
        if "router" in data:
            data["router"] = resolve_router(data["router"])
        if "verifiers" in data:
            data["verifiers"] = _check_verifiers(data["verifiers"])
        if "selection" in data and data["selection"] not in get_args(SelectionMethod):
            raise ConfigError(
                "ScalingPolicy.selection",
                data["selection"],
                f"use one of {list(get_args(SelectionMethod))}",
            )
        key = data.get("vote_key", "auto")
        if not callable(key) and key not in get_args(KeyKind):
            raise ConfigError(
                "ScalingPolicy.vote_key", key, f"use {list(get_args(KeyKind))} or a callable"
            )
        if "budget" in data and isinstance(data["budget"], Mapping):
            data["budget"] = Budget(**data["budget"])
        elif "budget" in data and not isinstance(data["budget"], Budget):
            raise ConfigError("ScalingPolicy.budget", data["budget"], "must be a Budget")
        _check_numbers(data)
        return data

    def with_budget(self, budget: Budget) -> ScalingPolicy:
        """The same policy with another budget."""
        return self.model_copy(update={"budget": budget})


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


def _check_numbers(data: Mapping[str, Any]) -> None:
    checks: list[tuple[str, Any, bool, str]] = [
        ("temperature", data.get("temperature", 0.8), False, "must be 0 or more"),
        ("refine_rounds", data.get("refine_rounds", 2), True, "must be at least 1"),
        ("max_new_tokens", data.get("max_new_tokens"), True, "must be at least 1"),
        ("max_concurrency", data.get("max_concurrency"), True, "must be at least 1"),
    ]
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ConfigError("ScalingPolicy.seed", seed, "must be an integer of 0 or more, or None")
    for name, value, positive_int, reason in checks:
        if value is None:
            continue
        bad_type = isinstance(value, bool) or not isinstance(value, int | float)
        if positive_int:
            bad = bad_type or not isinstance(value, int) or value < 1
        else:
            bad = bad_type or math.isnan(value) or value < 0
        if bad:
            raise ConfigError(f"ScalingPolicy.{name}", value, reason)
    prompt = data.get("refine_prompt", _REFINE_PROMPT)
    if not isinstance(prompt, str) or "{feedback}" not in prompt:
        raise ConfigError("ScalingPolicy.refine_prompt", prompt, "must contain '{feedback}'")
