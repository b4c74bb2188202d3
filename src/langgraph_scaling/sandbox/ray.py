"""``RaySandbox``: sandboxed runs as Ray tasks, each isolated on its worker as it is locally.

A drop-in :class:`~langgraph_scaling.sandbox.Sandbox` (every executing verifier takes one)
whose :meth:`~RaySandbox.run` ships the run to a Ray cluster: the task builds a local
``Sandbox`` with the same settings on the worker and runs it there, so namespaces, the
read-only root, seccomp, the per-run uid, rlimits and cgroups hold on every worker. Host
``Path`` file specs are read on the driver and rebuilt on the worker (they share no disk).

Ray is imported on the first run, not with this module: without the ``ray`` extra the
package works and only a run raises. The worker side is
:mod:`langgraph_scaling.sandbox._ray_worker`.

Example:
    >>> box = RaySandbox(SandboxLimits(timeout_s=30), address="auto", num_cpus=1)
    >>> box.options.address, box.options.max_retries
    ('auto', 1)
    >>> RaySandbox(num_cpus=0)
    Traceback (most recent call last):
    ...
    langgraph_scaling.errors.ConfigError: RayOptions.num_cpus=0 is invalid: must be greater than 0.
"""

from __future__ import annotations

import contextlib
import functools
import math
import socket
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from pathlib import Path
from typing import Any

import anyio
from pydantic import Field, StrictInt

from langgraph_scaling._validation import ConfigModel, Number
from langgraph_scaling.errors import SandboxError
from langgraph_scaling.sandbox._limits import SandboxLimits, SandboxResult
from langgraph_scaling.sandbox._ray_worker import RunCall, WorkerFailure, WorkerSettings, execute
from langgraph_scaling.sandbox._runner import FileSpec, Sandbox
from langgraph_scaling.sandbox._shipping import pack_files

__all__ = ["RayOptions", "RaySandbox"]

# How long a cancelled run's worker may take to stop it before the worker is killed.
_CANCEL_GRACE_S = 2.0
# How long a cluster address may take to accept a connection before joining gives up.
_CONNECT_S = 10.0
# Ray errors that mean the worker (or its node) went away while it ran the task.
_DIED = ("WorkerCrashedError", "NodeDiedError", "LocalRayletDiedError", "OwnerDiedError")


class RayOptions(ConfigModel):
    """Where and how :class:`RaySandbox` runs its tasks.

    Example:
        >>> RayOptions(address="ray://head:10001").num_cpus
        1.0
    """

    address: str | None = None
    """The cluster: ``None`` does what ``ray.init()`` does (``RAY_ADDRESS``, else a cluster
    started on this machine, else a new local one), ``"auto"`` joins the one ``ray start``
    made here, ``"ray://host:10001"`` goes through Ray Client, ``"host:6379"`` joins as a
    driver. Ignored when Ray is already initialized in this process."""
    num_cpus: Number = Field(default=1.0, gt=0, allow_inf_nan=False)
    """CPUs each run asks Ray for."""
    max_retries: StrictInt = Field(default=1, ge=0)
    """Reruns of a run whose worker died (a crash, a lost node); then ``SandboxError``."""
    max_upload_mb: Number = Field(default=64.0, gt=0, allow_inf_nan=False)
    """Size of all the files of one run (text, bytes and host paths) shipped to a worker."""


class RaySandbox(Sandbox):
    """A sandbox whose runs execute as Ray tasks, each in a local sandbox on its worker.

    Every worker needs the same interpreter at the same path as the driver (``python``
    names it in the runs' command lines), langgraph-scaling installed for it, and the
    ``expose`` paths at the same places. Each run asks Ray for ``num_cpus`` CPUs and, when
    its limits set ``memory_mb``, that much of Ray's ``memory`` resource.

    Args:
        limits: default limits of every run (enforced on the worker).
        address: the Ray cluster (see :attr:`RayOptions.address`); joined on the first run.
        num_cpus: CPUs each run asks Ray for.
        max_retries: reruns of a run whose worker died.
        max_upload_mb: cap on the files one run ships.
        python: interpreter for :meth:`run_python` (this one by default), on every worker.
        packages: distributions the programs may import (found on the worker).
        expose: further host paths shown read-only (on the worker).
        max_concurrency: runs in flight at once (default: the cluster's CPUs when first
            joined, divided by ``num_cpus``).
        workdir_root: where work directories are made on the worker (its temp dir).
        require_isolation: the worker raises instead of warning without namespaces.

    Example:
        >>> from langgraph_scaling.verifiers import UnitTestVerifier
        >>> box = RaySandbox(max_concurrency=8)
        >>> UnitTestVerifier("assert f() == 1", sandbox=box).sandbox is box
        True
    """

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        *,
        address: str | None = None,
        num_cpus: float = 1.0,
        max_retries: int = 1,
        max_upload_mb: float = 64.0,
        python: str | None = None,
        packages: Sequence[str] = (),
        expose: Sequence[str | Path] = (),
        max_concurrency: int | None = None,
        workdir_root: str | Path | None = None,
        require_isolation: bool = False,
    ) -> None:
        self.options = RayOptions(
            address=address,
            num_cpus=num_cpus,
            max_retries=max_retries,
            max_upload_mb=max_upload_mb,
        )
        super().__init__(
            limits,
            python=python,
            packages=packages,
            expose=expose,
            max_concurrency=max_concurrency,
            workdir_root=workdir_root,
            require_isolation=require_isolation,
        )
        self._settings = WorkerSettings(
            python=self.python,
            packages=self.packages,
            expose=self.expose,
            workdir_root=str(workdir_root) if workdir_root is not None else None,
            require_isolation=require_isolation,
        )
        self._sized = max_concurrency is not None
        self._task: Any = None
        self._connecting = threading.Lock()
        # One thread waits on each run in flight; the runs are bounded by the limiter.
        self._waiters = anyio.CapacityLimiter(math.inf)

    def share_limiter(self, other: Sandbox) -> None:
        """Count this sandbox's runs against ``other``'s limit (left as it is)."""
        super().share_limiter(other)
        self._sized = True

    async def run(
        self,
        argv: Sequence[str],
        *,
        stdin: str | bytes | None = None,
        files: Mapping[str, FileSpec] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the program's deadline
        limits: SandboxLimits | None = None,
        env: Mapping[str, str] | None = None,
        channel_in: bytes | None = None,
        channel_out: bool = False,
    ) -> SandboxResult:
        """Run ``argv`` as a Ray task, in a fresh sandbox on a worker; how it ended.

        Takes what :meth:`Sandbox.run` takes. Cancelling the caller cancels the task
        and returns once the program is gone (the worker kills it; a worker that does not
        within 2 s is itself killed, and the program with it).

        Raises:
            SandboxError: Ray could not be reached or the worker died after every retry
                (stage ``"executor"``), or the worker's sandbox could not run the program
                (its own stage).
            ConfigError: a bad argument, or files over ``max_upload_mb``.
        """
        lim = self._checked_limits(argv, channel_in, limits, timeout)
        max_bytes = int(self.options.max_upload_mb * 2**20)
        pack = functools.partial(pack_files, files or {}, max_bytes=max_bytes)
        call = RunCall(
            argv=list(argv),
            stdin=stdin.encode() if isinstance(stdin, str) else stdin,
            files=await anyio.to_thread.run_sync(pack),
            limits=lim,
            env=dict(env or {}),
            channel_in=channel_in,
            channel_out=channel_out,
        )
        task = await self._connect()
        async with self._limiter:
            ref = task.options(**self._resources(lim)).remote(self._settings, call)
            reply = await self._wait(ref, str(argv[0]))
        if isinstance(reply, WorkerFailure):
            raise reply.error()
        return reply

    def _resources(self, limits: SandboxLimits) -> dict[str, Any]:
        asked: dict[str, Any] = {
            "num_cpus": self.options.num_cpus,
            "max_retries": self.options.max_retries,
        }
        if limits.memory_mb is not None:
            asked["memory"] = limits.memory_mb * 2**20
        return asked

    async def _connect(self) -> Any:
        """The remote function, after joining the cluster (once, in a thread)."""
        if self._task is None:
            cpus = await anyio.to_thread.run_sync(self._join, abandon_on_cancel=True)
            if not self._sized:
                self._limiter.total_tokens = max(1, int(cpus // self.options.num_cpus))
                self._sized = True
        return self._task

    def _join(self) -> float:
        ray = _import_ray()
        with self._connecting:
            try:
                if not ray.is_initialized():
                    _reachable(self.options.address)
                    ray.init(address=self.options.address)
                cpus = float(ray.cluster_resources().get("CPU", 0.0))
            except Exception as exc:  # any failure to join means no run can happen
                where = self.options.address or "the default address"
                raise SandboxError(
                    f"Ray could not be joined at {where}: {type(exc).__name__}: {exc}.",
                    stage="executor",
                ) from exc
            if self._task is None:
                self._task = ray.remote(execute)
        return cpus

    async def _wait(self, ref: Any, argv0: str) -> SandboxResult | WorkerFailure:
        """The task's reply; when the caller is cancelled, the task is stopped first."""
        ray = _import_ray()
        future = ref.future()
        try:
            reply: SandboxResult | WorkerFailure = await anyio.to_thread.run_sync(
                future.result, abandon_on_cancel=True, limiter=self._waiters
            )
        except ray.exceptions.RayError as exc:
            raise _executor_error(exc, argv0, self.options.max_retries) from exc
        finally:
            if not future.done():
                with anyio.CancelScope(shield=True):
                    await _stop(ray, ref, future, self._waiters)
        return reply


async def _stop(ray: Any, ref: Any, future: Future[Any], threads: anyio.CapacityLimiter) -> None:
    """Cancel the task: first an interrupt, then, if it has not ended, kill its worker.

    The interrupt unwinds the worker's sandbox (it kills the program's tree and removes
    the run's files) and keeps the worker for the next run; a worker that has not ended
    the task within ``_CANCEL_GRACE_S`` is killed, and the kernel kills the program with it.
    Ray errors are not raised here: the caller's cancellation is what propagates.
    """
    with contextlib.suppress(Exception):
        ray.cancel(ref)
    with anyio.move_on_after(_CANCEL_GRACE_S):
        await anyio.to_thread.run_sync(
            wait_futures, [future], abandon_on_cancel=True, limiter=threads
        )
    if not future.done():
        with contextlib.suppress(Exception):
            ray.cancel(ref, force=True)


def _reachable(address: str | None) -> None:
    """Fail fast on a ``host:port`` (or ``ray://host:port``) nothing listens on.

    ``ray.init`` retries such an address for minutes; ``None`` and ``"auto"`` are
    resolved by Ray itself on this machine.
    """
    host, _, port = (address or "").removeprefix("ray://").rpartition(":")
    if host and port.isdigit():
        with socket.create_connection((host.strip("[]"), int(port)), timeout=_CONNECT_S):
            pass


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise SandboxError(
            f"Ray is not installed; install `langgraph-scaling[ray]`. ({exc})", stage="executor"
        ) from exc
    return ray


def _executor_error(exc: Exception, argv0: str, retries: int) -> SandboxError:
    """What a Ray error means for the run, as a ``SandboxError`` at stage ``executor``."""
    name = type(exc).__name__
    cause = getattr(exc, "cause", None)
    detail = (str(cause if cause is not None else exc).strip().splitlines() or [""])[0][:300]
    if any(died in {c.__name__ for c in type(exc).__mro__} for died in _DIED):
        tries = "max_retries=0 allows no rerun" if retries == 0 else f"on all {retries + 1} tries"
        what = f"the Ray worker running {argv0!r} died ({name}; {tries})"
    elif name == "TaskCancelledError":
        what = f"the Ray task running {argv0!r} was cancelled outside this sandbox"
    elif name == "RayTaskError" or cause is not None:
        what = f"the Ray task running {argv0!r} failed on its worker: {detail}"
    else:
        what = f"Ray could not run {argv0!r}: {name}: {detail}"
    return SandboxError(f"The sandbox could not run: {what}.", stage="executor", argv0=argv0)
