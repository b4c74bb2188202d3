"""Fix rate on the bug corpus: one-shot answers against the repository agent, per k.

Each bug of ``benchmarks/bugs`` is materialised (its buggy version, a fresh git repository)
and given to one condition:

- ``greedy``: the one-shot coding agent (``agents.coding``), one greedy answer, unverified;
- ``oneshot@K``: the same agent with K sampled branches, each checked by the test command,
  the best committed (the agent before the repository agent existed);
- ``agent@K`` / ``agent@adaptive``: the repository agent (``agents.repo``) with K branches
  per step, or the adaptive router;
- ``agent-auto@K``: the same agent with its tool calls unconstrained
  (``tool_choice="auto"``: the model writes them, vLLM's parser reads them);
- ``agent-retry@K``: the same agent with a second try for edit branches that wrote the
  code back unchanged (``retry_unchanged=True``).

Whatever a condition commits is then **judged** the same way for all: its edit (any form
``edits.parse_edits`` reads, or the agent's changed files) is applied to another fresh copy
of the buggy repository, whose full test suite must pass (``corpus.run_tests``). Per run the
JSON keeps the judged result, the agent's own outcome, tokens in and out, tool calls, edit
steps, wall seconds, branches that tried to edit tests (rejected by the patch verifier) and
branches whose tool call did not parse or was missing.

Runs go ``--concurrency`` bugs at a time on one in-process engine (``embedded_backend()``),
conditions in rotated order per bug; results are rewritten after every run and
``--extend`` skips the (bug, condition) pairs already in the file.

Example:
    $ .venv/bin/python benchmarks/bug_fix.py --bugs median-even --conditions greedy agent@2
    $ .venv/bin/python benchmarks/bug_fix.py --conditions greedy oneshot@4 agent@1 agent@4
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from _common import earlier_rows, run_grid, todo, write_results

from langgraph_scaling import ScalingPolicy, collect_reports
from langgraph_scaling.agents.coding import CodingAgentContext, build_coding_agent
from langgraph_scaling.agents.repo import RepoAgentContext, build_repo_agent
from langgraph_scaling.edits import EditError, parse_edits
from langgraph_scaling.tasks import CodingTask

_CORPUS = Path(__file__).parent / "bugs" / "corpus.py"
if "bug_corpus" not in sys.modules:  # the tests load it under this name too
    _SPEC = importlib.util.spec_from_file_location("bug_corpus", _CORPUS)
    assert _SPEC is not None and _SPEC.loader is not None
    sys.modules["bug_corpus"] = importlib.util.module_from_spec(_SPEC)
    _SPEC.loader.exec_module(sys.modules["bug_corpus"])
corpus = sys.modules["bug_corpus"]

RESULTS = Path(__file__).parent / "results" / "bug_fix.json"
TEST_COMMAND = ("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")


def parse_condition(name: str) -> tuple[str, int | str]:
    """``agent@4`` -> ``("agent", 4)``; ``greedy`` -> ``("greedy", 1)``."""
    kind, _, k = name.partition("@")
    if kind == "greedy" and not k:
        return kind, 1
    agent = kind in {"agent", "agent-auto", "agent-retry"}
    if (kind == "oneshot" or agent) and (k.isdigit() or (agent and k == "adaptive")):
        return kind, int(k) if k.isdigit() else k
    raise SystemExit(
        f"--conditions: {name!r} is not greedy, oneshot@K, agent@K, agent-auto@K, "
        "agent-retry@K or agent@adaptive"
    )


def _policy(kind: str, k: int | str, seed: int) -> ScalingPolicy:
    if kind == "greedy":
        return ScalingPolicy(
            router=1, temperature=0.0, max_new_tokens=768, seed=seed, keep_candidates=True
        )
    return ScalingPolicy(
        router=k, selection="best", max_new_tokens=768, seed=seed, keep_candidates=True
    )


def _sources(repo: Path) -> tuple[str, ...]:
    """The repository's non-test Python files: what the one-shot prompt shows."""
    files = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*.py"))
    return tuple(f for f in files if not f.startswith("tests/") and ".git/" not in f)


async def _one_shot(backend: Any, repo: Path, bug_id: str, policy: ScalingPolicy, verify: bool):
    task = CodingTask(
        id=bug_id,
        kind="patch",
        prompt=corpus.issue(bug_id),
        repo=repo,
        test_command=TEST_COMMAND,
        context_files=_sources(repo),
    )
    ctx = CodingAgentContext(model=backend, policy=policy, verify=verify)
    out = await build_coding_agent().ainvoke({"task": task}, context=ctx)
    return out, {"answer": out.get("answer", "")}


async def _agent(backend: Any, repo: Path, bug_id: str, policy: ScalingPolicy, kind: str):
    ctx = RepoAgentContext(
        model=backend,
        policy=policy,
        max_steps=12,
        test_timeout=60,
        tool_choice="auto" if kind == "agent-auto" else "required",
        retry_unchanged=kind == "agent-retry",
    )
    inputs = {"repo": str(repo), "issue": corpus.issue(bug_id), "test_command": TEST_COMMAND}
    out = await build_repo_agent().ainvoke(inputs, context=ctx)
    return out, {"changes": out.get("changes") or {}}


def judge(bug_id: str, committed: dict[str, Any], where: Path) -> tuple[bool, str]:
    """Apply what a run committed to a fresh buggy copy; whether the full suite passes."""
    repo = corpus.materialise(bug_id, where)
    changes: dict[str, str | None] = dict(committed.get("changes") or {})
    if not changes and committed.get("answer", "").strip():
        try:
            edits = parse_edits(committed["answer"], repo)
        except EditError as exc:
            return False, f"the answer is not an edit: {exc}"
        changes = {c.path: c.after for c in edits.changes}
    if not changes:
        return False, "nothing committed"
    for path, text in changes.items():
        target = repo / path
        if text is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    suite = corpus.run_tests(repo)
    return suite.returncode == 0, suite.summary


def counts(out: dict[str, Any], reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Tokens, tool calls, edit steps, edit branches and those whose edit did not parse or
    apply, test-edit attempts, unparsed tool calls and salvaged forced ``edit`` calls
    (``tools.salvage_edit_call``) of a run.

    ``reports`` are the run's full step reports (with their candidates), as
    ``collect_reports()`` gathered them; the state keeps only compact ones.
    """
    candidates = [(r["step"], c) for r in reports for c in r.get("candidates", [])]
    failed = [_failure(c) for step, c in candidates if step == "agent" and not _schema_ok(c)]
    return {
        "tokens_in": sum(r.get("tokens_in", 0) for r in reports),
        "tokens_out": sum(r.get("tokens_out", 0) for r in reports),
        "steps": len(reports),
        "tool_calls": sum(1 for a in out.get("actions", [])[1:] if a.get("tool") not in _NOT_CALLS),
        "edit_steps": sum(1 for r in reports if r["step"] == "edit"),
        "edit_branches": sum(1 for step, _ in candidates if step == "edit"),
        "unparsed_edits": sum(
            1
            for step, c in candidates
            if step == "edit"
            and any("edit_error" in v.get("details", {}) for v in c.get("verdicts", []))
        ),
        "branches": len(candidates),
        "test_edit_attempts": sum(
            1
            for _, c in candidates
            for v in c.get("verdicts", [])
            if v.get("details", {}).get("protected")
        ),
        "tool_call_failures": len(failed),
        "tool_call_failure_details": failed,
        "unparsed_edit_details": [
            _edit_failure(c) for step, c in candidates if step == "edit" and _edit_error(c)
        ],
        "retried_branches": sum(
            int(a.get("args", {}).get("retried", 0))
            for a in out.get("actions", [])
            if a.get("tool") == "edit"
        ),
        "salvaged_calls": sum(
            1
            for m in out.get("messages", [])
            if "salvaged_call" in (getattr(m, "response_metadata", None) or {})
        ),
    }


_NOT_CALLS = {"edit", "reproduce", "(no tool call)"}  # steps, and turns that called nothing


def _failure(candidate: dict[str, Any]) -> dict[str, Any]:
    """Why an agent-turn branch failed ``ToolCallVerifier``: how it ended and the verdict."""
    feedback = [v["feedback"] for v in candidate.get("verdicts", []) if not v["passed"]]
    return {
        "finish_reason": candidate.get("finish_reason"),
        "tokens_out": candidate.get("tokens_out"),
        "feedback": "; ".join(feedback)[:300],
    }


def _edit_error(candidate: dict[str, Any]) -> dict[str, Any] | None:
    errors = (v.get("details", {}).get("edit_error") for v in candidate.get("verdicts", []))
    return next((e for e in errors if e), None)


def _edit_failure(candidate: dict[str, Any]) -> dict[str, Any]:
    """Why an edit branch's answer did not parse or apply: how it ended, the edit error."""
    error = _edit_error(candidate) or {}
    return {
        "finish_reason": candidate.get("finish_reason"),
        "tokens_out": candidate.get("tokens_out"),
        "reason": str(error.get("reason", ""))[:200],
        "file": error.get("file"),
    }


def _schema_ok(candidate: dict[str, Any]) -> bool:
    verdicts = candidate.get("verdicts", [])
    return all(v["passed"] for v in verdicts if v["verifier"] == "tool_call_schema")


async def run_one(backend: Any, bug_id: str, condition: str, seed: int) -> dict[str, Any]:
    """One (bug, condition) run, judged; its JSON row."""
    kind, k = parse_condition(condition)
    policy = _policy(kind, k, seed)
    with tempfile.TemporaryDirectory(prefix=f"fix-{bug_id}-") as tmp:
        repo = corpus.materialise(bug_id, Path(tmp) / "repo")
        start = time.monotonic()
        with collect_reports() as full:
            if kind.startswith("agent"):
                out, committed = await _agent(backend, repo, bug_id, policy, kind)
            else:
                out, committed = await _one_shot(backend, repo, bug_id, policy, kind == "oneshot")
        wall = time.monotonic() - start
        fixed, summary = judge(bug_id, committed, Path(tmp) / "judged")
    return {
        "bug": bug_id,
        "condition": condition,
        "fixed": fixed,
        "judge": summary,
        "outcome": out.get("outcome") or ("passed" if out.get("passed") else "unverified"),
        "reason": out.get("reason", ""),
        "wall_s": round(wall, 1),
        **counts(out, [r.model_dump(mode="json") for r in full]),
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per condition: bugs run, fixed, and the per-bug means of the counters."""
    out: dict[str, dict[str, Any]] = {}
    for cond in dict.fromkeys(r["condition"] for r in rows):
        rs = [r for r in rows if r["condition"] == cond]
        mean = {
            key: round(sum(r[key] for r in rs) / len(rs), 1)
            for key in ("tokens_in", "tokens_out", "tool_calls", "wall_s", "branches")
        }
        out[cond] = {
            "bugs": len(rs),
            "fixed": sum(r["fixed"] for r in rs),
            "fix_rate": round(sum(r["fixed"] for r in rs) / len(rs), 3),
            "claimed_fixed": sum(r["outcome"] in {"fixed", "passed"} for r in rs),
            "test_edit_attempts": sum(r["test_edit_attempts"] for r in rs),
            "tool_call_failures": sum(r["tool_call_failures"] for r in rs),
            "salvaged_calls": sum(r.get("salvaged_calls", 0) for r in rs),  # newer rows only
            "edit_branches": sum(r.get("edit_branches", 0) for r in rs),  # newer rows only
            "unparsed_edits": sum(r.get("unparsed_edits", 0) for r in rs),
            "retried_branches": sum(r.get("retried_branches", 0) for r in rs),  # newer rows
            "per_bug": mean,
        }
    return out


async def run(args: argparse.Namespace) -> None:
    from langgraph_scaling.backends.default import embedded_backend

    rows = earlier_rows(args.out, args.extend, seed=args.seed)
    ids = corpus.bug_ids() if args.bugs == ["all"] else args.bugs
    grid = todo(ids, args.conditions, {(r["bug"], r["condition"]) for r in rows})

    async def one(backend: Any, bug_id: str, cond: str) -> dict[str, Any]:
        return await run_one(backend, bug_id, cond, args.seed)

    def write(rows: list[dict[str, Any]], wall: float, complete: bool) -> None:
        summary = summarise(rows) if rows else {}
        fields = {"complete": complete, "seed": args.seed, "concurrency": args.concurrency}
        write_results(args.out, "bug_fix", summary, rows, **fields, wall_s=round(wall, 1))

    await run_grid(embedded_backend(), grid, one, write, rows=rows, concurrency=args.concurrency)
    print(json.dumps(summarise(rows), indent=1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bugs", nargs="+", default=["all"], help="bug ids (default: all)")
    parser.add_argument(
        "--conditions",
        nargs="+",
        default=["greedy", "oneshot@4", "agent@1", "agent@4", "agent@8", "agent@adaptive"],
    )
    parser.add_argument("--concurrency", type=int, default=4, help="runs at once")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--extend", action="store_true", help="skip runs already in --out")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    for cond in args.conditions:
        parse_condition(cond)
    anyio.run(run, args)


if __name__ == "__main__":
    main()
