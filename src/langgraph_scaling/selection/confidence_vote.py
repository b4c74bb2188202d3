"""``confidence_vote``: votes weighted by each branch's token confidence.

Each finished candidate votes for its answer (vote key) with its lowest group confidence
(DeepConf's measure; see :mod:`langgraph_scaling.confidence`), so many unsure branches can
lose to fewer sure ones. Without log-probabilities on any candidate it is a plain vote, and
says so. Verifier scores are not used: combine them with ``ranked`` or ``lexicographic``.

Example:
    >>> from langgraph_scaling.confidence import TokenLogprob
    >>> sure = (TokenLogprob("x", -0.01, (("x", -0.01), ("y", -9.0))),)
    >>> unsure = (TokenLogprob("x", -0.7, (("x", -0.7), ("y", -0.7))),)
    >>> cs = [Candidate(index=0, status="ok", vote_key="a", logprobs=unsure),
    ...       Candidate(index=1, status="ok", vote_key="a", logprobs=unsure),
    ...       Candidate(index=2, status="ok", vote_key="b", logprobs=sure)]
    >>> confidence_vote(cs).winner.index
    2
"""

from __future__ import annotations

from collections.abc import Sequence

from langgraph_scaling.report import Candidate
from langgraph_scaling.selection._confidence import TOP_LOGPROBS, weight
from langgraph_scaling.selection._protocol import Selection, Selector
from langgraph_scaling.selection._tally import by_tally, finished, tally
from langgraph_scaling.selection.vote import vote

__all__ = ["CONFIDENCE_VOTE", "confidence_share", "confidence_vote"]


def confidence_vote(candidates: Sequence[Candidate]) -> Selection:
    """Votes weighted by confidence; a plain vote when no candidate has log-probabilities."""
    done = finished(candidates)
    if not done:
        return Selection(None, "no branch finished")
    if all(weight(c) is None for c in done):
        chosen = vote(done)
        return Selection(chosen.winner, f"{chosen.reason} (no log-probabilities)", chosen.votes)
    return by_tally(done, tally(done, lambda c: weight(c) or 0.0), "confidence-weighted vote")


def confidence_share(candidates: Sequence[Candidate]) -> float:
    """The leading answer's share of the total confidence (0 with none)."""
    totals = tally(finished(candidates), lambda c: weight(c) or 0.0)
    whole = sum(totals.values())
    return max(totals.values()) / whole if whole > 0 else 0.0


CONFIDENCE_VOTE = Selector(
    "confidence_vote", confidence_vote, logprobs=TOP_LOGPROBS, share=confidence_share
)
