"""``fixed(n)``: every step gets the same number of branches in one wave."""

from __future__ import annotations

from dataclasses import dataclass

from langgraph_scaling.budget import Budget
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.report import RouterDecision
from langgraph_scaling.routing._protocol import RouterSignals

__all__ = ["FixedRouter"]


@dataclass(frozen=True)
class FixedRouter:
    """Always ``n`` branches in a single wave.

    Example:
        >>> from langgraph_scaling.budget import Budget
        >>> FixedRouter(4).decide(RouterSignals(), Budget()).waves
        (4,)
    """

    n: int = 4

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 1:
            raise ConfigError("FixedRouter.n", self.n, "must be an integer of at least 1")

    @property
    def name(self) -> str:
        return "fixed"

    def decide(self, signals: RouterSignals, budget: Budget) -> RouterDecision:
        return RouterDecision(router=self.name, waves=(self.n,), reason=f"fixed({self.n})")
