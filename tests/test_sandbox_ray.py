"""``RaySandbox`` on a real local Ray cluster: verdicts, isolation, files, cancel, dead workers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from langgraph_scaling.errors import ConfigError, SandboxError
from langgraph_scaling.sandbox import RaySandbox, Sandbox, SandboxLimits
from langgraph_scaling.verifiers import UnitTestVerifier

try:
    import ray
except ImportError:  # the 'ray' extra; CI installs it, so there a missing Ray fails
    if os.environ.get("CI"):
        raise
    pytest.skip("ray is not installed (the 'ray' extra)", allow_module_level=True)

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

REPO = Path(__file__).resolve().parents[1]
LIMITS = SandboxLimits(timeout_s=60, cpu_seconds=20)


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """A small local Ray cluster for the module (2 CPUs, no dashboard).

    Its processes start with SIGINT ignored, as under a ``ray start`` run in the background,
    where Ray's own cancel cannot interrupt a task unless the worker restores the handler.
    """
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        yield
    finally:
        ray.shutdown()


def _pids(token: str) -> list[int]:
    """Host pids of running processes whose command line holds ``token`` (a zombie's, like
    a pid that was given to another process since, holds nothing)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and token.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


async def _until(condition: Callable[[], bool], within: float) -> bool:
    """Whether ``condition`` came true within ``within`` seconds."""
    with anyio.move_on_after(within):
        while not condition():  # noqa: ASYNC110 - the process table has no event to wait on
            await anyio.sleep(0.05)
        return True
    return False


async def _started(token: str) -> list[int]:
    assert await _until(lambda: bool(_pids(token)), 45), "the program never started"
    return _pids(token)


def _ray_worker_of(pid: int) -> int:
    """The Ray worker process above ``pid`` (its title starts with ``ray::``)."""
    while pid > 1:
        if (Path(f"/proc/{pid}/cmdline").read_bytes()).startswith(b"ray::"):
            return pid
        stat = Path(f"/proc/{pid}/stat").read_text()
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    raise AssertionError("the run has no Ray worker above it")


async def _gone(token: str, within: float = 5.0) -> bool:
    return await _until(lambda: not _pids(token), within)


def _left(token: str) -> list[str]:
    """What still runs with ``token``, as ``pid command`` lines."""
    lines = []
    for pid in _pids(token):
        with contextlib.suppress(OSError):
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:120]
            lines.append(f"{pid} {cmd.decode(errors='replace')}")
    return lines


async def _kill_the_worker_running(token: str) -> None:
    """SIGKILL the Ray worker whose sandboxed program holds ``token``, once it runs."""
    pids = await _started(token)
    os.kill(_ray_worker_of(pids[0]), signal.SIGKILL)


def _sleeper(token: str, seconds: int) -> list[str]:
    return ["sh", "-c", f"sleep {seconds}; echo done; : {token}"]


# Checked before any Ray is started in this process (the cluster fixture starts it later).
async def test_an_address_nothing_listens_on_raises_at_once() -> None:
    if ray.is_initialized():
        pytest.skip("Ray is already initialized in this process: the address is not used")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the run: nothing listens
    box = RaySandbox(address=f"127.0.0.1:{port}")
    with anyio.fail_after(30), pytest.raises(SandboxError, match="Ray could not be joined") as info:
        await box.run(["true"])
    assert info.value.stage == "executor"


async def test_files_over_the_upload_cap_are_refused_before_ray(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(b"x" * 300_000)
    box = RaySandbox(max_upload_mb=0.25)
    with pytest.raises(ConfigError, match=r"max_upload_mb.*ship less"):
        await box.run(["true"], files={"data": tmp_path})
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ConfigError, match="not a file, a directory or a link"):
        await RaySandbox().run(["true"], files={"data": tmp_path})


@pytest.mark.usefixtures("cluster")
async def test_unit_test_verdicts_through_ray() -> None:
    tests = "def check(f):\n    assert f(2, 3) == 5\n    assert f(0, 0) == 0\n"
    verifier = UnitTestVerifier(tests, entry_point="add", sandbox=RaySandbox(LIMITS))
    right = await verifier.check_code("def add(a, b):\n    return a + b\n")
    wrong = await verifier.check_code("def add(a, b):\n    return a - b\n")
    assert (right.passed, right.score) == (True, 1.0), right.feedback
    assert (wrong.passed, wrong.score) == (False, 0.5), wrong.feedback
    assert "f(2, 3) == 5" in (wrong.feedback or "")


@pytest.mark.usefixtures("cluster")
async def test_the_sandbox_holds_on_the_worker() -> None:
    """Same isolation as a local run: no network, the host's files hidden, nothing writable."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    code = (
        "import os, socket\n"
        "s = socket.socket()\n"
        "try:\n"
        f"    s.connect(('127.0.0.1', {listener.getsockname()[1]})); print('connected')\n"
        "except OSError: print('no network')\n"
        f"print(os.path.exists({str(REPO / 'README.md')!r}))\n"
        "ok = []\n"
        "for d in ('/etc', '/usr', '/', os.path.dirname(os.__file__)):\n"
        "    try:\n"
        "        open(os.path.join(d, 'lgs-ray-probe'), 'w').write('x'); ok.append(d)\n"
        "    except OSError: pass\n"
        "print(ok)\n"
    )
    with listener:
        remote = await RaySandbox(LIMITS).run_python(code)
    local = await Sandbox(LIMITS).run_python("pass")
    assert remote.stdout.splitlines() == ["no network", "False", "[]"], remote.stderr
    assert remote.isolated_network
    assert remote.isolation == local.isolation


@pytest.mark.usefixtures("cluster")
async def test_host_paths_arrive_on_the_worker(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "data.txt").write_text("from the driver")
    (repo / "run.sh").write_text("#!/bin/sh\necho ran\n")
    (repo / "run.sh").chmod(0o755)
    (repo / "link").symlink_to("pkg/data.txt")
    (tmp_path / "one.txt").write_text("single file")
    script = "cat repo/pkg/data.txt; echo; ./repo/run.sh; readlink repo/link; cat one.txt"
    result = await RaySandbox(LIMITS).run(
        ["sh", "-c", script], files={"repo": repo, "one.txt": tmp_path / "one.txt"}
    )
    assert result.stdout.splitlines() == [
        "from the driver",
        "ran",
        "pkg/data.txt",
        "single file",
    ], result.stderr


@pytest.mark.usefixtures("cluster")
async def test_a_cancelled_run_stops_on_the_worker() -> None:
    token = f"lgs-cancel-{uuid.uuid4().hex[:8]}"
    box = RaySandbox(LIMITS)
    async with anyio.create_task_group() as tg:
        tg.start_soon(box.run, _sleeper(token, 60))
        await _started(token)
        await anyio.sleep(1.0)
        before = anyio.current_time()
        tg.cancel_scope.cancel()
    # The worker stopped the run itself (a worker that does not is killed after 2 s).
    assert anyio.current_time() - before < 1.5
    assert await _gone(token, within=1.0), _left(token)
    # The task released its CPU: no Ray task is left running.
    assert await _until(lambda: ray.available_resources().get("CPU", 0) == 2, 10)


@pytest.mark.usefixtures("cluster")
async def test_a_killed_worker_is_retried() -> None:
    token = f"lgs-retry-{uuid.uuid4().hex[:8]}"
    box = RaySandbox(LIMITS, max_retries=1)
    async with anyio.create_task_group() as tg:
        tg.start_soon(_kill_the_worker_running, token)
        result = await box.run(_sleeper(token, 3))
    assert result.stdout == "done\n"


@pytest.mark.usefixtures("cluster")
async def test_a_killed_worker_without_retries_raises() -> None:
    token = f"lgs-noretry-{uuid.uuid4().hex[:8]}"
    box = RaySandbox(LIMITS, max_retries=0)
    async with anyio.create_task_group() as tg:
        tg.start_soon(_kill_the_worker_running, token)
        with pytest.raises(SandboxError, match=r"worker running 'sh' died .* no rerun") as info:
            await box.run(_sleeper(token, 30))
    assert info.value.stage == "executor"
    assert await _gone(token), _left(token)


@pytest.mark.usefixtures("cluster")
async def test_the_repo_agent_runs_its_tests_on_ray(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A multi-step fix whose every test run (start, run_tests, the edit's check, the
    trim) is a Ray task."""
    from langgraph.checkpoint.memory import InMemorySaver

    from langgraph_scaling import ScalingPolicy
    from langgraph_scaling.agents.repo import RepoAgentContext, build_repo_agent
    from langgraph_scaling.testing import ScriptedChatModel, tool_call
    from tests._corpus import corpus
    from tests.test_repo_agent import COMMAND, FIX, _no_shared_sandbox

    _no_shared_sandbox(monkeypatch)  # a run that does not go to Ray fails the test
    repo = corpus.materialise("median-even", tmp_path / "median-even")
    model = ScriptedChatModel(
        script=[tool_call("run_tests", {}, "t1"), tool_call("edit", {"edit": "x"}, "e1"), FIX]
    )
    box = RaySandbox(LIMITS, packages=("pytest",))
    ctx = RepoAgentContext(
        model=model,
        policy=ScalingPolicy(router=1, selection="best"),
        steps={"agent": {"max_branches": 1}},
        sandbox=box,
    )
    inputs = {"repo": str(repo), "issue": corpus.issue("median-even"), "test_command": COMMAND}
    graph = build_repo_agent(checkpointer=InMemorySaver())
    out = await graph.ainvoke(inputs, {"configurable": {"thread_id": "ray"}}, context=ctx)
    assert out["outcome"] == "fixed", out["reason"]
    assert "+    return (ordered[mid - 1] + ordered[mid]) / 2" in out["diff"]
    assert out["baseline_passed"] is False
    shown = [str(m.content) for call in model.calls for m in call if m.type == "tool"]
    assert any("3 failed" in text for text in shown), shown  # run_tests' output came back


@pytest.mark.usefixtures("cluster")
def test_solve_runs_the_repo_tests_on_ray(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``solve --ray-address``: the preflight and every test run go to the cluster."""
    import langgraph_scaling.cli as cli
    from langgraph_scaling.testing import ScriptedChatModel, tool_call
    from tests._corpus import corpus
    from tests.test_repo_agent import COMMAND, FIX, _no_shared_sandbox

    _no_shared_sandbox(monkeypatch)
    monkeypatch.setattr("langgraph_scaling.verifiers.unit_test.shared_sandbox", _refuse)
    made: list[object] = []
    real_sandbox = cli._sandbox

    def sandbox(*args: Any, **kwargs: Any) -> object:
        made.append(real_sandbox(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(cli, "_sandbox", sandbox)
    monkeypatch.setattr(cli, "_backend", lambda args: model)
    monkeypatch.setenv("COLUMNS", "200")
    repo = corpus.materialise("median-even", tmp_path / "median-even")
    model = ScriptedChatModel(script=[tool_call("edit", {"edit": "x"}, "e1"), FIX])
    argv = ["solve", "--repo", str(repo), "--issue", corpus.issue("median-even")]
    argv += ["--test-command", " ".join(COMMAND), "--policy", "best@1", "--ray-address", "auto"]
    code = cli.main([*argv, "--apply"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Outcome: fixed" in out and f"Applied to {repo}." in out
    (box,) = made
    assert isinstance(box, RaySandbox) and box.packages == ("pytest",)


def _refuse(*_: object) -> object:
    raise AssertionError("a run went to the shared local sandbox")
