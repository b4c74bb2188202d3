"""``confidence_filter``: DeepConf's offline filter, then a confidence-weighted vote.

The least confident half of the finished branches is dropped (by lowest group confidence,
:mod:`langgraph_scaling.confidence`), and the rest vote with their confidence as weight
(DeepConf keeps the top 10 % or 90 % of hundreds of traces; with the handful of branches of
an agent step, half). The router's agreement stop uses the same view: the share of the
leading answer among the confident half, so an adaptive step can stop as soon as its
confident branches agree.

Example:
    >>> from langgraph_scaling.confidence import TokenLogprob
    >>> sure = (TokenLogprob("x", -0.05, (("x", -0.05), ("y", -3.0))),)
    >>> unsure = (TokenLogprob("x", -0.7, (("x", -0.7), ("y", -0.7))),)
    >>> cs = [Candidate(index=i, status="ok", vote_key=k, logprobs=lp)
    ...       for i, (k, lp) in enumerate([("a", unsure), ("a", unsure), ("b", sure),
    ...                                    ("b", sure), ("a", unsure)])]
    >>> pick = confidence_filter(cs)
    >>> pick.winner.index, pick.votes
    (2, {'b': 2})
"""

from __future__ import annotations

from collections.abc import Sequence

from langgraph_scaling.report import Candidate
from langgraph_scaling.selection._confidence import TOP_LOGPROBS, most_confident, weight
from langgraph_scaling.selection._protocol import Selection, Selector
from langgraph_scaling.selection._tally import finished
from langgraph_scaling.selection.confidence_vote import confidence_share, confidence_vote

__all__ = ["CONFIDENCE_FILTER", "KEEP", "confidence_filter"]

KEEP = 0.5
"""Share of the finished branches kept (the most confident)."""


def confidence_filter(candidates: Sequence[Candidate]) -> Selection:
    """Keep the most confident half, then a confidence-weighted vote among them."""
    done = finished(candidates)
    if not done or all(weight(c) is None for c in done):
        return confidence_vote(done)
    kept = most_confident(done, KEEP)
    chosen = confidence_vote(kept)
    why = f"{chosen.reason} among the {len(kept)} most confident of {len(done)}"
    return Selection(chosen.winner, why, chosen.votes)


def _share(candidates: Sequence[Candidate]) -> float:
    # Two branches at least: one branch alone always "agrees" with itself.
    done = finished(candidates)
    return confidence_share(most_confident(done, KEEP, at_least=2)) if done else 0.0


CONFIDENCE_FILTER = Selector(
    "confidence_filter", confidence_filter, logprobs=TOP_LOGPROBS, share=_share
)
