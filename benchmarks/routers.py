"""Router efficiency on the shared sample pool: accuracy reached against samples spent.

Every policy runs through the package's own engine (``run_step``) over a
:class:`_pool.ReplaySampler` that hands out the pool's samples in a random order (the same
orders for every policy), with the stored visible-test verdicts as the verifier and
``selection="best"``. So the adaptive router's waves, its stop-on-pass rule, the heuristic
router's choice from real :class:`RouterSignals` (prompt characters, messages) and the
budget clamping are the package's, while no model is run. Compared against fixed k.

Example:
    $ .venv/bin/python benchmarks/routers.py              # needs benchmarks/results/scaling.json
    $ .venv/bin/python benchmarks/routers.py --smoke      # synthetic pool, a second or two
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
import _pool
from _common import save, subplots

from langgraph_scaling import ScalingPolicy
from langgraph_scaling.engine import run_step
from langgraph_scaling.routing import AdaptiveRouter, HeuristicRouter, RouterSignals

RESULTS = _pool.RESULTS / "routers.json"
PLOT = Path(__file__).parent.parent / "docs" / "img" / "routers.png"


def policies(n: int) -> dict[str, Any]:
    """Policy name -> router (fixed k up to the pool size, adaptive, heuristic)."""
    out: dict[str, Any] = {f"fixed k={k}": k for k in (1, 2, 4, 8, 16) if k <= n}
    schedules = [s for s in ((1, 2, 4, 8), (2, 4, 8), (1, 2, 4, 8, 16)) if s[-1] <= n]
    for s in schedules:
        out["adaptive " + "→".join(map(str, s))] = AdaptiveRouter(schedule=s, agreement=None)
    out["heuristic (1/2/4/8)"] = HeuristicRouter(levels=tuple(k for k in (1, 2, 4, 8) if k <= n))
    return out


async def _one(prob: dict[str, Any], order: Sequence[int], router: Any) -> dict[str, Any]:
    samples = [prob["samples"][j] for j in order]
    policy = ScalingPolicy(
        router=router,
        selection="best",
        vote_key="code",
        verifiers=(_pool.StoredVerifier(samples),),
    )
    signals = RouterSignals(
        step="propose",
        prompt_chars=prob["prompt_chars"],
        has_verifiers=True,
    )
    outcome = await run_step(
        _pool.ReplaySampler(samples, prob["prompt_tokens"]),
        policy,
        step="propose",
        signals=signals,
    )
    r = outcome.report
    return {
        "solved": _pool.hidden_of(samples)[outcome.winner.text],
        "samples": r.launched,
        "tokens": r.tokens_in + r.tokens_out,
    }


async def simulate(
    pool: Sequence[dict[str, Any]], *, repeats: int = 20, seed: int = 0
) -> dict[str, Any]:
    """Mean accuracy, samples and tokens per problem for every policy."""
    n = min(len(p["samples"]) for p in pool)
    table = policies(n)
    rng = random.Random(seed)
    orders = [[rng.sample(range(n), n) for _ in range(repeats)] for _ in pool]
    rows = {}
    for name, router in table.items():
        totals: Counter[str] = Counter()
        spent: Counter[int] = Counter()
        for prob, prob_orders in zip(pool, orders, strict=True):
            for order in prob_orders:
                res = await _one(prob, order, router)
                totals.update({k: float(v) for k, v in res.items()})
                spent[res["samples"]] += 1
        runs = len(pool) * repeats
        rows[name] = {
            "accuracy": totals["solved"] / runs,
            "samples_per_problem": totals["samples"] / runs,
            "tokens_per_problem": totals["tokens"] / runs,
            "samples_histogram": dict(sorted(spent.items())),
        }
    ref = rows.get(f"fixed k={max(k for k in (1, 2, 4, 8, 16) if k <= n)}")
    for row in rows.values():
        if ref is not None:
            row["accuracy_minus_max_k"] = row["accuracy"] - ref["accuracy"]
            row["samples_ratio_vs_max_k"] = row["samples_per_problem"] / ref["samples_per_problem"]
            row["tokens_ratio_vs_max_k"] = row["tokens_per_problem"] / ref["tokens_per_problem"]
    return {"problems": len(pool), "pool_size": n, "repeats": repeats, "policies": rows}


def plot(res: dict[str, Any], path: Path) -> None:
    """Accuracy against samples and tokens: the fixed-k line and one point per router."""
    rows = res["policies"]
    fixed = {k: v for k, v in rows.items() if k.startswith("fixed")}
    others = {k: v for k, v in rows.items() if not k.startswith("fixed")}
    fig, axes = subplots(2, figsize=(12, 4.8), sharey=True)
    for ax, key, label in (
        (axes[0], "samples_per_problem", "samples per problem (mean)"),
        (axes[1], "tokens_per_problem", "tokens per problem (mean)"),
    ):
        xs = [v[key] for v in fixed.values()]
        ax.plot(
            xs,
            [100 * v["accuracy"] for v in fixed.values()],
            "-o",
            c="0.4",
            label="fixed k (best of k, visible tests)",
        )
        for name, v in fixed.items():
            ax.annotate(
                name.split()[-1],
                (v[key], 100 * v["accuracy"]),
                textcoords="offset points",
                xytext=(4, -12),
                fontsize=8,
                color="0.3",
            )
        markers: list[Callable[..., Any] | str] = ["D", "s", "^", "v", "P"]
        for (name, v), m in zip(others.items(), markers, strict=False):
            ax.scatter([v[key]], [100 * v["accuracy"]], marker=m, s=80, zorder=5, label=name)
        ax.set_xscale("log", base=2)
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("accuracy on hidden tests (%)")
    axes[0].legend(fontsize=8, loc="lower right")
    fig.suptitle(
        f"Routers on one shared pool: HumanEval/0-{res['problems'] - 1}, {res['pool_size']} "
        f"samples per problem, mean over {res['repeats']} random orders"
    )
    save(fig, path)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pool", default=str(_pool.POOL))
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--out", default=str(RESULTS))
    p.add_argument("--plot", default=str(PLOT))
    p.add_argument("--smoke", action="store_true", help="synthetic pool, nothing written")
    args = p.parse_args(argv)
    if args.smoke:
        pool, repeats, meta = _pool.synthetic_pool(problems=3, n=8), 3, {"smoke": True}
    else:
        data = _pool.load(Path(args.pool))
        pool, repeats, meta = data["pool"], args.repeats, data["meta"]
    res = anyio.run(lambda: simulate(pool, repeats=repeats))
    print(json.dumps(res["policies"], indent=1))
    if not args.smoke:
        res["meta"] = {
            "benchmark": "routers",
            "command": " ".join(sys.argv),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "pool": str(args.pool),
            "pool_meta": meta,
        }
        Path(args.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
        plot(res, Path(args.plot))
    return 0


if __name__ == "__main__":
    sys.exit(main())
