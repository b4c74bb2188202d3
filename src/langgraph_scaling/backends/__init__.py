"""Backends: where branches are sampled (vLLM in-process, an OpenAI-compatible server, or
any LangChain chat model). The engine speaks only the :class:`Backend` protocol; vLLM and
the OpenAI client are imported lazily by their backends."""

from langgraph_scaling.backends._protocol import (
    Backend,
    Closable,
    Emit,
    ManagedBackend,
    Sample,
    SampleRequest,
    Startable,
    TokenLogprob,
    aclose_backend,
    start_backend,
)
from langgraph_scaling.backends.chat_model import ChatModelBackend

__all__ = [
    "Backend",
    "ChatModelBackend",
    "Closable",
    "Emit",
    "ManagedBackend",
    "Sample",
    "SampleRequest",
    "Startable",
    "TokenLogprob",
    "aclose_backend",
    "start_backend",
]
