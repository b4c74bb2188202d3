"""The repository agent's conversation is shortened to its context window: older tool
outputs first, then the oldest turns; the opening and human messages stay."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage, ToolMessage

from langgraph_scaling import ScalingPolicy
from langgraph_scaling.agents.repo import RepoAgentContext
from langgraph_scaling.agents.repo.history import SHORTENED, fit, size
from langgraph_scaling.testing import ScriptedChatModel


def _turn(i: int, lines: int) -> list[AnyMessage]:
    call = {"name": "read_file", "args": {"path": f"f{i}.py"}, "id": f"c{i}", "type": "tool_call"}
    body = "\n".join(f"{n:4d}  value_{i} = compute({n}, {i})" for n in range(lines))
    return [AIMessage("", tool_calls=[call]), ToolMessage(f"f{i}.py\n{body}", tool_call_id=f"c{i}")]


def _conversation(turns: int, lines: int = 60) -> list[AnyMessage]:
    msgs: list[AnyMessage] = [SystemMessage("You fix bugs."), HumanMessage("Issue: median")]
    for i in range(turns):
        msgs += _turn(i, lines)
    return msgs


def test_a_conversation_that_fits_is_sent_unchanged() -> None:
    msgs = _conversation(2, lines=3)
    assert fit(msgs, budget=size(msgs)) == msgs
    assert fit(_conversation(8), budget=None) == _conversation(8)


def test_older_tool_outputs_shrink_first_and_the_latest_stays_whole() -> None:
    msgs = _conversation(4)
    budget = size(msgs) - 100
    out = fit(msgs, budget)
    assert size(out) <= budget and len(out) == len(msgs)
    assert out[:2] == msgs[:2] and out[-1] == msgs[-1]  # opening and the latest output whole
    shortened = [m for m in out if isinstance(m, ToolMessage) and m.text.endswith(SHORTENED)]
    assert shortened and shortened[0].text.startswith("f0.py")  # the oldest goes first
    assert all(isinstance(a, AIMessage) and a.tool_calls for a in out[2::2])  # pairs kept


def test_oldest_turns_are_left_out_when_shrinking_is_not_enough() -> None:
    msgs = _conversation(30, lines=2)
    msgs.insert(6, HumanMessage("A test that reproduces the issue was added"))
    budget = size(msgs[:2]) + size(msgs[-8:])
    out = fit(msgs, budget)
    assert size(out) <= budget + 40 and len(out) < len(msgs)
    assert out[:2] == msgs[:2] and out[-1] == msgs[-1]
    notes = [m.text for m in out if isinstance(m, HumanMessage)]
    assert "earlier turns left out" in notes[1] and "reproduces the issue" in notes[2]
    first_kept = next(i for i, m in enumerate(out) if isinstance(m, AIMessage))
    assert isinstance(out[first_kept + 1], ToolMessage)  # no answer without its call


def test_the_context_window_must_leave_room_for_the_prompt() -> None:
    assert RepoAgentContext(context_window=4096).history_budget() == 4096 - 768 - 204
    assert RepoAgentContext(context_window=None).history_budget() is None
    with pytest.raises(ValueError, match="context_window=900"):
        RepoAgentContext(context_window=900)
    # the room follows the policy that runs, not only the context's own field
    policy = ScalingPolicy(router=2, max_new_tokens=1500)
    assert RepoAgentContext(policy=policy, context_window=4096).history_budget() == 2392


class _Engine:
    max_model_len = 2048


def test_auto_takes_the_window_from_the_backend() -> None:
    assert RepoAgentContext(model=_Engine()).window() == 2048
    assert RepoAgentContext(model=ScriptedChatModel(script=["x"])).window() == 4096
