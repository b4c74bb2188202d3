"""A process that owns an in-process engine and dies without ``aclose()`` (a plain ``kill``,
SIGKILL, the out-of-memory killer) leaves no engine process behind.

The bug this guards: a benchmark killed with SIGTERM left vLLM's EngineCore and worker
processes alive, 7.7 GB and a busy core, for the whole CI run that followed; the next
engines then could not start ("Available memory 0.48/23.54 GiB")."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest

from langgraph_scaling.backends._reaper import Reaper
from tests._vllm_fixtures import model_path_or_skip


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_gone(pids: list[int], within: float) -> list[int]:
    deadline = time.monotonic() + within
    while (alive := [p for p in pids if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


@contextlib.contextmanager
def _owner(code: str) -> Iterator[subprocess.Popen[str]]:
    """A Python process running ``code``; its stdout is read line by line by the test."""
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _pids(line: str) -> list[int]:
    return [int(p) for p in line.split()]


_STUBBORN = """
    import os, signal, subprocess, sys
    from langgraph_scaling.backends._reaper import Reaper
    # A stand-in engine core: ignores SIGTERM, and has a child of its own (its "worker").
    core = subprocess.Popen(
        ["sh", "-c", "trap '' TERM; sleep 300 & echo $!; wait"],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    worker = core.stdout.readline().strip()
    reaper = Reaper.arm([core.pid], grace=1.0)
    print(core.pid, worker, reaper.pid, flush=True)
    {then}
"""


def test_an_owner_killed_outright_takes_its_engine_processes_and_their_children_along() -> None:
    code = _STUBBORN.format(then="os.kill(os.getpid(), signal.SIGKILL)")
    with _owner(code) as proc:
        assert proc.stdout is not None
        core, worker, watchdog = _pids(proc.stdout.readline())
        assert proc.wait(timeout=10) == -signal.SIGKILL
        # SIGTERM is ignored by both: only the SIGKILL after the grace ends them.
        left = _wait_gone([core, worker, watchdog], within=15)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []


def test_a_disarmed_watchdog_leaves_the_processes_to_the_clean_shutdown() -> None:
    code = _STUBBORN.format(then="reaper.disarm(); print('disarmed', flush=True)")
    with _owner(code) as proc:
        assert proc.stdout is not None
        core, worker, watchdog = _pids(proc.stdout.readline())
        assert proc.stdout.readline().strip() == "disarmed"
        assert proc.wait(timeout=10) == 0
        try:
            assert _wait_gone([watchdog], within=5) == []
            time.sleep(2.0)  # more than the grace: a live watchdog would have acted
            assert _alive(core) and _alive(worker)
        finally:
            for pid in (core, worker):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def test_nothing_to_watch_starts_no_watchdog() -> None:
    assert Reaper.arm([]) is None
    assert Reaper.arm([2**22 + 12345]) is None  # no such process


_ENGINE_OWNER = """
    import anyio, time
    from langgraph_scaling.backends._vllm_engine import core_processes
    from langgraph_scaling.backends.vllm import VLLMBackend

    async def main():
        backend = VLLMBackend(max_model_len=2048, kv_cache_gib=1.0, enforce_eager=True)
        await backend.start()  # and never aclose(): the process is killed
        print(*[p.pid for p in core_processes(backend.engine)], flush=True)
        await anyio.sleep(600)

    anyio.run(main)
"""


@pytest.mark.slow
@pytest.mark.model
def test_a_script_killed_with_sigterm_leaves_no_engine_process_behind() -> None:
    psutil = pytest.importorskip("psutil")
    model_path_or_skip()
    with _owner(_ENGINE_OWNER) as proc:
        assert proc.stdout is not None
        cores = _pids(proc.stdout.readline())  # after the engine started (about a minute)
        assert cores, "the engine runs its core in a process of its own"
        procs = [q for c in cores for q in (psutil.Process(c), *psutil.Process(c).children(True))]
        engine = [q.pid for q in procs]
        names = {q.pid: q.name() for q in procs}
        proc.send_signal(signal.SIGTERM)  # Python's default: the process ends at once
        assert proc.wait(timeout=30) == -signal.SIGTERM
        left = _wait_gone(engine, within=60)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert left == [], f"outlived their owner: {[names[p] for p in left]}"
