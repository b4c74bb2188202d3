"""One affinity key per scaled step, on every request of the step (loopback fake server).

A router in front of several replicas (vllm-router ``--policy consistent_hash``) hashes the
``X-Session-ID`` header; these tests check what the backend sends, whatever the router.
The router itself is in tests/test_router_replicas.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from langgraph_scaling import ScaledChatModel, ScalingPolicy
from langgraph_scaling.backends._protocol import Sample, SampleRequest
from langgraph_scaling.backends.openai_server import OpenAIServerBackend
from langgraph_scaling.budget import Budget
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.report import RouterDecision
from langgraph_scaling.routing import RouterSignals
from tests._fake_openai import FakeOpenAI

pytest.importorskip("openai", reason="the openai extra is not installed")


@dataclass(frozen=True)
class TwoWaves:
    """Two waves of two branches, the second always run (no stop rule)."""

    name: str = "two_waves"

    def decide(self, signals: RouterSignals, budget: Budget) -> RouterDecision:
        return RouterDecision(router=self.name, waves=(2, 2), reason="two waves of two")


@pytest.fixture
async def loopback() -> AsyncIterator[FakeOpenAI]:
    server = await FakeOpenAI().start()
    yield server
    await server.stop()


def backend(url: str, **options: Any) -> OpenAIServerBackend:
    return OpenAIServerBackend(url, "fake", backoff=0.01, max_backoff=0.02, **options)


def keys(server: FakeOpenAI, since: int = 0) -> list[str | None]:
    return [h.get("x-session-id") for h in server.headers[since:]]


@pytest.mark.parametrize(
    "options",
    [{}, {"use_n": False}],
    ids=["n-requests", "single-requests"],
)
async def test_every_request_of_a_step_carries_one_key_and_steps_differ(
    loopback: FakeOpenAI, options: dict[str, Any]
) -> None:
    loopback.statuses = [503]  # the first request is retried: the retry carries the key too
    policy = ScalingPolicy(router=TwoWaves(), greedy_first=True, seed=1)
    model = ScaledChatModel(backend(loopback.url, **options), policy=policy)

    first = await model.ainvoke("2+2?")
    seen = len(loopback.headers)
    second = await model.ainvoke("2+2?")

    # greedy branch + 1 sampled (wave 0), then wave 1: 3 n-requests or 4 singles, + 1 retry
    per_step = 4 if options else 3
    assert seen == per_step + 1
    assert len(loopback.headers) - seen == per_step
    step1, step2 = set(keys(loopback)[:seen]), set(keys(loopback, seen))
    assert len(step1) == 1 and len(step2) == 1, (step1, step2)
    assert step1 != step2 and None not in step1 | step2
    for message in (first, second):
        report = message.response_metadata["scaling"]
        assert (report["finished"], report["waves_run"]) == (4, 2)


async def test_a_direct_sample_call_keeps_its_requests_together(loopback: FakeOpenAI) -> None:
    """Without a step key, one ``sample`` call (here four n=1 requests) still shares one."""
    samples: list[Sample] = []

    async def emit(sample: Sample) -> None:
        samples.append(sample)

    b = backend(loopback.url, use_n=False)
    request = SampleRequest([HumanMessage("q")], n=4, seeds=[0, 1, 2, 3])
    await b.sample(request, emit)
    await b.sample(request, emit)
    await b.aclose()

    first, second = set(keys(loopback)[:4]), set(keys(loopback, 4))
    assert len(samples) == 8 and len(first) == 1 and len(second) == 1 and first != second


async def test_an_explicit_key_and_header_are_sent_as_given(loopback: FakeOpenAI) -> None:
    async def ignore(sample: Sample) -> None:
        pass

    b = backend(loopback.url, affinity_header="X-User-ID")
    await b.sample(SampleRequest([HumanMessage("q")], n=2, seeds=[0, 1], affinity="run-7"), ignore)
    none = backend(loopback.url, affinity_header=None)
    await none.sample(SampleRequest([HumanMessage("q")], n=1, seeds=[0], affinity="x"), ignore)
    await b.aclose()
    await none.aclose()

    assert loopback.headers[0].get("x-user-id") == "run-7"
    assert "x-session-id" not in loopback.headers[0]
    assert not {"x-user-id", "x-session-id"} & set(loopback.headers[1])


async def test_a_retried_request_is_noted_on_its_samples(loopback: FakeOpenAI) -> None:
    loopback.statuses = [502, 503]
    model = ScaledChatModel(backend(loopback.url), policy=ScalingPolicy(router=2))
    message = await model.ainvoke("2+2?")

    assert isinstance(message, AIMessage)
    retries = message.response_metadata["retries"]
    assert [r.split(":", 1)[0] for r in retries] == ["attempt 1", "attempt 2"]
    assert "answered HTTP 502" in retries[0] and "answered HTTP 503" in retries[1]
    assert all("; sent again after " in r for r in retries)
    notes = message.response_metadata["scaling"]["notes"]  # and the step's report says so
    assert [n for n in notes if n.startswith("request retried")] == [
        f"request retried: {r}" for r in retries
    ]


async def test_a_router_that_lost_its_replica_is_retried(loopback: FakeOpenAI) -> None:
    """vllm-router answers 500 with a plain-text reqwest error when its replica died."""
    loopback.statuses = [500]
    request = SampleRequest([HumanMessage("q")], n=1, seeds=[0])
    plain = "Request failed: error sending request for url (http://127.0.0.1:1/v1/chat/completions)"
    loopback.error_bodies = [plain]
    samples: list[Sample] = []

    async def emit(sample: Sample) -> None:
        samples.append(sample)

    b = backend(loopback.url)
    await b.sample(request, emit)
    await b.aclose()
    assert loopback.n_requests == 2
    assert samples[0].message is not None
    (note,) = samples[0].message.response_metadata["retries"]
    assert "answered HTTP 500 for model 'fake': Request failed: error sending request" in note


@pytest.mark.parametrize(
    "header", ["", "X Session", "X-Session-ID\r\n", 7], ids=["empty", "space", "crlf", "int"]
)
def test_an_invalid_affinity_header_names_field_and_value(header: Any) -> None:
    with pytest.raises(ConfigError, match=r"^OpenAIServerBackend\.affinity_header=.* is invalid"):
        OpenAIServerBackend("http://127.0.0.1:8000/v1", "m", affinity_header=header)
