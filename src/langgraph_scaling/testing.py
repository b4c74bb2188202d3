"""Scripted fake chat models, for tests and offline examples (fakes, not mocks).

Example:
    >>> model = ScriptedChatModel(script=["4", tool_call("add", {"a": 2, "b": 2})])
    >>> model.invoke("2+2?").content, model.invoke("2+2?").tool_calls[0]["name"]
    ('4', 'add')
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from typing import Any

import anyio
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, PrivateAttr

__all__ = ["ScriptedChatModel", "tool_call"]


def tool_call(name: str, args: dict[str, Any], call_id: str = "call") -> AIMessage:
    """An AI message making one tool call."""
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": call_id}])


class ScriptedChatModel(BaseChatModel):
    """Answers from a script, one entry per call in call order (cycling).

    An entry is a string, an ``AIMessage`` or an exception (raised). ``delay`` seconds are
    slept per call (async: anyio.sleep), so concurrency can be measured. Records the
    messages of every call and the kwargs it was given.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: list[Any]
    delay: float = 0.0
    temperature: float | None = None
    seed: int | None = None
    _calls: list[list[BaseMessage]] = PrivateAttr(default_factory=list)
    _kwargs: list[dict[str, Any]] = PrivateAttr(default_factory=list)
    _tools: list[list[dict[str, Any]]] = PrivateAttr(default_factory=list)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _it: Any = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def calls(self) -> list[list[BaseMessage]]:
        return self._calls

    @property
    def call_kwargs(self) -> list[dict[str, Any]]:
        return self._kwargs

    @property
    def bound_tools(self) -> list[list[dict[str, Any]]]:
        """The tools of every ``bind_tools`` call, in order, as OpenAI specs."""
        return self._tools

    def bind_tools(
        self, tools: Sequence[Any], *, parallel_tool_calls: bool | None = None, **kwargs: Any
    ) -> Any:
        """Tools are bound as real chat models bind them (``self.bind(tools=...)``, a
        ``RunnableBinding``) and otherwise ignored: the script decides the calls. The tools,
        as OpenAI specs, are recorded in ``bound_tools`` and, with the options
        (``parallel_tool_calls`` as ChatOpenAI takes it), in ``call_kwargs``."""
        specs = [convert_to_openai_tool(t) for t in tools]
        with self._lock:
            self._tools.append(specs)
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return self.bind(tools=specs, **kwargs)

    def _next(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        with self._lock:
            if self._it is None:
                self._it = itertools.cycle(self.script)
            self._calls.append(list(messages))
            self._kwargs.append(dict(kwargs))
            entry = next(self._it)
        if isinstance(entry, BaseException):
            raise entry
        if isinstance(entry, AIMessage):
            return entry.model_copy()
        return AIMessage(
            str(entry),
            usage_metadata={"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        time.sleep(self.delay)
        return ChatResult(generations=[ChatGeneration(message=self._next(messages, kwargs))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        msg = self._next(messages, kwargs)
        await anyio.sleep(self.delay)
        return ChatResult(generations=[ChatGeneration(message=msg)])
