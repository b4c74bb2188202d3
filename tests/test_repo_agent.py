"""The repository agent on scripted fakes, real bug-corpus repositories and the real sandbox.

Each test scripts the model's answers in call order (``max_concurrency=1`` keeps the
branches of a step in order) and checks the mechanics: the tools really ran on the
repository, each edit branch was verified in the sandbox, feedback went back to the model,
the outcome and its reason.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from langgraph_scaling import ScalingPolicy
from langgraph_scaling.agents.repo import RepoAgentContext, build_repo_agent
from langgraph_scaling.agents.repo.tools import make_repo_tools
from langgraph_scaling.agents.repo.unchanged import NUDGE
from langgraph_scaling.agents.repo.workspace import (
    _CANNOT_START,
    Workspace,
    run_suite,
    summarise_output,
)
from langgraph_scaling.backends._protocol import Sample, SampleRequest
from langgraph_scaling.errors import BackendError, ConfigError, SandboxError, StepFailedError
from langgraph_scaling.sandbox import Sandbox, SandboxLimits
from langgraph_scaling.testing import ScriptedChatModel, tool_call
from tests._corpus import corpus
from tests._scripted_backend import ScriptedBackend

pytestmark = pytest.mark.slow


COMMAND = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
MODULE = "descstats/summary.py"
FIX = """descstats/summary.py
```python
<<<<<<< SEARCH
    return (ordered[mid - 1] + ordered[mid]) // 2
=======
    return (ordered[mid - 1] + ordered[mid]) / 2
>>>>>>> REPLACE
```"""
WRONG_FIX = FIX.replace(") / 2\n>>>", ") / 3\n>>>")
BREAKS_IMPORT = FIX.replace(") / 2\n>>>", ") / 2 +\n>>>")  # a syntax error: nothing collects
MALFORMED = """descstats/summary.py
```python
<<<<<<< SEARCH
    return ordered[mid] // 2
=======
    return ordered[mid] / 2
>>>>>>> REPLACE
```"""
EDITS_TESTS = """tests/test_summary.py
```python
<<<<<<< SEARCH
    assert median([1, 2, 3, 4]) == 2.5
=======
    assert median([1, 2, 3, 4]) == 2
>>>>>>> REPLACE
```"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return corpus.materialise("median-even", tmp_path / "median-even")


def _context(model: ScriptedChatModel, *, edit_branches: int = 1, **fields: Any) -> Any:
    policy = ScalingPolicy(router=edit_branches, selection="best", max_concurrency=1)
    steps = {"agent": {"max_branches": 1}, "reproduce": {"max_branches": edit_branches}}
    return RepoAgentContext(model=model, policy=policy, steps=steps, **fields)


async def _run(repo: Path, model: ScriptedChatModel, **fields: Any) -> dict[str, Any]:
    graph = build_repo_agent(checkpointer=InMemorySaver())
    inputs = {"repo": str(repo), "issue": corpus.issue("median-even"), "test_command": COMMAND}
    out: dict[str, Any] = await graph.ainvoke(
        inputs, {"configurable": {"thread_id": "t"}}, context=_context(model, **fields)
    )
    return out


def _tool_results(model: ScriptedChatModel) -> list[str]:
    """The tool answers the model saw in its last call that showed any (an edit branch
    sees the opening and its request only)."""
    with_tools = [c for c in model.calls if any(isinstance(m, ToolMessage) for m in c)]
    return [str(m.content) for m in with_tools[-1] if isinstance(m, ToolMessage)]


async def test_multi_step_fix_lists_reads_tests_edits_and_is_fixed(repo: Path) -> None:
    model = ScriptedChatModel(
        script=[
            tool_call("list_files", {}, "c1"),
            tool_call("read_file", {"path": MODULE}, "c2"),
            tool_call("run_tests", {}, "c3"),
            tool_call("search_code", {"pattern": r"// 2"}, "c4"),
            tool_call("edit", {"edit": "use true division"}, "c5"),
            FIX,
        ]
    )
    out = await _run(repo, model)
    assert out["outcome"] == "fixed", out["reason"]
    assert [a["tool"] for a in out["actions"]] == [
        "run_tests", "list_files", "read_file", "run_tests", "search_code", "edit",
    ]  # fmt: skip
    seen = _tool_results(model)
    assert MODULE in seen[0]
    assert "  21      return (ordered[mid - 1] + ordered[mid]) // 2" in seen[1]
    assert "tests FAIL" in seen[2] and "3 failed" in seen[2]
    assert f"{MODULE}:21:" in seen[3]
    assert "+    return (ordered[mid - 1] + ordered[mid]) / 2" in out["diff"]
    assert [r["step"] for r in out["reports"]] == ["agent"] * 5 + ["edit"]
    assert out["reports"][-1]["winner_passed"] is True
    assert out["applied"] is False and "// 2" in (repo / MODULE).read_text()
    run = corpus.run_tests(repo)
    assert run.returncode == 1  # the repository itself is untouched


async def test_malformed_branch_feeds_back_and_the_other_branch_passes(repo: Path) -> None:
    model = ScriptedChatModel(
        script=[
            tool_call("edit", {"edit": "fix median"}, "e1"),
            MALFORMED,  # edit step 1: both branches fail
            WRONG_FIX,
            tool_call("edit", {"edit": "fix median again"}, "e2"),
            MALFORMED,  # edit step 2: the malformed branch fails, the other passes
            FIX,
        ]
    )
    out = await _run(repo, model, edit_branches=2, apply_edit=True)
    assert out["outcome"] == "fixed", out["reason"]
    (feedback,) = [m for m in model.calls[3] if isinstance(m, ToolMessage)]
    assert "FAILED: no branch's edit passed" in str(feedback.content)
    assert "- branch 0: The edit of descstats/summary.py cannot be applied" in feedback.content
    assert "- branch 1: The patch applies, but" in feedback.content
    edit_reports = [r for r in out["reports"] if r["step"] == "edit"]
    assert [r["launched"] for r in edit_reports] == [2, 2]
    assert [r["winner"] for r in edit_reports][-1] == 1
    assert "branch 1" in out["reason"]
    assert out["applied"] is True and corpus.run_tests(repo).returncode == 0


async def test_an_edit_of_the_tests_is_rejected(repo: Path) -> None:
    model = ScriptedChatModel(
        script=[
            tool_call("edit", {"edit": "change the test"}, "e1"),
            EDITS_TESTS,
            tool_call("finish", {"summary": "could not fix it"}, "f1"),
        ]
    )
    out = await _run(repo, model)
    assert out["outcome"] == "no_fix"
    assert "The agent finished (could not fix it)" in out["reason"]
    (feedback,) = _tool_results(model)
    assert "protected test files (tests/test_summary.py)" in feedback
    assert out["diff"] == "" and out["best_edit"] is None


async def test_step_limit_keeps_the_best_unverified_edit(repo: Path) -> None:
    model = ScriptedChatModel(script=[tool_call("edit", {"edit": "x"}, "e1"), WRONG_FIX])
    out = await _run(repo, model, max_steps=2)
    assert out["outcome"] == "best_effort"
    assert "step limit (2 model turns)" in out["reason"] and "unverified" in out["reason"]
    assert "+    return (ordered[mid - 1] + ordered[mid]) / 3" in out["diff"]


async def test_an_edit_that_breaks_the_import_is_never_the_best_unverified_edit(
    repo: Path,
) -> None:
    # Both branches fail the one-command suite (score 0); branch 0's also breaks the
    # module's import, so every test that passed before now fails: worse than no edit.
    model = ScriptedChatModel(
        script=[tool_call("edit", {"edit": "x"}, "e1"), BREAKS_IMPORT, WRONG_FIX]
    )
    out = await _run(repo, model, max_steps=2, edit_branches=2)
    assert out["outcome"] == "best_effort", out["reason"]
    assert "+    return (ordered[mid - 1] + ordered[mid]) / 3" in out["diff"]
    assert out["best_edit"]["failing"] >= 1
    alone = ScriptedChatModel(script=[tool_call("edit", {"edit": "x"}, "e1"), BREAKS_IMPORT])
    out = await _run(repo, alone, max_steps=2)
    assert out["outcome"] == "no_fix" and out["diff"] == "", out["reason"]


async def test_a_full_context_ends_the_run_with_a_reason_instead_of_a_crash(repo: Path) -> None:
    full = BackendError("This model's maximum context length is 2048 tokens. However, ...")
    model = ScriptedChatModel(script=[tool_call("list_files", {}, "l1"), full])
    out = await _run(repo, model, max_steps=4)
    assert out["outcome"] == "no_fix"
    assert "outgrew the model's context window" in out["reason"]
    assert [a["tool"] for a in out["actions"][1:]] == ["list_files"]
    # Any other failure of every branch still fails the run loudly.
    broken = ScriptedChatModel(script=[BackendError("connection refused")])
    with pytest.raises(StepFailedError, match="connection refused"):
        await _run(repo, broken, max_steps=2)


REPRO = """tests/test_issue_reproduction.py
```python
from descstats import median


def test_even_median_is_the_mean_of_the_middle_pair():
    assert median([1, 2, 3, 4]) == 2.5
```"""
PASSING_REPRO = REPRO.replace("2.5", "2")  # what the buggy code returns


def _hide_the_failing_tests(repo: Path) -> None:
    tests = repo / "tests" / "test_summary.py"
    text = tests.read_text()
    for name in ("test_median_even_integers", "test_median_even_floats", "test_summary_of_even"):
        start = text.index(f"def {name}")
        end = text.index("\n\n\n", start) + 3
        text = text[:start] + text[end:]
    tests.write_text(text)
    subprocess.run(["git", "commit", "-qam", "fewer tests"], cwd=repo, check=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.x",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e.x",
                        "PATH": "/usr/bin:/bin"})  # fmt: skip


async def test_reproduction_test_first_when_every_test_passes(repo: Path) -> None:
    _hide_the_failing_tests(repo)
    assert corpus.run_tests(repo).returncode == 0
    model = ScriptedChatModel(
        script=[PASSING_REPRO, REPRO, tool_call("edit", {"edit": "fix"}, "e1"), FIX, FIX]
    )
    out = await _run(repo, model, edit_branches=2)
    assert out["outcome"] == "fixed", out["reason"]
    assert out["reproduction_test"] == ["tests/test_issue_reproduction.py"]
    assert out["reports"][0]["step"] == "reproduce" and out["reports"][0]["winner"] == 1
    assert "+def test_even_median_is_the_mean_of_the_middle_pair():" in out["diff"]
    assert "+    return (ordered[mid - 1] + ordered[mid]) / 2" in out["diff"]
    told = [str(m.content) for m in model.calls[2] if m.type == "human"][-1]
    assert "was added as tests/test_issue_reproduction.py" in told and "1 failed" in told


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (REPRO.replace("tests/test_issue_reproduction.py", "tests/test_summary.py"), "changes"),
        (REPRO.replace("tests/test_issue_reproduction.py", "tests/conftest.py"), "changes"),
        (REPRO.replace("tests/test_issue_reproduction.py", "tests/test_other.py"), None),
    ],
    ids=["rewrites-the-existing-tests", "adds-a-conftest", "a-new-test-file"],
)
async def test_a_reproduction_test_may_only_add_a_new_test_file(
    repo: Path, answer: str, why: str | None
) -> None:
    from langgraph_scaling.agents.repo.verify import ReproductionVerifier
    from langgraph_scaling.report import Candidate
    from langgraph_scaling.verifiers import VerifyContext
    from langgraph_scaling.verifiers.patch import DEFAULT_PROTECTED

    for new in ("tests/conftest.py", "tests/test_other.py"):
        (repo / new).touch()  # as the step touches the file it asks for
    check = ReproductionVerifier(repo, COMMAND, test_globs=DEFAULT_PROTECTED, timeout=60)
    verdict = await check.verify(Candidate(index=0, text=answer), VerifyContext())
    if why is None:
        assert verdict.passed, verdict.feedback  # it fails on the buggy code: a reproduction
    else:
        assert not verdict.passed and "may only add new test files" in verdict.feedback


@pytest.mark.parametrize(
    "path",
    ["pkg/tests/helpers.py", "app/tests.py", "pytest.ini", "setup.cfg", "pyproject.toml",
     "src/pkg/test/data.json"],
)  # fmt: skip
def test_nested_test_folders_and_test_configuration_are_protected(path: str) -> None:
    from langgraph_scaling.edits._paths import matches_any
    from langgraph_scaling.verifiers.patch import DEFAULT_PROTECTED

    assert matches_any(path, DEFAULT_PROTECTED)
    assert not matches_any("descstats/summary.py", DEFAULT_PROTECTED)


async def test_no_reproduction_test_that_fails_is_no_fix(repo: Path) -> None:
    _hide_the_failing_tests(repo)
    out = await _run(repo, ScriptedChatModel(script=[PASSING_REPRO]))
    assert out["outcome"] == "no_fix"
    assert "no branch wrote a test that fails" in out["reason"]
    assert "does not reproduce the issue" in out["reason"]


def test_pytest_output_keeps_failures_and_the_summary() -> None:
    text = "\n".join(
        ["..F", "=== FAILURES ===", "___ test_a ___", "    def test_a():",
         ">       assert f() == 2", "E   assert 1 == 2", "t.py:2: AssertionError",
         "=== short test summary info ===",
         "FAILED t.py::test_a - assert 1 == 2", "1 failed, 2 passed in 0.01s"]
    )  # fmt: skip
    assert summarise_output(text).splitlines() == [
        "___ test_a ___", ">       assert f() == 2", "E   assert 1 == 2", "t.py:2: AssertionError",
        "FAILED t.py::test_a - assert 1 == 2", "1 failed, 2 passed in 0.01s",
    ]  # fmt: skip
    assert summarise_output("x" * 5000, limit=100).startswith("...[cut]")


def test_workspace_reads_through_the_overlay(repo: Path) -> None:
    ws = Workspace(repo, {MODULE: "x = 1\n", "tests/new_test.py": "y = 2\n"})
    assert ws.read(MODULE) == "x = 1\n" and "tests/new_test.py" in ws.files()
    assert ".git/HEAD" not in ws.files() and ".gitignore" in ws.files()


def test_symbolic_links_are_not_listed_nor_followed_into_the_copy(
    repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside the repository\n")
    (repo / "data").symlink_to(outside, target_is_directory=True)
    (repo / "descstats" / "link.py").symlink_to(repo / MODULE)
    (repo / "dangling.py").symlink_to(tmp_path / "nothing-here.py")
    ws = Workspace(repo)
    assert not {"data/secret.txt", "descstats/link.py", "dangling.py"} & set(ws.files())
    copy = ws.materialise(tmp_path / "copy")  # a dangling link does not stop the copy
    assert (copy / "data").is_symlink() and (copy / "dangling.py").is_symlink()
    assert (copy / MODULE).read_text() == (repo / MODULE).read_text()


async def test_a_test_command_missing_from_the_sandbox_is_an_error_not_a_failing_suite(
    repo: Path,
) -> None:
    with pytest.raises(SandboxError, match="cannot run the test command"):
        await run_suite(repo, ["no-such-test-runner", "-q"], limit_s=30)
    # the same marker written by the tests themselves (candidate code) is a failing run
    forged = "import sys; print('" + _CANNOT_START + "', file=sys.stderr); sys.exit(127)"
    run = await run_suite(repo, ["python", "-c", forged], limit_s=30)
    assert run.exit_code == 127 and not run.passed
    gone = await run_suite(repo, ["./run_tests.sh"], limit_s=30)  # an edit may remove it
    assert gone.exit_code == 127 and not gone.passed


async def test_a_test_module_the_sandbox_lacks_is_an_error_not_a_failing_suite(
    repo: Path,
) -> None:
    bare = Sandbox()  # shows the standard library only, not pytest
    with pytest.raises(SandboxError, match="No module named pytest"):
        await run_suite(repo, ["python", "-m", "pytest", "-q"], limit_s=30, sandbox=bare)
    # tests that print the same words (candidate code) are a failing run
    forged = "import sys; print('No module named pytest', file=sys.stderr); sys.exit(1)"
    (repo / "fake_runner.py").write_text(forged + "\n")
    run = await run_suite(repo, ["python", "-m", "fake_runner"], limit_s=30, sandbox=bare)
    assert run.exit_code == 1 and not run.passed
    (repo / "fake_runner.py").write_text("import pytest\n")  # the repository's own module
    run = await run_suite(repo, ["python", "-m", "fake_runner"], limit_s=30, sandbox=bare)
    assert run.exit_code == 1 and "No module named 'pytest'" in run.output


def _cli(monkeypatch: pytest.MonkeyPatch, model: ScriptedChatModel, repo: Path, *extra: str) -> int:
    import langgraph_scaling.cli as cli

    monkeypatch.setattr(cli, "_backend", lambda args: model)
    monkeypatch.setenv("COLUMNS", "200")
    issue = corpus.issue("median-even")
    command = " ".join(COMMAND)
    argv = ["solve", "--repo", str(repo), "--issue", issue, "--test-command", command]
    return cli.main([*argv, "--policy", "best@1", *extra])


def test_cli_applies_a_verified_fix_and_exits_zero(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = [tool_call("read_file", {"path": MODULE}, "r1"), tool_call("edit", {"edit": "x"}), FIX]
    code = _cli(monkeypatch, ScriptedChatModel(script=script), repo, "--apply")
    out = capsys.readouterr().out
    assert code == 0, out
    assert "turn 0 run_tests() -> tests FAIL (exit 1)" in out
    assert "turn 1 read_file(path='descstats/summary.py') -> descstats/summary.py (41 lines)" in out
    assert "branch 0: passed" in out and "Outcome: fixed" in out
    assert f"Applied to {repo}." in out
    assert corpus.run_tests(repo).returncode == 0


def test_cli_without_a_verified_fix_exits_non_zero_and_says_why(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = [tool_call("edit", {"edit": "x"}, "e1"), WRONG_FIX]
    code = _cli(monkeypatch, ScriptedChatModel(script=script), repo, "--apply", "--max-steps", "2")
    out = capsys.readouterr().out
    assert code == 1, out
    failed = next(line for line in out.splitlines() if "branch 0: failed" in line)
    assert " - " in failed and "fail" in failed.split(" - ", 1)[1].lower(), failed  # why
    assert "Outcome: best_effort - The step limit (2 model turns) was reached" in out
    assert "The best edit (unverified):" in out
    assert "Not applied to" in out and "only a verified edit is written" in out
    assert corpus.run_tests(repo).returncode == 1  # the repository is untouched


async def test_a_repeated_call_is_noted_and_the_next_turn_must_edit(repo: Path) -> None:
    read = tool_call("read_file", {"path": MODULE}, "c1")
    model = ScriptedChatModel(script=[read, read, tool_call("edit", {"edit": "/ 2"}, "c3"), FIX])
    out = await _run(repo, model)
    assert out["outcome"] == "fixed", out["reason"]
    seen = _tool_results(model)
    assert not seen[0].startswith("(The same call") and seen[1].startswith(
        "(The same call as turn 1"
    )
    choices = [kw.get("tool_choice") for kw in model.call_kwargs[:3]]
    assert choices == ["required", "required", "edit"]  # after the repeat: edit, constrained
    assert all(kw.get("parallel_tool_calls") is False for kw in model.call_kwargs[:3])


async def test_after_look_limit_looking_turns_the_edit_is_forced(repo: Path) -> None:
    model = ScriptedChatModel(
        script=[
            tool_call("list_files", {"path": MODULE}, "c1"),  # a file's path: shows the file
            tool_call("search_code", {"pattern": "median"}, "c2"),
            tool_call("edit", {"edit": "/ 2"}, "c3"),
            FIX,
        ]
    )
    out = await _run(repo, model, look_limit=2)
    assert out["outcome"] == "fixed", out["reason"]
    assert [kw.get("tool_choice") for kw in model.call_kwargs[:3]] == ["required"] * 2 + ["edit"]
    assert "  21      return (ordered[mid - 1] + ordered[mid]) // 2" in _tool_results(model)[0]
    edit_prompt = model.calls[3][-1].content  # the edit step's request shows the file read
    assert f"{MODULE}:\n```python\nfrom collections import Counter" in edit_prompt
    assert "        return ordered[mid]\n" in edit_prompt  # as it is, no line numbers


async def test_a_forced_edit_call_cut_off_keeps_its_plan_and_the_edit_step_runs(
    repo: Path,
) -> None:
    """Every branch of the turn forced to ``edit`` ran out of tokens mid-JSON (what vLLM's
    constrained call gives then: an invalid call named ``edit``). The tool is known, so the
    run goes on to the edit step with the plan written so far, instead of a lost turn."""
    from langchain_core.messages import AIMessage
    from langchain_core.messages.tool import invalid_tool_call

    cut = invalid_tool_call(name="edit", args='{"edit": "use true div', id="c3", error="cut")
    model = ScriptedChatModel(
        script=[
            tool_call("list_files", {"path": MODULE}, "c1"),
            tool_call("search_code", {"pattern": "median"}, "c2"),
            AIMessage("", invalid_tool_calls=[cut]),
            FIX,
        ]
    )
    out = await _run(repo, model, look_limit=2)
    assert out["outcome"] == "fixed", out["reason"]
    turn = out["reports"][2]
    assert turn["step"] == "agent" and turn["winner_passed"] is False  # the call did fail
    assert "Your planned edit:\nuse true div\n" in model.calls[3][-1].content
    forced = [m for m in out["messages"] if isinstance(m, AIMessage) and m.tool_calls][-1]
    assert forced.response_metadata["salvaged_call"] == "cut"
    assert forced.tool_calls[0]["args"] == {"edit": "use true div"}


def _edit_arg(tools: list[dict[str, Any]]) -> dict[str, Any]:
    (edit,) = [t for t in tools if t["function"]["name"] == "edit"]
    return dict(edit["function"]["parameters"]["properties"]["edit"])


@pytest.mark.parametrize("choice", ["required", "auto"])
async def test_constrained_turns_cap_string_arguments_to_fit_the_answer(
    repo: Path, choice: str
) -> None:
    """A forced call cut off by max_new_tokens does not parse: under the constraint every
    string argument gets a maxLength that fits the policy's tokens (768 -> 704 chars).
    A free turn keeps the schema as the tool has it."""
    model = ScriptedChatModel(script=[tool_call("edit", {"edit": "/ 2"}, "c1"), FIX])
    out = await _run(repo, model, tool_choice=choice)
    assert out["outcome"] == "fixed", out["reason"]
    expected = {"type": "string", "maxLength": 704} if choice == "required" else {"type": "string"}
    assert len(model.bound_tools) == 1  # the turn's; the edit step binds nothing
    assert _edit_arg(model.bound_tools[0]) == expected


async def test_an_edit_step_whose_branches_write_nothing_is_told_and_goes_on(repo: Path) -> None:
    edit = tool_call("edit", {"edit": "/ 2"}, "c1")
    model = ScriptedChatModel(script=[edit, "", tool_call("edit", {"edit": "/ 2"}, "c2"), FIX])
    out = await _run(repo, model)
    assert out["outcome"] == "fixed", out["reason"]
    first = next(a for a in out["actions"] if a["tool"] == "edit")
    assert first["result"].startswith("FAILED: no branch wrote an edit (branch 0:"), first
    assert "no branch wrote an edit" in _tool_results(model)[0]


async def test_an_edit_step_whose_model_fails_raises_instead_of_going_on(repo: Path) -> None:
    edit = tool_call("edit", {"edit": "/ 2"}, "c1")
    broken = ScriptedChatModel(script=[edit, BackendError("connection refused")])
    with pytest.raises(StepFailedError, match="connection refused"):
        await _run(repo, broken, max_steps=3)


async def test_a_long_run_is_fitted_to_a_small_window_and_keeps_calls_paired(repo: Path) -> None:
    from langchain_core.messages import AIMessage

    from langgraph_scaling.agents.repo.history import size

    reads = [tool_call("read_file", {"path": MODULE, "start": i}, f"r{i}") for i in (1, 2, 3)]
    model = ScriptedChatModel(script=[*reads, tool_call("edit", {"edit": "/ 2"}, "e"), FIX])
    out = await _run(repo, model, context_window=2600, look_limit=6)
    assert out["outcome"] == "fixed", out["reason"]
    budget = _context(model, context_window=2600).history_budget()
    for sent in model.calls:
        assert size(sent) <= budget + 300, size(sent)  # + the tools' schemas, not counted here
        ids = {c["id"] for m in sent if isinstance(m, AIMessage) for c in m.tool_calls}
        assert all(m.tool_call_id in ids for m in sent if isinstance(m, ToolMessage))
    notes = [str(m.content) for m in model.calls[3]]
    assert any("earlier turns left out" in n or "output shortened" in n for n in notes), notes


async def test_an_edit_prompt_that_no_longer_fits_ends_the_run_there(repo: Path) -> None:
    full = BackendError("This model's maximum context length is 2048 tokens. However, ...")
    model = ScriptedChatModel(script=[tool_call("edit", {"edit": "/ 2"}, "e1"), full])
    out = await _run(repo, model, max_steps=6)
    assert out["outcome"] == "no_fix" and "outgrew" in out["reason"], out["reason"]
    assert len(model.calls) == 2  # no further turn after the edit step


async def test_an_edit_branch_sees_the_opening_the_code_and_the_last_failure_only(
    repo: Path,
) -> None:
    edit = tool_call("edit", {"edit": "/ 2"}, "e1")
    model = ScriptedChatModel(script=[edit, MALFORMED, tool_call("edit", {"edit": "/"}, "e2"), FIX])
    out = await _run(repo, model)
    assert out["outcome"] == "fixed", out["reason"]
    second = model.calls[3]  # the second edit step's branch
    assert not any(isinstance(m, ToolMessage) for m in second) and len(second) == 3
    ask = str(second[-1].content)
    assert "Your last edit failed:\nFAILED: no branch's edit passed" in ask
    assert f"{MODULE}:\n```python\n" in ask  # the one module, shown although never read


FIX_FLOAT = FIX.replace(") / 2\n>>>", ") / 2.0\n>>>")
FIX_AS_FUNCTION = '''descstats/summary.py
```python
def median(values: Sequence[float]) -> float:
    """The middle value."""
    _require(values, "median")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2  # the mean of the middle pair
```'''


def _scripted(respond_edit: str, **fields: Any) -> tuple[RepoAgentContext, ScriptedBackend]:
    """A context over a scripted backend: each turn calls edit, each edit branch answers
    ``respond_edit``; the backend records every request."""

    def respond(request: SampleRequest) -> Sample | str:
        if request.tools:
            return Sample(index=0, message=tool_call("edit", {"edit": "/ 2"}, "c1"))
        return respond_edit

    backend = ScriptedBackend(respond)
    policy = ScalingPolicy(router=1, selection="best")
    fields = {"max_steps": 2, **fields}
    return RepoAgentContext(model=backend, policy=policy, **fields), backend


@pytest.mark.parametrize(
    ("fields", "constrained"),
    [({}, True), ({"constrain_edit": False}, False), ({"tool_choice": "auto"}, False)],
)
async def test_the_edit_step_constrains_its_answer_to_a_code_file_and_one_python_block(
    repo: Path, fields: dict[str, Any], constrained: bool
) -> None:
    """Under ``tool_choice="required"`` each edit branch's answer is held by vLLM's
    structured outputs to the repo's code files (never the tests) and one python block,
    and asked for whole definitions; the answer in that form is verified and committed."""
    ctx, backend = _scripted(FIX_AS_FUNCTION, **fields)
    inputs = {"repo": str(repo), "issue": corpus.issue("median-even"), "test_command": COMMAND}
    out = await build_repo_agent().ainvoke(inputs, context=ctx)
    assert out["outcome"] == "fixed", out["reason"]
    (edit,) = [r for r in backend.requests if not r.tools]
    asked = str(edit.messages[-1].content)
    if constrained:
        regex = edit.extra["structured_outputs"]["regex"]
        assert re.fullmatch(regex, FIX_AS_FUNCTION)
        assert not re.fullmatch(regex, FIX_AS_FUNCTION.replace("descstats/", "tests/test_"))
        assert not re.fullmatch(regex, FIX_AS_FUNCTION + "\nmore text")
        assert "written out whole" in asked
    else:
        assert "structured_outputs" not in edit.extra
        assert "SEARCH/REPLACE" in asked


async def test_among_passing_edits_the_change_most_branches_make_is_committed(
    repo: Path,
) -> None:
    # Three branches pass: branch 0 alone divides by 2.0; branches 1 and 2 make the same
    # change (by AST, docstrings and comments aside), one as SEARCH/REPLACE and one as a
    # whole function, so they are one vote of two and branch 1 is committed.
    model = ScriptedChatModel(
        script=[tool_call("edit", {"edit": "fix median"}, "e1"), FIX_FLOAT, FIX, FIX_AS_FUNCTION]
    )
    out = await _run(repo, model, edit_branches=3, trim_edits=False)
    assert out["outcome"] == "fixed", out["reason"]
    (report,) = [r for r in out["reports"] if r["step"] == "edit"]
    assert report["winner"] == 1, report
    assert "+    return (ordered[mid - 1] + ordered[mid]) / 2\n" in out["diff"]


async def test_an_edit_step_tried_again_samples_with_other_seeds(repo: Path) -> None:
    """A failed edit step run again must not repeat its answer: seeds move with the turn."""
    ctx, backend = _scripted(WRONG_FIX, max_steps=4)
    inputs = {"repo": str(repo), "issue": corpus.issue("median-even"), "test_command": COMMAND}
    out = await build_repo_agent().ainvoke(inputs, context=ctx)
    assert out["outcome"] != "fixed"
    seeds = [tuple(r.seeds) for r in backend.requests if not r.tools]
    assert len(seeds) == 2 and seeds[0] != seeds[1], seeds


def _copy(repo: Path) -> str:
    """The buggy ``median`` exactly as the repository has it, as an edit branch answer."""
    text = (repo / MODULE).read_text()
    definition = text[text.index("def median(") : text.index("\n\n\ndef mode(")]
    return f"{MODULE}\n```python\n{definition}\n```"


def _copy_then(repo: Path, second: str, **fields: Any) -> tuple[RepoAgentContext, ScriptedBackend]:
    """A context whose edit branches copy the buggy function back unchanged, and answer
    ``second`` once told that their answer changes nothing."""
    copy = _copy(repo)

    def respond(request: SampleRequest) -> Sample | str:
        if request.tools:
            return Sample(index=0, message=tool_call("edit", {"edit": "/ 2"}, "c1"))
        return second if request.messages[-1].content == NUDGE else copy

    backend = ScriptedBackend(respond)
    policy = ScalingPolicy(router=2, selection="best")
    return RepoAgentContext(model=backend, policy=policy, max_steps=2, **fields), backend


async def test_branches_that_copy_the_code_back_unchanged_try_again_in_the_same_step(
    repo: Path,
) -> None:
    ctx, backend = _copy_then(repo, FIX_AS_FUNCTION, retry_unchanged=True)
    inputs = {"repo": str(repo), "issue": corpus.issue("median-even"), "test_command": COMMAND}
    out = await build_repo_agent().ainvoke(inputs, context=ctx)
    assert out["outcome"] == "fixed", out["reason"]
    first, again = [r for r in backend.requests if not r.tools]
    assert first.n == 2 and again.n == 2  # both branches copied: both try again
    assert set(first.seeds).isdisjoint(again.seeds)
    assert again.messages[:-2] == first.messages  # the same request, then the copy and why
    assert again.messages[-2].content == _copy(repo)
    assert [r["step"] for r in out["reports"]][-2:] == ["edit", "edit"]
    (edit,) = [a for a in out["actions"] if a["tool"] == "edit"]
    assert edit["args"] == {"branches": 4, "retried": 2}
    assert "branch 2 is applied" in edit["result"]  # numbered after the first wave's


async def test_a_second_try_that_fails_too_is_in_the_feedback_and_retry_can_be_off(
    repo: Path,
) -> None:
    inputs = {"repo": str(repo), "issue": corpus.issue("median-even"), "test_command": COMMAND}
    ctx, backend = _copy_then(repo, WRONG_FIX, retry_unchanged=True)
    out = await build_repo_agent().ainvoke(inputs, context=ctx)
    assert out["outcome"] != "fixed"
    assert len([r for r in backend.requests if not r.tools]) == 2
    feedback = next(str(m.content) for m in out["messages"] if isinstance(m, ToolMessage))
    assert "- branch 0: The edit of descstats/summary.py cannot be applied" in feedback
    assert "- branch 3: The patch applies, but" in feedback
    ctx, backend = _copy_then(repo, FIX_AS_FUNCTION)  # off by default
    out = await build_repo_agent().ainvoke(inputs, context=ctx)
    assert out["outcome"] != "fixed"
    assert len([r for r in backend.requests if not r.tools]) == 1


class _CountingSandbox(Sandbox):
    """The real local sandbox, keeping the limits of each run it is given."""

    def __init__(self) -> None:
        super().__init__(SandboxLimits(memory_mb=1536), packages=("pytest",))
        self.limits_of_runs: list[SandboxLimits] = []

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        self.limits_of_runs.append(kwargs["limits"])
        return await super().run(*args, **kwargs)


def _no_shared_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any) -> Any:
        raise AssertionError("a test run went to the shared sandbox")

    monkeypatch.setattr("langgraph_scaling.agents.repo.workspace.shared_sandbox", refuse)
    monkeypatch.setattr("langgraph_scaling.verifiers.patch.shared_sandbox", refuse)


async def test_every_test_run_goes_to_the_sandbox_the_context_names(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_shared_sandbox(monkeypatch)
    _hide_the_failing_tests(repo)
    box = _CountingSandbox()
    turns = [tool_call("run_tests", {}, "t1"), tool_call("edit", {"edit": "x"}, "e1")]
    model = ScriptedChatModel(script=[REPRO, *turns, FIX])
    out = await _run(repo, model, sandbox=box)
    assert out["outcome"] == "fixed", out["reason"]
    assert out["reproduction_test"] == ["tests/test_issue_reproduction.py"]
    assert "1 failed" in _tool_results(model)[0]  # the run_tests tool ran there too
    # start, the reproduction check, run_tests, the edit branch's check, 2 trim runs
    assert len(box.limits_of_runs) == 6
    assert {limits.memory_mb for limits in box.limits_of_runs} == {1536}  # the box's own


def test_a_sandbox_that_is_not_one_fails_at_construction() -> None:
    with pytest.raises(ConfigError, match=r"RepoAgentContext.sandbox='ray' .* not str"):
        RepoAgentContext(sandbox="ray")
    assert "sandbox" not in RepoAgentContext.model_json_schema()["properties"]


async def test_the_edit_tool_checks_an_edit_in_the_given_sandbox_without_applying_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_shared_sandbox(monkeypatch)
    box = _CountingSandbox()
    tools = {t.name: t for t in make_repo_tools(Workspace(repo), COMMAND, sandbox=box)}
    passed = await tools["edit"].ainvoke({"edit": FIX})
    refused = await tools["edit"].ainvoke({"edit": EDITS_TESTS})
    assert passed.startswith("PASSED"), passed
    assert refused.startswith("FAILED") and "protected test files" in refused
    assert len(box.limits_of_runs) == 1  # the refused edit never reached the sandbox
    assert "// 2" in (repo / MODULE).read_text()
