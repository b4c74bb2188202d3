"""Bad input is rejected at the earliest point, with a message naming what is wrong
(the policy/budget/context cases of tests/test_policy.py are not repeated here)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph

from langgraph_scaling import (
    Budget,
    ConfigError,
    ScaledChatModel,
    ScalingContext,
    ScalingMiddleware,
    ScalingPolicy,
    scaled_node,
)
from langgraph_scaling.backends.openai_server import OpenAIServerBackend
from tests.fakes import ScriptedChatModel


def fake() -> ScriptedChatModel:
    return ScriptedChatModel(script=["4"])


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: ScalingPolicy(seed=-1), r"ScalingPolicy.seed=-1 is invalid"),
        (lambda: ScalingPolicy(seed="7"), r"ScalingPolicy.seed='7'"),
        (lambda: ScalingPolicy(temperature=float("nan")), r"ScalingPolicy.temperature=nan"),
        (lambda: Budget(max_seconds=float("nan")), r"Budget.max_seconds=nan"),
        (lambda: Budget(max_seconds=0), r"Budget.max_seconds=0 is invalid: must be greater"),
        (lambda: ScaledChatModel(fake(), policy=3), r"ScaledChatModel.policy=3"),  # type: ignore[arg-type]
        (lambda: ScaledChatModel("gpt-4o"), r"model='gpt-4o' is invalid: must be a LangChain"),  # type: ignore[arg-type]
        (lambda: ScaledChatModel(fake(), step=""), r"ScaledChatModel.step='' is invalid"),
        (lambda: scaled_node(lambda s: s, name=""), r"scaled_node.name='' is invalid"),
        (lambda: scaled_node("agent"), r"scaled_node.fn='agent'"),  # type: ignore[arg-type]
        (lambda: ScalingMiddleware(step=""), r"ScalingMiddleware.step='' is invalid"),
        (lambda: ScalingMiddleware({"router": 2}), r"ScalingMiddleware.policy="),  # type: ignore[arg-type]
        (lambda: ScalingContext(steps={3: {}}), r"ScalingContext.steps key=3"),  # type: ignore[dict-item]
        (
            lambda: ScalingPolicy(verifiers=[object()]),
            r"ScalingPolicy.verifiers\[0\]=.* is not a verifier \(needs a name and an async",
        ),
        (
            lambda: OpenAIServerBackend("http://127.0.0.1:8000/v1", "m", backoff=-1),
            r"OpenAIServerBackend.backoff=-1 is invalid: must be 0 or more",
        ),
        (
            lambda: OpenAIServerBackend("http://127.0.0.1:8000/v1", "m", max_backoff=0.1),
            r"OpenAIServerBackend.max_backoff=0.1 is invalid: must be at least backoff \(0.5\)",
        ),
        (
            lambda: OpenAIServerBackend("127.0.0.1:8000/v1", "m"),
            r"OpenAIServerBackend.base_url='127.0.0.1:8000/v1' is invalid: must start with http",
        ),
    ],
    ids=[
        "negative-seed",
        "str-seed",
        "nan-temperature",
        "nan-deadline",
        "zero-deadline",
        "policy-not-policy",
        "model-name-not-model",
        "empty-step-name",
        "empty-node-name",
        "node-not-callable",
        "empty-middleware-step",
        "middleware-policy-dict",
        "context-step-not-str",
        "object-not-verifier",
        "negative-backoff",
        "max-backoff-below-backoff",
        "url-without-scheme",
    ],
)
def test_bad_construction_is_rejected_naming_the_field(build: Any, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        build()


def test_binding_zero_tools_is_an_error_naming_tools() -> None:
    with pytest.raises(ConfigError, match=r"bind_tools\(tools\)=\[\] is invalid: needs at least"):
        ScaledChatModel(fake()).bind_tools([])


async def test_scaled_chat_model_without_messages_is_an_error() -> None:
    model = fake()
    with pytest.raises(ConfigError, match=r"ScaledChatModel messages=\[\] is invalid"):
        await ScaledChatModel(model).ainvoke([])
    assert model.calls == [], "rejected before any branch ran"


async def test_middleware_without_messages_is_an_error() -> None:
    from langchain.agents import create_agent

    agent = create_agent(fake(), tools=[], middleware=[ScalingMiddleware(ScalingPolicy(router=2))])
    with pytest.raises(ConfigError, match=r"request.messages=\[\] is invalid: the agent state"):
        await agent.ainvoke({"messages": []})


async def test_scaled_node_state_without_messages_is_fine() -> None:
    # Node branches run the user's function, which may read any state key: no messages is
    # legitimate there, so it is not rejected.
    g = StateGraph(MessagesState)
    g.add_node("answer", scaled_node(lambda s: {"messages": [AIMessage("42")]}))
    g.add_edge(START, "answer")
    result = await g.compile().ainvoke({"messages": []})
    assert result["messages"][-1].content == "42"


def graph_with(*nodes: str) -> Any:
    g = StateGraph(MessagesState)
    for name in nodes:
        g.add_node(name, lambda s: {})
    g.add_edge(START, nodes[0])
    return g.compile()


def test_unknown_step_override_is_named_with_the_known_steps() -> None:
    context = ScalingContext(steps={"agnet": {"max_branches": 2}})
    with pytest.raises(ConfigError, match=r"steps\['agnet'\].*no step is named 'agnet'.*'agent'"):
        context.check(graph_with("agent", "tools"))


def test_step_check_knows_nodes_subgraphs_and_explicit_wrapper_names() -> None:
    ScaledChatModel(fake(), step="planner-llm")  # an explicit name, used inside some node
    inner = StateGraph(MessagesState)
    inner.add_node("critic", lambda s: {})
    inner.add_edge(START, "critic")
    outer = StateGraph(MessagesState)
    outer.add_node("agent", lambda s: {})
    outer.add_node("review", inner.compile())
    outer.add_edge(START, "agent")
    outer.add_edge("agent", "review")
    steps = {"agent": {}, "critic": {}, "planner-llm": {}, "later": {}}
    ScalingContext(steps=steps).check(outer.compile(), steps=["later"])


async def test_check_is_not_automatic_so_a_late_wrapper_name_never_fails_a_run() -> None:
    async def agent(state: MessagesState) -> dict[str, Any]:
        model = ScaledChatModel(fake(), step="built-inside-" + "the-node")
        return {"messages": [await model.ainvoke(state["messages"])]}

    g = StateGraph(MessagesState, context_schema=ScalingContext)
    g.add_node("agent", agent)
    g.add_edge(START, "agent")
    context = ScalingContext(steps={"built-inside-the-node": {"max_branches": 2}})
    result = await g.compile().ainvoke({"messages": [HumanMessage("x")]}, context=context)
    assert result["messages"][-1].response_metadata["scaling"]["launched"] == 2
