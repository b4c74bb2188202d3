"""Scaling curves from one shared sample pool: accuracy against samples and tokens.

Three phases, so the expensive one runs once:

* ``sample``: for each HumanEval problem, one scaled step through the package's engine
  (``run_step`` + ``BackendSampler`` on the embedded in-process vLLM, one ``n=N`` request at
  temperature 0.8, the coding agent's prompt and visible-test verifiers) plus the greedy
  sample; every candidate is judged with the hidden tests and given a behaviour key
  (its outputs on the visible examples' inputs, ``CodeExecutionVerifier.behavior_key``).
  Written to ``benchmarks/results/scaling.json`` after every problem.
* ``analyse``: for k in 1, 2, 4 ... N, average over random ordered subsets of size k the
  hidden-test accuracy of each selection strategy (the package's ``select`` on package
  ``Candidate`` objects), plus pass@k (unbiased estimator: the oracle upper bound) and the
  greedy point; plots ``docs/img/scaling.png``.
* ``refine`` (live engine): per problem, ``selection="refine"`` starting from the pool's
  first sample (``--start``) with up to ``--rounds`` real revisions from the engine, each fed
  the visible tests' feedback; ``analyse`` reads the refine curve at k = 1 + rounds off it.

Example:
    $ .venv/bin/python benchmarks/scaling.py sample --tasks 0-39 --n 8
    $ .venv/bin/python benchmarks/scaling.py analyse
    $ .venv/bin/python benchmarks/scaling.py analyse --smoke      # synthetic pool, no model
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import math
import os
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
import _pool
from _common import machine, save, subplots

from langgraph_scaling.selection import select

PLOT = Path(__file__).parent.parent / "docs" / "img" / "scaling.png"
METHODS: dict[str, tuple[Any, _pool.KeyName, bool]] = {
    "vote (AST key, no tests)": ("vote", "code", False),
    "vote (behaviour key, no tests)": ("vote", "behavior", False),
    "weighted vote (visible tests)": ("weighted_vote", "code", True),
    "best (visible tests)": ("best", "code", True),
    "first_pass (visible tests)": ("first_pass", "code", True),
}
"""Curve name -> (package selection, vote key, whether visible-test verdicts are attached)."""


# -- analysis (pure) -----------------------------------------------------------------------
def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al., 2021): chance that k of n samples hold a correct one."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def curves(
    pool: Sequence[dict[str, Any]], ks: Sequence[int], *, repeats: int = 100, seed: int = 0
) -> dict[str, Any]:
    """Accuracy (hidden tests) and cost per k for every strategy, averaged over subsets."""
    rng = random.Random(seed)
    acc = {m: dict.fromkeys(ks, 0.0) for m in METHODS}
    tokens = dict.fromkeys(ks, 0.0)
    oracle = dict.fromkeys(ks, 0.0)
    for prob in pool:
        samples = prob["samples"]
        n = len(samples)
        hidden = _pool.hidden_of(samples)
        correct = sum(bool(s["hidden_passed"]) for s in samples)
        for k in ks:
            oracle[k] += pass_at_k(n, correct, k)
        for _ in range(repeats):
            order = rng.sample(range(n), n)
            for k in ks:
                sub = [samples[j] for j in order[:k]]
                tokens[k] += prob["prompt_tokens"] + sum(s["tokens_out"] for s in sub)
                for name, (method, key, verified) in METHODS.items():
                    winner = select(method, _pool.candidates(sub, key=key, verified=verified))
                    assert winner.winner is not None
                    acc[name][k] += hidden[winner.winner.text]
    runs = len(pool) * repeats
    greedy = [p["greedy"] for p in pool if p.get("greedy")]
    return {
        "problems": len(pool),
        "samples_per_problem": min(len(p["samples"]) for p in pool),
        "repeats": repeats,
        "ks": list(ks),
        "tokens_per_problem": {k: tokens[k] / runs for k in ks},
        "accuracy": {
            "pass@k (oracle)": {k: oracle[k] / len(pool) for k in ks},
            **{m: {k: acc[m][k] / runs for k in ks} for m in METHODS},
        },
        "greedy": {
            "problems": len(greedy),
            "accuracy": sum(bool(g["hidden_passed"]) for g in greedy) / len(greedy)
            if greedy
            else None,
            "tokens_per_problem": sum(g["tokens_in"] + g["tokens_out"] for g in greedy)
            / len(greedy)
            if greedy
            else None,
        },
    }


def plot(res: dict[str, Any], path: Path, refine: dict[str, Any] | None = None) -> None:
    """Accuracy against samples and against tokens per problem (PNG)."""
    ks = res["ks"]
    fig, axes = subplots(2, figsize=(12, 5.6), sharey=True)
    xs_tokens = [res["tokens_per_problem"][k] for k in ks]
    for ax, xs, label in (
        (axes[0], ks, "samples per problem (k)"),
        (axes[1], xs_tokens, "tokens per problem (prompt once + outputs)"),
    ):
        for name, ys in res["accuracy"].items():
            style = "--" if "oracle" in name else "-"
            ax.plot(xs, [100 * ys[k] for k in ks], style, marker="o", label=name)
        g = res["greedy"]
        if g["accuracy"] is not None:
            gx = 1 if ax is axes[0] else g["tokens_per_problem"]
            ax.scatter(
                [gx],
                [100 * g["accuracy"]],
                marker="*",
                s=160,
                c="k",
                zorder=5,
                label="greedy (T=0)",
            )
        if refine is not None:
            pts = refine["points"]
            rx = [
                pts[k]["samples_per_problem" if ax is axes[0] else "tokens_per_problem"]
                for k in pts
            ]
            ax.plot(
                rx,
                [100 * pts[k]["accuracy"] for k in pts],
                ":",
                marker="D",
                c="tab:red",
                label=f"refine: {refine['start']} sample + up to k-{refine['start']} "
                "revisions (x = samples spent)",
            )
        ax.set_xscale("log", base=2)
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_xticks(ks, [str(k) for k in ks])
    axes[0].set_ylabel("accuracy on hidden tests (%)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8)
    fig.suptitle(
        f"HumanEval/0-{res['problems'] - 1}: accuracy against compute, one shared pool of "
        f"{res['samples_per_problem']} samples per problem (T=0.8), "
        f"mean over {res['repeats']} random orders"
    )
    save(fig, path, rect=(0, 0.12, 1, 1))


# -- sampling (live engine) ----------------------------------------------------------------
def visible_inputs(tests: str, entry_point: str) -> list[tuple[Any, ...]]:
    """Argument tuples of the calls to ``entry_point`` in the visible asserts."""
    inputs = []
    for node in ast.walk(ast.parse(tests or "pass")):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == entry_point:
            try:
                args = tuple(ast.literal_eval(a) for a in node.args)
                json.dumps(args)
            except (ValueError, TypeError, SyntaxError):
                continue
            if not node.keywords:
                inputs.append(args)
    return inputs


def _record(c: Any, hidden: bool, behavior: str) -> dict[str, Any]:
    verdict = c.verdicts[0] if c.verdicts else None
    return {
        "index": c.index,
        "status": c.status,
        "text": c.text,
        "tokens_in": c.tokens_in,
        "tokens_out": c.tokens_out,
        "finish_reason": c.finish_reason,
        "visible_passed": bool(verdict and verdict.passed and c.status == "ok"),
        "visible_score": verdict.score if verdict else 0.0,
        "visible_feedback": verdict.feedback[:400] if verdict else "",
        "hidden_passed": hidden,
        "code_key": c.vote_key or f"#{c.index}",
        "behavior_key": behavior,
    }


async def _enrich(task: Any, hidden: dict[str, Any], cands: Sequence[Any]) -> list[dict[str, Any]]:
    """Hidden-test result and behaviour key of every candidate (sandboxed, one at a time)."""
    from langgraph_scaling.tasks import answer_from_text
    from langgraph_scaling.tasks.humaneval import judge
    from langgraph_scaling.verifiers.execution import CodeExecutionVerifier

    inputs = visible_inputs(task.visible_tests, task.entry_point)
    runners = [CodeExecutionVerifier([x], function=task.entry_point) for x in inputs]
    out: list[dict[str, Any]] = []
    for c in cands:
        if c.status != "ok":
            out.append(_record(c, False, f"!failed:{c.index}"))
            continue
        answer = answer_from_text(task, c.text)
        passed = await judge(answer, hidden)
        if not runners:
            behavior = c.vote_key or ""
        else:
            runs = [(await r.outputs(answer))[0] for r in runners]
            parts = [
                r.stdout.strip() if r.ok else f"!error:{r.limit_hit or r.exit_code}" for r in runs
            ]
            behavior = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]
        out.append(_record(c, passed, behavior))
    return out


async def step(
    backend: Any,
    task: Any,
    n: int,
    temperature: float,
    seed: int,
    *,
    logprobs: int | None = None,
    max_concurrency: int = 1,  # one verification at a time, as the recorded pool was made
) -> Any:
    """One ``propose`` step of ``n`` branches on ``task``, verified by its visible tests."""
    from langgraph_scaling import ScalingPolicy
    from langgraph_scaling.engine import run_step
    from langgraph_scaling.sampling import BackendSampler
    from langgraph_scaling.tasks import prompt_messages, task_verifiers

    policy = ScalingPolicy(
        router=n,
        selection="best",
        vote_key="code",
        temperature=temperature,
        seed=seed,
        max_new_tokens=512,
        logprobs=logprobs,
        max_concurrency=max_concurrency,
        verifiers=tuple(task_verifiers(task)),
    )
    return await run_step(
        BackendSampler(backend, prompt_messages(task), policy), policy, step="propose"
    )


async def sample_pool(args: argparse.Namespace) -> None:
    """Sample, verify, judge and key the pool, saving after every problem."""
    from langgraph_scaling.backends.default import embedded_backend
    from langgraph_scaling.errors import ScalingError
    from langgraph_scaling.tasks import humaneval_tasks, parse_task_ids, prompt_messages

    ids = [0, 1] if args.smoke else parse_task_ids(args.tasks)
    n = 2 if args.smoke else args.n
    out = Path(args.out)
    data: dict[str, Any] = {
        "meta": {
            "benchmark": "scaling",
            "command": " ".join(sys.argv),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "model": "embedded Qwen2.5-Coder-0.5B-Instruct (in-process vLLM, CPU, eager)",
            "n": n,
            "temperature": 0.8,
            "seed": args.seed,
            "max_new_tokens": 512,
        },
        "pool": [],
    }
    rows: dict[str, dict[str, Any]] = {}
    old = _pool.load(out) if args.extend else None
    if old is not None:
        # Grow an existing pool to n samples per problem: the new branches get the seeds
        # that follow the stored ones (seed + stored, ...), so the grown pool holds the same
        # per-branch seeds 0..n-1 as one n-request would.
        runs = [*old["meta"].pop("earlier_runs", []), old["meta"]]
        data["meta"] |= {"earlier_runs": runs}
        rows = {p["task_id"]: p for p in old["pool"]}
    backend = embedded_backend()
    t0 = time.monotonic()
    await backend.start()
    data["meta"]["engine_start_s"] = round(time.monotonic() - t0, 1)
    try:
        for task, hidden in humaneval_tasks(ids):
            if args.deadline and time.time() > args.deadline:
                data["meta"]["stopped_early"] = f"deadline reached before {task.id}"
                break
            row = rows.get(task.id)
            have = len(row["samples"]) if row else 0
            if have >= n:
                continue
            msgs = prompt_messages(task)
            t = time.monotonic()
            try:
                pooled = await step(backend, task, n - have, 0.8, args.seed + have)
            except ScalingError as exc:  # recorded and skipped; the engine itself is fine
                data["meta"].setdefault("errors", {})[task.id] = str(exc)[:300]
                continue
            t_pool = time.monotonic() - t
            greedy = None if args.no_greedy else await step(backend, task, 1, 0.0, args.seed)
            t_greedy = time.monotonic() - t - t_pool
            cands = pooled.candidates + ([greedy.winner] if greedy else [])
            records = await _enrich(task, hidden, cands)
            for r in records[: n - have]:
                r["index"] += have
            if row is None:
                row = rows[task.id] = {
                    "task_id": task.id,
                    "prompt_chars": sum(len(m.text) for m in msgs),
                    "n_messages": len(msgs),
                    "prompt_tokens": max(c.tokens_in for c in pooled.candidates),
                    "wall_s": {"pool": 0.0, "greedy": 0.0},
                    "samples": [],
                    "greedy": None,
                }
            row["wall_s"]["pool"] = round(row["wall_s"]["pool"] + t_pool, 2)
            row["wall_s"]["greedy"] = round(row["wall_s"]["greedy"] + t_greedy, 2)
            row["samples"] += records[: n - have]
            row["greedy"] = records[n - have] if greedy else row["greedy"]
            data["pool"] = sorted(rows.values(), key=lambda p: int(p["task_id"].split("/")[1]))
            _pool.save(data, out)
            solved = sum(r["hidden_passed"] for r in row["samples"])
            print(f"{task.id}: +{n - have} in {t_pool:.1f}s, hidden {solved}/{n}", flush=True)
        data["meta"]["wall_s"] = round(time.monotonic() - t0, 1)
        _pool.save(data, out)
        if args.refine_deadline and data["pool"]:
            await refine_rows(
                backend, data, start=args.start, rounds=args.rounds, deadline=args.refine_deadline
            )
            _pool.save(data, out)
    finally:
        await backend.aclose()


async def refine_live(args: argparse.Namespace) -> None:
    """``selection="refine"`` from the pool's first samples, revisions from the live engine."""
    from langgraph_scaling.backends.default import embedded_backend

    path = Path(args.out)
    data = _pool.load(path)
    backend = embedded_backend()
    await backend.start()
    try:
        await refine_rows(
            backend,
            data,
            start=args.start,
            rounds=args.rounds,
            deadline=args.refine_deadline,
            save=lambda: _pool.save(data, path),
        )
    finally:
        await backend.aclose()
    _pool.save(data, path)


async def refine_rows(
    backend: Any,
    data: dict[str, Any],
    *,
    start: int,
    rounds: int,
    deadline: float | None,
    save: Any = None,
) -> None:
    """Per problem: the pool's first ``start`` samples, then up to ``rounds`` live revisions.

    Every revision is kept with its visible verdict and hidden result, so the curve for any
    smaller number of rounds is read off the same run: refine stops at the first candidate
    that passes the visible tests, so a run cut after r rounds is the run with ``r`` rounds.
    """
    from langgraph_scaling import ScalingPolicy
    from langgraph_scaling.engine import run_step
    from langgraph_scaling.sampling import BackendSampler
    from langgraph_scaling.tasks import (
        answer_from_text,
        humaneval_tasks,
        prompt_messages,
        task_verifiers,
    )
    from langgraph_scaling.tasks.humaneval import judge

    by_id = {p["task_id"]: p for p in data["pool"]}
    ids = [int(t.split("/")[1]) for t in by_id]
    rows: list[dict[str, Any]] = []
    data["refine"] = {
        "start": start,
        "rounds": rounds,
        "temperature": 0.8,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": rows,
    }
    for task, hidden in humaneval_tasks(ids):
        prob = by_id[task.id]
        if deadline and time.time() > deadline:
            data["refine"]["stopped_early"] = f"deadline reached before {task.id}"
            break
        policy = ScalingPolicy(
            router=start,
            selection="refine",
            refine_rounds=rounds,
            vote_key="code",
            temperature=0.8,
            seed=0,
            max_new_tokens=512,
            max_concurrency=1,
            verifiers=tuple(task_verifiers(task)),
        )
        live = BackendSampler(backend, prompt_messages(task), policy)
        replay = _pool.ReplaySampler(prob["samples"][:start], prob["prompt_tokens"], reviser=live)
        t = time.monotonic()
        outcome = await run_step(replay, policy, step="propose")
        revisions = []
        for c in sorted(outcome.candidates, key=lambda c: c.round):
            if c.round == 0:
                continue
            ok = c.status == "ok"
            verdict = c.verdicts[0] if c.verdicts else None
            revisions.append(
                {
                    "round": c.round,
                    "status": c.status,
                    "text": c.text,
                    "tokens_in": c.tokens_in,
                    "tokens_out": c.tokens_out,
                    "visible_passed": bool(ok and verdict and verdict.passed),
                    "visible_score": verdict.score if verdict else 0.0,
                    "hidden_passed": ok and await judge(answer_from_text(task, c.text), hidden),
                    "code_key": c.vote_key or f"#r{c.round}",
                    "behavior_key": c.vote_key or f"#r{c.round}",
                }
            )
        rows.append(
            {"task_id": task.id, "revisions": revisions, "wall_s": round(time.monotonic() - t, 2)}
        )
        if save is not None:
            save()
        if revisions:
            print(task.id, [(r["visible_passed"], r["hidden_passed"]) for r in revisions])


# -- command line --------------------------------------------------------------------------
def refine_curve(data: dict[str, Any], ks: Sequence[int]) -> dict[str, Any] | None:
    """Refine with a budget of k samples: the first ``start``, then up to k - start revisions.

    Accuracy is the hidden result of what the engine would commit (``best`` over the
    candidates so far); samples and tokens are what was actually spent (refine stops early).
    """
    ref = data.get("refine")
    if not ref or "start" not in ref or not ref["rows"]:
        return None
    start = ref["start"]
    pool = {p["task_id"]: p for p in data["pool"]}
    ks = [k for k in ks if start <= k <= start + ref["rounds"]]
    out: dict[str, Any] = {"start": start, "problems": len(ref["rows"]), "points": {}}
    for k in ks:
        solved = samples = tokens = 0.0
        for row in ref["rows"]:
            prob = pool[row["task_id"]]
            first = prob["samples"][:start]
            used = [r for r in row["revisions"] if r["round"] <= k - start]
            cands = _pool.candidates(first + used, verified=True)
            winner = select("best", cands).winner
            assert winner is not None
            solved += (first + used)[winner.index]["hidden_passed"]
            samples += len(first) + len(used)
            tokens += prob["prompt_tokens"] + sum(s["tokens_out"] for s in first)
            tokens += sum(r["tokens_in"] + r["tokens_out"] for r in used)
        n = len(ref["rows"])
        out["points"][k] = {
            "accuracy": solved / n,
            "samples_per_problem": samples / n,
            "tokens_per_problem": tokens / n,
        }
    return out


def greedy_from_eval(path: Path, task_ids: Sequence[str]) -> dict[str, Any]:
    """The greedy point from a ``langgraph-scaling eval`` run's ``single`` policy (T=0)."""
    rows = [
        r
        for r in json.loads(path.read_text(encoding="utf-8"))["results"]
        if r["policy"] == "single" and r["task_id"] in set(task_ids)
    ]
    if not rows:
        return {"problems": 0, "accuracy": None, "tokens_per_problem": None}
    return {
        "problems": len(rows),
        "accuracy": sum(r["passed"] for r in rows) / len(rows),
        "tokens_per_problem": sum(r["tokens_in"] + r["tokens_out"] for r in rows) / len(rows),
        "source": f"{path} (policy 'single': one greedy sample through the coding agent)",
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("phase", choices=["sample", "analyse", "refine"])
    p.add_argument("--tasks", default="0-39")
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-greedy", action="store_true")
    p.add_argument(
        "--extend", action="store_true", help="sample: grow the pool in --out to --n per problem"
    )
    p.add_argument("--repeats", type=int, default=100)
    p.add_argument("--start", type=int, default=1, help="refine: pool samples before revising")
    p.add_argument("--rounds", type=int, default=7, help="refine: most revision rounds")
    p.add_argument("--deadline", type=float, default=None, help="unix time to stop sampling")
    p.add_argument(
        "--refine-deadline",
        type=float,
        default=None,
        help="sample: then refine (same engine) until this unix time; refine: stop time",
    )
    p.add_argument("--out", default=str(_pool.POOL))
    p.add_argument("--plot", default=str(PLOT))
    p.add_argument(
        "--greedy-from",
        default=str(_pool.RESULTS / "eval_dev" / "eval.json"),
        help="analyse: take the greedy point from this eval run when the pool has none",
    )
    p.add_argument("--smoke", action="store_true", help="tiny run (analyse: synthetic pool)")
    args = p.parse_args(argv)
    if args.phase in ("sample", "refine"):
        from langgraph_scaling.backends._cpu import cpu_thread_env

        for k, v in cpu_thread_env().items():
            os.environ.setdefault(k, v)
        anyio.run(sample_pool if args.phase == "sample" else refine_live, args)
        return 0
    if args.smoke:
        data = {"meta": {"smoke": True}, "pool": _pool.synthetic_pool(problems=3, n=4)}
        res = curves(data["pool"], [1, 2, 4], repeats=5)
    else:
        data = _pool.load(Path(args.out))
        n = min(len(prob["samples"]) for prob in data["pool"])
        ks = [k for k in (1, 2, 4, 8, 16, 32) if k <= n]
        res = curves(data["pool"], ks, repeats=args.repeats)
    if not res["greedy"]["problems"] and Path(args.greedy_from).exists():
        res["greedy"] = greedy_from_eval(
            Path(args.greedy_from), [p["task_id"] for p in data["pool"]]
        )
    ref = refine_curve(data, res["ks"])
    res["refine"] = ref
    print(json.dumps({k: v for k, v in res.items() if k != "ks"}, indent=1))
    if not args.smoke:
        data["results"] = res
        _pool.save(data, Path(args.out))
        plot(res, Path(args.plot), ref)
    return 0


if __name__ == "__main__":
    sys.exit(main())
