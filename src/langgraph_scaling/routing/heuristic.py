"""``heuristic``: pick the branch count from cheap signals known before sampling."""

from __future__ import annotations

from dataclasses import dataclass

from langgraph_scaling.budget import Budget
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.report import RouterDecision
from langgraph_scaling.routing._protocol import RouterSignals

__all__ = ["HeuristicRouter"]


@dataclass(frozen=True)
class HeuristicRouter:
    """Score difficulty in [0, 1] from signals and map it onto ``levels`` of branches.

    Signals: a user hint (``difficulty`` in the runtime context) wins outright; otherwise
    prompt length (up to ``long_prompt_chars``), number of tools, and earlier verifier
    failures of this step in this run each raise the score.

    Example:
        >>> from langgraph_scaling.budget import Budget
        >>> r = HeuristicRouter()
        >>> r.decide(RouterSignals(difficulty=0.0), Budget()).waves
        (1,)
        >>> r.decide(RouterSignals(difficulty=1.0), Budget()).waves
        (8,)
    """

    levels: tuple[int, ...] = (1, 2, 4, 8)
    long_prompt_chars: int = 4000

    def __post_init__(self) -> None:
        if not self.levels or any(x < 1 for x in self.levels):
            raise ConfigError("HeuristicRouter.levels", self.levels, "must be positive integers")
        if self.long_prompt_chars < 1:
            raise ConfigError(
                "HeuristicRouter.long_prompt_chars", self.long_prompt_chars, "must be at least 1"
            )

    @property
    def name(self) -> str:
        return "heuristic"

    def score(self, s: RouterSignals) -> tuple[float, str]:
        """Difficulty in [0, 1] and the signals that made it."""
        if s.difficulty is not None:
            return min(1.0, max(0.0, s.difficulty)), f"difficulty hint {s.difficulty:g}"
        parts = {
            "prompt": 0.5 * min(1.0, s.prompt_chars / self.long_prompt_chars),
            "tools": 0.1 * min(s.n_tools, 3) / 3,
            "earlier failures": 0.2 * min(s.prior_failures, 2),
        }
        why = ", ".join(f"{k} +{v:.2f}" for k, v in parts.items() if v > 0) or "easy"
        return min(1.0, sum(parts.values())), why

    def decide(self, signals: RouterSignals, budget: Budget) -> RouterDecision:
        difficulty, why = self.score(signals)
        level = min(len(self.levels) - 1, int(difficulty * len(self.levels)))
        n = self.levels[level]
        return RouterDecision(
            router=self.name,
            waves=(n,),
            reason=f"difficulty {difficulty:.2f} ({why}) -> {n} branches",
        )
