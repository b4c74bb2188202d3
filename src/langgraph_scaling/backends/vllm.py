"""In-process vLLM backend: one ``AsyncLLM`` (V1 engine), ``n`` branches per engine request.

A wave of ``n`` branches is one engine request with ``SamplingParams(n=n, seed=s)``: vLLM
tokenizes and schedules the prompt once and fans it out into ``n`` child sequences, child
``i`` sampling with seed ``s + i``. So when the request's seeds are consecutive
(``seeds[i] == seeds[0] + i``, what the engine hands out) every branch gets exactly its own
seed from one request. Other seed lists are split into runs of consecutive seeds, one engine
request per run (prefix caching still shares the prompt's KV cache between them).

Each branch is emitted as soon as its own sequence finishes. Cancelling :meth:`sample`
closes the engine generator, which makes vLLM abort the request and free its KV cache.

On CPU the engine runs without chunked prefill (a seeded request whose prefill is split
kills vLLM's CPU worker; see :mod:`~langgraph_scaling.backends._vllm_engine`). The engine's
own output goes to :attr:`VLLMBackend.log_path`; an engine that dies fails the request with
:class:`~langgraph_scaling.errors.BackendUnavailableError` naming the cause and that log, and
``aclose()`` then ``start()`` builds a new one in the same process.

vLLM, torch and transformers are imported on first use only.

Example:
    >>> from langgraph_scaling.backends.vllm import VLLMBackend
    >>> backend = VLLMBackend(model="/models/qwen", max_model_len=4096)
    >>> backend.name
    'vllm'
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from contextlib import aclosing
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

import anyio

from langgraph_scaling.backends._messages import to_template_messages
from langgraph_scaling.backends._protocol import Emit, Sample, SampleRequest, TokenLogprob
from langgraph_scaling.backends._reaper import Reaper
from langgraph_scaling.backends._vllm_engine import (
    VLLMOptions,
    build_engine,
    core_processes,
    default_log_path,
    engine_failure,
    log_size,
    shutdown_engine,
)
from langgraph_scaling.backends._vllm_tools import parse_output, sampling_options
from langgraph_scaling.errors import BackendError, BackendUnavailableError, ConfigError

__all__ = ["VLLMBackend", "VLLMOptions", "seed_runs", "token_logprobs"]


def seed_runs(seeds: Sequence[int], n: int) -> list[tuple[int, int, int | None]]:
    """Split ``n`` branches into engine requests: ``(first_index, count, seed)`` each.

    vLLM gives child ``i`` of an ``n``-sample request the seed ``seed + i``, so one request
    covers any run of consecutive seeds.

    Example:
        >>> seed_runs([5, 6, 7, 8], 4)
        [(0, 4, 5)]
        >>> seed_runs([1, 2, 9], 3)
        [(0, 2, 1), (2, 1, 9)]
        >>> seed_runs([], 3)
        [(0, 3, None)]
    """
    if not seeds:
        return [(0, n, None)]
    if len(seeds) != n:
        raise ConfigError("seeds", list(seeds), f"needs one seed per sample (n={n})")
    runs: list[tuple[int, int, int | None]] = []
    start = 0
    for i in range(1, n + 1):
        if i == n or seeds[i] != seeds[i - 1] + 1:
            runs.append((start, i - start, seeds[start]))
            start = i
    return runs


class VLLMBackend:
    """A :class:`~langgraph_scaling.backends.Backend` running vLLM in this process.

    Args:
        model: model directory or hub id; ``None``: the prepared embedded model.
        dtype: see :class:`VLLMOptions` (as are the other keyword options).

    Example:
        >>> async def main():  # doctest: +SKIP
        ...     async with VLLMBackend(max_model_len=4096, kv_cache_gib=2) as backend:
        ...         request = SampleRequest(messages=[HumanMessage("hi")], n=4, seeds=[0, 1, 2, 3])
        ...         await backend.sample(request, emit=print_sample)
    """

    name = "vllm"

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        dtype: str = "bfloat16",
        max_model_len: int | None = 4096,
        kv_cache_gib: float | None = None,
        gpu_memory_utilization: float | None = None,
        max_num_seqs: int | None = None,
        enforce_eager: bool = False,
        tool_parser: str | None = "hermes",
        engine_kwargs: Mapping[str, Any] | None = None,
        log_file: str | Path | Literal["auto"] | None = "auto",
    ) -> None:
        self.options = VLLMOptions(
            model=str(model) if model is not None else None,
            dtype=dtype,
            max_model_len=max_model_len,
            kv_cache_gib=kv_cache_gib,
            gpu_memory_utilization=gpu_memory_utilization,
            max_num_seqs=max_num_seqs,
            enforce_eager=enforce_eager,
            tool_parser=tool_parser,
            engine_kwargs=dict(engine_kwargs or {}),
            log_file=Path(log_file) if log_file not in (None, "auto") else log_file,
        )
        log = self.options.log_file
        self.log_path: Path | None = default_log_path() if log == "auto" else log
        """The engine's log file (appended to by every start of this backend), or ``None``."""
        self._log_start = 0
        self._engine: Any = None
        self._tokenizer: Any = None
        self._model_name = self.options.model or "embedded"
        self._start_lock = anyio.Lock()
        self._reaper: Reaper | None = None

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def engine(self) -> Any:
        """The running ``AsyncLLM`` (``None`` before :meth:`start` or after :meth:`aclose`)."""
        return self._engine

    @property
    def device(self) -> str | None:
        """Where the engine runs (``cpu``, ``cuda`` ...) once started, else ``None``."""
        if self._engine is None:
            return None
        from vllm.platforms import current_platform

        return str(current_platform.device_type)

    async def start(self) -> None:
        """Build the engine (tens of seconds on CPU); later calls return at once.

        The build runs in a worker thread, so the event loop keeps serving meanwhile. A
        caller cancelled during the build waits for it to end; the new engine is then shut
        down, not left running.

        Raises:
            BackendUnavailableError: vLLM is not installed or the engine failed to start.
        """
        async with self._start_lock:
            if self._engine is not None:
                return
            model = self.options.model
            if model is None:
                from langgraph_scaling.models.embedded import default_model_path

                model = str(default_model_path())
            self._model_name = Path(model).name
            # Built in a worker thread so the event loop keeps running meanwhile (tens of
            # seconds). AsyncLLM supports this: outside a running loop it defers its output
            # handler to the first request. The thread runs to its end even when the caller
            # is cancelled; ``built`` keeps the engine it made so that it can be shut down.
            built: list[Any] = []
            self._log_start = log_size(self.log_path)
            try:
                await anyio.to_thread.run_sync(
                    lambda: built.append(build_engine(self.options, model, self.log_path))
                )
                self._engine = built[0]
                # The engine core does not watch this process: should it die without
                # aclose() (a plain kill), the watchdog stops the engine's processes.
                self._reaper = Reaper.arm([p.pid for p in core_processes(self._engine)])
                self._tokenizer = await anyio.to_thread.run_sync(self._engine.get_tokenizer)
                # One round trip to the engine core from this loop: its output task now runs
                # here, and an engine that died while starting fails now, not mid-step.
                await self._engine.is_sleeping()
            except BaseException as exc:  # cancellation too: no half-started engine is kept
                self._engine = built[0] if built else None
                await self.aclose()
                if isinstance(exc, Exception) and not isinstance(exc, BackendError):
                    where = f"; its log: {self.log_path}" if self.log_path else ""
                    raise BackendUnavailableError(
                        f"The vLLM engine for {model!r} failed to start: {exc}{where}"
                    ) from exc
                raise
            finally:
                built.clear()  # the closure outlives this call; the engine must not

    async def aclose(self) -> None:
        """Shut the engine down (its processes exit); safe to call twice.

        Also after the engine died: :meth:`start` then builds a new one in this process.
        """
        engine, self._engine = self._engine, None
        reaper, self._reaper = self._reaper, None
        with anyio.CancelScope(shield=True):
            if reaper is not None:
                await anyio.to_thread.run_sync(reaper.disarm)
            if engine is not None:
                await shutdown_engine(engine)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- sampling ------------------------------------------------------------------------

    def render_prompt(self, request: SampleRequest) -> list[int]:
        """Token ids of the chat prompt (template applied with the request's tools)."""
        if self._tokenizer is None:
            raise BackendError("The vLLM engine is not started; call start() first.")
        messages = to_template_messages(request.messages)
        tools = [dict(t) for t in request.tools] or None
        try:
            encoded = self._tokenizer.apply_chat_template(
                messages, tools=tools, add_generation_prompt=True, tokenize=True
            )
        except Exception as exc:
            raise BackendError(f"Applying the chat template failed: {exc}") from exc
        if isinstance(encoded, Mapping):
            encoded = encoded["input_ids"]
        return [int(t) for t in encoded]

    async def sample(self, request: SampleRequest, emit: Emit) -> None:
        """Generate ``request.n`` samples, emitting each as its sequence finishes.

        Raises:
            BackendError: the engine rejected or failed the request.
        """
        await self.start()
        prompt = self.render_prompt(request)
        runs = seed_runs(request.seeds, request.n)
        if len(runs) == 1:
            await self._run(request, prompt, *runs[0], emit)
            return
        async with anyio.create_task_group() as tg:
            for first, count, seed in runs:
                tg.start_soon(self._run, request, prompt, first, count, seed, emit)

    async def _run(
        self,
        request: SampleRequest,
        prompt: list[int],
        first: int,
        count: int,
        seed: int | None,
        emit: Emit,
    ) -> None:
        """One engine request for branches ``first .. first + count - 1``."""
        params = self._sampling_params(request, count, seed)
        request_id = f"lgs-{uuid.uuid4().hex}"
        prompt_counted = False
        emitted: set[int] = set()
        generator = self._engine.generate({"prompt_token_ids": prompt}, params, request_id)
        async with aclosing(generator):
            while True:
                try:
                    output = await anext(generator)
                except StopAsyncIteration:
                    break
                except Exception as exc:
                    raise engine_failure(
                        exc, request_id, self._engine, self.log_path, since=self._log_start
                    ) from exc
                for completion in output.outputs:
                    if completion.finish_reason is None or completion.index in emitted:
                        continue
                    emitted.add(completion.index)
                    tokens_in = 0 if prompt_counted else len(prompt)
                    prompt_counted = True
                    await emit(self._to_sample(request, completion, first, tokens_in, seed))

    def _sampling_params(self, request: SampleRequest, count: int, seed: int | None) -> Any:
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind

        extra = sampling_options(request)  # a forced tool choice: structured outputs
        try:
            return SamplingParams(
                n=count,
                seed=seed,
                temperature=request.temperature,
                max_tokens=request.max_tokens,
                logprobs=request.logprobs,
                output_kind=RequestOutputKind.CUMULATIVE,
                **extra,
            )
        except (TypeError, ValueError) as exc:
            raise BackendError(f"Invalid sampling options {extra!r}: {exc}") from exc

    def _to_sample(
        self, request: SampleRequest, completion: Any, first: int, tokens_in: int, seed: int | None
    ) -> Sample:
        index = first + completion.index
        tokens_out = len(completion.token_ids)
        metadata: dict[str, Any] = {
            "model_name": self._model_name,
            "finish_reason": completion.finish_reason,
            "seed": None if seed is None else seed + completion.index,
        }
        message = parse_output(
            self.options.tool_parser,
            self._tokenizer,
            request,
            completion.text,
            metadata,
            tokens=(tokens_in, tokens_out),
        )
        finish = completion.finish_reason
        if message.tool_calls and finish == "stop":
            finish = "tool_calls"
            metadata["finish_reason"] = finish
            message.response_metadata["finish_reason"] = finish
        return Sample(
            index=index,
            message=message,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            finish_reason=finish,
            logprobs=token_logprobs(completion.token_ids, completion.logprobs, request.logprobs),
        )


def token_logprobs(
    token_ids: Sequence[int], positions: Sequence[Any] | None, k: int | None
) -> tuple[TokenLogprob, ...] | None:
    """vLLM's per-position ``{token_id: Logprob}`` as :class:`TokenLogprob` s.

    vLLM returns the sampled token at every position, plus the ``k`` most likely (by
    ``rank``); ``top`` keeps those ``k``, most likely first.

    Example:
        >>> from types import SimpleNamespace as L
        >>> pos = [{7: L(logprob=-0.1, rank=1, decoded_token="a"),
        ...         9: L(logprob=-2.5, rank=2, decoded_token="b")}]
        >>> token_logprobs([7], pos, 1)
        (TokenLogprob(token='a', logprob=-0.1, top=(('a', -0.1),)),)
    """
    if k is None or positions is None:
        return None
    out = []
    for token_id, position in zip(token_ids, positions, strict=False):
        if not position:
            continue
        ranked = sorted(position.values(), key=lambda lp: lp.rank or 0)
        top = tuple((lp.decoded_token or "", float(lp.logprob)) for lp in ranked[:k])
        chosen = position.get(token_id)
        logprob = float(chosen.logprob) if chosen is not None else float("-inf")
        token = chosen.decoded_token or "" if chosen is not None else ""
        out.append(TokenLogprob(token=token, logprob=logprob, top=top))
    return tuple(out)
