"""``adaptive``: sample in growing waves; stop once a candidate passes or branches agree."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from langgraph_scaling.budget import Budget
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.report import RouterDecision
from langgraph_scaling.routing._protocol import RouterSignals

__all__ = ["AdaptiveRouter"]


@dataclass(frozen=True)
class AdaptiveRouter:
    """Escalate through cumulative branch totals (``schedule``), e.g. 2 → 4 → 8.

    After each wave the engine stops if a candidate passes every verifier or the top vote
    share reaches ``agreement``; otherwise the next wave brings the total to the next entry,
    while the budget allows.

    Example:
        >>> from langgraph_scaling.budget import Budget
        >>> AdaptiveRouter(schedule=(2, 4, 8)).decide(RouterSignals(), Budget()).waves
        (2, 2, 4)
    """

    schedule: tuple[int, ...] = (2, 4, 8)
    agreement: float | None = 0.75

    def __post_init__(self) -> None:
        s = self.schedule
        if not s or any(isinstance(x, bool) or not isinstance(x, int) or x < 1 for x in s):
            raise ConfigError("AdaptiveRouter.schedule", s, "must be positive integers")
        if any(b <= a for a, b in itertools.pairwise(s)):
            raise ConfigError("AdaptiveRouter.schedule", s, "must be strictly increasing")
        if self.agreement is not None and not 0 < self.agreement <= 1:
            raise ConfigError("AdaptiveRouter.agreement", self.agreement, "must be in (0, 1]")

    @property
    def name(self) -> str:
        return "adaptive"

    def decide(self, signals: RouterSignals, budget: Budget) -> RouterDecision:
        waves = tuple(b - a for a, b in zip((0, *self.schedule), self.schedule, strict=False))
        stop = "a candidate passes verification" if signals.has_verifiers else "branches agree"
        return RouterDecision(
            router=self.name,
            waves=waves,
            reason=f"waves up to {self.schedule[-1]} branches, stopping when {stop}",
            stop_on_pass=signals.has_verifiers,
            agreement=self.agreement,
        )
