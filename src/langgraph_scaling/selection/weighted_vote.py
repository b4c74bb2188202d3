"""``weighted_vote``: votes weighted by each candidate's mean verifier score.

Example:
    >>> from langgraph_scaling.report import Verdict
    >>> cs = [Candidate(index=i, status="ok", vote_key=k) for i, k in enumerate("aab")]
    >>> cs[2].verdicts.append(Verdict(verifier="v", passed=True, score=1.0))
    >>> for c in cs[:2]:
    ...     c.verdicts.append(Verdict(verifier="v", passed=False, score=0.25))
    >>> weighted_vote(cs).winner.index
    2
"""

from __future__ import annotations

from collections.abc import Sequence

from langgraph_scaling.report import Candidate
from langgraph_scaling.selection._protocol import Selection, Selector
from langgraph_scaling.selection._tally import by_tally, finished, tally
from langgraph_scaling.selection.vote import vote

__all__ = ["WEIGHTED_VOTE", "weighted_vote"]


def weighted_vote(candidates: Sequence[Candidate]) -> Selection:
    """Votes weighted by the mean verifier score of each candidate."""
    done = finished(candidates)
    if not done:
        return Selection(None, "no branch finished")
    totals = tally(done, lambda c: c.score)
    if not any(totals.values()):
        return vote(done)
    return by_tally(done, totals, "score-weighted vote")


WEIGHTED_VOTE = Selector("weighted_vote", weighted_vote)
