"""Building a step's :class:`~langgraph_scaling.report.StepReport` from what the step did.

The report counts branches by status, adds up tokens and cost, says what is left of the
step budget (and of the run budget, with a ledger), and keeps candidate summaries only
when the policy asks for them.

Example:
    >>> from langgraph_scaling.policy import ScalingPolicy
    >>> from langgraph_scaling.report import Candidate
    >>> from langgraph_scaling.selection import select
    >>> from langgraph_scaling.verifiers import VerifyContext
    >>> st = StepState(ScalingPolicy(), "s", VerifyContext(), lambda event: None, None)
    >>> st.candidates.append(Candidate(index=0, status="ok", vote_key="text:4"))
    >>> decision = RouterDecision(router="fixed", waves=(1,), reason="fixed(1)")
    >>> report = build_report(st, decision, select("vote", st.candidates), None, False)
    >>> report.winner, report.finished, report.votes
    (0, 1, {'text:4': 1})
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from langgraph_scaling._step import StepState
from langgraph_scaling.budget import RunLedger
from langgraph_scaling.report import Candidate, RouterDecision, StepReport
from langgraph_scaling.selection import Selection
from langgraph_scaling.selection.keys import short_key

__all__ = ["budget_left", "build_report", "retry_notes"]


def budget_left(st: StepState, ledger: RunLedger | None) -> dict[str, float | int | None]:
    """What is left of the step budget (``None`` where unlimited), and of the run budget."""
    b = st.policy.budget
    tokens_in, tokens_out = st.tokens
    elapsed = time.monotonic() - st.started
    left = b.left(
        branches=len(st.candidates),
        tokens=tokens_in + tokens_out,
        cost=b.cost(tokens_in, tokens_out),
    )
    left["seconds"] = None if b.max_seconds is None else round(b.max_seconds - elapsed, 3)
    if ledger is not None:
        left.update(ledger.snapshot())
    return left


def retry_notes(candidates: Sequence[Candidate]) -> list[str]:
    """What a backend had to send again (a lost replica, HTTP 502/503), once per attempt.

    Backends put each failed attempt in the sample's ``response_metadata["retries"]``;
    the branches of one ``n=k`` request share them.
    """
    attempts = dict.fromkeys(
        str(note)
        for c in candidates
        if c.message is not None
        for note in c.message.response_metadata.get("retries", ())
    )
    return [f"request retried: {note}" for note in attempts]


def build_report(
    st: StepState,
    decision: RouterDecision,
    chosen: Selection,
    ledger: RunLedger | None,
    deadline_hit: bool,
) -> StepReport:
    """The compact report of the step ``st`` after ``chosen`` was selected."""
    tokens_in, tokens_out = st.tokens
    status = [c.status for c in st.candidates]
    winner = chosen.winner
    return StepReport(
        step=st.name,
        selection=st.selector.name,
        winner=None if winner is None else winner.index,
        reason=chosen.reason,
        winner_passed=winner.passed if winner is not None and st.policy.verifiers else None,
        router=decision,
        launched=len(st.candidates),
        finished=status.count("ok"),
        failed=status.count("failed"),
        cancelled=status.count("cancelled") + status.count("timeout"),
        waves_run=st.waves_run,
        refine_rounds=st.refine_rounds,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost=st.policy.budget.cost(tokens_in, tokens_out),
        wall_s=round(time.monotonic() - st.started, 4),
        deadline_hit=deadline_hit,
        notes=[*st.notes, *retry_notes(st.candidates)],
        budget_left=budget_left(st, ledger),
        votes={short_key(k): v for k, v in chosen.votes.items()},
        candidates=[c.summary() for c in st.candidates] if st.policy.keep_candidates else [],
    )
