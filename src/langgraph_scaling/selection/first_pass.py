"""``first_pass``: the first branch (in finish order) to pass every verifier.

It stops early: once a branch passes, the engine cancels the running wave and starts no
other. When none passes, the best-scored candidate wins.

Example:
    >>> from langgraph_scaling.report import Verdict
    >>> cs = [Candidate(index=i, status="ok", vote_key="k") for i in range(3)]
    >>> cs[0].verdicts.append(Verdict(verifier="v", passed=False, score=0.0))
    >>> first_pass(cs).reason
    'first to pass every verifier: branch 1'
"""

from __future__ import annotations

from collections.abc import Sequence

from langgraph_scaling.report import Candidate
from langgraph_scaling.selection._protocol import Selection, Selector
from langgraph_scaling.selection._tally import counts, finished
from langgraph_scaling.selection.best import best

__all__ = ["FIRST_PASS", "first_pass"]


def first_pass(candidates: Sequence[Candidate]) -> Selection:
    """The first branch (in finish order) to pass every verifier; else the best one."""
    done = finished(candidates)
    for c in done:
        if c.passed:
            return Selection(c, f"first to pass every verifier: branch {c.index}", counts(done))
    fallback = best(done)
    fallback.reason = f"no branch passed; {fallback.reason}"
    return fallback


FIRST_PASS = Selector("first_pass", first_pass, stops_early=True)
