"""Counting votes: the helpers every strategy shares.

Ties are broken deterministically: most votes, then higher score, then the lowest branch
index.

Example:
    >>> cs = [Candidate(index=i, status="ok", vote_key=k) for i, k in enumerate("aba")]
    >>> counts(cs), vote_shares(cs)
    ({'a': 2, 'b': 1}, 0.6666666666666666)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from langgraph_scaling.report import Candidate
from langgraph_scaling.selection._protocol import Selection

__all__ = ["by_tally", "counts", "finished", "key_of", "tally", "vote_shares"]


def finished(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The candidates whose branch finished (``status == "ok"``), in order."""
    return [c for c in candidates if c.status == "ok"]


def key_of(c: Candidate) -> str:
    """The candidate's vote key (a branch without one votes alone)."""
    return c.vote_key if c.vote_key is not None else f"#{c.index}"


def tally(cands: Sequence[Candidate], weight: Callable[[Candidate], float]) -> dict[str, float]:
    """Total ``weight`` per vote key."""
    totals: dict[str, float] = defaultdict(float)
    for c in cands:
        totals[key_of(c)] += weight(c)
    return dict(totals)


def counts(cands: Sequence[Candidate]) -> dict[str, int]:
    """Votes per key, one per candidate."""
    return {k: int(v) for k, v in tally(cands, lambda _: 1.0).items()}


def vote_shares(candidates: Sequence[Candidate]) -> float:
    """Share of finished candidates holding the most common vote key (0 with none)."""
    done = finished(candidates)
    return max(counts(done).values()) / len(done) if done else 0.0


def by_tally(cands: list[Candidate], totals: dict[str, float], label: str) -> Selection:
    """The best member of the group with the highest total in ``totals``."""

    # The winning group: highest tally, then best member score, then earliest branch.
    def rank(key: str) -> tuple[float, float, int]:
        members = [c for c in cands if key_of(c) == key]
        return (-totals[key], -max(c.score for c in members), min(c.index for c in members))

    top = min(totals, key=rank)
    group = [c for c in cands if key_of(c) == top]
    winner = min(group, key=lambda c: (-c.score, c.index))
    return Selection(
        winner,
        f"{label}: {totals[top]:g} of {sum(totals.values()):g} for branch {winner.index}'s answer",
        counts(cands),
    )
