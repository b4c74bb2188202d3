"""Simulated OpenAI-compatible replicas with a vLLM-like cost model (for benchmarks/scale_out.py).

One process, one asyncio loop, one HTTP/1.1 server (keep-alive) per replica port. Each
replica is a continuous-batching engine in miniature:

- it runs at most ``max_seqs`` sequences at once (``n`` sequences per request); the rest
  wait in a FIFO queue;
- one engine iteration decodes one token of every running sequence and takes
  ``decode_ms + per_seq_ms * running`` milliseconds (so one sequence decodes at
  ``decode_ms`` per token and a full batch at many times the throughput);
- a request admitted to the batch first pays its prefill, ``prefill_ms_per_token *
  prompt_tokens``, inside that iteration (the whole batch waits, as with unchunked
  prefill), unless the same prompt was prefilled on this replica recently (a simulated
  prefix cache: an LRU of ``cache_prompts`` prompts, hit from the moment the first copy is
  admitted, the way the ``n`` sequences of one request or requests in one batch share it);
- the prompt is ``len(JSON of the messages) // 4`` tokens; every sequence generates
  ``max_tokens`` tokens.

Endpoints: ``POST /v1/chat/completions``; ``GET /health``; ``GET /stats`` (requests,
sequences, prefills, cache hits); ``POST /reset`` (drops queued and running work and the
cache, zeroes the counters). Sleeping is all the "work": the process needs little CPU.

Usage::

    python benchmarks/_sim_replicas.py --ports 8001 8002   # prints "ready" when listening
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Cost:
    """The cost model (milliseconds)."""

    decode_ms: float = 5.0
    per_seq_ms: float = 0.25
    prefill_ms_per_token: float = 0.05
    max_seqs: int = 64
    cache_prompts: int = 256


@dataclass
class _Request:
    key: int
    prompt_tokens: int
    n: int
    max_tokens: int
    done: asyncio.Future[None]
    left: int = 0


@dataclass
class Replica:
    """One simulated engine; ``generate`` returns when all ``n`` sequences are done."""

    cost: Cost
    waiting: deque[_Request] = field(default_factory=deque)
    running: list[list[Any]] = field(default_factory=list)  # [request, tokens left]
    cache: OrderedDict[int, None] = field(default_factory=OrderedDict)
    stats: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("requests", "sequences", "prefills", "hits"), 0)
    )
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    async def generate(self, key: int, prompt_tokens: int, n: int, max_tokens: int) -> None:
        done = asyncio.get_running_loop().create_future()
        self.waiting.append(_Request(key, prompt_tokens, n, max_tokens, done, left=n))
        self.stats["requests"] += 1
        self.stats["sequences"] += n
        self.wake.set()
        await done

    def reset(self) -> None:
        for request in [*self.waiting, *(r for r, _ in self.running)]:
            if not request.done.done():
                request.done.set_exception(ConnectionResetError("the replica was reset"))
        self.waiting.clear()
        self.running.clear()
        self.cache.clear()
        self.stats = dict.fromkeys(self.stats, 0)

    def _admit(self) -> int:
        """Move waiting requests into the batch; the prompt tokens they must prefill."""
        prefill = 0
        while self.waiting and (
            not self.running or len(self.running) + self.waiting[0].n <= self.cost.max_seqs
        ):
            request = self.waiting.popleft()
            if request.key in self.cache:
                self.cache.move_to_end(request.key)
                self.stats["hits"] += 1
            else:
                self.cache[request.key] = None
                if len(self.cache) > self.cost.cache_prompts:
                    self.cache.popitem(last=False)
                self.stats["prefills"] += 1
                prefill += request.prompt_tokens
            self.running.extend([request, request.max_tokens] for _ in range(request.n))
        return prefill

    async def run(self) -> None:
        """The engine loop: admit, prefill, decode one token of every sequence, repeat."""
        while True:
            if not self.running and not self.waiting:
                self.wake.clear()
                await self.wake.wait()
            prefill = self._admit()
            batch = len(self.running)
            ms = prefill * self.cost.prefill_ms_per_token
            ms += self.cost.decode_ms + self.cost.per_seq_ms * batch
            await asyncio.sleep(ms / 1000)
            still: list[list[Any]] = []
            for seq in self.running:
                seq[1] -= 1
                if seq[1] > 0:
                    still.append(seq)
                    continue
                request = seq[0]
                request.left -= 1
                if request.left == 0 and not request.done.done():
                    request.done.set_result(None)
            self.running = still


def _completion(body: dict[str, Any]) -> dict[str, Any]:
    n, tokens = int(body.get("n", 1)), int(body.get("max_tokens") or 16)
    choices = [
        {"index": i, "message": {"role": "assistant", "content": "4"}, "finish_reason": "length"}
        for i in range(n)
    ]
    usage = {"prompt_tokens": 0, "completion_tokens": n * tokens, "total_tokens": n * tokens}
    return {"id": "sim", "object": "chat.completion", "created": 0, "model": body.get("model"),
            "choices": choices, "usage": usage}  # fmt: skip


async def _handle(replica: Replica, method: str, path: str, body: bytes) -> tuple[int, Any]:
    if method == "POST" and path.endswith("/chat/completions"):
        request = json.loads(body)
        messages = json.dumps(request.get("messages"), sort_keys=True)
        tokens = int(request.get("max_tokens") or 16)
        await replica.generate(hash(messages), len(messages) // 4, int(request.get("n", 1)), tokens)
        return 200, _completion(request)
    if path == "/stats":
        return 200, replica.stats
    if path == "/reset":
        replica.reset()
        return 200, {}
    return 200, {}


async def _serve(replica: Replica, reader: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while True:  # keep-alive: one request after another on this connection
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            method, path = head[0].split(" ")[:2]
            length = 0
            for line in head[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            status, payload = await _handle(replica, method, path, body)
            data = json.dumps(payload).encode()
            w.write(
                f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\n\r\n".encode()
                + data
            )
            await w.drain()
    w.close()


async def main(ports: list[int], cost: Cost) -> None:
    replicas = [Replica(cost) for _ in ports]
    servers = []
    for port, replica in zip(ports, replicas, strict=True):
        servers.append(
            await asyncio.start_server(
                lambda r, w, rep=replica: _serve(rep, r, w), "127.0.0.1", port, backlog=4096
            )
        )
    print("ready", flush=True)
    async with asyncio.TaskGroup() as tg:
        for replica in replicas:
            tg.create_task(replica.run())
        for server in servers:
            tg.create_task(server.serve_forever())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", type=int, nargs="+", required=True)
    for name, default in vars(Cost()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    args = parser.parse_args()
    cost = Cost(**{name: getattr(args, name) for name in vars(Cost())})
    asyncio.run(main(args.ports, cost))
