"""SIGTERM stops the command as Ctrl-C does: its requests are hung up (engine work freed),
it says ``interrupted`` and exits 130, instead of dying at once and leaving the work
running (an in-process engine's workers kept their 7 GB after a plain SIGTERM)."""

from __future__ import annotations

import signal
import subprocess
import sys

import anyio
import pytest

from tests._fake_openai import FakeOpenAI, wait_until

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
