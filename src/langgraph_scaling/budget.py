"""Budgets: how much one step (or one whole run) may spend.

``None`` means "no limit" for every field. A step budget is set at build time on the
policy, overridden per step at invoke time (``ScalingContext.steps``), and capped by an
optional run-level budget shared by every step of one invocation (:class:`RunLedger`).

Example:
    >>> b = Budget(max_branches=8, max_seconds=30)
    >>> b.merged({"max_branches": 2}).max_branches
    2
    >>> Budget(max_branches=0)
    Traceback (most recent call last):
    ...
    langgraph_scaling.errors.ConfigError: Budget.max_branches=0 is invalid: must be at least 1.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import Field, StrictInt, model_validator

from langgraph_scaling._validation import ConfigModel, Number
from langgraph_scaling.errors import ConfigError

__all__ = ["Budget", "RunLedger"]


class Budget(ConfigModel):
    """Limits for one scaled step (or, as a run budget, for all steps of a run)."""

    extra_reason: ClassVar[str] = "unknown budget field"

    max_branches: StrictInt | None = Field(default=None, ge=1)
    """Most branches over all waves and refinement rounds (``None``: the router decides)."""
    min_branches: StrictInt = Field(default=1, ge=1)
    """Fewest branches a step launches, whatever the router says (while budget allows)."""
    max_tokens: StrictInt | None = Field(default=None, gt=0)
    """Most tokens (prompt + generated) the step may spend; checked between waves."""
    max_seconds: Number | None = Field(default=None, gt=0, allow_inf_nan=False)
    """Wall-clock deadline for the step; the best candidate so far is committed at expiry."""
    max_cost: Number | None = Field(default=None, gt=0, allow_inf_nan=False)
    """Most money the step may spend, from ``price_per_input_token``/``..._output_token``."""
    price_per_input_token: Number = Field(default=0.0, ge=0, allow_inf_nan=False)
    """Price of one prompt token, in the unit of ``max_cost``."""
    price_per_output_token: Number = Field(default=0.0, ge=0, allow_inf_nan=False)
    """Price of one generated token, in the unit of ``max_cost``."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.max_branches is not None and self.min_branches > self.max_branches:
            raise ConfigError(
                "Budget.min_branches",
                self.min_branches,
                f"exceeds max_branches={self.max_branches}",
            )
        if self.max_cost is not None and not (
            self.price_per_input_token or self.price_per_output_token
        ):
            raise ConfigError("Budget.max_cost", self.max_cost, "needs a non-zero price per token")
        return self

    def merged(self, override: Budget | Mapping[str, Any] | None) -> Budget:
        """This budget with the fields set in ``override`` replaced (validated again)."""
        if override is None:
            return self
        fields = (
            override.model_dump(exclude_unset=True)
            if isinstance(override, Budget)
            else dict(override)
        )
        return Budget(**{**self.model_dump(exclude_unset=True), **fields})

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        """Money spent on these tokens at this budget's prices."""
        return tokens_in * self.price_per_input_token + tokens_out * self.price_per_output_token

    def reached(self, tokens: int, cost: float) -> str | None:
        """Which of ``max_tokens`` / ``max_cost`` these totals reach, or ``None``.

        Example:
            >>> Budget(max_tokens=100).reached(tokens=120, cost=0.0)
            'max_tokens=100 reached'
        """
        if self.max_tokens is not None and tokens >= self.max_tokens:
            return f"max_tokens={self.max_tokens} reached"
        if self.max_cost is not None and cost >= self.max_cost:
            return f"max_cost={self.max_cost} reached"
        return None

    def left(self, *, branches: int, tokens: int, cost: float) -> dict[str, int | float | None]:
        """What is left after this spending (``None`` where unlimited; may be negative)."""
        return {
            "branches": None if self.max_branches is None else self.max_branches - branches,
            "tokens": None if self.max_tokens is None else self.max_tokens - tokens,
            "cost": None if self.max_cost is None else self.max_cost - cost,
        }


class RunLedger:
    """What one invocation has spent so far against its run-level budget (thread-safe).

    Example:
        >>> ledger = RunLedger(Budget(max_branches=5))
        >>> ledger.grant(4), ledger.grant(4)
        (4, 1)
    """

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.branches = 0
        self.tokens = 0
        self.cost = 0.0
        self._lock = threading.Lock()

    def grant(self, wanted: int) -> int:
        """Reserve up to ``wanted`` branches; returns how many were granted (maybe 0)."""
        with self._lock:
            if self.exhausted_reason() is not None:
                return 0
            left = self.branches_left()
            granted = wanted if left is None else min(wanted, left)
            self.branches += granted
            return granted

    def restore(self, branches: int, tokens: int, cost: float) -> None:
        """Count what the run spent before this ledger existed (e.g. before a resume)."""
        with self._lock:
            self.branches += branches
            self.tokens += tokens
            self.cost += cost

    def charge(self, tokens_in: int, tokens_out: int) -> None:
        """Record tokens spent by a step."""
        with self._lock:
            self.tokens += tokens_in + tokens_out
            self.cost += self.budget.cost(tokens_in, tokens_out)

    def branches_left(self) -> int | None:
        """Branches still available (``None``: unlimited)."""
        limit = self.budget.max_branches
        return None if limit is None else max(0, limit - self.branches)

    def exhausted_reason(self) -> str | None:
        """Which run limit is used up, or ``None`` while there is room."""
        b = self.budget
        if b.max_branches is not None and self.branches >= b.max_branches:
            return f"run budget max_branches={b.max_branches} used up"
        if b.max_tokens is not None and self.tokens >= b.max_tokens:
            return f"run budget max_tokens={b.max_tokens} used up ({self.tokens} spent)"
        if b.max_cost is not None and self.cost >= b.max_cost:
            return f"run budget max_cost={b.max_cost} used up ({self.cost:.4g} spent)"
        return None

    def snapshot(self) -> dict[str, float | int | None]:
        """What is left of the run budget, for reports."""
        left = self.budget.left(branches=self.branches, tokens=self.tokens, cost=self.cost)
        return {
            "run_branches_left": self.branches_left(),
            "run_tokens_left": left["tokens"],
            "run_cost_left": left["cost"],
        }
