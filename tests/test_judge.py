"""JudgeVerifier: p(yes) from the first token's alternatives, per-step prefixes, errors."""

from __future__ import annotations

import math

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from langgraph_scaling.backends._protocol import Sample, SampleRequest
from langgraph_scaling.confidence import TokenLogprob
from langgraph_scaling.errors import ConfigError, VerifierError
from langgraph_scaling.report import Candidate
from langgraph_scaling.verifiers.judge import JudgeVerifier, split_steps, yes_share
from langgraph_scaling.verifiers.protocol import Verifier, VerifyContext
from tests._scripted_backend import ScriptedBackend, first_token

CTX = VerifyContext(messages=[SystemMessage("Be brief."), HumanMessage("What is 2 + 2?")])


def answer_of(request: SampleRequest) -> str:
    text = request.messages[-1].text
    start = text.index("answer:\n") + len("answer:\n")
    return text[start : text.rindex("\n\n")]


def test_yes_share_sums_case_and_space_variants() -> None:
    top = (
        ("Yes", math.log(0.4)),
        (" yes", math.log(0.1)),
        ("NO", math.log(0.2)),
        ("no", math.log(0.05)),
        ("Maybe", math.log(0.2)),
    )
    assert yes_share([TokenLogprob("Yes", top[0][1], top)]) == pytest.approx(0.5 / 0.75)
    # the sampled token counts even when the alternatives leave it out
    only = yes_share([TokenLogprob("ĠYes", math.log(0.3), (("No", math.log(0.1)),))])
    assert only == pytest.approx(0.75)
    assert yes_share([TokenLogprob("Maybe", -0.1, (("Maybe", -0.1), ("4", -3.0)))]) is None


def test_bad_options_are_named() -> None:
    backend = ScriptedBackend(lambda r: first_token({"Yes": 1.0}))
    with pytest.raises(ConfigError, match=r"JudgeVerifier\.threshold"):
        JudgeVerifier(backend, threshold=2.0)
    with pytest.raises(ConfigError, match=r"JudgeVerifier\.max_steps"):
        JudgeVerifier(backend, max_steps=0)
    assert isinstance(JudgeVerifier(backend), Verifier)


async def test_scores_by_the_probability_of_yes() -> None:
    def respond(request: SampleRequest) -> Sample:
        sure = "4" in answer_of(request)
        return first_token({"Yes": 0.6, "No": 0.2} if sure else {"No": 0.7, "Yes": 0.1})

    backend = ScriptedBackend(respond)
    judge = JudgeVerifier(backend, threshold=0.6)
    right = await judge.verify(Candidate(index=0, text="4"), CTX)
    wrong = await judge.verify(Candidate(index=1, text="5"), CTX)
    assert right.score == pytest.approx(0.75) and right.passed
    assert wrong.score == pytest.approx(0.125) and not wrong.passed
    assert right.details == {"tokens": {"in": 50, "out": 1}, "requests": 1}
    request = backend.requests[0]
    assert (request.n, request.max_tokens, request.temperature, request.logprobs) == (
        1,
        1,
        0.0,
        20,
    )
    prompt = request.messages[-1].text
    assert "What is 2 + 2?" in prompt and "Be brief." not in prompt and "Yes or No" in prompt


async def test_the_reply_text_is_not_parsed() -> None:
    # The sampled token is "No", but the alternatives put most of the mass on yes.
    sample = first_token({"Yes": 0.45, "yes": 0.2, "No": 0.35})
    sample.message = AIMessage("No")
    judge = JudgeVerifier(ScriptedBackend(lambda r: sample))
    verdict = await judge.verify(Candidate(index=0, text="4"), CTX)
    assert verdict.score == pytest.approx(0.65)


async def test_neither_word_is_undecided() -> None:
    judge = JudgeVerifier(ScriptedBackend(lambda r: first_token({"Four": 0.9, "4": 0.1})))
    verdict = await judge.verify(Candidate(index=0, text="4"), CTX)
    assert verdict.score == 0.5 and verdict.details["undecided"] is True


@pytest.mark.parametrize(
    "reply",
    [
        Sample(index=0, message=AIMessage("Yes")),
        Sample(index=0, message=AIMessage("Yes"), logprobs=()),
    ],
    ids=["none", "empty"],
)
async def test_no_logprobs_is_a_verifier_error_naming_the_backend(reply: Sample) -> None:
    judge = JudgeVerifier(ScriptedBackend(lambda r: reply, name="plain-chat"))
    with pytest.raises(VerifierError, match="backend 'plain-chat' returned no log-probabilities"):
        await judge.verify(Candidate(index=0, text="4"), CTX)


async def test_a_failed_sample_is_a_verifier_error() -> None:
    judge = JudgeVerifier(ScriptedBackend(lambda r: Sample(index=0, error="boom"), name="b"))
    with pytest.raises(VerifierError, match=r"backend 'b' did not answer \(boom\)"):
        await judge.verify(Candidate(index=0, text="4"), CTX)


# --- per step ------------------------------------------------------------------------------

CODE = "```python\ndef f(x):\n    y = x + 1\n    z = y * 2\n    return z\n```"


def test_code_splits_into_statements_of_the_function_body() -> None:
    steps = split_steps(Candidate(index=0, text=CODE))
    assert steps == [
        "```python\ndef f(x):\n    y = x + 1\n```",
        "```python\ndef f(x):\n    y = x + 1\n    z = y * 2\n```",
        "```python\ndef f(x):\n    y = x + 1\n    z = y * 2\n    return z\n```",
    ]
    module = "import os\nx = 1\ndef g():\n    return x"
    assert split_steps(Candidate(index=0, text=module))[-1] == module
    assert len(split_steps(Candidate(index=0, text=module))) == 3


def test_text_splits_into_paragraphs_and_trajectories_into_messages() -> None:
    text = "First, add.\n\n\nThen carry the one.\n\n  \nAnswer: 4"
    assert split_steps(Candidate(index=0, text=text)) == [
        "First, add.",
        "First, add.\n\nThen carry the one.",
        "First, add.\n\nThen carry the one.\n\nAnswer: 4",
    ]
    calls = [{"name": "add", "args": {"a": 2, "b": 2}, "id": "1"}]
    update = {
        "messages": [
            AIMessage("", tool_calls=calls),
            ToolMessage("4", tool_call_id="1"),
            AIMessage("It is 4."),
        ]
    }
    steps = split_steps(Candidate(index=0, update=update))
    assert len(steps) == 3 and steps[1].endswith("Tool result: 4")
    assert '"name": "add"' in steps[0] and steps[2].endswith("Assistant: It is 4.")


def test_max_steps_keeps_the_whole_answer_last() -> None:
    text = "\n\n".join(f"step {i}" for i in range(10))
    steps = split_steps(Candidate(index=0, text=text), max_steps=3)
    assert len(steps) == 3 and steps[-1] == text


async def test_per_step_scores_each_prefix_and_takes_the_minimum() -> None:
    def respond(request: SampleRequest) -> Sample:
        prefix = answer_of(request)
        bad = "z = y * 2" in prefix
        return first_token({"Yes": 0.2, "No": 0.8} if bad else {"Yes": 0.9, "No": 0.1})

    backend = ScriptedBackend(respond)
    judge = JudgeVerifier(backend, per_step=True)
    verdict = await judge.verify(Candidate(index=0, text=CODE), CTX)
    assert verdict.details["steps"] == pytest.approx([0.9, 0.2, 0.2])
    assert verdict.score == pytest.approx(0.2) and not verdict.passed
    assert verdict.details["tokens"] == {"in": 150, "out": 3}
    assert verdict.details["requests"] == 3 and len(backend.requests) == 3
    assert "step 2 of 3" in verdict.feedback
    assert all("beginning of a candidate answer" in r.messages[-1].text for r in backend.requests)


async def test_per_step_raises_the_first_error_itself() -> None:
    def respond(request: SampleRequest) -> Sample:
        if "return z" in answer_of(request):
            return Sample(index=0, message=AIMessage("Yes"))  # no logprobs
        return first_token({"Yes": 1.0})

    judge = JudgeVerifier(ScriptedBackend(respond), per_step=True)
    with pytest.raises(VerifierError, match="no log-probabilities"):
        await judge.verify(Candidate(index=0, text=CODE), CTX)


async def test_an_agent_trajectory_as_the_task() -> None:
    backend = ScriptedBackend(lambda r: first_token({"Yes": 0.5, "No": 0.5}))
    ctx = VerifyContext(
        messages=[
            HumanMessage("Add 2 and 2."),
            AIMessage("Calling add."),
            ToolMessage("4", tool_call_id="1"),
        ]
    )
    await JudgeVerifier(backend).verify(Candidate(index=0, text="It is 4."), ctx)
    prompt = backend.requests[0].messages[-1].text
    assert "User: Add 2 and 2.\n\nAssistant: Calling add.\n\nTool result: 4" in prompt
