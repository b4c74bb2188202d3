"""Start and stop vllm-router in front of several OpenAI-compatible replicas (tests, benchmarks).

The router (``vllm-router``, the ``router`` extra) runs as a child process in its own
process group on loopback, with its own Prometheus port (its default, 29000, would clash
between runs), and is ready once ``GET /readiness`` says every worker is healthy.
Leaving the context kills its group.

Not part of the package: tests import it as ``tests._vllm_router``, benchmarks put the
repository root on ``sys.path`` first.

Example:
    >>> router = VLLMRouter(["http://127.0.0.1:8001/v1", "http://127.0.0.1:8002"], port=9100)
    >>> router.base_url, router.workers
    ('http://127.0.0.1:9100/v1', ['http://127.0.0.1:8001', 'http://127.0.0.1:8002'])
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from langgraph_scaling.errors import BackendUnavailableError
from tests._vllm_server import ManagedProcess, free_port

__all__ = ["VLLMRouter", "router_executable", "scrape"]


def router_executable() -> str | None:
    """The ``vllm-router`` script beside this interpreter, else on ``PATH``, else ``None``."""
    beside = Path(sys.executable).parent / "vllm-router"
    return str(beside) if beside.exists() else shutil.which("vllm-router")


def scrape(url: str, names: Sequence[str], *, timeout: float = 5) -> dict[str, float]:
    """Prometheus text at ``url``: each metric in ``names`` summed over its label sets."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        text = response.read().decode()
    totals = dict.fromkeys(names, 0.0)
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name in totals:
            totals[name] += float(line.rsplit(" ", 1)[1])
    return totals


class VLLMRouter(ManagedProcess):
    """A ``vllm-router`` child process on loopback; a sync or async context manager.

    Args:
        workers: the replicas' URLs (``http://host:port``; a trailing ``/v1`` is dropped).
        policy: the router's ``--policy`` (``consistent_hash`` hashes ``X-Session-ID``).
        port: the router's port (``None``: a free one).
        extra_args: more router flags (``--cb-failure-threshold 3`` ...).
        log_path: file for the router's output (default: discarded).
        log_level: the router's ``--log-level`` (``info`` logs every routing decision).
        startup_timeout: seconds to wait until every worker is healthy.
    """

    stop_grace = 5.0

    def __init__(
        self,
        workers: Sequence[str],
        *,
        policy: str = "consistent_hash",
        port: int | None = None,
        extra_args: Sequence[str] = (),
        log_path: str | Path | None = None,
        log_level: str = "info",
        startup_timeout: float = 60,
    ) -> None:
        self.workers = [w.removesuffix("/").removesuffix("/v1") for w in workers]
        self.policy = policy
        self.port = port if port is not None else free_port()
        self.prometheus_port = free_port()
        self.extra_args = list(extra_args)
        self.log_path = Path(log_path) if log_path is not None else None
        self.log_level = log_level
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL clients use (``http://127.0.0.1:PORT/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        """The router process's id, ``None`` when not running."""
        return self._process.pid if self._process is not None else None

    @property
    def metrics_url(self) -> str:
        """The router's own Prometheus metrics (``vllm_router_processed_requests_total`` ...)."""
        return f"http://127.0.0.1:{self.prometheus_port}/metrics"

    def command(self) -> list[str]:
        """The router's command line."""
        exe = router_executable()
        if exe is None:
            raise BackendUnavailableError(
                "vllm-router is not installed; install `langgraph-scaling[router]`."
            )
        return [
            exe, "--host", "127.0.0.1", "--port", str(self.port),
            "--worker-urls", *self.workers, "--policy", self.policy,
            "--prometheus-host", "127.0.0.1", "--prometheus-port", str(self.prometheus_port),
            "--worker-startup-check-interval", "1", "--log-level", self.log_level,
            *self.extra_args,
        ]  # fmt: skip

    def start(self) -> str:
        """Start the router, wait until it sees every worker healthy; return :attr:`base_url`.

        Raises:
            BackendUnavailableError: the router exited or its workers did not become healthy.
        """
        command = self.command()
        self._log = self.log_path.open("wb") if self.log_path else None
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self._log else subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def readiness(self) -> dict[str, object]:
        """The router's ``GET /readiness`` answer (``healthy_workers``, ``total_workers``)."""
        url = f"http://127.0.0.1:{self.port}/readiness"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as exc:  # 503 while workers are missing
            return dict(json.loads(exc.read() or b"{}"))

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                where = f"; see {self.log_path}" if self.log_path else ""
                raise BackendUnavailableError(
                    f"vllm-router exited with status {self._process.returncode} "
                    f"while starting{where}."
                )
            try:
                if self.readiness().get("healthy_workers") == len(self.workers):
                    return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.2)
        raise BackendUnavailableError(
            f"vllm-router on port {self.port} did not see its {len(self.workers)} workers "
            f"healthy within {self.startup_timeout:g} s."
        )
