"""Backend for an OpenAI-compatible server (``vllm serve``, SGLang, llama.cpp, OpenAI ...).

A wave of ``n`` branches is one chat-completions request with ``n=n`` and ``seed=seeds[0]``
(vLLM's server gives choice ``i`` the seed ``seed + i``, as the in-process engine does). A
server that rejects ``n > 1`` (HTTP 400 naming ``n``) or returns fewer choices is asked for
the missing branches with ``n=1`` requests, concurrently, one seed each; the backend then
remembers not to send ``n`` again. Connection errors, timeouts, 429 and 5xx are retried
with exponential backoff (bounded); when the server cannot be reached at all,
:class:`~langgraph_scaling.errors.BackendUnavailableError` says so.

With ``n > 1`` the samples of one request arrive together (the response is not streamed);
with the fallback each sample is emitted as soon as its own request returns.

Token accounting: the prompt is counted once per HTTP request; per-choice output tokens come
from vLLM's ``token_ids`` when ``return_token_ids=True`` (vLLM servers only), else the
request's ``completion_tokens`` are split over the choices in proportion to their text.

Example:
    >>> backend = OpenAIServerBackend("http://127.0.0.1:8000/v1", "qwen")
    >>> backend.name, backend.max_retries
    ('openai', 3)
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import anyio

from langgraph_scaling.backends._messages import make_ai_message, to_openai_messages
from langgraph_scaling.backends._protocol import Emit, Sample, SampleRequest
from langgraph_scaling.errors import BackendError, BackendUnavailableError, ConfigError

__all__ = ["OpenAIServerBackend"]

# Options the chat-completions endpoint takes directly; others go into ``extra_body``.
_DIRECT_OPTIONS = frozenset(
    {"top_p", "stop", "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs",
     "logit_bias", "user", "response_format", "parallel_tool_calls"}
)  # fmt: skip


class OpenAIServerBackend:
    """A :class:`~langgraph_scaling.backends.Backend` talking to a chat-completions server.

    Args:
        base_url: the server's OpenAI base URL (``http://host:port/v1``).
        model: the served model name.
        api_key: bearer token (local servers take anything).
        max_retries: retries after the first attempt for connection errors, 429 and 5xx.
        timeout: seconds per HTTP request.
        backoff: first retry delay in seconds; doubled each retry (with jitter).
        max_backoff: cap on one retry delay.
        use_n: ``True``/``False`` forces one ``n``-request / ``n`` single requests;
            ``None`` tries ``n`` and falls back when the server does not support it.
        max_concurrency: most single requests in flight in the fallback (``None``: no limit).
        return_token_ids: ask a vLLM server for per-choice token ids (exact ``tokens_out``).

    Example:
        >>> OpenAIServerBackend("http://localhost:8000/v1", "m", use_n=False).used_n
        False
    """

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "EMPTY",
        max_retries: int = 3,
        timeout: float = 120.0,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        use_n: bool | None = None,
        max_concurrency: int | None = None,
        return_token_ids: bool = False,
    ) -> None:
        if max_retries < 0:
            raise ConfigError("OpenAIServerBackend.max_retries", max_retries, "must be 0 or more")
        if timeout <= 0:
            raise ConfigError("OpenAIServerBackend.timeout", timeout, "must be greater than 0")
        if max_concurrency is not None and max_concurrency < 1:
            raise ConfigError(
                "OpenAIServerBackend.max_concurrency", max_concurrency, "must be at least 1"
            )
        if backoff < 0:
            raise ConfigError("OpenAIServerBackend.backoff", backoff, "must be 0 or more")
        if max_backoff < backoff:
            raise ConfigError(
                "OpenAIServerBackend.max_backoff",
                max_backoff,
                f"must be at least backoff ({backoff})",
            )
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(
                "OpenAIServerBackend.base_url", base_url, "must start with http:// or https://"
            )
        self.base_url = base_url
        self.model = model
        self.api_key = api_key
        self.max_retries = max_retries
        self.timeout = timeout
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.used_n: bool | None = use_n
        """Whether ``n`` requests are used (``None`` until the server has been tried)."""
        self.return_token_ids = return_token_ids
        self._limiter = anyio.CapacityLimiter(max_concurrency) if max_concurrency else None
        self._client: Any = None

    def _get_client(self) -> Any:
        if self._client is None:
            try:
                from openai import AsyncOpenAI
            except ImportError as exc:  # pragma: no cover - the extra is missing
                raise BackendUnavailableError(
                    "The openai client is not installed; install `langgraph-scaling[openai]`."
                ) from exc
            self._client = AsyncOpenAI(
                base_url=self.base_url, api_key=self.api_key, max_retries=0, timeout=self.timeout
            )
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP client."""
        client, self._client = self._client, None
        if client is not None:
            with anyio.CancelScope(shield=True):
                await client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def sample(self, request: SampleRequest, emit: Emit) -> None:
        """Produce ``request.n`` samples: one ``n`` request, or single requests as fallback.

        Raises:
            BackendUnavailableError: the server cannot be reached after the retries.
            BackendError: the server rejected or failed the request.
        """
        seeds = list(request.seeds) or [None] * request.n  # type: ignore[list-item]
        if len(seeds) != request.n:
            raise ConfigError("seeds", request.seeds, f"needs one seed per sample (n={request.n})")
        remaining = list(range(request.n))
        if request.n > 1 and self.used_n is not False:
            remaining = await self._try_n(request, seeds, emit)
        if len(remaining) == 1:
            await self._single(request, remaining[0], seeds[remaining[0]], emit)
        elif remaining:
            await self._fan_out(request, remaining, seeds, emit)

    async def _fan_out(
        self,
        request: SampleRequest,
        indices: Sequence[int],
        seeds: Sequence[int | None],
        emit: Emit,
    ) -> None:
        """Single requests, concurrently: a failed one becomes a failed sample, except that an
        unreachable server stops them all and raises (one error, not an exception group)."""
        unavailable: list[BackendUnavailableError] = []

        async def one(index: int) -> None:
            try:
                await self._single(request, index, seeds[index], emit)
            except BackendUnavailableError as exc:
                unavailable.append(exc)
                tg.cancel_scope.cancel()
            except BackendError as exc:
                await emit(Sample(index=index, error=str(exc)))

        async with anyio.create_task_group() as tg:
            for index in indices:
                tg.start_soon(one, index)
        if unavailable:
            raise unavailable[0]

    async def _try_n(
        self, request: SampleRequest, seeds: Sequence[int | None], emit: Emit
    ) -> list[int]:
        """One request with ``n``; returns the branch indices it did not produce."""
        from openai import BadRequestError

        try:
            response = await self._create(request, n=request.n, seed=seeds[0])
        except BackendError as exc:
            cause = exc.__cause__
            if isinstance(cause, BadRequestError) and _mentions_n(cause):
                self.used_n = False
                return list(range(request.n))
            raise
        choices = sorted(response.choices, key=lambda c: c.index)[: request.n]
        if len(choices) < request.n:
            self.used_n = False
        elif self.used_n is None:
            self.used_n = True
        await self._emit_choices(response, choices, list(range(len(choices))), emit)
        return list(range(len(choices), request.n))

    async def _single(
        self, request: SampleRequest, index: int, seed: int | None, emit: Emit
    ) -> None:
        if self._limiter is not None:
            async with self._limiter:
                response = await self._create(request, n=1, seed=seed)
        else:
            response = await self._create(request, n=1, seed=seed)
        if not response.choices:
            await emit(Sample(index=index, error="the server returned no choice"))
            return
        await self._emit_choices(response, response.choices[:1], [index], emit)

    async def _emit_choices(
        self, response: Any, choices: Sequence[Any], indices: Sequence[int], emit: Emit
    ) -> None:
        usage = getattr(response, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        out_tokens = _split_tokens(choices, completion_tokens)
        for position, (choice, index) in enumerate(zip(choices, indices, strict=True)):
            tokens_in = prompt_tokens if position == 0 else 0
            await emit(_to_sample(response, choice, index, tokens_in, out_tokens[position]))

    def _request_kwargs(
        self, request: SampleRequest, *, n: int, seed: int | None
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": to_openai_messages(request.messages),
            "temperature": request.temperature,
        }
        if n > 1:
            kwargs["n"] = n
        if seed is not None:
            kwargs["seed"] = seed
        if request.max_tokens is not None:
            kwargs["max_tokens"] = request.max_tokens
        if request.tools:
            kwargs["tools"] = [dict(t) for t in request.tools]
            if request.tool_choice is not None:
                kwargs["tool_choice"] = _tool_choice(request.tool_choice)
        extra_body: dict[str, Any] = {}
        for key, value in request.extra.items():
            (kwargs if key in _DIRECT_OPTIONS else extra_body)[key] = value
        if self.return_token_ids:
            extra_body["return_token_ids"] = True
        if extra_body:
            kwargs["extra_body"] = extra_body
        return kwargs

    async def _create(self, request: SampleRequest, *, n: int, seed: int | None) -> Any:
        """``chat.completions.create`` with bounded exponential backoff."""
        import openai

        client = self._get_client()
        kwargs = self._request_kwargs(request, n=n, seed=seed)
        delay = self.backoff
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                return await client.chat.completions.create(**kwargs)
            except openai.APIConnectionError as exc:  # timeouts included
                if last:
                    raise BackendUnavailableError(
                        f"The OpenAI-compatible server at {self.base_url} cannot be reached "
                        f"({type(exc).__name__}: {exc}) after {attempt + 1} attempts; "
                        "is it running?"
                    ) from exc
            except openai.APIStatusError as exc:
                retryable = exc.status_code == 429 or exc.status_code >= 500
                if not retryable or last:
                    raise BackendError(
                        f"The server at {self.base_url} answered HTTP {exc.status_code} for "
                        f"model {self.model!r}: {_error_text(exc)}"
                    ) from exc
            await anyio.sleep(min(self.max_backoff, delay) * (0.5 + random.random() / 2))
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, str) and choice not in {"auto", "required", "none"}:
        return {"type": "function", "function": {"name": choice}}
    return choice


def _mentions_n(exc: Any) -> bool:
    text = _error_text(exc).lower()
    return any(word in text for word in ("'n'", '"n"', " n ", "n must", "n >", "n=", "`n`"))


def _error_text(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        message = body.get("message") or body.get("error")
        if isinstance(message, Mapping):
            message = message.get("message")
        if message:
            return str(message)
    return str(getattr(exc, "message", exc))


def _split_tokens(choices: Sequence[Any], total: int) -> list[int]:
    """Per-choice output tokens: vLLM ``token_ids`` if present, else ``total`` split by text."""
    exact = [
        getattr(c, "token_ids", None) or (c.model_extra or {}).get("token_ids") for c in choices
    ]
    if all(isinstance(ids, list) for ids in exact):
        return [len(ids) for ids in exact]  # type: ignore[arg-type]
    if len(choices) == 1:
        return [total]
    lengths = [len(_choice_text(c)) + 1 for c in choices]
    shares = [total * length // sum(lengths) for length in lengths]
    shares[0] += total - sum(shares)
    return shares


def _choice_text(choice: Any) -> str:
    message = choice.message
    text = message.content or ""
    for call in message.tool_calls or ():
        text += call.function.arguments or ""
    return str(text)


def _to_sample(response: Any, choice: Any, index: int, tokens_in: int, tokens_out: int) -> Sample:
    message = choice.message
    raw_calls = [
        {
            "id": call.id,
            "function": {"name": call.function.name, "arguments": call.function.arguments},
        }
        for call in message.tool_calls or ()
    ]
    metadata = {"model_name": response.model, "finish_reason": choice.finish_reason}
    ai = make_ai_message(
        message.content,
        raw_calls,
        response_metadata=metadata,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
    )
    return Sample(
        index=index,
        message=ai,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        finish_reason=choice.finish_reason,
    )
