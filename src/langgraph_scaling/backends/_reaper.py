"""A watchdog that stops the in-process engine's processes when this process dies uncleanly.

vLLM's engine core runs in a child process that does not watch its parent: when the process
that owns an ``AsyncLLM`` ends without shutting it down (a plain ``kill``, which is SIGTERM,
the out-of-memory killer, a notebook kernel or a server killed), the engine core and its
worker stay alive, holding their memory and a core. :class:`Reaper` starts a small watchdog
process beside the engine. It holds the read end of a pipe whose only write end is this
process's: however this process ends, the pipe closes and the watchdog wakes. Unless it was
disarmed first (a clean :meth:`~langgraph_scaling.backends.vllm.VLLMBackend.aclose`), it
sends SIGTERM to the engine processes (the core stops its worker), waits, then SIGKILLs what
is left of them and of their children.

Only processes still the same as when armed are signalled (their start time is compared), so
a reused process id is never hit.

Example:
    >>> reaper = Reaper.arm([])  # no processes: nothing to watch
    >>> reaper is None
    True
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from contextlib import suppress
from typing import IO

__all__ = ["Reaper"]

GRACE_S = 15.0
"""How long the engine core has after SIGTERM to stop its worker before everything is
killed."""

DISARM = b"disarm"
"""What :meth:`Reaper.disarm` writes before closing the pipe (a bare close is a death)."""

_WATCHDOG = r"""
import os, signal, sys, time

signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is the owner's to handle
disarm, grace = sys.argv[1].encode(), float(sys.argv[2])
targets = dict(arg.split(":") for arg in sys.argv[3:])

def stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields  # [state, ppid, ..., starttime at index 19]

def same(pid, start):
    fields = stat(pid)
    return fields is not None and fields[0] != "Z" and fields[19] == start

def descendants(roots):
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (fields := stat(name)) is not None:
            children.setdefault(fields[1], []).append((name, fields[19]))
    found, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            found.append(child)
            todo.append(child[0])
    return found

def signal_all(procs, sig):
    for pid, start in procs:
        if same(pid, start):
            try:
                os.kill(int(pid), sig)
            except OSError:
                pass

if sys.stdin.buffer.read() == disarm:
    sys.exit(0)
procs = list(targets.items())
procs += descendants([pid for pid, _ in procs])
signal_all(procs[: len(targets)], signal.SIGTERM)
deadline = time.monotonic() + grace
while time.monotonic() < deadline and any(same(p, s) for p, s in procs):
    time.sleep(0.2)
signal_all(procs, signal.SIGKILL)
"""


def _start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot), which a reused id would not share."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


class Reaper:
    """The watchdog of a set of processes; :meth:`disarm` it before a clean shutdown."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    @classmethod
    def arm(cls, pids: Sequence[int], *, grace: float = GRACE_S) -> Reaper | None:
        """Watch ``pids`` (and what they started); ``None`` where there is nothing to watch
        or no ``/proc`` to watch them by."""
        targets = [f"{pid}:{start}" for pid in pids if (start := _start_time(pid)) is not None]
        if not targets:
            return None
        process = subprocess.Popen(
            [sys.executable, "-I", "-c", _WATCHDOG, DISARM.decode(), str(grace), *targets],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a signal to this process group is not one to it
        )
        return cls(process)

    @property
    def pid(self) -> int:
        """The watchdog's process id."""
        return self._process.pid

    def disarm(self) -> None:
        """Let the watched processes be: they are being shut down cleanly."""
        pipe: IO[bytes] | None = self._process.stdin
        if pipe is not None and not pipe.closed:
            with suppress(OSError):  # the watchdog is gone already
                pipe.write(DISARM)
            with suppress(OSError):
                pipe.close()
        with suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
