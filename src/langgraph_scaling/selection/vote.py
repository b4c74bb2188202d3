"""``vote``: majority over normalised answers (vote keys).

Example:
    >>> cs = [Candidate(index=i, status="ok", vote_key=k) for i, k in enumerate("bab")]
    >>> vote(cs).winner.index, vote(cs).reason
    (0, "majority vote: 2 of 3 for branch 0's answer")
"""

from __future__ import annotations

from collections.abc import Sequence

from langgraph_scaling.report import Candidate
from langgraph_scaling.selection._protocol import Selection, Selector
from langgraph_scaling.selection._tally import by_tally, finished, tally

__all__ = ["VOTE", "vote"]


def vote(candidates: Sequence[Candidate]) -> Selection:
    """Majority over normalised answers (vote keys)."""
    done = finished(candidates)
    if not done:
        return Selection(None, "no branch finished")
    return by_tally(done, tally(done, lambda _: 1.0), "majority vote")


VOTE = Selector("vote", vote)
