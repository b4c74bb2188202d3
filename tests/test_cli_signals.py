"""SIGTERM stops the command as Ctrl-C does: its requests are hung up (engine work freed),
it says ``interrupted`` and exits 130, instead of dying at once and leaving the work
running (an in-process engine's workers kept their 7 GB after a plain SIGTERM)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from langgraph_scaling.backends._vllm_engine import default_log_path
from tests._fake_openai import FakeOpenAI, wait_until
from tests._vllm_fixtures import model_path_or_skip

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


async def test_sigterm_cancels_the_run_and_hangs_up_its_requests() -> None:
    server = await FakeOpenAI(delay=120).start()
    command = [
        sys.executable, "-m", "langgraph_scaling.cli", "solve", "--humaneval", "0",
        "--policy", "best@2", "--base-url", server.url, "--model", "m",
    ]  # fmt: skip
    pipes = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    async with await anyio.open_process(command, **pipes) as proc:
        try:
            await wait_until(lambda: server.in_flight >= 1, within=90)
            proc.send_signal(signal.SIGTERM)
            with anyio.fail_after(30):
                code = await proc.wait()
        finally:
            if proc.returncode is None:
                proc.kill()
        assert proc.stderr is not None
        err = b"".join([chunk async for chunk in proc.stderr]).decode()
    assert code == 130, (code, err)
    assert "interrupted" in err
    await wait_until(lambda: server.disconnects >= 1 and server.in_flight == 0, within=10)
    await server.stop()


def _sigint_default() -> None:
    """In the child, before exec: SIGINT as a terminal gives it (a background shell job
    would pass it on ignored, and the command then leaves SIGTERM alone)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for(check: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:g} s: {what}")
        time.sleep(0.5)


def _kill(processes: list[Any]) -> None:
    import psutil

    for p in processes:
        with contextlib.suppress(psutil.Error):
            p.kill()


@pytest.mark.model
def test_sigterm_shuts_the_embedded_engine_and_its_workers_down(tmp_path: Path) -> None:
    # The bug this guards: a plain SIGTERM ended the command at once and left the engine's
    # EngineCore and worker processes running, 7 GB between them.
    psutil = pytest.importorskip("psutil")
    model_path_or_skip()
    command = [
        sys.executable, "-m", "langgraph_scaling.cli", "eval", "--tasks", "0-7",
        "--policies", "vote@4", "--max-new-tokens", "256", "--out", str(tmp_path),
    ]  # fmt: skip
    err_file = tmp_path / "stderr.txt"
    with err_file.open("w") as err_out:
        proc = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=err_out,
            preexec_fn=_sigint_default,
            env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # SIGABRT prints every stack
        )
    try:
        me = psutil.Process(proc.pid)
        workers: list[Any] = []

        def engine_up() -> bool:
            workers[:] = me.children(recursive=True)
            return any("Worker" in p.name() for p in workers)

        _wait_for(engine_up, 400, "the engine's worker process")
        logs = default_log_path().parent
        log = max(logs.glob(f"engine-*-{proc.pid}-*.log"), key=lambda p: p.stat().st_mtime)
        _wait_for(lambda: "init engine" in log.read_text(errors="replace"), 400, log.name)
        time.sleep(20)  # the engine takes the first requests
        assert proc.poll() is None, "the run ended before it could be stopped"
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
            _kill(workers)
            stacks = err_file.read_text(errors="replace")[-8000:]
            pytest.fail(f"SIGTERM did not stop the command within 120 s:\n{stacks}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = err_file.read_text(errors="replace")
    assert code == 130, (code, err[-3000:])
    assert "interrupted" in err
    _, alive = psutil.wait_procs(workers, timeout=60)
    names = [p.name() for p in alive]
    _kill(alive)  # not to leave them to the rest of the session
    assert names == []
