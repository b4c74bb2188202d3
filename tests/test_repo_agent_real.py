"""The repository agent on the real embedded model (vLLM in-process) and the real sandbox.

The assertions are about the mechanics, not about the 0.5B model fixing the bug: every turn
is a real (constrained) tool call that the agent ran on the repository, an edit step's
branches were each verified in the sandbox, and the run ends with a clear outcome: a
verified edit that really makes the tests pass, or ``best_effort``/``no_fix`` with a reason.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import anyio
import pytest

from langgraph_scaling import ScalingPolicy
from langgraph_scaling.agents.repo import RepoAgentContext, build_repo_agent
from langgraph_scaling.backends.vllm import VLLMBackend
from tests._vllm_fixtures import (
    anyio_backend,  # noqa: F401  (module-scoped: one engine for the module)
    vllm_backend,  # noqa: F401
)

pytestmark = [pytest.mark.model, pytest.mark.slow]

_PATH = Path(__file__).parent.parent / "benchmarks" / "bugs" / "corpus.py"
if "bug_corpus" not in sys.modules:
    _SPEC = importlib.util.spec_from_file_location("bug_corpus", _PATH)
    assert _SPEC is not None and _SPEC.loader is not None
    sys.modules["bug_corpus"] = importlib.util.module_from_spec(_SPEC)
    _SPEC.loader.exec_module(sys.modules["bug_corpus"])
corpus = sys.modules["bug_corpus"]

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
