"""Does a repetition penalty stop the edit step from copying the code back unchanged?

On the bug corpus the 0.5B model's edit branches most often write the buggy definitions
back as they are ("the edit changes nothing": 268 of 688 branches of the adaptive run).
vLLM's ``repetition_penalty`` lowers the logits of every token already in the prompt or
the answer, so it pushes an answer away from a verbatim copy, and perhaps from code that
still works. This measures it on one edit step per bug, the same for every variant:

- the repository agent's state after its first test run (``graph.start``), one
  ``read_file`` of the bug's module (so the edit is shown that module), and an ``edit``
  call whose plan is the same sentence for every bug;
- the real edit step (``edit.edit_step``: the constrained answer, the patch verifier, the
  sandbox), ``--k`` branches at T=0.8, seeds 0.., 768 new tokens;
- per variant, the penalty is added to the edit answers' requests only.

Each branch ends as one of: ``passed`` (the tests pass with it), ``failed`` (it applied and
the tests fail), ``unchanged`` (a verbatim copy), ``invalid`` (another edit error: not
Python, no such definition ...), ``error`` (no answer: the request failed or timed out).
Variants run on one engine, in rotated order per bug, ``--concurrency`` bugs at a time.

Example:
    $ .venv/bin/python benchmarks/edit_copies.py --bugs median-even --penalties 1.0 1.1
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
import bug_fix
from _common import earlier_rows, run_grid, todo, write_results
from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from langgraph_scaling import ScalingPolicy, collect_reports
from langgraph_scaling.agents.repo import RepoAgentContext
from langgraph_scaling.agents.repo.edit import edit_step
from langgraph_scaling.agents.repo.graph import start
from langgraph_scaling.backends import Emit, SampleRequest
from langgraph_scaling.edits._parse import UNCHANGED

RESULTS = Path(__file__).parent / "results" / "edit_copies.json"
PLAN = "Fix the bug the failing tests show, in the module that has it."
OUTCOMES = ("passed", "failed", "unchanged", "invalid", "error")


class Penalised:
    """A backend whose constrained edit answers get ``repetition_penalty``; the rest as is."""

    def __init__(self, inner: Any, penalty: float) -> None:
        self.inner, self.penalty = inner, penalty
        self.name = inner.name

    async def sample(self, request: SampleRequest, emit: Emit) -> None:
        if self.penalty != 1.0 and "structured_outputs" in request.extra:
            request = replace(request, extra={**request.extra, "repetition_penalty": self.penalty})
        await self.inner.sample(request, emit)

    def __getattr__(self, name: str) -> Any:  # max_model_len and the like
        return getattr(self.inner, name)


def outcome(candidate: dict[str, Any]) -> str:
    """How one edit branch ended (see the module's docstring)."""
    if candidate.get("status", "ok") != "ok":  # no answer to judge: the engine failed it
        return "error"
    verdicts = candidate.get("verdicts", [])
    errors = [v["details"]["edit_error"] for v in verdicts if "edit_error" in v.get("details", {})]
    if errors:
        return "unchanged" if UNCHANGED in str(errors[0].get("reason", "")) else "invalid"
    return "passed" if verdicts and all(v["passed"] for v in verdicts) else "failed"


async def edit_once(backend: Any, bug_id: str, penalty: float, k: int) -> dict[str, Any]:
    """One edit step on ``bug_id`` with ``penalty``; its JSON row."""
    policy = ScalingPolicy(
        router=k, selection="best", max_new_tokens=768, seed=0, keep_candidates=True
    )
    ctx = RepoAgentContext(model=Penalised(backend, penalty), policy=policy, trim_edits=False)
    module = bug_fix.corpus.bug(bug_id)["files"][0]
    with tempfile.TemporaryDirectory(prefix=f"copies-{bug_id}-") as tmp:
        repo = bug_fix.corpus.materialise(bug_id, Path(tmp) / "repo")
        state: dict[str, Any] = {
            "repo": str(repo),
            "issue": bug_fix.corpus.issue(bug_id),
            "test_command": list(bug_fix.TEST_COMMAND),
        }
        state |= await start(state, Runtime(context=ctx))  # type: ignore[arg-type]
        call = {"name": "edit", "args": {"edit": PLAN}, "id": "e1", "type": "tool_call"}
        state["actions"] = [
            *state["actions"],
            {"turn": 1, "tool": "read_file", "args": {"path": module}, "result": ""},
        ]
        state["messages"] = [*state["messages"], AIMessage("", tool_calls=[call])]
        started = time.monotonic()
        with collect_reports() as full:
            await edit_step(state, ctx)  # type: ignore[arg-type]
        wall = time.monotonic() - started
    reports = [r.model_dump(mode="json") for r in full]
    candidates = [c for r in reports if r["step"] == "edit" for c in r.get("candidates", [])]
    ends = [outcome(c) for c in candidates]
    return {
        "bug": bug_id,
        "penalty": penalty,
        "branches": len(candidates),
        **{name: ends.count(name) for name in OUTCOMES},
        "outcomes": ends,
        "tokens_out": sum(r.get("tokens_out", 0) for r in reports),
        "cut_off": sum(c.get("finish_reason") == "length" for c in candidates),
        "wall_s": round(wall, 1),
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per penalty: bugs, branches, each outcome's count, bugs with a passing branch."""
    out: dict[str, dict[str, Any]] = {}
    for penalty in sorted({r["penalty"] for r in rows}):
        rs = [r for r in rows if r["penalty"] == penalty]
        out[str(penalty)] = {
            "bugs": len(rs),
            "branches": sum(r["branches"] for r in rs),
            **{name: sum(r.get(name, 0) for r in rs) for name in OUTCOMES},
            "bugs_with_a_pass": sum(r["passed"] > 0 for r in rs),
            "tokens_out": sum(r["tokens_out"] for r in rs),
            "cut_off": sum(r["cut_off"] for r in rs),
        }
    return out


async def run(args: argparse.Namespace) -> None:
    from langgraph_scaling.backends.default import embedded_backend

    rows = earlier_rows(args.out, args.extend, k=args.k)
    ids = bug_fix.corpus.bug_ids() if args.bugs == ["all"] else args.bugs
    grid = todo(ids, args.penalties, {(r["bug"], r["penalty"]) for r in rows})

    async def one(backend: Any, bug_id: str, penalty: float) -> dict[str, Any]:
        return await edit_once(backend, bug_id, penalty, args.k)

    def write(rows: list[dict[str, Any]], wall: float, complete: bool) -> None:
        summary = summarise(rows) if rows else {}
        fields = {"complete": complete, "k": args.k, "concurrency": args.concurrency}
        write_results(args.out, "edit_copies", summary, rows, **fields, wall_s=round(wall, 1))

    await run_grid(embedded_backend(), grid, one, write, rows=rows, concurrency=args.concurrency)
    print(json.dumps(summarise(rows), indent=1))


def penalty(text: str) -> float:
    """A ``--penalties`` value: vLLM takes a repetition penalty above 0 (1: none)."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"a repetition penalty must be above 0, not {text}")
    return value


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bugs", nargs="+", default=["all"], help="bug ids (default: all)")
    p.add_argument("--penalties", nargs="+", type=penalty, default=[1.0, 1.1])
    p.add_argument("--k", type=int, default=4, help="edit branches per step")
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--extend", action="store_true", help="skip (bug, penalty) pairs done")
    anyio.run(run, p.parse_args(argv))


if __name__ == "__main__":
    main()
