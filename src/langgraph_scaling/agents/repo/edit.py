"""The repository agent's edit step: k branches write the edit, each tested on a copy.

The branches answer one request (the plan, the code as it is now, the last failure) in the
form :mod:`.edit_call` constrains them to; ``PatchVerifier`` runs the tests on each, and
:class:`~.verify.Recorder` keeps every verdict. A step in which no branch passed but some
copied the code back unchanged tries those once more (:mod:`.unchanged`). A verified edit
becomes the workspace's changes (trimmed, :func:`~.outcome.trimmed`); otherwise every
branch's feedback goes back to the model and the best near-miss is kept
(:func:`~.outcome.better`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, ToolMessage
from langchain_core.runnables import Runnable

from langgraph_scaling.agents.repo.context import RepoAgentContext
from langgraph_scaling.agents.repo.edit_call import CODE_FORMAT, constrained_edit
from langgraph_scaling.agents.repo.guidance import edit_view, focus, last_failure
from langgraph_scaling.agents.repo.history import fit
from langgraph_scaling.agents.repo.outcome import better, feedback, kept, trimmed
from langgraph_scaling.agents.repo.prompts import EDIT_FAILED, EDIT_FORMAT, edit_request
from langgraph_scaling.agents.repo.steps import (
    CONTEXT_FULL,
    context_full,
    history_left,
    record,
    workspace_of,
)
from langgraph_scaling.agents.repo.unchanged import Tries, second_try
from langgraph_scaling.agents.repo.verify import Recorder, change_key
from langgraph_scaling.agents.repo.workspace import Workspace
from langgraph_scaling.branching import EMPTY_ANSWER
from langgraph_scaling.edits import matches_any
from langgraph_scaling.errors import StepFailedError
from langgraph_scaling.langgraph import ScaledChatModel
from langgraph_scaling.routing import FixedRouter
from langgraph_scaling.verifiers.patch import PatchVerifier

if TYPE_CHECKING:
    from langgraph_scaling.agents.repo.graph import RepoState

__all__ = ["edit_step"]

_SEED_STRIDE = 1009
"""How far an edit step's seeds move per turn (more than any step's branches)."""


def _constrained(ctx: RepoAgentContext) -> bool:
    return ctx.constrain_edit and ctx.tool_choice == "required"


def _edit_model(
    ctx: RepoAgentContext,
    ws: Workspace,
    root: Path,
    verifier: PatchVerifier,
    turn: int,
    branches: int | None = None,
) -> tuple[Runnable[Any, AIMessage], Recorder, str]:
    """The edit step's scaled model, the recorder of its branches and the edit form to
    ask for; with :attr:`~.RepoAgentContext.constrain_edit`, each answer is constrained to
    one of the workspace's code files and one python block (:mod:`.edit_call`). Seeds shift
    with the ``turn``, so an edit step tried again samples anew instead of repeating its
    answer; ``branches`` (a second try, :mod:`.unchanged`) fixes their number and seeds
    apart from the first wave's."""
    recorder = Recorder(verifier)
    base = ctx.step_policy()
    update: dict[str, Any] = {"verifiers": (recorder,), "vote_key": change_key(root)}
    shift = _SEED_STRIDE * turn + (_SEED_STRIDE // 2 if branches else 0)
    update["seed"] = None if base.seed is None else base.seed + shift
    if branches is not None:
        update["router"] = FixedRouter(branches)
    model = ScaledChatModel(ctx.backend(), policy=base.model_copy(update=update), step="edit")
    code = [f for f in ws.files() if f.endswith(".py") and not matches_any(f, ctx.protected)]
    if not (_constrained(ctx) and code):  # no code file to name: free text
        return model, recorder, EDIT_FORMAT
    return model.bind(**constrained_edit(code)), recorder, CODE_FORMAT


async def edit_step(state: RepoState, ctx: RepoAgentContext) -> RepoState:
    """k branches write the edit; the patch verifier tests each on the workspace."""
    last = state["messages"][-1]
    assert isinstance(last, AIMessage)
    call = next(c for c in last.tool_calls if c["name"] == "edit")
    turn = state.get("steps", 0) + 1
    ws = workspace_of(state)
    with tempfile.TemporaryDirectory(prefix="repo-agent-edit-") as tmp:
        root = ws.materialise(Path(tmp) / "repo")
        verifier = PatchVerifier(
            root,
            state["test_command"],
            timeout=ctx.test_timeout,
            protected=ctx.protected,
            protect=ctx.protect,
            sandbox=ctx.sandbox,
        )
        model, recorder, form = _edit_model(ctx, ws, root, verifier, turn)
        plan = str(call["args"].get("edit", ""))
        ask = edit_request(plan, focus(state, ws, ctx), last_failure(state), form)
        prompt = [*fit(edit_view(state), history_left(ctx, ask)), ask]
        try:
            answer = await model.ainvoke(prompt)
        except StepFailedError as exc:  # every branch answered nothing: a failed edit
            if not _unwritten_only(exc):
                raise  # the engine or model failed, not the edit
            return _unwritten(last, call, turn, exc)
        report = answer.response_metadata["scaling"]
        tries = Tries(recorder.attempts, [report], recorder.get(report.get("winner")))
        if ctx.retry_unchanged:

            async def again(
                n: int, messages: Sequence[BaseMessage]
            ) -> tuple[AIMessage, Recorder] | None:
                retry, rec, _ = _edit_model(ctx, ws, root, verifier, turn, branches=n)
                return await _answered(retry, messages, rec)

            tries = await second_try(tries, prompt, again)
        edit = kept(tries.won, root) if tries.passed and tries.won else None
        known = [*(state.get("failing_before") or ()), *state.get("reproduction_test", ())]
        best = None if tries.passed else better(state.get("best_edit"), tries.attempts, root, known)
    return await _edit_update(state, ctx, ws, (last, call, turn), tries, edit, best)


def _unwritten_only(exc: StepFailedError) -> bool:
    """Every branch answered nothing, or the prompt no longer fits: a failed edit, not a
    failed engine."""
    empty = bool(exc.failures) and all(f.endswith(EMPTY_ANSWER) for f in exc.failures)
    return empty or context_full(exc)


async def _answered(
    model: Runnable[Any, AIMessage], messages: Sequence[BaseMessage], recorder: Recorder
) -> tuple[AIMessage, Recorder] | None:
    """A second try's answer, or ``None`` when none of its branches wrote anything."""
    try:
        return await model.ainvoke(list(messages)), recorder
    except StepFailedError as exc:
        if not _unwritten_only(exc):
            raise
        return None


async def _edit_update(
    state: RepoState,
    ctx: RepoAgentContext,
    ws: Workspace,
    where: tuple[AIMessage, Mapping[str, Any], int],
    tries: Tries,
    edit: dict[str, str | None] | None,
    best: dict[str, Any] | None,
) -> RepoState:
    """The state update of a finished edit step: the verified edit applied, or the feedback
    of every branch and the best near-miss kept."""
    last, call, turn = where
    won = tries.won
    changes, note = (None, "") if edit is None else await trimmed(ws, edit, state, ctx)
    if changes is not None and won is not None:
        text = f"PASSED: the edit of branch {won.index} is applied.{note} {won.verdict.feedback}"
    else:
        text = feedback(tries.attempts)
    branches = sum(int(r.get("launched") or 0) for r in tries.reports)
    args = {"branches": branches} | ({"retried": tries.retried} if tries.retried else {})
    update: RepoState = {
        "messages": _answers(last, call, text),
        "steps": turn,
        "reports": tries.reports,
        "actions": [record(turn, "edit", args, text)],
    }
    if changes is not None:
        update |= {
            "changes": changes,
            "outcome": "fixed",
            "reason": f"A verified edit (branch {won.index if won else '?'} of the edit step at "
            f"turn {turn}) makes the tests pass.",
        }
    else:
        update["best_edit"] = best
    return update


def _answers(last: AIMessage, call: Mapping[str, Any], text: str) -> list[AnyMessage]:
    """The edit call's answer ``text``; any other call of that turn is not run."""
    return [
        ToolMessage(
            text if c is call else "not run: call one tool at a time",
            tool_call_id=c.get("id") or c["name"],
            name=str(c["name"]),
        )
        for c in last.tool_calls
    ]


def _unwritten(
    last: AIMessage, call: Mapping[str, Any], turn: int, exc: StepFailedError
) -> RepoState:
    """An edit step whose every branch answered nothing (or whose prompt no longer fits):
    the model is told and the run goes on (it ends when the context is full)."""
    why = "; ".join(exc.failures)[:600]
    text = f"{EDIT_FAILED} no branch wrote an edit ({why}); nothing was changed."
    update: RepoState = {
        "messages": _answers(last, call, text),
        "steps": turn,
        "reports": [exc.report.model_dump(mode="json")] if exc.report else [],
        "actions": [record(turn, "edit", {"branches": len(exc.failures)}, text)],
    }
    if context_full(exc):
        update["stop_reason"] = CONTEXT_FULL
    return update
