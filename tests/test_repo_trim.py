"""Trimming a verified edit: hunks the test suite does not need are undone, in the sandbox.

The repository is the bug corpus's ``median-even`` (the real sandbox runs its pytest
suite for every try); the edit is the fix plus the kind of filler the embedded model
writes: a rewritten docstring, a comment, a guard no test covers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from langgraph_scaling import ScalingPolicy
from langgraph_scaling.agents.repo import RepoAgentContext, build_repo_agent
from langgraph_scaling.agents.repo import trim as trim_module
from langgraph_scaling.agents.repo.trim import hunks, trim, undo
from langgraph_scaling.agents.repo.workspace import Workspace
from langgraph_scaling.errors import SandboxError
from langgraph_scaling.testing import ScriptedChatModel, tool_call
from tests._corpus import corpus

COMMAND = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
MODULE = "descstats/summary.py"
BUG, FIXED = "[mid]) // 2", "[mid]) / 2"


def _filler(text: str) -> str:
    """The fix, and three changes the tests do not need."""
    return (
        text.replace(BUG, FIXED)
        .replace('"""The most common value; the smallest one on a tie."""', '"""Mode."""')
        .replace("    m = mean(values)\n", "    # the mean first\n    m = mean(values)\n")
        .replace(
            "    return sum(values) / len(values)\n",
            "    return sum(values) / max(1, len(values))\n",
        )
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return corpus.materialise("median-even", tmp_path / "median-even")


def test_undoing_every_hunk_gives_the_old_text_and_none_the_new() -> None:
    before, after = "a\nb\nc\nd\n", "a\nB\nc\nd\ne\n"
    ops = hunks(before, after)
    assert len(ops) == 2
    assert undo(before, after, set(ops)) == before
    assert undo(before, after, set()) == after
    assert undo(before, after, {ops[1]}) == "a\nB\nc\nd\n"


@pytest.mark.slow
async def test_filler_is_undone_and_the_fix_kept(repo: Path) -> None:
    ws = Workspace(repo)
    original = ws.read(MODULE)
    assert original is not None and BUG in original
    done = await trim(ws, {MODULE: _filler(original)}, COMMAND)
    assert done.changes == {MODULE: original.replace(BUG, FIXED)}
    assert len(done.undone) == 3 and done.runs == 5  # one run without the edit, 4 hunks
    assert all(line.startswith(f"{MODULE}:") for line in done.undone)


@pytest.mark.slow
async def test_runs_are_capped_and_untried_hunks_kept(repo: Path) -> None:
    ws = Workspace(repo)
    original = ws.read(MODULE)
    assert original is not None
    edit = {MODULE: _filler(original)}
    done = await trim(ws, edit, COMMAND, max_runs=1)
    assert done.runs == 2 and len(done.undone) == 1  # the first hunk: the mean's guard
    kept = done.changes[MODULE]
    assert "max(1, len(values))" not in kept
    assert '"""Mode."""' in kept and "# the mean first" in kept and FIXED in kept


@pytest.mark.slow
async def test_new_and_deleted_files_stay_whole(repo: Path) -> None:
    (repo / "NOTES.txt").write_text("notes\n")
    ws = Workspace(repo)
    original = ws.read(MODULE)
    assert original is not None
    edit = {
        MODULE: original.replace(BUG, FIXED),
        "descstats/extra.py": "X = 1\n",
        "NOTES.txt": None,
    }
    done = await trim(ws, edit, COMMAND)
    assert done.changes == edit and done.undone == () and done.runs == 2


@pytest.mark.slow
async def test_when_the_tests_pass_without_the_edit_it_is_kept_as_it_is(repo: Path) -> None:
    original = Workspace(repo).read(MODULE)
    assert original is not None
    fixed = Workspace(repo, {MODULE: original.replace(BUG, FIXED)})  # every test passes
    edit = {MODULE: _filler(original), "descstats/extra.py": "X = 1\n"}
    done = await trim(fixed, edit, COMMAND)
    assert done.changes == edit and done.undone == () and done.runs == 1


async def test_a_sandbox_that_cannot_run_raises(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise SandboxError("the sandbox could not start")

    monkeypatch.setattr(trim_module, "run_in_copy", broken)
    ws = Workspace(repo)
    original = ws.read(MODULE)
    assert original is not None
    with pytest.raises(SandboxError):
        await trim(ws, {MODULE: _filler(original)}, COMMAND)


async def _agent(repo: Path, **fields: object) -> dict[str, object]:
    original = Workspace(repo).read(MODULE)
    assert original is not None
    whole_file = f"{MODULE}\n```python\n{_filler(original)}```"
    model = ScriptedChatModel(script=[tool_call("edit", {"edit": "fix median"}, "e1"), whole_file])
    policy = ScalingPolicy(router=1, selection="best", max_concurrency=1)
    ctx = RepoAgentContext(model=model, policy=policy, reproduce=False, **fields)
    inputs = {"repo": str(repo), "issue": corpus.issue("median-even"), "test_command": COMMAND}
    graph = build_repo_agent(checkpointer=InMemorySaver())
    out: dict[str, object] = await graph.ainvoke(
        inputs, {"configurable": {"thread_id": "t"}}, context=ctx
    )
    return out


@pytest.mark.slow
async def test_the_agent_commits_the_trimmed_edit_and_says_what_it_undid(repo: Path) -> None:
    out = await _agent(repo)
    assert out["outcome"] == "fixed", out["reason"]
    diff = str(out["diff"])
    assert "+    return (ordered[mid - 1] + ordered[mid]) / 2" in diff
    assert "Mode." not in diff and "the mean first" not in diff and "max(1" not in diff
    edit = [a for a in out["actions"] if isinstance(a, dict) and a["tool"] == "edit"]
    assert "so they were undone" in edit[-1]["result"]


@pytest.mark.slow
async def test_trim_edits_off_commits_the_edit_as_written(repo: Path) -> None:
    out = await _agent(repo, trim_edits=False)
    assert out["outcome"] == "fixed", out["reason"]
    assert "Mode." in str(out["diff"]) and "max(1" in str(out["diff"])


@pytest.mark.slow
async def test_a_sandbox_failure_while_trimming_keeps_the_verified_edit_and_says_so(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise SandboxError("the sandbox could not start")

    monkeypatch.setattr(trim_module, "run_in_copy", broken)  # trimming only; the verifier runs
    out = await _agent(repo)
    assert out["outcome"] == "fixed", out["reason"]
    assert "Mode." in str(out["diff"])
    edit = [a for a in out["actions"] if isinstance(a, dict) and a["tool"] == "edit"]
    assert "It was not trimmed: the sandbox failed" in edit[-1]["result"]
