"""Vote keys and selection strategies."""

from __future__ import annotations

from langchain_core.messages import AIMessage

from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.selection import code_key, compute_key, select, text_key, tool_calls_key


def cand(
    i: int,
    text: str = "",
    *,
    score: float | None = None,
    msg: AIMessage | None = None,
    status: str = "ok",
) -> Candidate:
    c = Candidate(index=i, text=text, status=status, message=msg)  # type: ignore[arg-type]
    if score is not None:
        c.verdicts.append(Verdict(verifier="v", passed=score == 1.0, score=score))
    c.vote_key = compute_key(c) if status == "ok" else None
    return c


def test_tool_call_keys_ignore_argument_order_and_outer_whitespace_only() -> None:
    a = tool_calls_key([{"name": "search", "args": {"q": "langgraph scaling", "k": 3}}])
    b = tool_calls_key([{"name": " Search", "args": {"k": 3, "q": " langgraph scaling "}}])
    c = tool_calls_key([{"name": "search", "args": {"q": "langgraph", "k": 3}}])
    assert a == b
    assert a != c


def test_tool_call_keys_keep_whitespace_inside_arguments() -> None:
    """Programs that differ in indentation are different programs: they must not vote together."""
    ok = "def f(x):\n    if x:\n        return 1\n    return 0\n"
    shifted = "def f(x):\n    if x:\n        return 1\n        return 0\n"
    keys = {tool_calls_key([{"name": "run_python", "args": {"code": c}}]) for c in (ok, shifted)}
    assert len(keys) == 2


def test_code_keys_ignore_comments_docstrings_and_formatting() -> None:
    one = "def add(a, b):\n    '''Add.'''\n    # sum\n    return a+b\n"
    two = "```python\ndef add(a,b):\n    return (a + b)\n```"
    three = "def add(a, b):\n    return a - b\n"
    assert code_key(one) == code_key(two)
    assert code_key(one) != code_key(three)


def test_unparsable_code_falls_back_to_text_key() -> None:
    assert code_key("def broken(:") == text_key("def broken(:")


def test_auto_key_uses_tool_calls_when_present() -> None:
    msg = AIMessage("", tool_calls=[{"name": "f", "args": {"x": 1}, "id": "1"}])
    assert compute_key(Candidate(index=0, message=msg, status="ok")).startswith("tools:")


def test_vote_majority_and_deterministic_tie_break() -> None:
    cs = [cand(0, "b"), cand(1, "a"), cand(2, "a"), cand(3, "b")]
    chosen = select("vote", cs)
    # 2-2 tie: equal scores, so the group holding the earliest branch (0, "b") wins.
    assert chosen.winner is not None and chosen.winner.index == 0
    assert chosen.votes == {"text:b": 2, "text:a": 2}
    assert select("vote", list(reversed(cs))).winner.index == 0  # type: ignore[union-attr]


def test_failed_branches_do_not_vote() -> None:
    cs = [cand(0, "x", status="failed"), cand(1, "x", status="failed"), cand(2, "y")]
    assert select("vote", cs).winner.index == 2  # type: ignore[union-attr]


def test_weighted_vote_prefers_verified_minority() -> None:
    cs = [cand(0, "wrong", score=0.0), cand(1, "wrong", score=0.0), cand(2, "right", score=1.0)]
    assert select("vote", cs).winner.text == "wrong"  # type: ignore[union-attr]
    assert select("weighted_vote", cs).winner.text == "right"  # type: ignore[union-attr]


def test_best_breaks_score_ties_by_vote() -> None:
    cs = [
        cand(0, "a", score=0.5),
        cand(1, "b", score=0.5),
        cand(2, "b", score=0.5),
        cand(3, "c", score=0.2),
    ]
    chosen = select("best", cs)
    assert chosen.winner.index == 1  # type: ignore[union-attr]
    assert "broken by vote" in chosen.reason


def test_first_pass_takes_first_in_finish_order() -> None:
    cs = [cand(3, "a", score=0.5), cand(1, "b", score=1.0), cand(0, "c", score=1.0)]
    assert select("first_pass", cs).winner.index == 1  # type: ignore[union-attr]
    nobody = [cand(0, "a", score=0.2), cand(1, "b", score=0.6)]
    chosen = select("first_pass", nobody)
    assert chosen.winner.index == 1 and chosen.reason.startswith("no branch passed")  # type: ignore[union-attr]


def test_no_finished_candidate_means_no_winner() -> None:
    assert select("best", [cand(0, status="failed")]).winner is None
