"""Token confidence: the measures, the strategies that use them, greedy-first branches.

A scripted backend emits samples with chosen log-probabilities, so each test knows which
branch is sure and which is not; the real engine's log-probabilities are tested in
``test_vllm_real.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import anyio
import pytest
from langchain_core.messages import AIMessage, HumanMessage

from langgraph_scaling import ScalingPolicy
from langgraph_scaling.backends import Sample, SampleRequest, TokenLogprob
from langgraph_scaling.backends.chat_model import ChatModelBackend, metadata_logprobs
from langgraph_scaling.confidence import confidence, token_confidence
from langgraph_scaling.engine import run_step
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.routing import AdaptiveRouter
from langgraph_scaling.sampling import BackendSampler
from langgraph_scaling.selection import (
    lexicographic,  # as the README imports it
    select,
)
from langgraph_scaling.testing import ScriptedChatModel


def sure(n: int = 4) -> tuple[TokenLogprob, ...]:
    return (TokenLogprob("x", -0.02, (("x", -0.02), ("y", -4.0), ("z", -6.0))),) * n


def unsure(n: int = 4) -> tuple[TokenLogprob, ...]:
    return (TokenLogprob("x", -1.0, (("x", -1.0), ("y", -1.1), ("z", -1.2))),) * n


def cand(i: int, key: str, logprobs: tuple[TokenLogprob, ...] | None) -> Candidate:
    return Candidate(index=i, status="ok", text=key, vote_key=key, logprobs=logprobs)


# -- the measures ---------------------------------------------------------------------


def test_token_confidence_is_deepconfs_negative_mean_top_logprob() -> None:
    token = TokenLogprob("x", -0.5, (("x", -0.5), ("y", -1.5)))
    assert token_confidence(token) == pytest.approx(1.0)
    assert token_confidence(TokenLogprob("x", -0.25)) == pytest.approx(0.25)  # no top: -log p


def test_one_unsure_stretch_lowers_the_lowest_group_but_barely_the_mean() -> None:
    tokens = sure(60) + unsure(8) + sure(60)
    measures = confidence(tokens, window=8)
    whole_sure = confidence(sure(128), window=8)
    assert measures["lowest_group"] == pytest.approx(token_confidence(unsure(1)[0]))
    assert measures["token_confidence"] > 0.9 * whole_sure["token_confidence"]
    assert measures["tail"] == pytest.approx(whole_sure["tail"])
    assert measures["mean_logprob"] < whole_sure["mean_logprob"]


def test_measures_are_finite_with_impossible_tokens_and_empty_without_tokens() -> None:
    tokens = (TokenLogprob("x", float("-inf"), (("y", -0.1), ("x", float("-inf")))),)
    assert all(math.isfinite(v) for v in confidence(tokens).values())
    assert confidence(()) == {}
    with pytest.raises(ValueError, match="window=0"):
        confidence(sure(), window=0)


def test_chat_model_logprobs_come_from_openai_style_metadata() -> None:
    content = [
        {"token": "4", "logprob": -0.1, "top_logprobs": [{"token": "4", "logprob": -0.1}]},
        {"token": "2", "logprob": -0.3, "top_logprobs": []},
    ]
    tokens = metadata_logprobs({"logprobs": {"content": content}})
    assert tokens == (TokenLogprob("4", -0.1, (("4", -0.1),)), TokenLogprob("2", -0.3, ()))
    assert metadata_logprobs({"logprobs": None}) is None


# -- strategies -----------------------------------------------------------------------


def test_confidence_vote_lets_two_sure_branches_beat_three_unsure_ones() -> None:
    cs = [cand(0, "a", unsure()), cand(1, "a", unsure()), cand(2, "a", unsure())]
    cs += [cand(3, "b", sure()), cand(4, "b", sure())]
    assert select("vote", cs).winner.vote_key == "a"
    chosen = select("confidence_vote", cs)
    assert chosen.winner is not None and chosen.winner.vote_key == "b"
    assert chosen.votes == {"a": 3, "b": 2}


def test_confidence_filter_drops_the_least_confident_half_before_voting() -> None:
    # Eight unsure branches agree on "a"; without the filter their total weight wins.
    cs = [cand(i, "a", unsure()) for i in range(8)]
    cs += [cand(8, "b", sure()), cand(9, "b", sure()), cand(10, "c", sure(1) + unsure(3))]
    assert select("confidence_vote", cs).winner.vote_key == "a"
    chosen = select("confidence_filter", cs)
    assert chosen.winner is not None and chosen.winner.vote_key == "b"
    assert "most confident" in chosen.reason


def test_without_logprobs_confidence_strategies_are_a_plain_vote_and_say_so() -> None:
    cs = [cand(0, "a", None), cand(1, "b", None), cand(2, "b", None)]
    for name in ("confidence_vote", "confidence_filter"):
        chosen = select(name, cs)
        assert chosen.winner is not None and chosen.winner.index == 1
        assert "no log-probabilities" in chosen.reason


def test_lexicographic_ranks_tests_then_agreement_then_confidence() -> None:
    cs = [cand(0, "a", sure()), cand(1, "b", unsure()), cand(2, "b", unsure())]
    cs.append(cand(3, "c", sure()))
    for c, ok in zip(cs, [False, True, True, True], strict=True):
        c.verdicts.append(Verdict(verifier="tests", passed=ok, score=float(ok)))
    assert select("ranked", cs).winner.index == 1  # passing, and two agree
    assert lexicographic("score", "confidence")(cs).winner.index == 3
    assert lexicographic("confidence")(cs).winner.index == 0  # ignores the tests
    assert lexicographic("verifier:tests", "votes").logprobs is None
    with pytest.raises(ConfigError, match="at least one"):
        lexicographic()


# -- the engine asks for what the strategy needs ---------------------------------------


class LogprobBackend:
    """Emits branch ``i`` with answer ``answers[seed % len]`` and chosen log-probabilities."""

    name = "scripted-logprobs"

    def __init__(self, answers: Sequence[tuple[str, tuple[TokenLogprob, ...]]]) -> None:
        self.answers = list(answers)
        self.requests: list[SampleRequest] = []

    async def sample(self, request: SampleRequest, emit: object) -> None:
        self.requests.append(request)
        for i, seed in enumerate(request.seeds):
            text, logprobs = self.answers[seed % len(self.answers)]
            if request.temperature == 0:
                text, logprobs = "greedy", sure()
            await emit(  # type: ignore[operator]
                Sample(
                    index=i,
                    message=AIMessage(text),
                    tokens_out=len(logprobs),
                    logprobs=logprobs if request.logprobs is not None else None,
                )
            )


def step(backend: LogprobBackend, policy: ScalingPolicy) -> tuple[Candidate, list[Candidate]]:
    sampler = BackendSampler(backend, [HumanMessage("q")], policy)
    outcome = anyio.run(lambda: run_step(sampler, policy))
    return outcome.winner, outcome.candidates


def test_a_confidence_strategy_asks_the_backend_for_logprobs_and_reports_them() -> None:
    backend = LogprobBackend([("a", unsure()), ("b", sure()), ("a", unsure())])
    winner, _cands = step(backend, ScalingPolicy(router=3, selection="confidence_vote"))
    assert [r.logprobs for r in backend.requests] == [5]
    assert winner.text == "b"
    summary = winner.summary()
    assert summary.confidence["lowest_group"] == pytest.approx(winner.confidence["lowest_group"])

    step(backend, ScalingPolicy(router=3))  # plain vote: nothing asked, nothing paid
    assert backend.requests[-1].logprobs is None


def test_greedy_first_makes_branch_zero_a_greedy_request_of_its_own() -> None:
    backend = LogprobBackend([("a", unsure())])
    _winner, cands = step(backend, ScalingPolicy(router=4, greedy_first=True, selection="best"))
    temps = sorted((r.temperature, len(r.seeds)) for r in backend.requests)
    assert temps == [(0.0, 1), (0.8, 3)]
    assert [c.text for c in sorted(cands, key=lambda c: c.index)] == ["greedy", "a", "a", "a"]
    assert [c.seed for c in sorted(cands, key=lambda c: c.index)] == [0, 1, 2, 3]


def test_greedy_first_with_the_adaptive_router_makes_its_one_branch_first_wave_greedy() -> None:
    # adaptive@K's schedule starts at 1: wave 0 is the greedy answer alone, later waves sample.
    backend = LogprobBackend([("a", unsure())])
    router = AdaptiveRouter(schedule=(1, 2, 4), agreement=None)
    _, cands = step(backend, ScalingPolicy(router=router, greedy_first=True, selection="best"))
    assert len(cands) == 4
    assert [(r.temperature, len(r.seeds)) for r in backend.requests] == [
        (0.0, 1),
        (0.8, 1),
        (0.8, 2),
    ]


def test_greedy_first_through_a_chat_model_sets_temperature_zero_on_branch_zero() -> None:
    model = ScriptedChatModel(script=["x"], temperature=0.5)
    backend = ChatModelBackend(model)
    policy = ScalingPolicy(router=3, greedy_first=True)
    sampler = BackendSampler(backend, [HumanMessage("q")], policy)
    anyio.run(lambda: run_step(sampler, policy))
    assert sorted(kw["temperature"] for kw in model.call_kwargs) == [0.0, 0.8, 0.8]


def test_adaptive_router_stops_once_the_confident_branches_agree() -> None:
    # Waves of 2, 2, 4: the first wave's two sure branches agree, so no second wave.
    agree = LogprobBackend([("b", sure()), ("b", sure())])
    router = AdaptiveRouter(schedule=(2, 4, 8), agreement=0.75)
    _, cands = step(agree, ScalingPolicy(router=router, selection="confidence_filter"))
    assert len(cands) == 2
    # Sure branches that disagree escalate to all 8.
    split = LogprobBackend([("a", sure()), ("b", sure())])
    _, cands = step(split, ScalingPolicy(router=router, selection="confidence_filter"))
    assert len(cands) == 8
