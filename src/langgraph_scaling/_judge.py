"""Judging one finished branch: its vote key, then every verifier's verdict.

A verifier that crashes, or returns something other than a :class:`Verdict`, fails the
candidate with a verdict that says so; a check that could not run at all (sandbox or
verifier infrastructure, :data:`~langgraph_scaling._control.UNCHECKABLE`) and LangGraph
interrupts propagate.

Example:
    >>> import anyio
    >>> from langgraph_scaling.verifiers import CallableVerifier
    >>> cand = Candidate(index=0, status="ok", text="4")
    >>> check = CallableVerifier(lambda c: c.text == "4", name="is_four")
    >>> notes = []
    >>> anyio.run(lambda: judge(cand, ScalingPolicy(verifiers=[check]), VerifyContext(), notes))
    >>> cand.vote_key, cand.passed
    ('text:4', True)
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar
from typing import Any, Protocol

from langgraph.errors import GraphBubbleUp

from langgraph_scaling._control import UNCHECKABLE
from langgraph_scaling.branching import error_text
from langgraph_scaling.policy import ScalingPolicy
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.selection import compute_key
from langgraph_scaling.verifiers.protocol import VerifyContext

__all__ = ["ASKING", "Asking", "judge", "run_verifier"]


class Asking(Protocol):
    """Where a candidate's verifiers may ask a human (LangGraph's ``interrupt()``)."""

    def verifying(self, cand: Candidate) -> AbstractContextManager[None]:
        """The scope of ``cand``'s verifiers: their own interrupt counter and answers."""
        ...


ASKING: ContextVar[Asking | None] = ContextVar("langgraph_scaling_asking", default=None)
"""Set by the LangGraph glue while a step runs in a LangGraph task (see ``langgraph/_pause``)."""


async def judge(
    cand: Candidate, policy: ScalingPolicy, context: VerifyContext, notes: list[str]
) -> None:
    """Fill ``cand.vote_key`` and ``cand.verdicts``; a failing custom vote key adds a note."""
    cand.vote_key = await _vote_key(cand, policy, context, notes)
    asking = ASKING.get()
    with asking.verifying(cand) if asking is not None else nullcontext():
        for verifier in policy.verifiers:
            cand.verdicts.append(await run_verifier(verifier, cand, context))
    if policy.vote_key == "behavior":  # what the verifiers saw it do
        cand.vote_key = compute_key(cand, "behavior")


async def _vote_key(
    cand: Candidate, policy: ScalingPolicy, context: VerifyContext, notes: list[str]
) -> str:
    key = policy.vote_key
    if isinstance(key, str):
        return compute_key(cand, key)
    try:
        return str(await key(cand, context))
    except GraphBubbleUp:
        raise
    except Exception as exc:
        notes.append(f"vote key failed for branch {cand.index}: {exc!r}")
        return compute_key(cand)


def _broken(name: str, feedback: str) -> Verdict:
    return Verdict(
        verifier=name,
        passed=False,
        score=0.0,
        feedback=feedback,
        details={"verifier_error": True},
    )


async def run_verifier(verifier: Any, cand: Candidate, context: VerifyContext) -> Verdict:
    """One verifier's verdict on ``cand``; its bugs fail the candidate, not the step."""
    name = str(getattr(verifier, "name", type(verifier).__name__))
    try:
        verdict = await verifier.verify(cand, context)
    except (GraphBubbleUp, *UNCHECKABLE):
        raise  # an interrupt, or a check that could not run: never a failed candidate
    except Exception as exc:  # a verifier's bug on this candidate fails the candidate only
        return _broken(name, f"verifier crashed: {error_text(exc)}")
    if not isinstance(verdict, Verdict):
        return _broken(name, f"verifier returned {type(verdict).__name__}, not a Verdict")
    return verdict
