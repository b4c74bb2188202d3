"""What a selection strategy is: a chooser over candidates, and what it asks of the engine.

Every strategy has the same signature, ``(candidates) -> Selection``, and declares with two
flags what the engine must do for it, so the engine never names a strategy:

- ``stops_early``: a candidate that passes every verifier ends the step (the running wave
  is cancelled and no further wave starts);
- ``revises``: after the waves, the winner goes through refinement rounds fed by the
  verifiers' feedback (the sampler must be able to ``revise``).

Two optional fields say what else it uses: ``logprobs`` (the top-k per-token
log-probabilities it reads, which the sampler then asks the backend for) and ``share``
(how much the branches agree, by the strategy's own weighting, which the router's
``agreement`` stop compares against instead of the plain vote share).

Example:
    >>> def last(candidates):
    ...     return Selection(candidates[-1], "the last one")
    >>> picker = Selector("last", last)
    >>> picker([Candidate(index=0), Candidate(index=1)]).winner.index
    1
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from langgraph_scaling.report import Candidate

__all__ = ["Choose", "Selection", "Selector"]


@dataclass
class Selection:
    """The chosen candidate (``None`` if none finished), why, and the vote tally."""

    winner: Candidate | None
    reason: str
    votes: dict[str, int] = field(default_factory=dict)


Choose = Callable[[Sequence[Candidate]], Selection]
"""The one signature of every strategy: candidates in finish order in, a selection out."""


@dataclass(frozen=True)
class Selector:
    """A named selection strategy and what it needs from the engine.

    Attributes:
        name: the name a policy uses (``ScalingPolicy(selection=name)``).
        choose: picks the winner.
        stops_early: a passing candidate ends the step (cancel the wave, no more waves).
        revises: refinement rounds revise the winner after the waves.
        logprobs: top alternatives per token it needs log-probabilities for (``None``: none).
        share: the agreement among candidates (0..1) by this strategy's weighting, for the
            router's agreement stop (``None``: the plain vote share).
    """

    name: str
    choose: Choose
    stops_early: bool = False
    revises: bool = False
    logprobs: int | None = None
    share: Callable[[Sequence[Candidate]], float] | None = None

    def __call__(self, candidates: Sequence[Candidate]) -> Selection:
        return self.choose(candidates)
