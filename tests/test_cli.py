"""The command line: bad input gets one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests._vllm_fixtures import model_path_or_skip


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "langgraph_scaling.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
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
        (["solve", "--repo", "."], "needs --issue (the bug report)"),
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


@pytest.mark.slow
def test_broken_sandbox_stops_the_eval_before_the_engine_starts(tmp_path: Path) -> None:
    done = run_cli(
        "eval", "--tasks", "0-4", "--sandbox-python", "/nonexistent/python", "--out", str(tmp_path)
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: The sandbox cannot run programs, so no task could")
    assert "/nonexistent/python" in done.stderr and "Traceback" not in done.stderr
    assert "starting the engine" not in done.stdout and "HumanEval (hidden" not in done.stdout
    assert not (tmp_path / "eval.json").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--humaneval", "0", "--sandbox-python", "/nonexistent/python"], "/nonexistent/python"),
        (["--repo", ".", "--issue", "x", "--sandbox-python", "/nonexistent/py"], "/nonexistent/py"),
        (["--humaneval", "0", "--ray-address", "127.0.0.1:9"], "127.0.0.1:9"),
    ],
    ids=["function-task", "repo", "ray-nothing-listens"],
)
def test_broken_sandbox_stops_solve_before_the_engine_starts(args: list[str], named: str) -> None:
    done = run_cli("solve", *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: The sandbox cannot run programs, so no task could")
    assert named in done.stderr and "Traceback" not in done.stderr
    assert "starting the engine" not in done.stdout


def test_the_sandbox_solve_builds_shows_what_the_tests_import() -> None:
    from langgraph_scaling.cli import _packages
    from langgraph_scaling.tasks import CodingTask

    def task(tests: str) -> CodingTask:
        return CodingTask(id="t", prompt="Write add.", entry_point="add", visible_tests=tests)

    assert _packages(task("import pytest\n\ndef test_a():\n    assert add(1, 2) == 3\n")) == (
        "pytest",
    )
    assert _packages(task("assert add(1, 2) == 3")) == ()


VLLM_NOISE = re.compile(
    r"\b(WARNING|INFO|DEBUG)\b|Warning|nanobind|EngineDeadError|Traceback|Triton|"
    r"pid=\d+|Loading safetensors",
)


@pytest.mark.model
@pytest.mark.slow
def test_eval_keeps_the_engine_output_in_its_log(tmp_path: Path) -> None:
    # The terminal shows the log's name, the progress and the table; vLLM's logs, warnings
    # and exit messages (of this process and of the engine's) go to the log file only.
    model_path_or_skip()
    done = run_cli(
        "eval", "--tasks", "0", "--policies", "single", "--max-new-tokens", "128",
        "--out", str(tmp_path), timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == ""
    noise = [line for line in done.stdout.splitlines() if VLLM_NOISE.search(line)]
    assert noise == [], noise
    (log_line,) = [line for line in done.stdout.splitlines() if line.startswith("engine log: ")]
    log = Path(log_line.removeprefix("engine log: "))
    text = log.read_text(errors="replace")
    assert "vllm" in text and "Loading safetensors" in text  # the engine's own lines are there
    assert "EngineDeadError" not in text and "force killing" not in text  # a clean shutdown
    assert "HumanEval (hidden tests)" in done.stdout
    summary = json.loads((tmp_path / "eval.json").read_text())["summary"]
    assert [(r["tasks"], r["errors"]) for r in summary] == [(1, 0)]
