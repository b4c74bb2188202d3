"""Resume: a run SIGKILLed mid-step resumes from its SQLite checkpoint in a new process,
without repeating committed steps or losing committed tool results. The interrupted scaled
step itself is rerun whole (its branches are not checkpointed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def worker(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests._resume_worker", str(tmp_path / "ckpt.db"), str(tmp_path),
         *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def calls(tmp_path: Path) -> list[tuple[int, int]]:
    path = tmp_path / "calls.log"
    lines = path.read_text().split() if path.exists() else []
    return [(int(pid), int(step)) for pid, step in zip(lines[::2], lines[1::2], strict=True)]


def kill_in_final_step(tmp_path: Path, *extra: str, branches: int = 1) -> subprocess.Popen[str]:
    """Start a run that hangs in its final step, wait until ``branches`` of that step's
    branches are in flight, and SIGKILL it (it is killed even when the wait fails, so a slow
    machine never leaves a hanging worker behind)."""
    crashed = worker(tmp_path, "start", "hang", *extra)
    try:
        deadline = time.monotonic() + 240  # a loaded 2-core machine takes long to import
        while [s for _, s in calls(tmp_path)].count(2) < branches:
            assert crashed.poll() is None, crashed.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the run never reached its final step"
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        if crashed.poll() is None:
            os.kill(crashed.pid, signal.SIGKILL)
        crashed.communicate(timeout=30)
    return crashed


def test_run_killed_mid_step_resumes_without_repeating_committed_steps(tmp_path: Path) -> None:
    crashed = kill_in_final_step(tmp_path, branches=4)
    assert crashed.returncode == -signal.SIGKILL
    assert (tmp_path / "tools.log").read_text().split() == ["1", "2"]

    resumed = worker(tmp_path, "resume")
    out, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err[-2000:]
    messages = json.loads(out.strip().splitlines()[-1])
    assert messages == [
        ["HumanMessage", "go"],
        ["AIMessage", ""],
        ["ToolMessage", "1"],
        ["AIMessage", ""],
        ["ToolMessage", "2"],
        ["AIMessage", "done after 2 tools"],
    ]
    assert (tmp_path / "tools.log").read_text().split() == ["1", "2"], "no tool ran twice"
    by_pid: dict[int, list[int]] = {}
    for pid, step in calls(tmp_path):
        by_pid.setdefault(pid, []).append(step)
    assert sorted(by_pid[crashed.pid]) == [0] * 4 + [1] * 4 + [2] * 4
    assert by_pid[resumed.pid] == [2] * 4, "only the interrupted step ran again, all 4 branches"


def test_the_run_budget_survives_a_kill_and_resume(tmp_path: Path) -> None:
    """Run budget 10, 4 branches a step: 4 + 4 committed, the third step gets the last 2.

    Killed in the third step and resumed in a new process, the run counts the 8 branches its
    checkpoint records, so the rerun third step again gets 2 (once it got a fresh 10).
    """
    crashed = kill_in_final_step(tmp_path, "budget")
    resumed = worker(tmp_path, "resume", "budget")
    _, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err[-2000:]
    by_pid: dict[int, list[int]] = {}
    for pid, step in calls(tmp_path):
        by_pid.setdefault(pid, []).append(step)
    assert sorted(by_pid[crashed.pid]) == [0] * 4 + [1] * 4 + [2] * 2
    assert by_pid[resumed.pid] == [2] * 2, by_pid[resumed.pid]
