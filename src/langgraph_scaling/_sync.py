"""Run a coroutine to completion from synchronous code, even inside a running event loop.

The sync entry points (``ScaledChatModel.invoke``, a sync ``scaled_node``, the
middleware's ``wrap_model_call``) are called from plain scripts, from LangGraph's sync
executor threads, and from code that already runs an event loop in this thread (Jupyter,
or sync code called from async code). ``anyio.run`` refuses the last case, so there the
coroutine runs on a fresh event loop in a worker thread while the caller's thread waits,
as a blocking call would. Context variables (LangGraph's config, stream writer and runtime)
travel with it.

Example:
    >>> async def add(a, b):
    ...     return a + b
    >>> run_blocking(add, 2, 3)
    5
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import anyio

try:
    import sniffio
except ImportError:  # pragma: no cover - anyio then detects loops without it
    sniffio = None  # type: ignore[assignment]

__all__ = ["run_blocking"]

T = TypeVar("T")


def run_blocking(fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``anyio.run(fn, *args)``, or the same on a worker thread when a loop is running here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return anyio.run(fn, *args)
    context = contextvars.copy_context()

    def fresh_loop() -> T:
        # The copied context says "asyncio is running here" (sniffio's context variable,
        # which anyio.run checks); in this thread it is not, yet.
        if sniffio is not None:
            sniffio.current_async_library_cvar.set(None)
        return anyio.run(fn, *args)

    def work() -> T:
        return context.run(fresh_loop)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lgs-sync") as pool:
        return pool.submit(work).result()
