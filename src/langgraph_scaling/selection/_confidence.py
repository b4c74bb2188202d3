"""Confidence weights shared by the confidence strategies.

A candidate's weight is one measure of :func:`~langgraph_scaling.confidence.confidence`
(default ``lowest_group``, DeepConf's choice); candidates without log-probabilities have none.

Example:
    >>> from langgraph_scaling.confidence import TokenLogprob
    >>> c = Candidate(index=0, status="ok",
    ...               logprobs=(TokenLogprob("a", -0.1, (("a", -0.1), ("b", -3.0))),))
    >>> round(weight(c), 2)
    1.55
    >>> weight(Candidate(index=1, status="ok")) is None
    True
"""

from __future__ import annotations

from collections.abc import Sequence

from langgraph_scaling.report import Candidate

__all__ = ["MEASURE", "TOP_LOGPROBS", "most_confident", "weight"]

MEASURE = "lowest_group"
"""The confidence measure the strategies weigh by."""

TOP_LOGPROBS = 5
"""Alternatives per token the strategies ask the backend for."""


def weight(candidate: Candidate, measure: str = MEASURE) -> float | None:
    """The candidate's confidence (``None`` without log-probabilities)."""
    return candidate.confidence.get(measure)


def most_confident(
    candidates: Sequence[Candidate], keep: float, *, at_least: int = 1
) -> list[Candidate]:
    """The ``keep`` share (at least ``at_least``) of ``candidates`` with the highest confidence.

    Candidates without log-probabilities rank last; ties keep the earlier branch.
    """
    ranked = sorted(candidates, key=lambda c: (-(weight(c) or float("-inf")), c.index))
    return ranked[: max(at_least, round(len(ranked) * keep))]
