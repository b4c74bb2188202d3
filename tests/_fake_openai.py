"""A loopback fake OpenAI-compatible chat-completions server for reliability tests.

It runs on the caller's asyncio loop (plain ``asyncio.start_server`` on 127.0.0.1) and can
be slow, answer 5xx, drop connections mid-request, go away and come back on the same port.
It can send ``Retry-After`` with its errors. It records every request (body and headers)
and every client that hung up while it was still working. ``GET`` requests (a router's
``/health`` checks) get ``200 {}``. Asked for ``logprobs``, it gives each choice five tokens
(:func:`fake_logprobs`), matching the five completion tokens per choice of its usage.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Answer = Callable[[dict[str, Any], int], dict[str, Any]]


def text_answer(text: str) -> Answer:
    """Every choice answers ``text``."""
    return lambda body, index: {"role": "assistant", "content": text}


def tool_answer(name: str, arguments: str) -> Answer:
    """Every choice makes one call of tool ``name`` with raw JSON ``arguments``."""

    def answer(body: dict[str, Any], index: int) -> dict[str, Any]:
        call = {"name": name, "arguments": arguments}
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": f"call_{index}", "type": "function", "function": call}],
        }

    return answer


@dataclass
class FakeOpenAI:
    """Scripted server state; start it with ``await server.start()``."""

    answer: Answer = field(default_factory=lambda: text_answer("4"))
    delay: float = 0.0
    """Seconds to think before answering (a client hanging up meanwhile is recorded)."""
    statuses: list[int] = field(default_factory=list)
    """Status codes for the next requests (popped one per request); then 200."""
    always_status: int | None = None
    """Answer every request with this status."""
    error_headers: dict[str, str] = field(default_factory=dict)
    """Extra headers on every non-200 answer (``Retry-After`` ...)."""
    error_bodies: list[str] = field(default_factory=list)
    """Plain-text bodies for the next non-200 answers (popped), as routers send; then
    OpenAI's JSON error."""
    refuse: frozenset[str] = frozenset()
    """Body fields refused as OpenAI's own API refuses what it does not know (HTTP 400,
    "Unrecognized request argument supplied: ..."), vLLM's ``structured_outputs`` say."""
    die_when: Callable[[dict[str, Any]], bool] | None = None
    """When true for a request body, the server dies mid-request: it stops listening and
    cuts every connection, this one included, without answering."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    """Each recorded request's headers (names lower-cased), beside ``requests``."""
    keep_requests: bool = True
    """Record request bodies in ``requests`` (off for load runs: only ``n_requests``)."""
    n_requests: int = 0
    disconnects: int = 0
    """Requests whose client hung up before the answer was ready."""
    in_flight: int = 0
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> FakeOpenAI:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, backlog=2048, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and cut every open connection (the server process 'dies')."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        others = [t for t in self._tasks if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            await self._one(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.transport.abort()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        first, *lines = head.decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines if ":" in line)
        }
        if first.startswith("GET "):
            await _answer(writer, 200, {})
            return
        length = int(headers.get("content-length", 0))
        body = json.loads(await reader.readexactly(length))
        self.n_requests += 1
        if self.keep_requests:
            self.requests.append(body)
            self.headers.append(headers)
        self.in_flight += 1
        try:
            if self.die_when is not None and self.die_when(body):
                await self.stop()
                return
            if self.delay and await _client_left(reader, self.delay):
                self.disconnects += 1
                return
            status, payload = self._reply(body)
        finally:
            self.in_flight -= 1
        await _answer(writer, status, payload, self.error_headers if status != 200 else {})

    def _reply(self, body: dict[str, Any]) -> tuple[int, dict[str, Any] | str]:
        if unknown := sorted(self.refuse & body.keys()):
            message = f"Unrecognized request argument supplied: {', '.join(unknown)}"
            return 400, {"error": {"message": message, "type": "invalid_request_error"}}
        status = self.always_status or (self.statuses.pop(0) if self.statuses else 200)
        if status != 200 and self.error_bodies:
            return status, self.error_bodies.pop(0)
        if status != 200:
            return status, {"error": {"message": "overloaded", "type": "server_error"}}
        n = int(body.get("n", 1))
        choices = [
            {"index": i, "message": self.answer(body, i), "finish_reason": "stop"} for i in range(n)
        ]
        if body.get("logprobs"):
            for choice in choices:
                choice["logprobs"] = fake_logprobs(int(body.get("top_logprobs") or 0))
        return 200, {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": choices,
            "usage": {"prompt_tokens": 11, "completion_tokens": 5 * n, "total_tokens": 11 + 5 * n},
        }


async def _answer(
    writer: asyncio.StreamWriter,
    status: int,
    payload: dict[str, Any] | str,
    headers: dict[str, str] | None = None,
) -> None:
    plain = isinstance(payload, str)
    data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
    kind = "text/plain; charset=utf-8" if plain else "application/json"
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    writer.write(
        f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\n{extra}"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
        + data
    )
    await writer.drain()


def fake_logprobs(k: int, tokens: int = 5) -> dict[str, Any]:
    """``logprobs`` of one choice as vLLM's server sends them: the sampled token ``t{j}``
    first, then the ``k - 1`` likeliest others; at odd positions an ``alt`` is likelier."""
    content = []
    for j in range(tokens):
        sampled = {"token": f"t{j}", "logprob": -0.5, "bytes": None}
        alts = [
            {"token": f"alt{a}", "logprob": (-0.25 if j % 2 else -1.0) - a, "bytes": None}
            for a in range(max(k - 1, 0))
        ]
        content.append({**sampled, "top_logprobs": [sampled, *alts][:k]})
    return {"content": content, "refusal": None}


async def _client_left(reader: asyncio.StreamReader, delay: float) -> bool:
    """Wait ``delay`` seconds; True as soon as the client closes its end."""
    with contextlib.suppress(TimeoutError):
        return await asyncio.wait_for(reader.read(1), timeout=delay) == b""
    return False


async def wait_until(ready: Callable[[], bool], within: float = 5.0, every: float = 0.005) -> None:
    """Poll ``ready()`` (state owned by other tasks or processes) until true, or fail."""
    import anyio

    with anyio.fail_after(within):
        while not ready():  # noqa: ASYNC110 - /proc and server counters have no event to wait on
            await anyio.sleep(every)
