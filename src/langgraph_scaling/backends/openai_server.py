"""Backend for an OpenAI-compatible server (``vllm serve``, SGLang, llama.cpp, OpenAI ...).

A wave of ``n`` branches is one chat-completions request with ``n=n`` and ``seed=seeds[0]``
(vLLM's server gives choice ``i`` the seed ``seed + i``, as the in-process engine does). A
server that rejects ``n > 1`` (HTTP 400 naming ``n``) or returns fewer choices is asked for
the missing branches with ``n=1`` requests, concurrently, one seed each; the backend then
remembers not to send ``n`` again.

Timeouts follow the request: connecting gets ``connect_timeout`` seconds; the answer gets
``timeout + timeout_per_token * max_tokens`` seconds, never more than what is left of the
caller's deadline (the innermost anyio cancel scope, e.g. the step's ``max_seconds``).

Retries never add work to a busy server: a request is retried only when no working server
is generating it, with exponential backoff (bounded) or after the server's ``Retry-After``:
connection errors (refused, DNS, connect timeout, connection dropped) and HTTP 429, 502
and 503. A request the server accepted but did not answer in time raises
:class:`~langgraph_scaling.errors.BackendTimeoutError` at once; a server that cannot be
reached at all raises :class:`~langgraph_scaling.errors.BackendUnavailableError`
(the mapping: :mod:`~langgraph_scaling.backends._openai_failures`).

Behind a router, a step's requests (and their retries) carry one key in the
``affinity_header`` (``SampleRequest.affinity``, ``X-Session-ID``) so they share a replica;
a router that lost its replica mid-request (HTTP 500) is retried like a 502.

Each event loop gets its own HTTP client, without keep-alive, so a second ``anyio.run``
(a second sync ``invoke``) works, and no connection outlives the request that opened it.

With ``n > 1`` the samples of one request arrive together (the response is not streamed);
with the fallback each sample is emitted as soon as its own request returns.

Token accounting: the prompt is counted once per HTTP request; per-choice output tokens come
from vLLM's ``token_ids`` when ``return_token_ids=True`` (vLLM servers only) or from the
per-token log-probabilities, else the request's ``completion_tokens`` are split over the
choices in proportion to their text.

``SampleRequest.logprobs=k`` asks for ``logprobs=True, top_logprobs=k``; each choice's
``logprobs.content`` becomes ``Sample.logprobs``.

Example:
    >>> backend = OpenAIServerBackend("http://127.0.0.1:8000/v1", "qwen")
    >>> backend.name, backend.max_retries
    ('openai', 3)
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, Self

import anyio
from anyio.lowlevel import RunVar

from langgraph_scaling.backends._openai_failures import (
    backoff_delay,
    mentions_n,
    refused_option,
    request_failure,
)
from langgraph_scaling.backends._openai_options import check_options
from langgraph_scaling.backends._openai_wire import request_body, split_tokens, to_sample
from langgraph_scaling.backends._protocol import Emit, Sample, SampleRequest
from langgraph_scaling.errors import (
    BackendError,
    BackendUnavailableError,
    ConfigError,
)

__all__ = ["UNSET_MAX_TOKENS", "OpenAIServerBackend"]

UNSET_MAX_TOKENS = 1024
"""Tokens per sample that a request without ``max_tokens`` is given time for."""
_REFUSED = (
    "The server at {url} refused the option {key!r} (not a vLLM server?); requests go on "
    "without it (for structured_outputs: the answers are no longer constrained)."
)


@dataclass
class _LoopState:
    """What one event loop uses: its own HTTP client and fallback limiter."""

    client: Any
    limiter: anyio.CapacityLimiter | None


class OpenAIServerBackend:
    """A :class:`~langgraph_scaling.backends.Backend` talking to a chat-completions server.

    Args:
        base_url: the server's OpenAI base URL (``http://host:port/v1``).
        model: the served model name.
        api_key: bearer token (local servers take anything).
        max_retries: retries after the first attempt for what did not reach a working
            server: connection errors and HTTP 429, 502, 503. A timed-out answer is never
            retried.
        timeout: seconds any answer gets, on top of ``timeout_per_token`` per token.
        timeout_per_token: seconds per requested token (``max_tokens``, else
            :data:`UNSET_MAX_TOKENS`); the ``n`` samples of a request are generated together.
        connect_timeout: seconds to open the connection.
        backoff: first retry delay in seconds; doubled each retry (with jitter). A
            ``Retry-After`` from the server replaces it.
        max_backoff: cap on one retry delay.
        use_n: ``True``/``False`` forces one ``n``-request / ``n`` single requests;
            ``None`` tries ``n`` and falls back when the server does not support it.
        max_concurrency: most single requests in flight in the fallback (``None``: no limit).
        return_token_ids: ask a vLLM server for per-choice token ids (exact ``tokens_out``).
        affinity_header: HTTP header carrying ``SampleRequest.affinity`` on every request
            of a step (retries too), so a router (vllm-router ``--policy
            consistent_hash``) keeps a step on one replica; ``None`` sends none.

    Example:
        >>> OpenAIServerBackend("http://localhost:8000/v1", "m", use_n=False).used_n
        False
        >>> OpenAIServerBackend("http://localhost:8000/v1", "m", timeout_per_token=-1)
        Traceback (most recent call last):
        ...
        langgraph_scaling.errors.ConfigError: OpenAIServerBackend.timeout_per_token=-1 is invalid: must be 0 or more.
    """  # noqa: E501

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "EMPTY",
        max_retries: int = 3,
        timeout: float = 120.0,
        timeout_per_token: float = 0.5,
        connect_timeout: float = 5.0,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        use_n: bool | None = None,
        max_concurrency: int | None = None,
        return_token_ids: bool = False,
        affinity_header: str | None = "X-Session-ID",
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.api_key = api_key
        self.max_retries = max_retries
        self.timeout = timeout
        self.timeout_per_token = timeout_per_token
        self.connect_timeout = connect_timeout
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.used_n: bool | None = use_n
        """Whether ``n`` requests are used (``None`` until the server has been tried)."""
        self.max_concurrency = max_concurrency
        self.return_token_ids = return_token_ids
        self.affinity_header = affinity_header
        self.refused_options: set[str] = set()
        """vLLM options the server refused by name; no longer sent."""
        self._per_loop: RunVar[_LoopState | None] = RunVar(f"OpenAIServerBackend@{id(self)}")
        check_options(self)

    def read_timeout(self, max_tokens: int | None) -> float:
        """Seconds the server gets to answer a request for ``max_tokens`` tokens per sample.

        ``timeout + timeout_per_token * max_tokens`` (:data:`UNSET_MAX_TOKENS` for ``None``);
        called in async code, never more than what is left of the caller's deadline (the
        innermost anyio cancel scope, such as the step's ``max_seconds``).

        Example:
            >>> b = OpenAIServerBackend("http://h:1/v1", "m", timeout=30, timeout_per_token=0.5)
            >>> b.read_timeout(512), b.read_timeout(None)
            (286.0, 542.0)
            >>> async def under_a_2s_deadline() -> float:
            ...     with anyio.fail_after(2):
            ...         return b.read_timeout(512)
            >>> anyio.run(under_a_2s_deadline) <= 2
            True
        """
        seconds = self.allowance(max_tokens)
        try:
            left = anyio.current_effective_deadline() - anyio.current_time()
        except anyio.NoEventLoopError:  # sync code: no cancel scope, no deadline
            return seconds
        return max(min(seconds, left), 0.001)

    def allowance(self, max_tokens: int | None) -> float:
        """Seconds an answer of ``max_tokens`` tokens per sample gets, before any deadline."""
        tokens = UNSET_MAX_TOKENS if max_tokens is None else max_tokens
        return self.timeout + self.timeout_per_token * tokens

    def _state(self) -> _LoopState:
        """This event loop's client and limiter: a connection must not cross event loops."""
        state = self._per_loop.get(None)
        if state is None:
            limiter = anyio.CapacityLimiter(self.max_concurrency) if self.max_concurrency else None
            state = _LoopState(self._new_client(), limiter)
            self._per_loop.set(state)
        return state

    def _new_client(self) -> Any:
        try:
            import openai
        except ImportError as exc:  # pragma: no cover - the extra is missing
            raise BackendUnavailableError(
                "The openai client is not installed; install `langgraph-scaling[openai]`."
            ) from exc
        # No keep-alive: an idle pooled connection belongs to this event loop and would
        # outlive it when the loop ends without aclose() (a sync invoke). httpx or httpx2
        # Limits, whichever this openai version uses.
        defaults = openai.DEFAULT_CONNECTION_LIMITS
        limits = type(defaults)(
            max_connections=defaults.max_connections, max_keepalive_connections=0
        )
        return openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=self.api_key,
            max_retries=0,  # retried here: the client would retry timeouts and 500/504 too
            http_client=openai.DefaultAsyncHttpxClient(limits=limits),
        )

    async def aclose(self) -> None:
        """Close this event loop's HTTP client (a later request opens a new one)."""
        state = self._per_loop.get(None)
        if state is not None:
            self._per_loop.set(None)
            with anyio.CancelScope(shield=True):
                await state.client.close()

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
            BackendTimeoutError: the server took the request but did not answer in time.
            BackendError: the server rejected or failed the request.
        """
        seeds = list(request.seeds) or [None] * request.n  # type: ignore[list-item]
        if len(seeds) != request.n:
            raise ConfigError("seeds", request.seeds, f"needs one seed per sample (n={request.n})")
        if request.affinity is None:  # no step key: this call's requests still stay together
            request = replace(request, affinity=uuid.uuid4().hex)
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
            response, retries = await self._create(request, n=request.n, seed=seeds[0])
        except BackendError as exc:
            cause = exc.__cause__
            if isinstance(cause, BadRequestError) and mentions_n(cause):
                self.used_n = False
                return list(range(request.n))
            raise
        choices = sorted(response.choices, key=lambda c: c.index)[: request.n]
        if len(choices) < request.n:
            self.used_n = False
        elif self.used_n is None:
            self.used_n = True
        await self._emit_choices(response, choices, list(range(len(choices))), emit, retries)
        return list(range(len(choices), request.n))

    async def _single(
        self, request: SampleRequest, index: int, seed: int | None, emit: Emit
    ) -> None:
        limiter = self._state().limiter
        if limiter is not None:
            async with limiter:
                response, retries = await self._create(request, n=1, seed=seed)
        else:
            response, retries = await self._create(request, n=1, seed=seed)
        if not response.choices:
            await emit(Sample(index=index, error="the server returned no choice"))
            return
        await self._emit_choices(response, response.choices[:1], [index], emit, retries)

    async def _emit_choices(
        self,
        response: Any,
        choices: Sequence[Any],
        indices: Sequence[int],
        emit: Emit,
        retries: Sequence[str],
    ) -> None:
        usage = getattr(response, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        out_tokens = split_tokens(choices, completion_tokens)
        for position, (choice, index) in enumerate(zip(choices, indices, strict=True)):
            tokens_in = prompt_tokens if position == 0 else 0
            sample = to_sample(
                response, choice, index, tokens_in, out_tokens[position], retries=retries
            )
            await emit(sample)

    async def _create(
        self, request: SampleRequest, *, n: int, seed: int | None
    ) -> tuple[Any, list[str]]:
        """``chat.completions.create``, retried only when the request did no work; the
        response and what each failed attempt before it met. An option of vLLM's that the
        server refuses by name (HTTP 400, e.g. ``structured_outputs`` on a server that is
        not vLLM) is left out of this and later requests, with a warning."""
        notes: list[str] = []
        dropped: set[str] = set()  # refused in this call; another request may add more
        while True:
            kwargs = request_body(
                request,
                model=self.model,
                n=n,
                seed=seed,
                return_token_ids=self.return_token_ids,
                affinity_header=self.affinity_header,
                leave_out=self.refused_options,
            )
            try:
                response, retries = await self._send(kwargs, request, n=n)
                return response, notes + retries
            except BackendError as exc:
                key = refused_option(exc.__cause__, kwargs.get("extra_body", {}))
                status = getattr(exc.__cause__, "status_code", None)
                if key is None or key in dropped or status not in (400, 422):
                    raise
            dropped.add(key)
            notes.append(f"the server refused {key!r}; sent again without it")
            if key not in self.refused_options:  # a request beside this one may have seen it
                self.refused_options.add(key)
                warnings.warn(_REFUSED.format(url=self.base_url, key=key), stacklevel=2)

    async def _send(
        self, kwargs: dict[str, Any], request: SampleRequest, *, n: int
    ) -> tuple[Any, list[str]]:
        import openai

        client = self._state().client
        retries: list[str] = []
        delay = self.backoff
        for attempt in range(1, self.max_retries + 2):
            read = self.read_timeout(request.max_tokens)
            timeout = openai.Timeout(read, connect=min(self.connect_timeout, read))
            try:
                response = await client.chat.completions.create(**kwargs, timeout=timeout)
                return response, retries
            except (openai.APIConnectionError, openai.APIStatusError) as exc:
                backoff = backoff_delay(delay, max_backoff=self.max_backoff)
                error, wait = request_failure(
                    exc, self, max_tokens=request.max_tokens, n=n, read=read, attempt=attempt
                )
                if wait is None or attempt > self.max_retries:
                    raise error from exc
                pause = backoff if wait == "backoff" else wait
                retries.append(f"attempt {attempt}: {error}; sent again after {pause:.2f} s")
                await anyio.sleep(pause)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover
