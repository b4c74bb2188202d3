"""Token log-probabilities through OpenAIServerBackend: a loopback fake, then `vllm serve`."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from langgraph_scaling.backends._protocol import Sample, SampleRequest
from langgraph_scaling.backends.openai_server import OpenAIServerBackend
from langgraph_scaling.confidence import MEASURES, confidence
from tests._fake_openai import FakeOpenAI
from tests._vllm_fixtures import humaneval_messages

pytest.importorskip("openai", reason="the openai extra is not installed")


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = await FakeOpenAI().start()
    yield server
    await server.stop()


async def collect(backend: OpenAIServerBackend, request: SampleRequest) -> list[Sample]:
    samples: list[Sample] = []

    async def emit(sample: Sample) -> None:
        samples.append(sample)

    async with backend:
        await backend.sample(request, emit)
    return sorted(samples, key=lambda s: s.index)


def request(n: int, **kwargs: Any) -> SampleRequest:
    return SampleRequest([HumanMessage("hi")], n=n, seeds=list(range(n)), **kwargs)


async def test_logprobs_are_asked_for_and_mapped(fake: FakeOpenAI) -> None:
    samples = await collect(OpenAIServerBackend(fake.url, "fake"), request(3, logprobs=2))

    (body,) = fake.requests
    assert (body["logprobs"], body["top_logprobs"], body["n"]) == (True, 2, 3)
    for sample in samples:
        assert sample.logprobs is not None
        assert [t.token for t in sample.logprobs] == [f"t{j}" for j in range(5)]
        assert all(t.logprob == -0.5 for t in sample.logprobs)
        # Most likely first, though the server lists the sampled token first.
        assert sample.logprobs[0].top == (("t0", -0.5), ("alt0", -1.0))
        assert sample.logprobs[1].top == (("alt0", -0.25), ("t1", -0.5))
    # Five tokens per choice and five completion tokens per choice: the counts are exact.
    assert [s.tokens_out for s in samples] == [5, 5, 5]


async def test_no_logprobs_unless_asked(fake: FakeOpenAI) -> None:
    samples = await collect(OpenAIServerBackend(fake.url, "fake"), request(2))

    assert "logprobs" not in fake.requests[0] and "top_logprobs" not in fake.requests[0]
    assert [s.logprobs for s in samples] == [None, None]


@pytest.mark.parametrize(
    ("extra", "logprobs", "top"),
    [
        ({"logprobs": True}, None, 0),
        ({"logprobs": True, "top_logprobs": 3}, None, 3),
        ({"top_logprobs": 3}, 1, 1),
    ],
    ids=["extra-logprobs", "extra-top-logprobs", "request-field-wins"],
)
async def test_logprobs_in_extra_ask_for_the_same(
    fake: FakeOpenAI, extra: dict[str, Any], logprobs: int | None, top: int
) -> None:
    backend = OpenAIServerBackend(fake.url, "fake")
    (sample,) = await collect(backend, request(1, extra=extra, logprobs=logprobs))

    body = fake.requests[0]
    assert (body["logprobs"], body["top_logprobs"]) == (True, top)
    assert "extra_body" not in body
    assert sample.logprobs is not None
    assert all(len(t.top) == top for t in sample.logprobs)


@pytest.mark.model
@pytest.mark.slow
async def test_logprobs_come_back_from_vllm_serve(vllm_server_url: str) -> None:
    system, user = humaneval_messages("HumanEval/2")
    req = SampleRequest(
        [SystemMessage(system), HumanMessage(user)],
        n=2,
        seeds=[3, 4],
        temperature=0.8,
        max_tokens=32,
        logprobs=3,
    )
    backend = OpenAIServerBackend(vllm_server_url, "qwen2.5-coder-0.5b", return_token_ids=True)
    samples = await collect(backend, req)

    assert [s.index for s in samples] == [0, 1]
    for sample in samples:
        assert sample.error is None and sample.logprobs is not None
        assert len(sample.logprobs) == sample.tokens_out > 0, "one per generated token"
        for token in sample.logprobs:
            assert math.isfinite(token.logprob) and token.logprob <= 0.0
            assert len(token.top) == 3
            assert all(math.isfinite(lp) for _, lp in token.top)
        assert set(confidence(sample.logprobs)) == set(MEASURES)
    (plain,) = await collect(backend, SampleRequest(req.messages, n=1, seeds=[3], max_tokens=4))
    assert plain.logprobs is None
