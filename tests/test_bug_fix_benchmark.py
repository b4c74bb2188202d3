"""The bug-fix benchmark's own machinery on scripted models and the real corpus: what each
condition commits is judged by the full test suite of a fresh copy, and the counters read
the agent's reports. No engine is started."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))

import bug_fix

from langgraph_scaling.testing import ScriptedChatModel, tool_call
from tests.test_repo_agent import EDITS_TESTS, FIX  # the same edits, one copy

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


def test_conditions_parse_and_bad_ones_are_named() -> None:
    assert bug_fix.parse_condition("greedy") == ("greedy", 1)
    assert bug_fix.parse_condition("oneshot@4") == ("oneshot", 4)
    assert bug_fix.parse_condition("agent@adaptive") == ("agent", "adaptive")
    assert bug_fix.parse_condition("agent-auto@4") == ("agent-auto", 4)
    with pytest.raises(SystemExit, match="'agent@x'"):
        bug_fix.parse_condition("agent@x")


def test_the_judge_runs_the_full_suite_of_a_fresh_copy(tmp_path: Path) -> None:
    fixed, _ = bug_fix.judge("median-even", {"answer": FIX}, tmp_path / "a")
    cheat, summary = bug_fix.judge("median-even", {"answer": EDITS_TESTS}, tmp_path / "b")
    nothing, why = bug_fix.judge("median-even", {"answer": "It is fine."}, tmp_path / "c")
    assert fixed and not cheat and "failed" in summary
    assert not nothing and "not an edit" in why


async def test_a_one_shot_and_an_agent_run_are_judged_and_counted() -> None:
    greedy = ScriptedChatModel(script=[FIX])
    row = await bug_fix.run_one(greedy, "median-even", "greedy", seed=0)
    assert row["fixed"] is True and row["steps"] == 1 and row["tool_calls"] == 0

    read = tool_call("read_file", {"path": "descstats/summary.py"}, "c1")
    edit = tool_call("edit", {"edit": "use true division"}, "c2")
    agent = ScriptedChatModel(  # k=2: every step takes two entries
        # one looking branch writes text instead of the required call; one edit branch
        # changes the tests
        script=[read, "Let me read the file.", edit, edit, EDITS_TESTS, FIX]
    )
    row = await bug_fix.run_one(agent, "median-even", "agent@2", seed=0)
    assert row["fixed"] is True and row["outcome"] == "fixed", row
    assert row["tool_calls"] == 1 and row["edit_steps"] == 1
    assert row["test_edit_attempts"] == 1 and row["tool_call_failures"] == 1
    (why,) = row["tool_call_failure_details"]  # kept, so a run says why a call failed
    assert why["feedback"] == "expected a tool call, got a text answer", why
    assert row["branches"] == 6 and row["tokens_in"] > 0
    assert row["edit_branches"] == 2 and row["unparsed_edits"] == 0  # both applied


async def test_an_edit_that_does_not_parse_is_counted() -> None:
    edit = tool_call("edit", {"edit": "use true division"}, "c2")
    bad = "descstats/summary.py\n<<<<<<< SEARCH\nx\n"  # no ======= and no REPLACE
    agent = ScriptedChatModel(script=[edit, bad, edit, FIX])  # the second edit step fixes it
    row = await bug_fix.run_one(agent, "median-even", "agent@1", seed=0)
    assert row["fixed"] is True and row["edit_steps"] == 2, row
    assert row["edit_branches"] == 2 and row["unparsed_edits"] == 1, row
    assert len(row["unparsed_edit_details"]) == 1 and row["unparsed_edit_details"][0]["reason"], row


async def test_unconstrained_tool_calls_are_sent_as_auto_and_a_text_turn_still_fails() -> None:
    read = tool_call("read_file", {"path": "descstats/summary.py"}, "c1")
    edit = tool_call("edit", {"edit": "use true division"}, "c2")
    agent = ScriptedChatModel(script=[read, "I will read it.", edit, edit, FIX, FIX])
    row = await bug_fix.run_one(agent, "median-even", "agent-auto@2", seed=0)
    turns = [kw for kw in agent.call_kwargs if "tool_choice" in kw]
    assert turns and {kw["tool_choice"] for kw in turns} == {"auto"}
    assert {kw.get("parallel_tool_calls") for kw in turns} == {False}  # one call a turn
    assert row["fixed"] is True and row["tool_call_failures"] == 1, row


def test_a_salvaged_forced_edit_call_is_counted() -> None:
    from langchain_core.messages import AIMessage

    salvaged = AIMessage("", response_metadata={"salvaged_call": "cut off"})
    row = bug_fix.counts({"messages": [AIMessage("hi"), salvaged]}, [])
    assert row["salvaged_calls"] == 1 and row["tool_call_failures"] == 0


def test_the_driver_writes_one_row_per_bug_and_condition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from langgraph_scaling.backends import default

    started: list[bool] = []

    class Engine(ScriptedChatModel):
        async def start(self) -> None:
            started.append(True)

        async def aclose(self) -> None:
            pass

    monkeypatch.setattr(default, "embedded_backend", lambda: Engine(script=[FIX, FIX]))
    out = tmp_path / "bug_fix.json"
    bug_fix.main(["--bugs", "median-even", "--conditions", "greedy", "--out", str(out)])
    bug_fix.main(["--bugs", "median-even", "--conditions", "greedy", "--out", str(out), "--extend"])
    data = json.loads(out.read_text())
    assert data["complete"] and data["benchmark"] == "bug_fix"
    assert [(r["bug"], r["condition"], r["fixed"]) for r in data["results"]] == [
        ("median-even", "greedy", True)  # the second run found the pair done
    ]
    assert data["summary"]["greedy"]["fixed"] == 1 and data["seed"] == 0
    assert started == [True]  # with nothing left to run, no engine starts
