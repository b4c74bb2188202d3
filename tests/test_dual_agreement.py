"""dual_agreement: CodeT's group score (size x tests passed), its tie-breaks and fallback."""

from __future__ import annotations

import pytest

from langgraph_scaling import ScalingPolicy
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.selection import SELECTORS
from langgraph_scaling.selection.dual_agreement import dual_agreement, passed_tests


def cand(
    index: int,
    passed: list[str] | None,
    *,
    score: float | None = None,
    status: str = "ok",
    other: float | None = None,
) -> Candidate:
    c = Candidate(index=index, status=status)  # type: ignore[arg-type]
    if passed is not None:
        share = len(passed) / 4 if score is None else score
        details = {"kind": "generated_tests", "passed": passed, "total": 4}
        c.verdicts.append(
            Verdict(verifier="generated_tests", passed=True, score=share, details=details)
        )
    if other is not None:
        c.verdicts.append(Verdict(verifier="visible", passed=other == 1.0, score=other))
    return c


def test_registered_and_usable_from_a_policy() -> None:
    assert SELECTORS["dual_agreement"].choose is dual_agreement
    assert not SELECTORS["dual_agreement"].stops_early
    ScalingPolicy(selection="dual_agreement")


def test_agreement_beats_a_lone_candidate_passing_more() -> None:
    cs = [cand(0, ["a", "b", "c"]), cand(1, ["a"]), cand(2, ["a"]), cand(3, ["a"])]
    chosen = dual_agreement(cs)
    assert chosen.winner is not None and chosen.winner.index == 1  # 3 x 1 = 3 = 1 x 3: larger
    assert "3 candidate(s) x 1 generated test(s)" in chosen.reason
    assert chosen.votes == {"passes a": 3, "passes a,b,c": 1}


def test_the_group_score_is_size_times_tests() -> None:
    cs = [cand(0, ["a"]), cand(1, ["a", "b"]), cand(2, ["a", "b"]), cand(3, ["a"]), cand(4, ["a"])]
    chosen = dual_agreement(cs)  # {a,b}: 2 x 2 = 4 beats {a}: 3 x 1 = 3
    assert chosen.winner is not None and chosen.winner.index == 1


@pytest.mark.parametrize(
    ("cs", "winner"),
    [
        # equal score and size: the group with the higher mean verdict score
        ([cand(0, ["a"], other=0.0), cand(1, ["b"], other=1.0)], 1),
        # everything equal: the group with the lowest branch index
        ([cand(0, ["b"]), cand(1, ["a"])], 0),
        # inside the group: the best member, then the lowest index
        ([cand(0, ["a"], other=0.0), cand(1, ["a"], other=1.0), cand(2, ["a"], other=1.0)], 1),
    ],
    ids=["mean-score", "lowest-index", "best-member"],
)
def test_ties(cs: list[Candidate], winner: int) -> None:
    chosen = dual_agreement(cs)
    assert chosen.winner is not None and chosen.winner.index == winner


def test_unfinished_candidates_do_not_count() -> None:
    cs = [cand(0, ["a", "b"], status="failed"), cand(1, ["a"]), cand(2, ["b", "c"])]
    chosen = dual_agreement(cs)
    assert chosen.winner is not None and chosen.winner.index == 2
    assert dual_agreement([cand(0, ["a"], status="timeout")]).reason == "no branch finished"


def test_a_candidate_without_the_verdict_passes_no_generated_test() -> None:
    cs = [cand(0, None, other=1.0), cand(1, ["a"], other=0.0)]
    assert passed_tests(cs[0]) is None and passed_tests(cs[1]) == frozenset({"a"})
    chosen = dual_agreement(cs)
    assert chosen.winner is not None and chosen.winner.index == 1


@pytest.mark.parametrize(
    ("cs", "why"),
    [
        ([cand(0, None, other=0.0), cand(1, None, other=1.0)], "no generated-tests verdict"),
        ([cand(0, [], other=0.0), cand(1, [], other=1.0)], "no candidate passed a generated"),
    ],
    ids=["no-verdict", "none-passed"],
)
def test_falls_back_to_best_and_says_so(cs: list[Candidate], why: str) -> None:
    chosen = dual_agreement(cs)
    assert chosen.winner is not None and chosen.winner.index == 1
    assert chosen.reason.startswith(f"dual agreement: {why}") and "fell back to best score" in (
        chosen.reason
    )
