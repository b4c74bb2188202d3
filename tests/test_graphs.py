"""The prebuilt graphs on scripted fakes: the coding agent and the scaled ReAct agent."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from langgraph_scaling import ScalingPolicy
from langgraph_scaling.graphs.coding_agent import CodingAgentContext, build_coding_agent
from langgraph_scaling.graphs.react_agent import ReactAgentContext, build_react_agent, calculator
from langgraph_scaling.tasks import humaneval_tasks
from langgraph_scaling.tasks.humaneval import judge
from langgraph_scaling.testing import ScriptedChatModel, tool_call

WRONG = "```python\ndef truncate_number(number: float) -> float:\n    return number\n```"
RIGHT = "```python\ndef truncate_number(number: float) -> float:\n    return number % 1.0\n```"


@pytest.mark.slow
async def test_coding_agent_commits_the_candidate_that_passes_visible_tests() -> None:
    ((task, hidden),) = humaneval_tasks([2])
    assert "truncate_number(3.5)" in task.visible_tests
    assert "check" not in task.visible_tests, "hidden tests never reach the agent"
    model = ScriptedChatModel(script=[WRONG, WRONG, RIGHT])
    graph = build_coding_agent(checkpointer=InMemorySaver())
    out = await graph.ainvoke(
        {"task": task},
        {"configurable": {"thread_id": "he2"}},
        context=CodingAgentContext(
            model=model, policy=ScalingPolicy(router=3, selection="best", max_concurrency=1)
        ),
    )
    assert out["passed"] is True
    assert "number % 1.0" in out["answer"]
    assert await judge(out["answer"], hidden)
    assert not await judge(WRONG, hidden)
    (report,) = out["reports"]
    assert report["launched"] == 3 and report["winner"] == 2
    # plain majority without tests would have committed the wrong answer
    out = await build_coding_agent().ainvoke(
        {"task": task},
        context=CodingAgentContext(
            model=ScriptedChatModel(script=[WRONG, WRONG, RIGHT]),
            verify=False,
            policy=ScalingPolicy(router=3, vote_key="code", max_concurrency=1),
        ),
    )
    assert "return number\n" in out["answer"] and out["passed"] is False


async def test_react_agent_votes_tool_calls() -> None:
    model = ScriptedChatModel(
        script=[
            tool_call("calculator", {"expression": "6*7"}),
            tool_call("calculator", {"expression": " 6*7 "}),
            tool_call("calculator", {"expression": "6+7"}),
            "42",
            "42",
            "13",
        ]
    )
    graph = build_react_agent()
    out = await graph.ainvoke(
        {"messages": [HumanMessage("What is 6 times 7?")]},
        context=ReactAgentContext(model=model, policy=ScalingPolicy(router=3, max_concurrency=1)),
    )
    tool_messages = [m for m in out["messages"] if m.type == "tool"]
    assert [m.content for m in tool_messages] == ["42"]
    assert out["messages"][-1].content == "42"


async def test_react_agent_must_act_first_then_may_answer() -> None:
    """The first turn after the user is bound with tool_choice="required", the next "auto";
    a text answer to the first is outvoted by the one real call."""
    model = ScriptedChatModel(
        script=[
            '```json\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n```',
            "42",
            tool_call("calculator", {"expression": "6*7"}),
            "42",
        ]
    )
    # The context's own policy (JSON fields): weighted_vote over ToolCallVerifier verdicts.
    out = await build_react_agent().ainvoke(
        {"messages": [HumanMessage("What is 6 times 7?")]},
        context=ReactAgentContext(model=model, router=3),
    )
    assert [m.content for m in out["messages"] if m.type == "tool"] == ["42"]
    choices = [kw.get("tool_choice") for kw in model.call_kwargs]
    assert choices == ["required"] * 3 + ["auto"] * 3
    free = await build_react_agent().ainvoke(
        {"messages": [HumanMessage("Hi")]},
        context=ReactAgentContext(
            model=ScriptedChatModel(script=["Hello!"]), router=2, first_tool_choice="auto"
        ),
    )
    assert free["messages"][-1].content == "Hello!"


def test_calculator_refuses_code() -> None:
    assert calculator.invoke({"expression": "__import__('os').system('true')"}).startswith("error")
    assert calculator.invoke({"expression": "2**10"}) == "1024"


def test_visible_tests_of_the_dev_set_are_valid_python() -> None:
    import ast

    tasks = humaneval_tasks(range(40))
    for task, hidden in tasks:
        ast.parse(task.visible_tests)  # HumanEval/32's example carries a trailing comment
        assert "check(" not in task.visible_tests and hidden["test"] not in task.visible_tests
    (find_zero,) = [t for t, _ in tasks if t.id == "HumanEval/32"]
    assert "round(find_zero([1, 2]), 2)" in find_zero.visible_tests
    assert sum(bool(t.visible_tests) for t, _ in tasks) >= 38
