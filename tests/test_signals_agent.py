"""The coding agent with model-made checks: generated tests, the judge, greedy first.

A scripted backend plays the model in its three roles (answering the task, writing tests,
judging yes/no with log-probabilities); the graph, the sandbox and the verifiers are real.
The real embedded model's side is in ``test_scoring_verifiers_real.py`` and
``test_vllm_real.py``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from langgraph_scaling import ScalingPolicy
from langgraph_scaling.agents.coding import CodingAgentContext, build_coding_agent
from langgraph_scaling.backends import Sample, SampleRequest, TokenLogprob
from langgraph_scaling.cli._policies import parse_policy
from langgraph_scaling.errors import ConfigError, StepFailedError, VerifierError
from langgraph_scaling.sandbox import Sandbox
from langgraph_scaling.tasks import CodingTask

# Both pass the one visible example; only RIGHT passes the generated tests (and the hidden).
WRONG = "```python\ndef double(x):\n    return x + 2\n```"
RIGHT = "```python\ndef double(x):\n    return x * 2\n```"
TASK = CodingTask(
    id="double",
    prompt='def double(x):\n    """Twice x.\n    >>> double(2)\n    4\n    """\n',
    entry_point="double",
    visible_tests="assert double(2) == 4",
)


class ThreeRoles:
    """Answers WRONG, WRONG, RIGHT ... (greedy: WRONG); writes tests; judges "yes"."""

    name = "three-roles"

    def __init__(self, *, logprobs: bool = True) -> None:
        self.logprobs = logprobs
        self.requests: list[SampleRequest] = []

    async def sample(self, request: SampleRequest, emit: Any) -> None:
        self.requests.append(request)
        prompt = request.messages[-1].text
        for i, seed in enumerate(request.seeds):
            if request.max_tokens == 1:  # the judge
                lp = math.log(0.7)
                top = (("Yes", lp), ("No", math.log(0.3)))
                tokens = (TokenLogprob("Yes", lp, top),) if self.logprobs else None
                await emit(Sample(index=i, message=AIMessage("Yes"), logprobs=tokens))
            elif "test cases" in prompt:
                text = "assert double(3) == 6\nassert double(0) == 0\nassert double(-1) == -2"
                await emit(Sample(index=i, message=AIMessage(text), tokens_out=30))
            else:
                text = WRONG if request.temperature == 0 or seed % 3 != 2 else RIGHT
                await emit(Sample(index=i, message=AIMessage(text), tokens_out=20))


def context(backend: ThreeRoles, selection: str, **kw: Any) -> CodingAgentContext:
    policy = ScalingPolicy(router=3, selection=selection, keep_candidates=True)
    return CodingAgentContext(model=backend, policy=policy, **kw)


@pytest.mark.slow
async def test_generated_tests_pick_the_answer_the_visible_example_cannot() -> None:
    backend = ThreeRoles()
    graph = build_coding_agent()
    plain = await graph.ainvoke({"task": TASK}, context=context(backend, selection="best"))
    assert "x + 2" in plain["answer"]  # both pass the example; the vote picks the majority

    ctx = context(backend, selection="combined", signals=("generated_tests", "judge"))
    out = await graph.ainvoke({"task": TASK}, context=ctx)
    assert "x * 2" in out["answer"]
    (report,) = out["reports"]
    assert report["selection"] == "combined"
    assert "verifier:generated_tests=1" in report["reason"]
    writes = [r for r in backend.requests if "test cases" in r.messages[-1].text]
    assert len(writes) == 1  # one generation for the step, shared by its three candidates
    assert len([r for r in backend.requests if r.max_tokens == 1]) == 3  # one judgement each


@pytest.mark.slow
async def test_behavior_keys_cluster_answers_that_the_tests_see_alike() -> None:
    backend = ThreeRoles()
    policy = ScalingPolicy(router=3, selection="best", vote_key="behavior", keep_candidates=True)
    ctx = CodingAgentContext(model=backend, policy=policy, signals=("generated_tests",))
    out = await build_coding_agent().ainvoke({"task": TASK}, context=ctx)
    votes = out["reports"][0]["votes"]
    assert sorted(votes.values()) == [1, 2]  # two WRONG alike, RIGHT alone
    assert all(key.startswith("behavior:") for key in votes)
    assert "x * 2" in out["answer"]


@pytest.mark.slow
async def test_greedy_first_makes_branch_zero_greedy_in_the_agent() -> None:
    backend = ThreeRoles()
    out = await build_coding_agent().ainvoke(
        {"task": TASK}, context=context(backend, selection="best", greedy_first=True)
    )
    answers = [r for r in backend.requests if r.max_tokens != 1]
    assert sorted(r.temperature for r in answers) == [0.0, 0.8]
    assert out["reports"][0]["launched"] == 3


class _CountingSandbox(Sandbox):
    """The real local sandbox, counting the programs it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.runs = 0

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        self.runs += 1
        return await super().run(*args, **kwargs)


@pytest.mark.slow
async def test_the_tests_run_in_the_sandbox_the_context_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_: Any) -> Any:
        raise AssertionError("a test run went to the shared sandbox")

    monkeypatch.setattr("langgraph_scaling.verifiers.unit_test.shared_sandbox", refuse)
    box = _CountingSandbox()
    ctx = context(ThreeRoles(), selection="combined", signals=("generated_tests",), sandbox=box)
    out = await build_coding_agent().ainvoke({"task": TASK}, context=ctx)
    assert "x * 2" in out["answer"]  # the generated tests ran, and told the answers apart
    assert box.runs == 6  # each of 3 candidates: the visible test, the generated ones


def test_a_sandbox_that_is_not_one_fails_at_construction() -> None:
    with pytest.raises(ConfigError, match=r"CodingAgentContext.sandbox='local' .* not str"):
        CodingAgentContext(sandbox="local")


@pytest.mark.slow
async def test_a_judge_without_logprobs_fails_the_step_loudly() -> None:
    ctx = context(ThreeRoles(logprobs=False), selection="best", signals=("judge",))
    with pytest.raises((VerifierError, StepFailedError), match="log"):
        await build_coding_agent().ainvoke({"task": TASK}, context=ctx)


def test_cli_names_the_new_policies() -> None:
    combined = parse_policy("combined@8")
    assert combined.policy.selection == "combined" and combined.policy.greedy_first
    assert combined.signals == ("generated_tests",) and combined.verify
    assert combined.policy.vote_key == "behavior"
    assert parse_policy("generated@4").policy.selection == "dual_agreement"
    assert parse_policy("judge@4").signals == ("judge",)
    vote = parse_policy("confidence_filter@8")
    assert vote.policy.wanted_logprobs == 5 and not vote.verify


def test_the_agent_defaults_to_greedy_first_but_a_given_policy_keeps_its_own() -> None:
    assert CodingAgentContext(router=4).propose_policy().greedy_first is True
    given = ScalingPolicy(router=4, selection="vote")
    assert CodingAgentContext(policy=given).propose_policy().greedy_first is False
    assert CodingAgentContext(policy=given, greedy_first=True).propose_policy().greedy_first
    assert not CodingAgentContext(router=4, greedy_first=False).propose_policy().greedy_first
