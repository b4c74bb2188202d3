"""Plumbing of a run: capped pipes and output, stdin feeding, killing the tree.

Example:
    >>> out = CappedOutput(4)
    >>> out.cap
    4
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping

import anyio
from anyio.abc import ByteReceiveStream, Process

__all__ = [
    "CappedOutput",
    "RawPipe",
    "cancel_on",
    "drain_pipes",
    "feed",
    "kill_tree",
    "stop_after",
]


class RawPipe:
    """A raw pipe whose read end the parent drains with a cap."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)

    async def drain(self, cap: int) -> bytes:
        data = bytearray()
        while True:
            await anyio.wait_readable(self.read_fd)
            try:
                chunk = os.read(self.read_fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                return bytes(data)
            data.extend(chunk[: max(0, cap - len(data))])

    def close(self) -> None:
        """Close the ends this process still owns (``-1`` marks one handed over or closed)."""
        for fd in (self.read_fd, self.write_fd):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.read_fd = self.write_fd = -1


class CappedOutput:
    """Capped collection of one output stream; trips a flag when the cap is passed."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.truncated = False

    async def read(self, stream: ByteReceiveStream, on_overflow: anyio.Event) -> None:
        async for chunk in stream:
            room = self.cap - len(self.data)
            self.data.extend(chunk[:room])
            if len(chunk) > room:
                self.truncated = True
                on_overflow.set()
                return

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


async def feed(process: Process, stdin: bytes | None) -> None:
    assert process.stdin is not None
    try:
        if stdin:
            await process.stdin.send(stdin)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
        pass
    finally:
        await process.stdin.aclose()


async def cancel_on(event: anyio.Event, scope: anyio.CancelScope) -> None:
    await event.wait()
    scope.cancel()


async def drain_pipes(pipes: Mapping[str, RawPipe], cap: int) -> dict[str, bytes]:
    """Read every pipe to its end (each capped at ``cap`` bytes)."""
    results: dict[str, bytes] = {}

    async def collect(key: str, pipe: RawPipe) -> None:
        results[key] = await pipe.drain(cap)

    async with anyio.create_task_group() as tg:
        for key, pipe in pipes.items():
            tg.start_soon(collect, key, pipe)
    return results


async def stop_after(grace: float, scope: anyio.CancelScope, *events: anyio.Event) -> None:
    """Wait up to ``grace`` seconds for ``events``, then cancel ``scope``."""
    with anyio.move_on_after(grace):
        for event in events:
            await event.wait()
    scope.cancel()


async def kill_tree(process: Process) -> None:
    """Kill the launcher's process group (the pid namespace dies with the launcher)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    await process.wait()
    await process.aclose()
