"""OpenAIServerBackend against a loopback fake OpenAI-compatible server, and message conversion."""

from __future__ import annotations

import gc
import json
import math
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langgraph_scaling.backends._messages import to_openai_messages, to_template_messages
from langgraph_scaling.backends._openai_failures import refused_option
from langgraph_scaling.backends._protocol import Sample, SampleRequest
from langgraph_scaling.backends.openai_server import OpenAIServerBackend
from langgraph_scaling.errors import (
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigError,
)
from tests._fake_openai import FakeOpenAI, wait_until
from tests._vllm_server import free_port

pytest.importorskip("openai", reason="the openai extra is not installed")

TOOL = {
    "type": "function",
    "function": {
        "name": "run_python",
        "description": "Run code.",
        "parameters": {"type": "object", "properties": {"code": {"type": "string"}}},
    },
}


class FakeServer:
    """A scripted chat-completions endpoint; records every request body it receives."""

    def __init__(self) -> None:
        self.supports_n: bool | str = True  # True, False (HTTP 400) or "ignore" (1 choice)
        self.fail_first = 0  # answer this many requests with HTTP 503
        self.fail_seeds: set[int] = set()  # always answer 503 to these seeds
        self.tool_arguments: str | None = None  # reply with one tool call having these args
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def reply(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(body)
            if body.get("seed") in self.fail_seeds:
                return 503, {"error": {"message": "overloaded", "type": "server_error"}}
            if self.fail_first > 0:
                self.fail_first -= 1
                return 503, {"error": {"message": "overloaded", "type": "server_error"}}
        n = int(body.get("n", 1))
        if n > 1 and self.supports_n is False:
            return 400, {"error": {"message": "n must be 1 for this model", "type": "invalid"}}
        if self.supports_n == "ignore":
            n = 1
        seed = body.get("seed", 0)
        choices = [self._choice(i, seed) for i in range(n)]
        usage = {"prompt_tokens": 11, "completion_tokens": 5 * n, "total_tokens": 11 + 5 * n}
        return 200, {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": choices,
            "usage": usage,
        }

    def _choice(self, index: int, seed: int) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": f"answer seed={seed + index}"}
        finish = "stop"
        if self.tool_arguments is not None:
            call = {"name": "run_python", "arguments": self.tool_arguments}
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": f"call_{index}", "type": "function", "function": call}],
            }
            finish = "tool_calls"
        return {"index": index, "message": message, "finish_reason": finish}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as uvicorn (vllm serve) does

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                status, payload = server.reply(body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
    server.thread.join(timeout=5)


def request(n: int, **kwargs: Any) -> SampleRequest:
    return SampleRequest(
        messages=[HumanMessage("hi")], n=n, seeds=[40 + i for i in range(n)], **kwargs
    )


async def collect(backend: OpenAIServerBackend, req: SampleRequest) -> list[Sample]:
    samples: list[Sample] = []

    async def emit(sample: Sample) -> None:
        samples.append(sample)

    await backend.sample(req, emit)
    return sorted(samples, key=lambda s: s.index)


async def run(backend: OpenAIServerBackend, req: SampleRequest) -> list[Sample]:
    async with backend:
        return await collect(backend, req)


def fast(url: str, **kwargs: Any) -> OpenAIServerBackend:
    return OpenAIServerBackend(url, "fake", backoff=0.01, max_backoff=0.02, **kwargs)


async def test_n_branches_in_one_request(fake: FakeServer) -> None:
    backend = fast(fake.url)
    samples = await run(backend, request(4, max_tokens=32))

    assert len(fake.requests) == 1
    assert fake.requests[0]["n"] == 4
    assert fake.requests[0]["seed"] == 40
    assert fake.requests[0]["max_tokens"] == 32
    assert [s.message.text for s in samples if s.message] == [
        f"answer seed={s}" for s in range(40, 44)
    ]
    assert [s.tokens_in for s in samples] == [11, 0, 0, 0]
    assert sum(s.tokens_out for s in samples) == 20
    assert backend.used_n is True


async def test_falls_back_to_single_requests_when_n_rejected(fake: FakeServer) -> None:
    fake.supports_n = False
    backend = fast(fake.url)
    samples = await run(backend, request(3))

    assert [r.get("n") for r in fake.requests] == [3, None, None, None]
    assert sorted(r["seed"] for r in fake.requests[1:]) == [40, 41, 42]
    assert [s.message.text for s in samples if s.message] == [
        "answer seed=40",
        "answer seed=41",
        "answer seed=42",
    ]
    assert [s.tokens_in for s in samples] == [11, 11, 11]
    assert backend.used_n is False

    fake.requests.clear()
    await run(backend, request(2))
    assert [r.get("n") for r in fake.requests] == [None, None]


async def test_fills_in_branches_when_server_ignores_n(fake: FakeServer) -> None:
    fake.supports_n = "ignore"
    backend = fast(fake.url)
    samples = await run(backend, request(3))

    assert len(fake.requests) == 3
    assert [s.index for s in samples] == [0, 1, 2]
    assert backend.used_n is False


async def test_retries_on_503(fake: FakeServer) -> None:
    fake.fail_first = 2
    samples = await run(fast(fake.url, max_retries=3), request(2))

    assert len(fake.requests) == 3
    assert len(samples) == 2


async def test_gives_up_after_bounded_retries(fake: FakeServer) -> None:
    fake.fail_first = 10
    with pytest.raises(BackendError, match="HTTP 503"):
        await run(fast(fake.url, max_retries=2), request(1))
    assert len(fake.requests) == 3


async def test_one_failed_branch_is_a_failed_sample(fake: FakeServer) -> None:
    fake.fail_seeds = {41}
    samples = await run(fast(fake.url, max_retries=2, use_n=False), request(3))

    assert [s.error is None for s in samples] == [True, False, True]
    assert "HTTP 503" in (samples[1].error or "")
    assert len(fake.requests) == 2 + 3  # two good ones, three attempts for seed 41


async def test_connection_refused_is_unavailable_quickly() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    started = time.perf_counter()
    with pytest.raises(
        BackendUnavailableError,
        match=r"cannot be reached \(ConnectError.*\) after 3 attempts; is it running\?",
    ):
        await run(fast(url, max_retries=2), request(2))
    assert time.perf_counter() - started < 5


@pytest.fixture
def not_accepting() -> Iterator[str]:
    """A port whose accept queue is full: connecting times out, nothing reaches a server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = [socket.socket() for _ in range(3)]
    for filler in fillers:
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
    yield f"http://127.0.0.1:{port}/v1"
    for sock in [*fillers, listener]:
        sock.close()


async def test_connect_timeout_is_unavailable_and_retried(not_accepting: str) -> None:
    backend = fast(not_accepting, max_retries=1, connect_timeout=0.2)
    started = time.perf_counter()
    with pytest.raises(
        BackendUnavailableError,
        match=r"cannot be reached \(ConnectTimeout\) after 2 attempts; is it running\?",
    ):
        await run(backend, request(1))
    assert 0.4 <= time.perf_counter() - started < 5, "two connect timeouts of 0.2 s each"


@pytest.fixture
async def loopback() -> AsyncIterator[FakeOpenAI]:
    server = await FakeOpenAI().start()
    yield server
    await server.stop()


async def test_slow_but_alive_server_times_out_after_one_request(loopback: FakeOpenAI) -> None:
    loopback.delay = 30
    backend = fast(loopback.url, max_retries=3, timeout=0.3, timeout_per_token=0.0)
    started = time.perf_counter()
    with pytest.raises(BackendTimeoutError) as info:
        await run(backend, request(4, max_tokens=16))
    assert time.perf_counter() - started < 3
    assert loopback.n_requests == 1, "a request the server is working on is not sent again"
    await wait_until(lambda: loopback.disconnects == 1)  # and the client hung up on it
    assert not isinstance(info.value, BackendUnavailableError)
    assert (info.value.seconds, info.value.max_tokens, info.value.n) == (0.3, 16, 4)
    assert str(info.value) == (
        f"The server at {loopback.url} accepted the connection but did not answer within "
        "0.3 s for a request of max_tokens=16, n=4; it is up but probably busy. Give it more "
        "time with OpenAIServerBackend(timeout=..., timeout_per_token=...) (now 0.3 s + 0 s "
        "per token), or ask for fewer tokens or branches."
    )


async def test_timed_out_single_requests_fail_their_branches_once(loopback: FakeOpenAI) -> None:
    loopback.delay = 30
    backend = fast(loopback.url, max_retries=3, timeout=0.3, timeout_per_token=0.0, use_n=False)
    samples = await run(backend, request(3, max_tokens=16))

    assert loopback.n_requests == 3, "one request per branch, none retried"
    assert [s.message for s in samples] == [None, None, None]
    for sample in samples:
        assert "did not answer within 0.3 s for a request of max_tokens=16, n=1" in (
            sample.error or ""
        )


async def test_read_timeout_scales_with_max_tokens(loopback: FakeOpenAI) -> None:
    loopback.delay = 1.0
    backend = fast(loopback.url, timeout=0.1, timeout_per_token=0.01)
    assert backend.read_timeout(10) == pytest.approx(0.2)
    assert backend.read_timeout(300) == pytest.approx(3.1)
    assert backend.read_timeout(None) == pytest.approx(0.1 + 0.01 * 1024)

    with pytest.raises(BackendTimeoutError, match=r"within 0\.2 s .* max_tokens=10, n=1;"):
        await run(backend, request(1, max_tokens=10))
    samples = await run(backend, request(1, max_tokens=300))
    assert samples[0].message is not None and samples[0].message.text == "4"
    assert loopback.n_requests == 2


async def test_deadline_clamps_the_read_timeout(loopback: FakeOpenAI) -> None:
    backend = fast(loopback.url)  # 120 s + 0.5 s per token
    assert backend.read_timeout(512) == 376.0  # no deadline here
    with anyio.fail_after(2):  # noqa: ASYNC100 - read_timeout reads the scope's deadline
        assert 1.5 < backend.read_timeout(512) <= 2
        with anyio.CancelScope(shield=True):  # noqa: ASYNC100
            assert backend.read_timeout(512) == 376.0  # a shield hides the deadline

    loopback.delay = 30
    started = time.perf_counter()
    with anyio.move_on_after(0.3) as deadline:
        await run(backend, request(2, max_tokens=512))
    assert deadline.cancelled_caught, "the caller's deadline ended the request"
    assert time.perf_counter() - started < 2
    await wait_until(lambda: loopback.disconnects == 1)
    assert loopback.n_requests == 1


@pytest.mark.parametrize(
    ("headers", "waited"),
    [({"Retry-After": "1"}, 1.0), ({"retry-after-ms": "400"}, 0.4)],
    ids=["retry-after-seconds", "retry-after-ms"],
)
async def test_503_with_retry_after_is_retried_after_that_wait(
    loopback: FakeOpenAI, headers: dict[str, str], waited: float
) -> None:
    loopback.statuses = [503]
    loopback.error_headers = headers
    started = time.perf_counter()
    samples = await run(fast(loopback.url), request(2))  # backoff alone: 0.01 s

    elapsed = time.perf_counter() - started
    assert waited <= elapsed < waited + 2
    assert loopback.n_requests == 2
    assert [s.error for s in samples] == [None, None]


async def test_a_retry_after_beyond_two_minutes_ends_the_retries(loopback: FakeOpenAI) -> None:
    loopback.always_status = 503
    loopback.error_headers = {"Retry-After": "3600"}
    with pytest.raises(BackendError, match=r"HTTP 503 .* \(it asked to be retried after 3600 s\)"):
        await run(fast(loopback.url), request(1))
    assert loopback.n_requests == 1


@pytest.mark.parametrize(
    ("status", "requests"),
    [(429, 2), (502, 2), (503, 2), (500, 1), (504, 1)],
    ids=["429-retried", "502-retried", "503-retried", "500-not-retried", "504-not-retried"],
)
async def test_which_statuses_are_retried(loopback: FakeOpenAI, status: int, requests: int) -> None:
    loopback.statuses = [status]
    if requests == 1:
        with pytest.raises(BackendError, match=f"answered HTTP {status} for model 'fake'"):
            await run(fast(loopback.url), request(1))
    else:
        samples = await run(fast(loopback.url), request(1))
        assert samples[0].error is None
    assert loopback.n_requests == requests


async def test_a_vllm_option_the_server_refuses_is_left_out_from_then_on(
    loopback: FakeOpenAI,
) -> None:
    # OpenAI's own API refuses vLLM's fields; the repository agent's constrained edit sends
    # structured_outputs to whatever server it is given.
    loopback.refuse = frozenset({"structured_outputs"})
    backend = fast(loopback.url)
    constrained = request(2, extra={"structured_outputs": {"regex": "a+"}, "top_p": 0.9})
    with pytest.warns(UserWarning, match=r"refused the option 'structured_outputs'"):
        samples = await run(backend, constrained)
    assert [s.error for s in samples] == [None, None]
    assert "structured_outputs" in loopback.requests[0]
    assert "structured_outputs" not in loopback.requests[1]
    assert loopback.requests[1]["top_p"] == 0.9  # the rest of the request is as it was
    assert samples[0].message is not None
    retries = samples[0].message.response_metadata["retries"]
    assert retries == ["the server refused 'structured_outputs'; sent again without it"]
    assert backend.refused_options == {"structured_outputs"}

    await run(backend, constrained)  # not sent again: one request, no new warning
    assert len(loopback.requests) == 3 and "structured_outputs" not in loopback.requests[2]


async def test_a_bad_value_for_a_vllm_option_is_an_error_not_a_refusal(
    loopback: FakeOpenAI,
) -> None:
    loopback.statuses = [400]
    loopback.error_bodies = ["structured_outputs: the regex does not compile"]
    backend = fast(loopback.url)
    with pytest.raises(BackendError, match="HTTP 400"):
        await run(backend, request(1, extra={"structured_outputs": {"regex": "("}}))
    assert loopback.n_requests == 1 and backend.refused_options == set()


@pytest.mark.parametrize(
    ("message", "refused"),
    [
        ("Unrecognized request argument supplied: structured_outputs", "structured_outputs"),
        ("Unknown parameter: 'top_k'.", "top_k"),
        ("unknown field `top_k`, expected one of `model`, `messages`", "top_k"),
        (
            "[{'type': 'extra_forbidden', 'loc': ('body', 'top_k'), 'msg': 'Extra inputs are "
            "not permitted'}]",
            "top_k",
        ),
        ("structured_outputs: invalid regex: unknown extension (?<", None),
        (
            "[{'type': 'extra_forbidden', 'loc': ('body', 'structured_outputs', 'foo'), "
            "'msg': 'Extra inputs are not permitted'}]",
            None,
        ),
        ("structured_outputs.regex: Extra inputs are not permitted", None),
        ("top_k must be -1 or at least 1, got 0; unknown value", None),
        ("Unrecognized request argument supplied: top_k.", "top_k"),
        (
            "1 validation error for ChatCompletionRequest\ntop_k\n  Extra inputs are not "
            "permitted [type=extra_forbidden, input_value=5, input_type=int]",
            "top_k",
        ),
        (
            "1 validation error for ChatCompletionRequest\nstructured_outputs.foo\n  Extra "
            "inputs are not permitted [type=extra_forbidden, input_value=1, input_type=int]",
            None,
        ),
    ],
    ids=[
        "openai",
        "quoted",
        "serde",
        "pydantic",
        "regex",
        "nested-extra",
        "dotted",
        "value",
        "full-stop",
        "pydantic-text",
        "pydantic-text-nested",
    ],
)
def test_only_an_error_that_refuses_the_option_itself_leaves_it_out(
    message: str, refused: str | None
) -> None:
    error = SimpleNamespace(body={"message": message})  # as openai's status errors carry it
    assert refused_option(error, ["top_k", "structured_outputs"]) == refused


async def test_requests_in_flight_when_an_option_is_refused_are_all_sent_again(
    loopback: FakeOpenAI,
) -> None:
    # four steps at once against a server that is not vLLM: each first request carries the
    # option, and each is sent again without it, whichever refusal is read first
    loopback.refuse = frozenset({"structured_outputs"})
    loopback.delay = 0.05
    backend = fast(loopback.url)
    constrained = request(1, extra={"structured_outputs": {"regex": "a+"}})
    results: list[list[Sample]] = []

    async def step() -> None:
        results.append(await collect(backend, constrained))

    with pytest.warns(UserWarning, match="refused the option") as caught:
        async with backend, anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(step)
    assert [s.error for r in results for s in r] == [None] * 4
    assert sum("structured_outputs" in body for body in loopback.requests) == 4
    assert len(loopback.requests) == 8 and len(caught) == 1


async def test_refused_token_ids_are_asked_for_no_more(loopback: FakeOpenAI) -> None:
    loopback.refuse = frozenset({"return_token_ids"})
    backend = fast(loopback.url, return_token_ids=True)
    with pytest.warns(UserWarning, match=r"refused the option 'return_token_ids'"):
        samples = await run(backend, request(1))
    assert samples[0].error is None and loopback.n_requests == 2
    await run(backend, request(1))
    assert loopback.n_requests == 3 and "return_token_ids" not in loopback.requests[2]


def test_two_sync_runs_both_succeed(fake: FakeServer) -> None:
    backend = fast(fake.url)  # used without `async with`, as a sync invoke does
    first = anyio.run(collect, backend, request(2))
    second = anyio.run(collect, backend, request(2))
    gc.collect()  # a connection left open on the first loop would warn now (warnings are errors)

    expected = ["answer seed=40", "answer seed=41"]
    assert [s.message.text for s in first if s.message] == expected
    assert [s.message.text for s in second if s.message] == expected
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout_per_token": -1}, r"timeout_per_token=-1 is invalid: must be 0 or more\."),
        ({"connect_timeout": 0}, r"connect_timeout=0 is invalid: must be greater than 0\."),
        ({"timeout": math.nan}, r"timeout=nan is invalid: must be greater than 0\."),
        ({"timeout": "60"}, r"timeout='60' is invalid: must be greater than 0\."),
    ],
    ids=["negative-per-token", "zero-connect", "nan-timeout", "string-timeout"],
)
def test_invalid_timeouts_name_field_and_value(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=r"^OpenAIServerBackend\." + message):
        OpenAIServerBackend("http://127.0.0.1:8000/v1", "m", **options)


async def test_tools_pass_through_and_calls_parse(fake: FakeServer) -> None:
    fake.tool_arguments = '{"code": "print(4)"}'
    samples = await run(fast(fake.url), request(2, tools=[TOOL], tool_choice="run_python"))

    body = fake.requests[0]
    assert body["tools"] == [TOOL]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "run_python"}}
    message = samples[0].message
    assert message is not None
    assert message.tool_calls == [
        {"name": "run_python", "args": {"code": "print(4)"}, "id": "call_0", "type": "tool_call"}
    ]
    assert samples[0].finish_reason == "tool_calls"


async def test_invalid_tool_arguments_become_invalid_tool_calls(fake: FakeServer) -> None:
    fake.tool_arguments = '{"code": "print(4)'
    samples = await run(fast(fake.url), request(1, tools=[TOOL]))

    message = samples[0].message
    assert message is not None
    assert message.tool_calls == []
    assert message.invalid_tool_calls[0]["name"] == "run_python"
    assert message.invalid_tool_calls[0]["args"] == '{"code": "print(4)'


def test_messages_round_trip_tool_calls() -> None:
    call = {"name": "run_python", "args": {"code": "1"}, "id": "c1"}
    history = [
        HumanMessage("go"),
        AIMessage("", tool_calls=[call]),
        ToolMessage("1", tool_call_id="c1"),
    ]

    wire = to_openai_messages(history)
    template = to_template_messages(history)

    assert wire[1]["tool_calls"][0]["function"]["arguments"] == '{"code": "1"}'
    assert template[1]["tool_calls"][0]["function"]["arguments"] == {"code": "1"}
    assert wire[2] == {"role": "tool", "tool_call_id": "c1", "content": "1"}
