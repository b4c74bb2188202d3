"""LangGraph and LangChain entry points: a chat-model wrapper, a node wrapper, a middleware.

They only adapt LangGraph shapes to the engine; ``ScalingMiddleware`` needs the ``agents``
extra (``langchain``) and is imported lazily.
"""

from typing import Any

from langgraph_scaling.langgraph.chat_model import ScaledChatModel
from langgraph_scaling.langgraph.context import ScalingContext, collect_reports
from langgraph_scaling.langgraph.node import scaled_node

__all__ = [
    "ScaledChatModel",
    "ScalingContext",
    "ScalingMiddleware",
    "collect_reports",
    "scaled_node",
]


def __getattr__(name: str) -> Any:
    if name == "ScalingMiddleware":
        from langgraph_scaling.langgraph.middleware import ScalingMiddleware

        return ScalingMiddleware
    raise AttributeError(name)
