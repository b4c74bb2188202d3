"""The sandbox works wherever Python is installed, and says so loudly when it cannot run.

A checkout under a world-traversable ``/tmp`` directory, or a venv in a mode-700 home
beside the base interpreter, once scored 0 % with no error: every run failed with exit 127
and was judged "the candidate failed". These tests make those venvs for real.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from langgraph_scaling import ScalingPolicy
from langgraph_scaling.engine import run_step
from langgraph_scaling.errors import SandboxError
from langgraph_scaling.sampling import BackendSampler, as_backend
from langgraph_scaling.sandbox import Sandbox
from langgraph_scaling.verifiers import UnitTestVerifier
from tests.fakes import ScriptedChatModel

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

GOOD = "def add(a, b):\n    return a + b\n"
BAD = "def add(a, b):\n    return a * b\n"  # right for (2, 2) only
TESTS = "assert add(1, 2) == 3\nassert add(2, 2) == 4"


def _venv(parent: Path) -> Path:
    """A bare venv (no pip) of the base interpreter under ``parent``; its python."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(parent / "venv")], check=True)
    return parent / "venv" / "bin" / "python"


@pytest.fixture(scope="module")
def tmp_venv() -> Iterator[Path]:
    """A venv in a plain ``mkdir`` directory under /tmp: mode 755, world-traversable."""
    parent = Path("/tmp") / f"lgs-loc-{uuid.uuid4().hex[:8]}"
    parent.mkdir(mode=0o755)
    parent.chmod(0o755)
    try:
        yield _venv(parent)
    finally:
        shutil.rmtree(parent)


@pytest.fixture(scope="module")
def home_venv() -> Iterator[Path]:
    """A venv in a directory of the home (mode 700 here: /root), beside the base Python."""
    parent = Path(tempfile.mkdtemp(prefix="lgs-loc-", dir=Path.home()))
    try:
        yield _venv(parent)
    finally:
        shutil.rmtree(parent)


@pytest.mark.parametrize("where", ["tmp_venv", "home_venv"])
async def test_a_venv_anywhere_runs_and_gets_correct_verdicts(
    where: str, request: pytest.FixtureRequest
) -> None:
    python: Path = request.getfixturevalue(where)
    sandbox = Sandbox(python=str(python))
    result = await sandbox.run_python("import sys; print(sys.prefix)")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(python.parent.parent)
    verifier = UnitTestVerifier(TESTS, sandbox=sandbox)
    good, bad = await verifier.check_code(GOOD), await verifier.check_code(BAD)
    assert (good.passed, good.score) == (True, 1.0), good.feedback
    assert (bad.passed, bad.score) == (False, 0.5), bad.feedback


async def test_the_home_venv_sees_only_its_own_directory(home_venv: Path) -> None:
    """Re-exposing a venv under /root shows that venv, not its siblings in the home."""
    secret = Path.home() / f"lgs-secret-{uuid.uuid4().hex[:6]}.txt"
    secret.write_text("do not read")
    try:
        code = f"import os; print(os.path.exists({str(secret)!r}), sorted(os.listdir('/root')))"
        result = await Sandbox(python=str(home_venv)).run_python(code)
    finally:
        secret.unlink()
    exists, listing = result.stdout.split(" ", 1)
    assert exists == "False", result.stdout
    assert secret.name not in listing and ".cache" not in listing


async def test_an_interpreter_that_cannot_run_raises() -> None:
    with pytest.raises(
        SandboxError, match="cannot run its interpreter '/nonexistent/python'"
    ) as info:
        await Sandbox(python="/nonexistent/python").run_python("print(1)")
    assert (info.value.stage, info.value.argv0) == ("probe", "/nonexistent/python")


async def test_an_interpreter_named_through_a_hidden_directory_runs(tmp_path: Path) -> None:
    """``python benchmarks/../.venv/bin/python`` style paths: ``sys.executable`` keeps the
    ``..``, and the hidden directory before it does not exist inside the sandbox."""
    hidden = tmp_path / "scripts"
    hidden.mkdir()
    detour = hidden / ".." / os.path.relpath(sys.executable, tmp_path)  # noqa: ASYNC240
    result = await Sandbox(python=str(detour)).run_python("print(6 * 7)")
    assert result.stdout == "42\n"


async def test_a_program_missing_inside_the_sandbox_raises_not_exit_127(tmp_path: Path) -> None:
    """A host program outside the sandbox's view cannot start: an error, not a verdict."""
    program = tmp_path / "tool.sh"
    program.write_text("#!/bin/sh\necho hi\n")
    program.chmod(0o755)
    with pytest.raises(SandboxError, match=r"could not start .*tool\.sh.*No such file") as info:
        await Sandbox().run([str(program)])
    assert (info.value.stage, info.value.argv0) == ("exec", str(program))


async def test_a_broken_sandbox_fails_the_verifier_and_the_step_loudly() -> None:
    verifier = UnitTestVerifier(TESTS, sandbox=Sandbox(python="/nonexistent/python"))
    with pytest.raises(SandboxError):
        await verifier.check_code(GOOD)
    model = ScriptedChatModel(script=[f"```python\n{GOOD}```"])
    policy = ScalingPolicy(router=3, verifiers=[verifier], selection="best")
    with pytest.raises(SandboxError, match="/nonexistent/python"):
        await run_step(BackendSampler(as_backend(model), [HumanMessage("add")], policy), policy)


async def test_packages_are_shown_only_when_asked_for() -> None:
    code = "import importlib.util as u; print(u.find_spec('pytest') is not None)"
    assert (await Sandbox().run_python(code)).stdout.strip() == "False"
    assert (await Sandbox(packages=["pytest"]).run_python(code)).stdout.strip() == "True"
    with pytest.raises(SandboxError, match="does not have installed") as info:
        await Sandbox(packages=["no-such-distribution-lgs"]).run_python("pass")
    assert info.value.stage == "probe"


def test_the_probe_reports_the_real_interpreter() -> None:
    from langgraph_scaling.sandbox._view import probe_interpreter

    interp = probe_interpreter(sys.executable, ())
    assert os.path.samefile(interp.executable, os.path.realpath(sys.executable))
    assert interp.base_prefix == sys.base_prefix and interp.prefix == sys.prefix
