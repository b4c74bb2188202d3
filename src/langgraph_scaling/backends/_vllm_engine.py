"""Building, logging, shutting down and diagnosing the in-process vLLM engine (``AsyncLLM``).

**Scheduler on CPU.** vLLM's V1 scheduler splits a prompt across steps when the step's token
budget is full (chunked prefill). For a *seeded* request whose prefill was split, the model
runner rewinds the request's random generator after the partial step
(``GPUModelRunner._bookkeeping_sync``: ``gen.set_offset(gen.get_offset() - 4)`` for every
request in ``discard_request_mask``, i.e. ``num_computed + num_scheduled < num_tokens``).
CUDA generators (Philox) have an offset; CPU generators do not, and ``get_offset()`` raises
``RuntimeError: CPU Generator does not use offset`` in the worker, which kills the engine.
So on CPU the engine runs without chunked prefill (the scheduler then takes a prompt whole
or not at all, and never marks a request for discarding), with a step budget of
``max(8192, max_model_len)`` tokens (vLLM requires at least ``max_model_len``). On GPU the
offset exists, the rewind works, and vLLM's defaults stay. ``vllm serve`` needs the same
flags on CPU: :data:`CPU_SERVE_ARGS`.

**Logs.** With a log file, vLLM's loggers (in this process and in the engine's processes)
write to it, and the engine's processes inherit it as their stderr (warnings, progress bars,
tracebacks, interpreter-exit messages), so the terminal keeps only what the caller prints.

**Shutdown.** vLLM's output task is cancelled first, on the event loop, then the engine core
is stopped with a grace period long enough for it to stop its worker: else the output task
sees the closing sockets and logs an ``EngineDeadError``, and the core is force-killed.

Example:
    >>> CPU_SERVE_ARGS
    ('--no-enable-chunked-prefill', '--max-num-batched-tokens', '8192')
    >>> cpu_scheduler_args(4096)
    {'enable_chunked_prefill': False, 'max_num_batched_tokens': 8192}
    >>> error_lines("x\\nRuntimeError: CPU Generator does not use offset\\n")
    ['RuntimeError: CPU Generator does not use offset']
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import sys
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import anyio
import anyio.lowlevel
from pydantic import BaseModel, ConfigDict, Field

from langgraph_scaling.backends._cpu import cpu_thread_env
from langgraph_scaling.errors import BackendError, BackendUnavailableError

__all__ = [
    "CPU_SERVE_ARGS",
    "VLLMOptions",
    "build_engine",
    "core_processes",
    "cpu_scheduler_args",
    "default_log_path",
    "engine_failure",
    "error_lines",
    "log_size",
    "log_tail",
    "shutdown_engine",
]

CPU_BATCHED_TOKENS = 8192
"""Step token budget on CPU (whole prompts of several concurrent steps fit in one step)."""

CPU_SERVE_ARGS: tuple[str, ...] = (
    "--no-enable-chunked-prefill",
    "--max-num-batched-tokens",
    str(CPU_BATCHED_TOKENS),
)
"""``vllm serve`` flags for CPU: seeded requests must never have their prefill split."""

SHUTDOWN_GRACE_S = 30.0
"""How long the engine core may take to stop its worker before it is killed."""

_CONFIG_ENV = "VLLM_LOGGING_CONFIG_PATH"
_counter = itertools.count()
_redirect_lock = threading.Lock()
_ERROR_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?([A-Z]\w*(?:Error|Exception)): (.+)$")
_ENGINE_DEATH = ("EngineDeadError", "EngineGenerateError")
_WORKER_DIED = re.compile(r"Worker proc (\S+) died unexpectedly \(exit code: (-?\d+)\)")


class VLLMOptions(BaseModel):
    """How the in-process engine is built.

    Example:
        >>> VLLMOptions(model="/m", kv_cache_gib=2).kv_cache_gib
        2.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str | None = None
    """Model directory or hub id; ``None``: the embedded default model (must be prepared)."""
    dtype: str = "bfloat16"
    """Weights and activations dtype (``bfloat16``, ``float16``, ``auto`` ...)."""
    max_model_len: int | None = Field(default=4096, gt=0)
    """Context length; ``None``: the model's own (large contexts cost KV cache)."""
    kv_cache_gib: float | None = Field(default=None, gt=0)
    """KV cache size in GiB; ``None``: vLLM's default (``VLLM_CPU_KVCACHE_SPACE`` on CPU)."""
    gpu_memory_utilization: float | None = Field(default=None, gt=0, le=1)
    """Fraction of GPU memory for the engine; ``None``: vLLM's default."""
    max_num_seqs: int | None = Field(default=None, gt=0)
    """Most sequences decoded together; ``None``: vLLM's default."""
    enforce_eager: bool = False
    """Skip graph compilation (faster start, slower decoding)."""
    tool_parser: str | None = "hermes"
    """vLLM tool parser name (``hermes`` fits Qwen2.5); ``None``: tool calls stay text."""
    engine_kwargs: Mapping[str, Any] = Field(default_factory=dict)
    """More ``AsyncEngineArgs`` fields, passed through unchanged (they win over the CPU
    scheduler defaults: ``enable_chunked_prefill=False``, ``max_num_batched_tokens``)."""
    log_file: Path | Literal["auto"] | None = "auto"
    """Where the engine's own output goes: vLLM's loggers here and in its processes, and
    those processes' stderr. ``"auto"``: a new file under ``~/.cache/langgraph-scaling/logs``
    (``$LANGGRAPH_SCALING_CACHE/logs``); ``None``: vLLM's default (the terminal)."""


def cpu_scheduler_args(max_model_len: int | None) -> dict[str, Any]:
    """``AsyncEngineArgs`` for CPU: no chunked prefill, a step budget that fits a prompt."""
    args: dict[str, Any] = {"enable_chunked_prefill": False}
    if max_model_len is not None:  # else vLLM raises the budget to the model's own length
        args["max_num_batched_tokens"] = max(CPU_BATCHED_TOKENS, max_model_len)
    return args


def default_log_path() -> Path:
    """A new file name under ``$LANGGRAPH_SCALING_CACHE/logs`` (``~/.cache/...`` by default).

    Example:
        >>> default_log_path().name.startswith("engine-")
        True
    """
    from langgraph_scaling.models.embedded import default_cache_dir

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"engine-{stamp}-{os.getpid()}-{next(_counter)}.log"
    return default_cache_dir().parent / "logs" / name


def _logging_config(log_path: Path) -> Path:
    """Write a ``dictConfig`` routing vLLM's loggers to ``log_path``; return its path."""
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s"}
        },
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "filename": str(log_path),
                "mode": "a",
                "formatter": "plain",
                "encoding": "utf-8",
            }
        },
        "loggers": {
            "vllm": {
                "handlers": ["file"],
                "level": os.environ.get("VLLM_LOGGING_LEVEL", "INFO").upper(),
                "propagate": False,
            }
        },
    }
    path = log_path.with_suffix(".logging.json")
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@contextmanager
def _engine_output_to(log_path: Path | None) -> Iterator[Path | None]:
    """While the engine is built: vLLM's logging config and this process's stderr → the log.

    The engine's processes are started meanwhile and keep both; this process gets its stderr
    and environment back afterwards. Yields the logging config file (``None``: no log).
    """
    if log_path is None:
        yield None
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    config = _logging_config(log_path)
    with _redirect_lock:
        saved_env = {k: os.environ.get(k) for k in ("VLLM_CONFIGURE_LOGGING", _CONFIG_ENV)}
        os.environ.update({"VLLM_CONFIGURE_LOGGING": "1", _CONFIG_ENV: str(config)})
        sys.stderr.flush()
        saved_fd = os.dup(2)
        log_fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.dup2(log_fd, 2)
            yield config
        finally:
            sys.stderr.flush()
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            os.close(log_fd)
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            config.unlink(missing_ok=True)  # read by then: at import and at engine start


def _engine_args(options: VLLMOptions, model: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "model": model,
        "dtype": options.dtype,
        "max_model_len": options.max_model_len,
        "enforce_eager": options.enforce_eager,
        "disable_log_stats": True,
    }
    if options.kv_cache_gib is not None:
        kwargs["kv_cache_memory_bytes"] = int(options.kv_cache_gib * 2**30)
    if options.gpu_memory_utilization is not None:
        kwargs["gpu_memory_utilization"] = options.gpu_memory_utilization
    if options.max_num_seqs is not None:
        kwargs["max_num_seqs"] = options.max_num_seqs
    return kwargs


def build_engine(options: VLLMOptions, model: str, log_path: Path | None) -> Any:
    """Create the ``AsyncLLM`` (imports vLLM here, its output going to ``log_path``)."""
    for key, value in cpu_thread_env().items():
        os.environ.setdefault(key, value)
    if Path(model).is_dir():  # a local model must never make vLLM reach for a hub
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if os.environ.get(_CONFIG_ENV) or os.environ.get("VLLM_CONFIGURE_LOGGING") == "0":
        log_path = None  # the user configured vLLM's logging: leave it alone
    with _engine_output_to(log_path) as config, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from vllm.config import LoggingConfig
            from vllm.engine.arg_utils import AsyncEngineArgs
            from vllm.platforms import current_platform
            from vllm.v1.engine.async_llm import AsyncLLM
        except ImportError as exc:
            raise BackendUnavailableError(
                "vLLM is not installed; install `langgraph-scaling[cpu]` (CPU) or "
                f"`langgraph-scaling[gpu]` (GPU). ({exc})"
            ) from exc
        kwargs = _engine_args(options, model)
        if current_platform.is_cpu():
            kwargs.update(cpu_scheduler_args(options.max_model_len))
        if config is not None:
            kwargs["logging_config"] = LoggingConfig(pylogging_config_file=str(config))
        kwargs.update(options.engine_kwargs)
        return AsyncLLM.from_engine_args(AsyncEngineArgs(**kwargs))


async def shutdown_engine(engine: Any) -> None:
    """Stop ``engine``: its output task first (on this loop), then its processes."""
    handler = getattr(engine, "output_handler", None)
    if isinstance(handler, asyncio.Task) and not handler.done():
        handler.cancel()
        with suppress(Exception):  # it ends cancelled; nothing of it is needed any more
            await asyncio.wait({handler}, timeout=5)
    await anyio.to_thread.run_sync(lambda: engine.shutdown(timeout=SHUTDOWN_GRACE_S))
    # vLLM closes its sockets on the loop soon after; let it, then end the ZMQ context it
    # leaves open (else a ResourceWarning fires when it is collected).
    for _ in range(3):
        await anyio.lowlevel.checkpoint()
    ctx = getattr(getattr(engine, "engine_core", None), "ctx", None)
    for context in (getattr(ctx, "_shadow_obj", None), ctx):
        if context is not None and not getattr(context, "closed", True):
            with suppress(Exception):  # cleanup of an engine already shut down
                context.destroy(linger=0)


def log_size(log_path: Path | None) -> int:
    """The log's size now (where a new engine's lines will start)."""
    try:
        return log_path.stat().st_size if log_path is not None else 0
    except OSError:
        return 0


def log_tail(log_path: Path | None, lines: int = 40, *, since: int = 0) -> list[str]:
    """The last ``lines`` lines of the engine log after byte ``since`` (``[]`` without one)."""
    if log_path is None:
        return []
    try:
        with log_path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(since, f.tell() - 256 * 1024))
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]


def error_lines(text: str) -> list[str]:
    """Why the engine died, from its log: dead worker processes first, then the
    ``Type: message`` lines of tracebacks (engine-death wrappers left out).

    Example:
        >>> error_lines("Worker proc VllmWorker-0 died unexpectedly (exit code: -9), ...")
        ['its worker process VllmWorker-0 was killed by SIGKILL (e.g. the out-of-memory killer)']
    """
    found, workers = [], []
    for line in text.splitlines():
        if died := _WORKER_DIED.search(line):
            workers.append(f"its worker process {died[1]} {_ended(int(died[2]))}")
        m = _ERROR_LINE.match(line.strip())
        if m and m[1] not in _ENGINE_DEATH:
            found.append(f"{m[1]}: {m[2]}")
    return workers + found


def _ended(code: int) -> str:
    """How a process with exit status ``code`` ended (negative: killed by that signal)."""
    if code >= 0:
        return f"exited with status {code}"
    import signal

    name = signal.Signals(-code).name
    return f"was killed by {name}" + (" (e.g. the out-of-memory killer)" if code == -9 else "")


def core_processes(engine: Any) -> list[Any]:
    """An ``AsyncLLM``'s engine-core processes (``multiprocessing`` handles; none when the
    core runs in this process)."""
    manager = getattr(getattr(engine, "engine_core", None), "resources", None)
    return list(getattr(getattr(manager, "engine_manager", None), "processes", None) or [])


def _core_exit(engine: Any) -> str | None:
    """How the engine-core process ended, if it did."""
    codes = [p.exitcode for p in core_processes(engine) if p.exitcode is not None]
    return f"its engine-core process {_ended(codes[0])}" if codes else None


def engine_failure(
    exc: Exception, request_id: str, engine: Any, log: Path | None, *, since: int = 0
) -> BackendError:
    """Map a vLLM exception to the package's errors; a dead engine names its cause and log.

    ``since``: where this engine's lines start in the log (it may hold an earlier engine's).
    """
    from vllm.v1.engine.exceptions import EngineDeadError

    if not isinstance(exc, EngineDeadError) and not getattr(engine, "errored", False):
        detail = exc.__cause__ if isinstance(exc.__cause__, Exception) and not str(exc) else exc
        return BackendError(f"vLLM failed request {request_id}: {type(detail).__name__}: {detail}")
    causes = error_lines("\n".join(log_tail(log, 400, since=since)))
    how = [c for c in (causes[0] if causes else None, _core_exit(engine)) if c]
    cause = f" ({'; '.join(how)})" if how else ""
    where = f" Its log: {log}." if log is not None else ""
    return BackendUnavailableError(
        f"The vLLM engine died during request {request_id}{cause}; aclose() and start() the "
        f"backend to get a new one.{where}"
    )
