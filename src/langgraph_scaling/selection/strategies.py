"""Selection strategies: pick the winner among verified candidates.

Every strategy has the same signature, ``(candidates) -> Selection``, and is looked up by
name in :data:`SELECTORS`, so a new strategy is one new function. Candidates come in finish
order; ties are broken deterministically (most votes, then higher score, then the lowest
branch index).

Example:
    >>> from langchain_core.messages import AIMessage
    >>> cs = [Candidate(index=i, status="ok", text=t, vote_key=t) for i, t in
    ...       enumerate(["a", "b", "a"])]
    >>> select("vote", cs).winner.index, select("vote", cs).votes
    (0, {'a': 2, 'b': 1})
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from langgraph_scaling.report import Candidate

__all__ = ["SELECTORS", "Selection", "SelectionName", "select", "vote_shares"]

SelectionName = Literal["vote", "weighted_vote", "best", "first_pass"]


@dataclass
class Selection:
    """The chosen candidate (``None`` if none finished), why, and the vote tally."""

    winner: Candidate | None
    reason: str
    votes: dict[str, int] = field(default_factory=dict)


def _finished(candidates: Sequence[Candidate]) -> list[Candidate]:
    return [c for c in candidates if c.status == "ok"]


def _key(c: Candidate) -> str:
    return c.vote_key if c.vote_key is not None else f"#{c.index}"


def _tally(cands: Sequence[Candidate], weight: Callable[[Candidate], float]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for c in cands:
        totals[_key(c)] += weight(c)
    return dict(totals)


def _counts(cands: Sequence[Candidate]) -> dict[str, int]:
    return {k: int(v) for k, v in _tally(cands, lambda _: 1.0).items()}


def vote_shares(candidates: Sequence[Candidate]) -> float:
    """Share of finished candidates holding the most common vote key (0 with none)."""
    done = _finished(candidates)
    return max(_counts(done).values()) / len(done) if done else 0.0


def _by_tally(cands: list[Candidate], tally: dict[str, float], label: str) -> Selection:
    # The winning group: highest tally, then best member score, then earliest branch.
    def rank(key: str) -> tuple[float, float, int]:
        members = [c for c in cands if _key(c) == key]
        return (-tally[key], -max(c.score for c in members), min(c.index for c in members))

    top = min(tally, key=rank)
    group = [c for c in cands if _key(c) == top]
    winner = min(group, key=lambda c: (-c.score, c.index))
    counts = _counts(cands)
    return Selection(
        winner,
        f"{label}: {tally[top]:g} of {sum(tally.values()):g} for branch {winner.index}'s answer",
        counts,
    )


def vote(candidates: Sequence[Candidate]) -> Selection:
    """Majority over normalised answers (vote keys)."""
    done = _finished(candidates)
    if not done:
        return Selection(None, "no branch finished")
    return _by_tally(done, _tally(done, lambda _: 1.0), "majority vote")


def weighted_vote(candidates: Sequence[Candidate]) -> Selection:
    """Votes weighted by the mean verifier score of each candidate."""
    done = _finished(candidates)
    if not done:
        return Selection(None, "no branch finished")
    tally = _tally(done, lambda c: c.score)
    if not any(tally.values()):
        return vote(done)
    return _by_tally(done, tally, "score-weighted vote")


def best(candidates: Sequence[Candidate]) -> Selection:
    """Highest verifier score; ties broken by votes, then by branch index."""
    done = _finished(candidates)
    if not done:
        return Selection(None, "no branch finished")
    top = max(c.score for c in done)
    tied = [c for c in done if c.score == top]
    counts = _counts(done)
    winner = min(tied, key=lambda c: (-counts[_key(c)], c.index))
    why = f"best score {top:.2f}" + (
        f" ({len(tied)} tied, broken by vote)" if len(tied) > 1 else ""
    )
    return Selection(winner, why, counts)


def first_pass(candidates: Sequence[Candidate]) -> Selection:
    """The first branch (in finish order) to pass every verifier; else the best one."""
    done = _finished(candidates)
    for c in done:
        if c.passed:
            return Selection(c, f"first to pass every verifier: branch {c.index}", _counts(done))
    fallback = best(done)
    fallback.reason = f"no branch passed; {fallback.reason}"
    return fallback


SELECTORS: dict[str, Callable[[Sequence[Candidate]], Selection]] = {
    "vote": vote,
    "weighted_vote": weighted_vote,
    "best": best,
    "first_pass": first_pass,
}


def select(name: SelectionName, candidates: Sequence[Candidate]) -> Selection:
    """Run the strategy called ``name``."""
    return SELECTORS[name](candidates)
