"""Tool calls in the in-process engine's text, parsed by vLLM's own ``hermes`` tool parser.

Needs vLLM (importing it takes tens of seconds on 2 cores) and the embedded model's
tokenizer; the tests marked ``model`` share one engine for the module.
"""

from __future__ import annotations

import json
import warnings
from contextlib import aclosing
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from langgraph_scaling.backends._protocol import Sample, SampleRequest
from langgraph_scaling.backends._vllm_tools import parse_output
from langgraph_scaling.backends.vllm import VLLMBackend
from tests._vllm_fixtures import (
    anyio_backend,  # noqa: F401  (module-scoped: one engine for the module)
    model_path_or_skip,
    vllm_backend,  # noqa: F401
)

pytestmark = pytest.mark.slow

TOOLS = [
    {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}
    for name in ("f", "g")
]


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    path = model_path_or_skip()  # skips (fails in CI) without vLLM or the prepared model
    # vLLM and torch warn on import (deprecations); the engine imports them the same way.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import vllm.tool_parsers  # noqa: F401
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(path))


@pytest.mark.parametrize(
    ("text", "content", "calls", "invalid"),
    [
        ("plain answer", "plain answer", [], 0),
        (
            'ok\n<tool_call>\n{"name": "f", "arguments": {"a": 1}}\n</tool_call>',
            "ok\n",
            [("f", {"a": 1})],
            0,
        ),
        (
            '<tool_call>{"name": "f", "arguments": {}}</tool_call>'
            '<tool_call>{"name": "g", "arguments": {"x": 2}}',
            "",
            [("f", {}), ("g", {"x": 2})],
            0,
        ),
        ("Sure.<tool_call>{not json</tool_call>", "Sure.", [], 1),
        ('<tool_call>{"name": "g"}</tool_call>', "", [], 1),
    ],
    ids=["no-call", "one-call", "two-calls-last-unclosed", "broken-json", "no-arguments"],
)
def test_hermes_calls_are_parsed_by_vllm(
    tokenizer: Any, text: str, content: str, calls: list[tuple[str, Any]], invalid: int
) -> None:
    request = SampleRequest([HumanMessage("go")], n=1, seeds=[0], tools=TOOLS)
    message = parse_output("hermes", tokenizer, request, text, {}, tokens=(7, 3))

    assert message.content == content
    assert [(c["name"], c["args"]) for c in message.tool_calls] == calls
    assert len(message.invalid_tool_calls) == invalid
    if invalid:  # what vLLM's parser gave up on is kept, from <tool_call> on
        assert message.invalid_tool_calls[0]["args"] == text[text.index("<tool_call>") :]
    assert message.usage_metadata is not None
    assert message.usage_metadata["total_tokens"] == 10


def test_no_tools_no_parsing(tokenizer: Any) -> None:
    request = SampleRequest([HumanMessage("go")], n=1, seeds=[0])
    text = '<tool_call>{"name": "f", "arguments": {}}</tool_call>'
    message = parse_output("hermes", tokenizer, request, text, {}, tokens=(1, 1))
    assert message.content == text and message.tool_calls == []


@pytest.mark.model
async def test_in_process_engine_tool_call_is_parsed(vllm_backend: VLLMBackend) -> None:  # noqa: F811
    run_python = {
        "type": "function",
        "function": {
            "name": "run_python",
            "description": "Run a Python program and return its output.",
            "parameters": {
                "type": "object",
                "properties": {"code": {"type": "string"}},
                "required": ["code"],
            },
        },
    }
    request = SampleRequest(
        [HumanMessage("Use the run_python tool to print 2+2.")],
        n=1,
        seeds=[0],
        temperature=0.0,
        max_tokens=64,
        tools=[run_python],
        tool_choice="required",
    )
    samples: list[Sample] = []

    async def emit(sample: Sample) -> None:
        samples.append(sample)

    await vllm_backend.sample(request, emit)
    message = samples[0].message
    assert message is not None, samples[0].error
    assert [c["name"] for c in message.tool_calls] == ["run_python"], message
    assert "code" in message.tool_calls[0]["args"]


@pytest.mark.model
async def test_required_tool_choice_gives_every_branch_a_valid_call(
    vllm_backend: VLLMBackend,  # noqa: F811
) -> None:
    """Constrained decoding: k seeded branches at temperature 1, each a call that fits."""
    from langgraph_scaling.verifiers.tool_call import check_args

    calculator = {
        "type": "function",
        "function": {
            "name": "calculator",
            "description": "Evaluate an arithmetic expression (numbers and + - * / **).",
            "parameters": {
                "type": "object",
                "properties": {"expression": {"type": "string"}},
                "required": ["expression"],
            },
        },
    }
    k = 4
    request = SampleRequest(
        [HumanMessage("What is 17 times 23? Use the calculator.")],
        n=k,
        seeds=list(range(100, 100 + k)),
        temperature=1.0,
        max_tokens=96,
        tools=[calculator],
        tool_choice="required",
    )
    samples: list[Sample] = []

    async def emit(sample: Sample) -> None:
        samples.append(sample)

    await vllm_backend.sample(request, emit)
    assert sorted(s.index for s in samples) == list(range(k))
    schema = calculator["function"]["parameters"]
    for sample in samples:
        message = sample.message
        assert message is not None, sample.error
        assert message.invalid_tool_calls == [], message
        assert message.tool_calls, message
        for call in message.tool_calls:
            assert call["name"] == "calculator" and call["id"], call
            assert check_args(call["args"], schema, tool="calculator") == [], call
        assert sample.finish_reason == "tool_calls"


@pytest.mark.model
async def test_react_graph_on_the_embedded_model_calls_its_calculator(
    vllm_backend: VLLMBackend,  # noqa: F811
) -> None:
    """The prebuilt ReAct agent makes a real calculator call (first turn: tool_choice
    required, constrained) and the ToolNode runs it. Stops there: what the 0.5B model does
    with the result (answer, or call again) is not what this test is about."""
    from langgraph_scaling.graphs.react_agent import ReactAgentContext, build_react_agent

    graph = build_react_agent()
    messages: list[Any] = []
    states = graph.astream(
        {"messages": [HumanMessage("What is 17 times 23?")]},
        context=ReactAgentContext(model=vllm_backend, router=2, max_new_tokens=96),
        stream_mode="values",
    )
    async with aclosing(states):
        async for state in states:
            messages = state["messages"]
            if any(m.type == "tool" for m in messages):
                break
    calls = [c for m in messages if m.type == "ai" for c in m.tool_calls]
    tool_messages = [m for m in messages if m.type == "tool"]
    assert calls and calls[0]["name"] == "calculator", messages
    assert tool_messages and tool_messages[0].tool_call_id == calls[0]["id"]
    assert not str(tool_messages[0].content).startswith("error"), tool_messages[0]
    first = messages[1].response_metadata["scaling"]
    assert first["winner_passed"] is True, first  # the committed call passed ToolCallVerifier


@pytest.mark.model
async def test_one_call_per_turn_through_the_scaled_model(
    vllm_backend: VLLMBackend,  # noqa: F811
) -> None:
    """``bind_tools(parallel_tool_calls=False)`` on ``ScaledChatModel`` reaches the engine:
    asked to read two files, every branch's constrained answer is exactly one call."""
    from langgraph_scaling import ScaledChatModel, ScalingPolicy, collect_reports

    read = {
        "type": "function",
        "function": {
            "name": "read_file",
            "description": "Show a file of the repository.",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}},
                "required": ["path"],
            },
        },
    }
    policy = ScalingPolicy(router=3, max_new_tokens=96, seed=7, keep_candidates=True)
    model = ScaledChatModel(vllm_backend, policy=policy).bind_tools(
        [read], tool_choice="required", parallel_tool_calls=False
    )
    with collect_reports() as reports:
        message = await model.ainvoke("Read the files a.py, b.py and c.py.")
    assert len(message.tool_calls) == 1
    (report,) = reports
    assert len(report.candidates) == 3
    assert all(len(c.tool_calls) == 1 for c in report.candidates), report.candidates


@pytest.mark.model
async def test_a_forced_edit_call_cut_off_by_the_engine_is_salvaged(
    vllm_backend: VLLMBackend,  # noqa: F811
) -> None:
    """What the engine answers when ``max_new_tokens`` cuts a call forced to ``edit`` off
    (an invalid call named ``edit``) is what the repository agent salvages: a valid
    ``edit`` call holding the plan written so far."""
    from langgraph_scaling import ScaledChatModel, ScalingPolicy
    from langgraph_scaling.agents.repo.tools import salvage_edit_call

    edit = {
        "type": "function",
        "function": {
            "name": "edit",
            "description": "Change the code: the file, then what to change.",
            "parameters": {
                "type": "object",
                "properties": {"edit": {"type": "string"}},
                "required": ["edit"],
            },
        },
    }
    policy = ScalingPolicy(router=1, max_new_tokens=12, seed=3)
    model = ScaledChatModel(vllm_backend, policy=policy).bind_tools([edit], tool_choice="edit")
    message = await model.ainvoke(
        "median() in stats.py uses // where it must use /. Describe the edit in detail."
    )
    assert message.response_metadata["finish_reason"] == "length"
    assert not message.tool_calls and message.invalid_tool_calls[0]["name"] == "edit"
    salvaged = salvage_edit_call(message)
    (call,) = salvaged.tool_calls
    assert call["name"] == "edit" and isinstance(call["args"]["edit"], str)
    written = json.dumps(call["args"]["edit"], ensure_ascii=False)[1:-1]  # as the JSON had it
    assert written in message.invalid_tool_calls[0]["args"]
