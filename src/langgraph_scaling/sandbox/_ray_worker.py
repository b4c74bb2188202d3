"""One sandboxed run on a Ray worker: a local ``Sandbox``, tied to the worker's life.

:func:`execute` is the body of the Ray task that :class:`~langgraph_scaling.sandbox.ray.
RaySandbox` submits. It builds a local sandbox with the driver's settings, so the run gets
the worker machine's namespaces, read-only root, seccomp filter, uid, rlimits and cgroups,
exactly as a local run would. Three things differ from a run in the driver's own process:

* the run's process tree is tied to the worker: ``setpriv --pdeathsig KILL`` (or a tiny
  Python shim where ``setpriv`` is missing) goes in front of the sandbox's launcher, so when
  Ray kills the worker (a forced cancel, a crash, a lost node) the kernel kills the run
  too, instead of leaving the program to run past its deadline;
* a worker that inherited ``SIGINT`` ignored gets Python's handler back, so that Ray's
  cancel (a simulated ``SIGINT``) interrupts the run and the sandbox cleans up;
* work directories live under a per-worker folder (``lgs-ray-<pid>``); the folders of
  workers that died are removed by the next worker that starts on the machine.

This module does not import Ray; the worker only needs langgraph-scaling installed.

Example:
    >>> failure = WorkerFailure("sandbox", "The sandbox could not start 'pytest'.",
    ...                         "node-3 pid 4242", stage="exec", argv0="pytest")
    >>> err = failure.error()
    >>> err.stage, str(err)
    ('exec', "The sandbox could not start 'pytest' (on the Ray worker at node-3 pid 4242).")
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import anyio

from langgraph_scaling.errors import ConfigError, SandboxError, SandboxStage
from langgraph_scaling.sandbox._files import remove_workdir
from langgraph_scaling.sandbox._isolation import Isolation
from langgraph_scaling.sandbox._limits import SandboxLimits, SandboxResult
from langgraph_scaling.sandbox._runner import Sandbox
from langgraph_scaling.sandbox._shipping import Shipped, unpack_files

__all__ = ["RunCall", "WorkerFailure", "WorkerSettings", "execute"]

# Used where setpriv is missing: set the parent-death signal, then exec the real command.
_SHIM = (
    "import ctypes, os, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0)\n"
    "os.getppid() == int(sys.argv[1]) or os._exit(137)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)
_PREFIX = "lgs-ray-"


@dataclass(frozen=True)
class WorkerSettings:
    """The driver's sandbox settings, as each worker rebuilds its sandbox from them."""

    python: str | None
    packages: tuple[str, ...]
    expose: tuple[str, ...]
    workdir_root: str | None
    require_isolation: bool


@dataclass(frozen=True)
class RunCall:
    """One run's arguments, as ``Sandbox.run`` takes them (files already shipped)."""

    argv: list[str]
    stdin: bytes | None = None
    files: Mapping[str, Shipped] = field(default_factory=dict)
    limits: SandboxLimits | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    channel_in: bytes | None = None
    channel_out: bool = False


@dataclass(frozen=True)
class WorkerFailure:
    """An error the worker's sandbox raised, sent back as data (re-raised on the driver).

    The package's exceptions take keyword arguments, which pickling would lose, so they
    travel as fields.
    """

    kind: str
    message: str
    where: str
    stage: SandboxStage | None = None
    argv0: str | None = None
    field: str = ""
    value: Any = None
    reason: str = ""

    def error(self) -> SandboxError | ConfigError:
        """The exception to raise on the driver."""
        if self.kind == "config":
            return ConfigError(self.field, self.value, self.reason)
        text = f"{self.message.rstrip('.')} (on the Ray worker at {self.where})."
        return SandboxError(text, stage=self.stage, argv0=self.argv0)


class _TiedSandbox(Sandbox):
    """A sandbox whose runs are killed by the kernel when this process dies."""

    async def _isolation(self) -> Isolation:
        iso = await super()._isolation()
        return replace(iso, prefix=(*_tie_prefix(), *iso.prefix))


@functools.cache
def _tie_prefix() -> tuple[str, ...]:
    setpriv = shutil.which("setpriv")
    if setpriv:
        return (setpriv, "--pdeathsig", "KILL")
    return (sys.executable, "-I", "-S", "-c", _SHIM, str(os.getpid()))


def execute(settings: WorkerSettings, call: RunCall) -> SandboxResult | WorkerFailure:
    """Run ``call`` in a local sandbox built from ``settings``; the result, or the failure."""
    _interruptible()
    where = f"{socket.gethostname()} pid {os.getpid()}"
    root = _worker_root(settings.workdir_root)
    box = _TiedSandbox(
        python=settings.python,
        packages=settings.packages,
        expose=settings.expose,
        workdir_root=root,
        require_isolation=settings.require_isolation,
    )
    scratch = Path(tempfile.mkdtemp(prefix="ship-", dir=root))
    try:
        run = functools.partial(
            box.run,
            call.argv,
            stdin=call.stdin,
            files=unpack_files(call.files, scratch),
            limits=call.limits,
            env=call.env,
            channel_in=call.channel_in,
            channel_out=call.channel_out,
        )
        return anyio.run(run)
    except SandboxError as exc:
        return WorkerFailure("sandbox", str(exc), where, stage=exc.stage, argv0=exc.argv0)
    except ConfigError as exc:
        return WorkerFailure("config", str(exc), where, field=exc.field, value=exc.value,
                             reason=exc.reason)  # fmt: skip
    finally:
        remove_workdir(scratch)


@functools.cache
def _interruptible() -> None:
    """Let Ray's cancel interrupt this worker (a ``KeyboardInterrupt`` in the run).

    Ray cancels a running task by simulating ``SIGINT``, which does nothing where the
    worker inherited ``SIGINT`` ignored (as under a ``ray start`` run in the background);
    the cancelled run would then last until its deadline, or until its worker is killed.
    """
    if threading.current_thread() is threading.main_thread():
        if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, signal.SIG_DFL):
            signal.signal(signal.SIGINT, signal.default_int_handler)


@functools.cache
def _worker_root(base: str | None) -> Path:
    """This worker's folder for work directories, made once; dead workers' are removed."""
    parent = Path(base or tempfile.gettempdir())
    for stale in parent.glob(f"{_PREFIX}*"):
        pid = stale.name.removeprefix(_PREFIX)
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            remove_workdir(stale)
    root = parent / f"{_PREFIX}{os.getpid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    return root
