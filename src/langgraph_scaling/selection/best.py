"""``best``: the highest verifier score; ties broken by votes, then by branch index.

Example:
    >>> from langgraph_scaling.report import Verdict
    >>> cs = [Candidate(index=i, status="ok", vote_key="k") for i in range(2)]
    >>> cs[0].verdicts.append(Verdict(verifier="v", passed=False, score=0.5))
    >>> best(cs).winner.index, best(cs).reason
    (1, 'best score 1.00')
"""

from __future__ import annotations

from collections.abc import Sequence

from langgraph_scaling.report import Candidate
from langgraph_scaling.selection._protocol import Selection, Selector
from langgraph_scaling.selection._tally import counts, finished, key_of

__all__ = ["BEST", "best"]


def best(candidates: Sequence[Candidate]) -> Selection:
    """Highest verifier score; ties broken by votes, then by branch index."""
    done = finished(candidates)
    if not done:
        return Selection(None, "no branch finished")
    top = max(c.score for c in done)
    tied = [c for c in done if c.score == top]
    votes = counts(done)
    winner = min(tied, key=lambda c: (-votes[key_of(c)], c.index))
    why = f"best score {top:.2f}" + (
        f" ({len(tied)} tied, broken by vote)" if len(tied) > 1 else ""
    )
    return Selection(winner, why, votes)


BEST = Selector("best", best)
