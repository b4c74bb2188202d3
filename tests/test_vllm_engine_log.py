"""The in-process engine's log and death diagnosis, without an engine: processes started
while the engine is built write their stderr to the log, and the cause of a death is read
back from log lines as vLLM writes them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from langgraph_scaling.backends._vllm_engine import (
    _engine_output_to,
    cpu_scheduler_args,
    error_lines,
    log_size,
    log_tail,
)

# Lines as they stood in engine logs of real deaths (shortened).
GENERATOR_DEATH = """\
2026-12-01 08:31:54,101 ERROR Worker vllm.v1.executor.multiproc_executor: WorkerProc hit an exception.
Traceback (most recent call last):
  File ".../vllm/v1/worker/gpu_model_runner.py", line 3502, in _bookkeeping_sync
    gen.set_offset(gen.get_offset() - 4)
RuntimeError: CPU Generator does not use offset
2026-12-01 08:31:54,120 ERROR EngineCore vllm.v1.engine.core: EngineCore encountered a fatal error.
RuntimeError: Worker failed with error 'CPU Generator does not use offset', please check the stack trace above for the root cause
vllm.v1.engine.exceptions.EngineDeadError: EngineCore encountered an issue. See stack trace (above) for the root cause.
"""  # noqa: E501
OOM_DEATH = """\
2026-12-01 10:07:04,522 ERROR EngineCore vllm.v1.executor.multiproc_executor: Worker proc VllmWorker-0 died unexpectedly (exit code: -9), shutting down executor.
2026-12-01 10:07:04,542 ERROR EngineCore vllm.v1.engine.core: EngineCore encountered a fatal error.
    raise RuntimeError("cancelled")
RuntimeError: cancelled
"""  # noqa: E501


@pytest.mark.parametrize(
    ("log", "cause"),
    [
        (GENERATOR_DEATH, "RuntimeError: CPU Generator does not use offset"),
        (OOM_DEATH, "its worker process VllmWorker-0 was killed by SIGKILL"),
    ],
    ids=["seeded-chunked-prefill", "worker-killed"],
)
def test_the_first_cause_in_the_log_is_the_root_one(log: str, cause: str) -> None:
    assert error_lines(log)[0].startswith(cause)
    assert not any("EngineDeadError" in line for line in error_lines(log))


def test_log_tail_reads_only_this_engines_lines(tmp_path: Path) -> None:
    log = tmp_path / "engine.log"
    log.write_text("RuntimeError: an earlier engine's death\n")
    start = log_size(log)
    with log.open("a") as f:
        f.write("line 1\nline 2\n")
    assert log_tail(log, 10, since=start) == ["line 1", "line 2"]
    assert log_tail(None) == [] and log_tail(tmp_path / "missing.log") == []


def test_processes_started_during_the_build_write_stderr_to_the_log(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "logs" / "engine.log"
    with _engine_output_to(log) as config:
        assert config is not None and config.is_file()
        assert os.environ["VLLM_LOGGING_CONFIG_PATH"] == str(config)
        child = "import sys; print('from the engine', file=sys.stderr)"
        subprocess.run([sys.executable, "-c", child], check=True)
    print("from the caller", file=sys.stderr)
    assert "from the engine" in log.read_text()
    err = capfd.readouterr().err
    assert "from the caller" in err and "from the engine" not in err
    assert "VLLM_LOGGING_CONFIG_PATH" not in os.environ and not config.exists()


def test_cpu_scheduler_takes_whole_prompts() -> None:
    assert cpu_scheduler_args(4096) == {
        "enable_chunked_prefill": False,
        "max_num_batched_tokens": 8192,
    }
    assert cpu_scheduler_args(32768)["max_num_batched_tokens"] == 32768
    assert cpu_scheduler_args(None) == {"enable_chunked_prefill": False}
