"""The command line: bad input gets one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "langgraph_scaling.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "--policies", "best@4,majority"], "policy='majority' is invalid"),
        (["eval", "--tasks", "0-999"], "--tasks='0-999' is invalid"),
        (["eval", "--tasks", "zero"], "cannot read 'zero'"),
        (
            ["solve", "--repo", "/no/such/repo", "--issue", "x", "--test-command", "pytest"],
            "--repo='/no/such/repo' is invalid: is not a directory",
        ),
        (
            ["solve", "--repo", ".", "--issue", "x", "--test-command", "no-such-tool -q"],
            "'no-such-tool' is not an executable",
        ),
        (["solve", "--repo", "."], "needs --issue and --test-command"),
        (["solve", "--task", "/no/such/task.json"], "does not exist"),
        (["solve", "--humaneval", "500"], "--humaneval=500 is invalid"),
        (["solve", "--humaneval", "1", "--model", "/no/model"], "is not a model directory"),
    ],
    ids=[
        "unknown-policy",
        "task-range",
        "task-syntax",
        "missing-repo",
        "missing-test-command",
        "repo-without-issue",
        "missing-task-file",
        "humaneval-range",
        "missing-model",
    ],
)
def test_bad_input_is_one_clear_line(args: list[str], message: str) -> None:
    done = run_cli(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert message in lines[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"id": "x", "kind": "patch", "prompt": "fix", "repo": "nowhere"}', "CodingTask.repo="),
        ('{"id": "x", "prompt": "p", "colour": "red"}', "CodingTask.colour="),
    ],
    ids=["syntax", "not-object", "patch-without-repo", "unknown-field"],
)
def test_malformed_task_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "task.json"
    path.write_text(content)
    done = run_cli("solve", "--task", str(path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert message in done.stderr


def test_help_lists_the_commands() -> None:
    done = run_cli("--help")
    assert done.returncode == 0
    for command in ("solve", "eval", "prepare-model"):
        assert command in done.stdout
