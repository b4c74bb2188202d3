"""``dual_agreement``: CodeT's selection by agreement with the tests the model wrote.

Finished candidates are grouped by the set of generated tests they pass (the ``passed`` ids
of their ``GeneratedTestsVerifier`` verdicts, ``details["kind"] == "generated_tests"``). A
group's score is (candidates in it) times (generated tests its members pass): many programs
agreeing on many tests. The winner is the best member (highest score, then lowest index) of
the best group; ties between groups go to the larger group, then the higher mean verdict
score, then the lowest branch index.

Without a generated-tests verdict, or when no candidate passed any generated test (the tests
are then more likely wrong than every program), it falls back to ``best`` and says so in
the reason.

Example:
    >>> from langgraph_scaling.report import Verdict
    >>> def cand(i, passed):
    ...     c = Candidate(index=i, status="ok")
    ...     c.verdicts.append(Verdict(verifier="generated_tests", passed=True, score=0.5,
    ...                               details={"kind": "generated_tests", "passed": passed}))
    ...     return c
    >>> cs = [cand(0, ["a", "b", "c"]), cand(1, ["a", "b"]), cand(2, ["a", "b"])]
    >>> dual_agreement(cs).winner.index  # 2 x 2 beats 1 x 3
    1
"""

from __future__ import annotations

from collections.abc import Sequence

from langgraph_scaling.report import Candidate
from langgraph_scaling.selection._protocol import Selection, Selector
from langgraph_scaling.selection._tally import finished
from langgraph_scaling.selection.best import best

__all__ = ["DUAL_AGREEMENT", "dual_agreement", "passed_tests"]

_KIND = "generated_tests"  # GeneratedTestsVerifier's details["kind"]


def passed_tests(candidate: Candidate) -> frozenset[str] | None:
    """Ids of the generated tests ``candidate`` passed; ``None`` without such a verdict."""
    verdicts = [v for v in candidate.verdicts if v.details.get("kind") == _KIND]
    if not verdicts:
        return None
    return frozenset(str(t) for v in verdicts for t in v.details.get("passed", []))


def dual_agreement(candidates: Sequence[Candidate]) -> Selection:
    """The best member of the group with the largest size times tests passed (see above)."""
    done = finished(candidates)
    if not done:
        return Selection(None, "no branch finished")
    sets = {c.index: passed_tests(c) for c in done}
    if all(s is None for s in sets.values()):
        return _fallback(done, "no generated-tests verdict")
    groups: dict[frozenset[str], list[Candidate]] = {}
    for c in done:
        groups.setdefault(sets[c.index] or frozenset(), []).append(c)
    if not any(groups.keys()):
        return _fallback(done, "no candidate passed a generated test")

    def rank(tests: frozenset[str]) -> tuple[int, int, float, int]:
        members = groups[tests]
        mean = sum(c.score for c in members) / len(members)
        return (-len(members) * len(tests), -len(members), -mean, min(c.index for c in members))

    top = min(groups, key=rank)
    members = groups[top]
    winner = min(members, key=lambda c: (-c.score, c.index))
    votes = {_label(tests): len(group) for tests, group in groups.items()}
    reason = (
        f"dual agreement: {len(members)} candidate(s) x {len(top)} generated test(s) = "
        f"{len(members) * len(top)} for branch {winner.index}'s group"
    )
    return Selection(winner, reason, votes)


def _label(tests: frozenset[str]) -> str:
    return "passes " + (",".join(sorted(tests)) if tests else "none")


def _fallback(done: list[Candidate], why: str) -> Selection:
    chosen = best(done)
    return Selection(
        chosen.winner, f"dual agreement: {why}; fell back to {chosen.reason}", chosen.votes
    )


DUAL_AGREEMENT = Selector("dual_agreement", dual_agreement)
