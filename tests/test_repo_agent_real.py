"""The repository agent on the real embedded model (vLLM in-process) and the real sandbox.

Two runs share one engine. On ``median-even`` from the bug corpus the assertions are about
the mechanics, not about the 0.5B model fixing the bug: every turn is a real (constrained)
tool call that the agent ran on the repository, an edit step's branches were each verified
in the sandbox, and the run ends with a clear outcome. On a bug made easy enough for the
0.5B model (``add`` subtracts) a run must end ``fixed`` (within three seeded runs): tools
called, an edit verified by the tests, the patch applied to the repository on disk, whose
own tests then pass. The
fix *rate* on realistic bugs is the bug-fix benchmark's business (docs/benchmarks.md).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from langgraph_scaling import ScalingPolicy
from langgraph_scaling.agents.repo import RepoAgentContext, build_repo_agent
from langgraph_scaling.backends.vllm import VLLMBackend
from tests._corpus import corpus
from tests._vllm_fixtures import (
    anyio_backend,  # noqa: F401  (module-scoped: one engine for the module)
    vllm_backend,  # noqa: F401
)

pytestmark = [pytest.mark.model, pytest.mark.slow]


TOOLS = {"list_files", "read_file", "search_code", "run_tests", "edit", "finish", "reproduce"}


@pytest.mark.timeout(1500)
async def test_the_embedded_model_drives_the_agent_on_an_easy_bug(
    vllm_backend: VLLMBackend,  # noqa: F811
    tmp_path: Path,
) -> None:
    repo = corpus.materialise("median-even", tmp_path / "median-even")
    policy = ScalingPolicy(router=2, selection="best", max_new_tokens=384, seed=0)
    ctx = RepoAgentContext(model=vllm_backend, policy=policy, max_steps=5, test_timeout=60)
    inputs = {
        "repo": str(repo),
        "issue": corpus.issue("median-even"),
        "test_command": ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
    }
    out = await build_repo_agent().ainvoke(inputs, context=ctx)

    turns = [r for r in out["reports"] if r["step"] == "agent"]
    assert turns, "the model took at least one turn"
    called = [a["tool"] for a in out["actions"][1:]]
    assert called and set(called) <= TOOLS, called  # real tool calls, none missing
    assert any(a["result"] and not a["result"].startswith("error") for a in out["actions"][1:])
    for report in [r for r in out["reports"] if r["step"] == "edit"]:
        assert report["launched"] == 2 and report["winner"] is not None
    assert out["outcome"] in ("fixed", "best_effort", "no_fix") and out["reason"]
    if out["outcome"] == "fixed":
        for rel, text in out["changes"].items():
            (repo / rel).write_text(text)
        run = await anyio.to_thread.run_sync(corpus.run_tests, repo)
        assert run.returncode == 0, run.summary
    print(out["outcome"], out["reason"], called)


EASY = {
    "calc/__init__.py": "from calc.ops import add, mul\n",
    "calc/ops.py": (
        'def add(a, b):\n    """The sum of a and b."""\n    return a - b\n\n\n'
        'def mul(a, b):\n    """The product of a and b."""\n    return a * b\n'
    ),
    "tests/test_ops.py": (
        "from calc import add, mul\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\n"
        "def test_mul():\n    assert mul(2, 3) == 6\n"
    ),
}


async def _fix_easy(backend: VLLMBackend, repo: Path, seed: int) -> dict[str, Any]:
    for rel, text in EASY.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    policy = ScalingPolicy(router=4, selection="best", max_new_tokens=256, seed=seed)
    ctx = RepoAgentContext(
        model=backend,
        policy=policy,
        steps={"agent": {"max_branches": 1}},  # looking turns cheap, the edit gets 4
        max_steps=8,
        apply_edit=True,
    )
    inputs = {
        "repo": str(repo),
        "issue": "add(2, 3) returns -1 but should return 5: add() subtracts instead of adding.",
        "test_command": ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
    }
    out: dict[str, Any] = await build_repo_agent().ainvoke(inputs, context=ctx)
    return out


@pytest.mark.timeout(1500)
async def test_the_embedded_model_fixes_an_easy_bug_and_the_patch_is_applied(
    vllm_backend: VLLMBackend,  # noqa: F811
    tmp_path: Path,
) -> None:
    # One seeded run is not reliable even on this bug (seed 0 fixed it here, seed 1 did
    # not), so up to three seeds are tried; the first fixed run is checked in full.
    tried = []
    for seed in (0, 1, 2):
        repo = tmp_path / f"calc-{seed}"
        out = await _fix_easy(vllm_backend, repo, seed)
        called = [a["tool"] for a in out["actions"]]
        tried.append((seed, out["outcome"], called))
        if out["outcome"] == "fixed":
            break
    assert out["outcome"] == "fixed", tried
    assert called[-1] == "edit", called  # the start's run_tests, any looks, the edit
    (edit,) = [r for r in out["reports"] if r["step"] == "edit" and r["winner_passed"]]
    assert edit["launched"] == 4
    assert out["applied"] is True
    assert out["changes"], out["reason"]
    for rel, text in out["changes"].items():  # written to disk (ops.py, or a shadowing
        assert (repo / rel).read_text() == text  # add() in calc/__init__.py: both pass)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
    with anyio.fail_after(120):
        run = await anyio.run_process(command, cwd=repo, check=False)
    assert run.returncode == 0, run.stdout.decode()[-2000:]
    assert (repo / "tests/test_ops.py").read_text() == EASY["tests/test_ops.py"]
    print("fixed with seed", tried[-1][0], "after", tried[:-1])
