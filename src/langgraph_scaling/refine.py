"""Refinement: revise the best candidate in rounds fed by the verifiers' feedback.

Strategies that declare ``revises`` (``selection="refine"``) get, after the waves, up to
``policy.refine_rounds`` rounds: the current best candidate, if it fails a verifier, goes
back to the sampler with ``policy.refine_prompt`` and the revision is judged like any
branch. Rounds stop when the best candidate passes, when there is no feedback to act on,
or when ``budget.max_branches`` is used.

Example:
    >>> answer = AIMessage("", tool_calls=[{"name": "run", "args": {}, "id": "c1"}])
    >>> [m.type for m in revision_turn(answer, "it failed")]
    ['ai', 'tool']
    >>> [m.type for m in revision_turn(AIMessage("3"), "wrong")]
    ['ai', 'human']
"""

from __future__ import annotations

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from langgraph_scaling._step import StepState
from langgraph_scaling.branching import EmitCandidate, Sampler
from langgraph_scaling.report import Candidate

__all__ = ["refine", "revision_turn"]


def revision_turn(answer: AIMessage, feedback: str) -> list[BaseMessage]:
    """The answer and the feedback on it, as the turn that asks for a revision.

    A tool-calling answer gets the feedback as each call's result, as the tool protocol
    requires; a text answer gets it as the user's reply.
    """
    if answer.tool_calls:
        results = [
            ToolMessage(feedback, tool_call_id=str(c.get("id") or "")) for c in answer.tool_calls
        ]
        return [answer, *results]
    return [answer, HumanMessage(feedback)]


async def refine(st: StepState, sampler: Sampler) -> None:
    """Run the refinement rounds of one step (each a one-branch wave of revisions)."""
    revise = getattr(sampler, "revise", None)
    if revise is None:
        st.notes.append("refine: this sampler cannot revise; kept the best candidate")
        return
    cap = st.policy.budget.max_branches
    for rnd in range(1, st.policy.refine_rounds + 1):
        current = st.selector(st.candidates).winner
        if current is None or current.passed:
            return
        if not current.feedback:
            st.notes.append("refine: no verifier feedback to act on")
            return
        if cap is not None and len(st.candidates) >= cap:
            st.notes.append(f"refine stopped: max_branches={cap} used")
            return

        async def produce(seeds: list[int], emit: EmitCandidate, *, c: Candidate = current) -> None:
            await revise(c, st.policy.refine_prompt.format(feedback=c.feedback), seeds, emit)

        await st.run_wave(produce, 1, wave=st.waves_run, round=rnd)
        st.refine_rounds = rnd
