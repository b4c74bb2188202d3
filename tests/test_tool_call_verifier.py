"""``ToolCallVerifier`` checks arguments with jsonschema and says which argument broke what.

The hand-written checker it replaced knew no ``$ref``, ``anyOf``, array ``items`` or bounds,
and passed any type it did not know.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, Field

from langgraph_scaling.errors import VerifierError
from langgraph_scaling.report import Candidate
from langgraph_scaling.verifiers import ToolCallVerifier, VerifyContext
from langgraph_scaling.verifiers.tool_call import check_args

_POINT = {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "n": {"type": "integer", "minimum": 0, "maximum": 10},
        "mode": {"enum": ["fast", "exact"]},
        "key": {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^k"}]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "at": {"$ref": "#/$defs/Point"},
        "opts": {"type": "object", "properties": {"deep": {"type": "boolean"}}},
    },
    "required": ["n"],
    "$defs": {"Point": _POINT},
}


@pytest.mark.parametrize(
    ("args", "problems"),
    [
        ({"n": 3, "mode": "fast", "key": "k1", "tags": ["a"], "at": {"x": 1.5}}, []),
        ({"n": 11}, ["argument 'n' fails maximum: 11 is greater than the maximum of 10"]),
        ({"n": -1}, ["argument 'n' fails minimum: -1 is less than the minimum of 0"]),
        ({"n": True}, ["argument 'n' fails type: True is not of type 'integer'"]),
        (
            {"n": 1, "mode": "slow"},
            ["argument 'mode' fails enum: 'slow' is not one of ['fast', 'exact']"],
        ),
        ({"n": 1, "tags": ["a", 2]}, ["argument 'tags[1]' fails type: 2 is not of type 'string'"]),
        ({"n": 1, "at": {}}, ["missing required argument 'at.x'"]),
        (
            {"n": 1, "at": {"x": "far"}},
            ["argument 'at.x' fails type: 'far' is not of type 'number'"],
        ),
        (
            {"n": 1, "key": "z"},
            [
                "argument 'key' fails anyOf: 'z' is not valid under any of the given schemas "
                "('z' is not of type 'integer'; 'z' does not match '^k')"
            ],
        ),
        ({}, ["missing required argument 'n'"]),
        (
            {"n": 1, "extra": 1, "more": 2},
            ["unexpected argument 'extra'", "unexpected argument 'more'"],
        ),
        ({"n": 1, "opts": {"deep": True, "wide": 1}}, ["unexpected argument 'opts.wide'"]),
        ({"n": 1, "at": {"x": 1, "y": 2}}, ["unexpected argument 'at.y'"]),
    ],
    ids=[
        "valid",
        "maximum",
        "minimum",
        "bool-is-not-integer",
        "enum",
        "array-items",
        "ref-required",
        "ref-type",
        "anyOf",
        "missing-required",
        "extra-args",
        "nested-extra-arg",
        "extra-arg-behind-ref",
    ],
)
def test_arguments_are_checked_against_the_whole_schema(
    args: dict[str, Any], problems: list[str]
) -> None:
    assert check_args(args, _SCHEMA) == problems


def test_an_open_schema_takes_extra_arguments() -> None:
    schema = {"properties": {"a": {}}, "additionalProperties": {"type": "integer"}}
    assert check_args({"a": 1, "b": 2}, schema) == []
    assert check_args({"a": 1, "b": "x"}, schema) == [
        "argument 'b' fails type: 'x' is not of type 'integer'"
    ]


@pytest.mark.parametrize(
    ("schema", "match"),
    [
        (
            {"properties": {"a": {"type": "int"}}},
            r"tool 'add'.*not valid JSON Schema.*\$\.properties\.a\.type",
        ),
        (
            {"properties": {"a": {"$ref": "#/$defs/Nowhere"}}},
            r"tool 'add'.*reference that leads nowhere",
        ),
    ],
    ids=["unknown-type", "dangling-ref"],
)
def test_a_schema_that_cannot_be_checked_is_a_verifier_error(
    schema: dict[str, Any], match: str
) -> None:
    with pytest.raises(VerifierError, match=match):
        check_args({"a": 1}, schema, tool="add")


def _tool(name: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": parameters}}


def _calls(*calls: tuple[str, dict[str, Any]]) -> Candidate:
    message = AIMessage(
        "", tool_calls=[{"name": n, "args": a, "id": f"c{i}"} for i, (n, a) in enumerate(calls)]
    )
    return Candidate(index=0, message=message, status="ok")


async def test_the_verdict_names_the_tool_the_argument_and_the_constraint() -> None:
    tools = [_tool("search", _SCHEMA), _tool("point", _POINT)]
    candidate = _calls(("search", {"n": 20}), ("point", {"x": 1}), ("nope", {}))
    verdict = await ToolCallVerifier().verify(candidate, VerifyContext(tools=tools))
    assert not verdict.passed
    assert verdict.feedback == (
        "search: argument 'n' fails maximum: 20 is greater than the maximum of 10; "
        "unknown tool 'nope'; bound tools: ['point', 'search']"
    )
    assert verdict.score == pytest.approx(1 / 3)


async def test_a_pydantic_tool_with_a_nested_model_is_checked_through_its_ref() -> None:
    class Where(BaseModel):
        city: str

    class Book(BaseModel):
        """Book a table."""

        seats: int = Field(ge=1)
        where: Where

    tools = [convert_to_openai_tool(Book)]
    good = _calls(("Book", {"seats": 2, "where": {"city": "Oslo"}}))
    bad = _calls(("Book", {"seats": 0, "where": {"town": "Oslo"}}))
    assert (await ToolCallVerifier().verify(good, VerifyContext(tools=tools))).passed
    verdict = await ToolCallVerifier().verify(bad, VerifyContext(tools=tools))
    assert verdict.feedback == (
        "Book: argument 'seats' fails minimum: 0 is less than the minimum of 1; "
        "Book: missing required argument 'where.city'; Book: unexpected argument 'where.town'"
    )


async def test_a_broken_tool_schema_stops_the_check_rather_than_passing_it() -> None:
    tools = [_tool("add", {"properties": {"a": {"type": "int"}}})]
    with pytest.raises(VerifierError, match="tool 'add'"):
        await ToolCallVerifier().verify(_calls(("add", {"a": 1})), VerifyContext(tools=tools))


# -- a branch that had to call a tool -------------------------------------------------------

_EXPRESSION = {"expression": {"type": "string"}}
_CALC = _tool(
    "calculator", {"type": "object", "properties": _EXPRESSION, "required": ["expression"]}
)
_FENCED = 'Sure!\n```json\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n```'


def _text(text: str) -> Candidate:
    return Candidate(index=0, message=AIMessage(text), status="ok")


@pytest.mark.parametrize(
    ("tool_choice", "candidate", "feedback"),
    [
        ("auto", _text("42"), ""),
        (None, _text("42"), ""),
        ("required", _text("42"), "expected a tool call, got a text answer"),
        ("any", _text("42"), "expected a tool call, got a text answer"),
        (
            {"type": "function", "function": {"name": "calculator"}},
            _text("42"),
            "expected a call to 'calculator' (tool_choice requires it), got a text answer",
        ),
        ("required", _calls(("calculator", {"expression": "6*7"})), ""),
        ("calculator", _calls(("calculator", {"expression": "6*7"})), ""),
        (
            "auto",
            _text(_FENCED),
            "wrote a call to 'calculator' as JSON text instead of calling the tool; "
            "make a real tool call",
        ),
        (
            "required",
            _text('<tool_call>\n[{"name": "calculator", "parameters": {}}]\n</tool_call>'),
            "wrote a call to 'calculator' as JSON text instead of calling the tool; "
            "make a real tool call",
        ),
        ("auto", _text('The answer is {"value": 42} and the tool was "calculator".'), ""),
        ("auto", _text('```json\n{"name": "search", "arguments": {}}\n```'), ""),
    ],
    ids=[
        "auto-text",
        "unset-text",
        "required-text",
        "any-text",
        "named-text",
        "required-call",
        "named-call",
        "auto-fenced-json",
        "required-tagged-json",
        "auto-json-that-is-no-call",
        "auto-json-for-an-unbound-tool",
    ],
)
async def test_a_branch_that_had_to_call_a_tool_and_wrote_text_fails(
    tool_choice: Any, candidate: Candidate, feedback: str
) -> None:
    context = VerifyContext(tools=[_CALC], extras={"tool_choice": tool_choice})
    verdict = await ToolCallVerifier().verify(candidate, context)
    assert verdict.feedback == feedback
    assert verdict.passed is (not feedback)
    assert verdict.score == (0.0 if feedback else 1.0)


async def test_a_named_tool_choice_fails_a_call_to_another_tool() -> None:
    tools = [_CALC, _tool("clock", {"type": "object"})]
    context = VerifyContext(tools=tools, extras={"tool_choice": "calculator"})
    verdict = await ToolCallVerifier().verify(_calls(("clock", {})), context)
    assert not verdict.passed
    assert verdict.feedback == "called 'clock', but tool_choice requires 'calculator'"


@pytest.mark.parametrize(
    ("tool_choice", "winner_calls"), [("required", 1), ("auto", 0)], ids=["required", "auto"]
)
async def test_scaled_chat_model_tells_the_verifier_its_tool_choice(
    tool_choice: str, winner_calls: int
) -> None:
    from langgraph_scaling import ScaledChatModel, ScalingPolicy, collect_reports
    from langgraph_scaling.testing import ScriptedChatModel, tool_call

    script = ["42", "42", tool_call("calculator", {"expression": "6*7"})]
    policy = ScalingPolicy(
        router=3,
        max_concurrency=1,
        selection="weighted_vote",  # the ReAct agent's: failed verdicts weigh nothing
        verifiers=[ToolCallVerifier()],
        keep_candidates=True,
    )
    model = ScaledChatModel(ScriptedChatModel(script=script), policy=policy)
    with collect_reports() as reports:
        answer = await model.bind_tools([_CALC], tool_choice=tool_choice).ainvoke("6*7?")
    assert len(answer.tool_calls) == winner_calls  # auto: the two text answers outvote it
    (report,) = reports
    verdicts = [c.verdicts[0] for c in report.candidates]
    assert [v.passed for v in verdicts] == [tool_choice == "auto"] * 2 + [True]
    if tool_choice == "required":
        assert verdicts[0].feedback == "expected a tool call, got a text answer"
