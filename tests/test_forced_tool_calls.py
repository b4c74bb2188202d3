"""A forced tool choice on the in-process vLLM backend: what is constrained, what is parsed.

``forced_tool`` and ``parse_forced_calls`` are pure; the schema test asks vLLM's own
``get_json_schema_from_tools`` (imports vLLM, tens of seconds on 2 cores: ``slow``). The run
on the real engine is ``tests/test_vllm_tools.py::test_required_tool_choice_*`` (``model``).
"""

from __future__ import annotations

import importlib.util
import warnings
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from langgraph_scaling.backends._protocol import SampleRequest
from langgraph_scaling.backends._vllm_tools import (
    forced_tool,
    forced_tool_schema,
    parse_forced_calls,
    parse_output,
    sampling_options,
)
from langgraph_scaling.errors import ConfigError

CALCULATOR = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Evaluate an arithmetic expression.",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string"}},
            "required": ["expression"],
        },
    },
}
CLOCK = {"type": "function", "function": {"name": "clock", "parameters": {}}}


def _request(tool_choice: Any, tools: list[dict[str, Any]] | None = None, **kw: Any) -> Any:
    tools = [CALCULATOR, CLOCK] if tools is None else tools
    return SampleRequest([HumanMessage("2+2?")], 1, [0], tools=tools, tool_choice=tool_choice, **kw)


@pytest.mark.parametrize(
    ("choice", "forced"),
    [
        (None, None),
        ("auto", None),
        ("none", None),
        (False, None),
        ("required", "required"),
        ("any", "required"),
        (True, "required"),
        ("calculator", "calculator"),
        ({"type": "function", "function": {"name": "clock"}}, "clock"),
        ({"type": "function", "name": "clock"}, "clock"),
    ],
    ids=["unset", "auto", "none", "false", "required", "any", "true", "name", "openai", "flat"],
)
def test_what_a_tool_choice_forces(choice: Any, forced: str | None) -> None:
    assert forced_tool(_request(choice)) == forced


def test_nothing_is_forced_without_tools() -> None:
    assert forced_tool(_request("required", tools=[])) is None
    assert sampling_options(_request("required", tools=[], extra={"top_p": 0.9})) == {"top_p": 0.9}


@pytest.mark.parametrize(
    ("choice", "match"),
    [("search", r"names no bound tool \['calculator', 'clock'\]"), ({"type": "x"}, "must be")],
    ids=["unknown-name", "unreadable"],
)
def test_a_bad_tool_choice_is_a_config_error(choice: Any, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        forced_tool(_request(choice))


def test_required_calls_are_read_with_ids() -> None:
    text = (
        '[{"name": "calculator", "parameters": {"expression": "2+2"}},'
        ' {"name": "clock", "parameters": {}}]'
    )
    message = parse_forced_calls("required", text, {"seed": 3}, tokens=(10, 20))
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [
        ("calculator", {"expression": "2+2"}),
        ("clock", {}),
    ]
    ids = [c["id"] for c in message.tool_calls]
    assert all(i and i.startswith("call_") for i in ids) and len(set(ids)) == 2
    assert message.content == "" and message.response_metadata == {"seed": 3}
    assert message.usage_metadata is not None and message.usage_metadata["total_tokens"] == 30


def test_a_named_tool_reads_its_arguments() -> None:
    message = parse_forced_calls("calculator", ' {"expression": "6*7"}\n', {}, tokens=(1, 1))
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [
        ("calculator", {"expression": "6*7"})
    ]


@pytest.mark.parametrize(
    ("forced", "text", "error"),
    [
        ("required", '[{"name": "calculator", "parameters": {"expr', "incomplete"),
        ("required", "[]", "incomplete or not an array"),
        ("calculator", '{"expression": "6*', "not valid JSON"),
    ],
    ids=["required-cut-off", "required-empty", "named-cut-off"],
)
def test_cut_off_json_is_an_invalid_call_not_lost(forced: str, text: str, error: str) -> None:
    message = parse_forced_calls(forced, text, {}, tokens=(1, 1))
    assert message.tool_calls == []
    (bad,) = message.invalid_tool_calls
    assert bad["args"] == text.strip() and error in (bad["error"] or "")


def test_parse_output_reads_forced_json_without_the_tool_parser() -> None:
    text = '[{"name": "clock", "parameters": {}}]'
    message = parse_output(None, None, _request("any"), text, {}, tokens=(1, 1))
    assert [c["name"] for c in message.tool_calls] == ["clock"]
    auto = parse_output(None, None, _request("auto"), text, {}, tokens=(1, 1))
    assert auto.content == text and auto.tool_calls == []  # auto without a parser: text


@pytest.fixture(scope="module")
def vllm_imported() -> None:
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vLLM is not installed (install the `cpu` or `gpu` extra)")
    with warnings.catch_warnings():  # vLLM and torch warn on import (deprecations)
        warnings.simplefilter("ignore")
        import vllm.sampling_params
        import vllm.tool_parsers.utils  # noqa: F401


@pytest.mark.slow
@pytest.mark.usefixtures("vllm_imported")
def test_the_schemas_are_vllm_serves() -> None:
    required = forced_tool_schema(_request("required"))
    assert required is not None and required["type"] == "array" and required["minItems"] == 1
    calls = required["items"]["anyOf"]
    assert [c["properties"]["name"]["enum"] for c in calls] == [["calculator"], ["clock"]]
    assert calls[0]["properties"]["parameters"] == CALCULATOR["function"]["parameters"]
    assert calls[1]["properties"]["parameters"] == {"type": "object", "properties": {}}
    one = forced_tool_schema(_request("required"), parallel_tool_calls=False)
    assert one is not None and one["maxItems"] == 1
    named = forced_tool_schema(_request("calculator"))
    assert named == CALCULATOR["function"]["parameters"]
    assert forced_tool_schema(_request("auto")) is None


@pytest.mark.slow
@pytest.mark.usefixtures("vllm_imported")
def test_sampling_options_constrain_a_forced_choice_only() -> None:
    extra = {"top_p": 0.9, "parallel_tool_calls": False}
    forced = sampling_options(_request("required", extra=extra))
    assert forced["top_p"] == 0.9 and "parallel_tool_calls" not in forced
    assert forced["skip_special_tokens"] is False
    assert forced["structured_outputs"].json["maxItems"] == 1
    auto = sampling_options(_request("auto", extra=extra))
    assert "structured_outputs" not in auto and auto["skip_special_tokens"] is False
    assert sampling_options(_request("none")) == {}


@pytest.mark.slow
@pytest.mark.usefixtures("vllm_imported")
def test_structured_outputs_given_as_the_server_takes_them_reach_vllm_as_its_params() -> None:
    """``{"regex": ...}`` (what ``vllm serve`` takes, and what the repo agent's edit step
    binds) becomes ``StructuredOutputsParams``; a forced tool call still replaces it."""
    extra = {"structured_outputs": {"regex": "a+"}}
    free = sampling_options(_request(None, tools=[], extra=extra))
    assert type(free["structured_outputs"]).__name__ == "StructuredOutputsParams"
    assert free["structured_outputs"].regex == "a+"
    forced = sampling_options(_request("required", extra=extra))
    assert forced["structured_outputs"].regex is None and forced["structured_outputs"].json
