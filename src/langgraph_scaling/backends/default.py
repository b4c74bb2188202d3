"""The default backend: the embedded model in-process, or a server named by the environment.

- ``LANGGRAPH_SCALING_BASE_URL`` set: an OpenAI-compatible server there (e.g. ``vllm serve``),
  serving ``LANGGRAPH_SCALING_MODEL``.
- otherwise: in-process vLLM on the embedded Qwen2.5-Coder-0.5B-Instruct (prepared once with
  ``python -m langgraph_scaling.models``), or ``LANGGRAPH_SCALING_MODEL`` if that is a local
  model directory.

The in-process engine is bound to the event loop that started it, so one is kept per loop.

Example:
    >>> import os
    >>> os.environ["LANGGRAPH_SCALING_BASE_URL"] = "http://127.0.0.1:8000/v1"
    >>> default_backend().name
    'openai'
    >>> del os.environ["LANGGRAPH_SCALING_BASE_URL"]
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Mapping
from typing import Any

from langgraph_scaling.backends._protocol import Backend

__all__ = ["default_backend", "embedded_backend"]

_ENGINES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Backend] = (
    weakref.WeakKeyDictionary()
)


def embedded_backend(
    model: str | None = None, *, engine_kwargs: Mapping[str, Any] | None = None
) -> Backend:
    """In-process vLLM sized for a small CPU machine (the embedded model unless ``model``).

    The KV cache is set explicitly (4 GiB): vLLM's CPU default reserves a fraction of all
    memory and refuses to start when other processes hold part of it. Eager mode starts in
    about half the time of graph compilation for ~12 % less throughput at 8 branches.
    ``engine_kwargs`` go to vLLM's engine arguments, as ``VLLMBackend`` takes them (for
    example a ``structured_outputs_config``). Nothing starts until the first request.

    Example:
        >>> opts = embedded_backend(engine_kwargs={"max_num_batched_tokens": 2048}).options
        >>> opts.max_model_len, opts.kv_cache_gib, opts.engine_kwargs
        (4096, 4.0, {'max_num_batched_tokens': 2048})
    """
    from langgraph_scaling.backends.vllm import VLLMBackend

    return VLLMBackend(
        model,
        max_model_len=4096,
        kv_cache_gib=4.0,
        enforce_eager=True,
        engine_kwargs=engine_kwargs,
    )


def default_backend() -> Backend:
    """The backend the graphs and the CLI use when none is given."""
    base_url = os.environ.get("LANGGRAPH_SCALING_BASE_URL")
    model = os.environ.get("LANGGRAPH_SCALING_MODEL")
    if base_url:
        from langgraph_scaling.backends.openai_server import OpenAIServerBackend

        return OpenAIServerBackend(base_url, model or "default")
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None and loop in _ENGINES:
        return _ENGINES[loop]
    backend = embedded_backend(model)
    if loop is not None:
        _ENGINES[loop] = backend
    return backend
