"""Which verifier signal picks the right answer: one shared pool, every selection rule.

Reads the pool that ``signals_pool.py`` sampled (``benchmarks/results/signals.json``) and,
for both conditions (``visible``: the prompt's examples are the visible tests; ``no_tests``:
examples removed, nothing to run), replays random ordered subsets of k = 1 … 16 samples per
problem through the package's own selection strategies:

- ``oracle``: pass@k (unbiased); ``greedy``: the T=0 answer;
- ``best (visible)``: ``best`` on the visible-test verdicts, AST vote key (today's default);
- ``+ behaviour``: the same with behaviour keys (outputs on the visible and generated inputs);
- ``generated tests``: ``dual_agreement`` on the ``GeneratedTestsVerifier`` verdicts;
- ``confidence vote`` / ``DeepConf filter``: ``confidence_vote`` / ``confidence_filter``;
- ``judge``: ``best`` on the ``JudgeVerifier`` score;
- ``combined``: ``lexicographic(verifier:unit_tests, verifier:generated_tests, votes,
  confidence)``; ``best, greedy first`` and ``combined, greedy first``: those rules on the
  greedy answer plus k-1 samples (``greedy_first=True``);
- ``passed, votes`` (and greedy first): ``lexicographic(verifier:unit_tests, passed,
  votes)``, i.e. ``combined`` with the generated tests counted as pass/fail and no
  confidence tie-break (an exploration on this pool, not a registered strategy);
- ``adaptive``: the adaptive router (waves up to 2, 4, 8 and 16 samples, as the pool
  allows) with the ``combined`` rule, stopping on a pass of every verifier (visible
  condition) or when the confident half agrees (``confidence_filter``'s share ≥ 0.75),
  exactly as the engine's stop rule decides; ``adaptive, greedy first``: the same after a
  first wave of one branch, the greedy answer (``greedy_first=True``).

Tokens per problem count the samples' prompt and output tokens, plus the generated tests'
generation (once per problem) for rules that use them and the judge's prompts for the
judge. Usage::

    .venv/bin/python benchmarks/signals.py          # pure: about a minute, no model
    .venv/bin/python benchmarks/signals.py --compare combined "+ behaviour"  # where they part
    .venv/bin/python benchmarks/signals.py --pool A.json B.json --out AB.json  # merged seeds
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import _pool
from scaling import pass_at_k
from signals_pool import CONDITIONS, POOL

from langgraph_scaling import ScalingPolicy
from langgraph_scaling._step import StepState
from langgraph_scaling.engine import _should_stop
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.routing import AdaptiveRouter, RouterSignals
from langgraph_scaling.selection import select
from langgraph_scaling.selection.lexicographic import COMBINED, lexicographic
from langgraph_scaling.tasks import parse_task_ids
from langgraph_scaling.verifiers.generated_tests import GENERATED_TESTS
from langgraph_scaling.verifiers.protocol import VerifyContext

ALL_KS = (1, 2, 4, 8, 16)
PASSED_VOTES = lexicographic("verifier:unit_tests", "passed", "votes", name="passed, votes")
"""``combined`` with the generated tests as pass/fail (at least half passed) and no
confidence tie-break: an exploration on this pool, not a registered strategy."""
OUT = _pool.RESULTS / "signals_analysis.json"


@dataclass
class Pooled(Candidate):
    """A pool sample as a candidate; its confidence measures were computed when sampled."""

    stored: dict[str, float] = field(default_factory=dict)

    @property  # type: ignore[override]
    def confidence(self) -> dict[str, float]:
        return self.stored


def candidate(i: int, s: dict[str, Any], signals: Sequence[str], key: str) -> Pooled:
    verdicts = []
    if "visible" in signals:
        verdicts.append(Verdict(verifier=_pool.VISIBLE, passed=s["visible_passed"],
                                score=s["visible_score"]))  # fmt: skip
    if "generated" in signals and "gen_score" in s:
        details = {"kind": GENERATED_TESTS, "passed": s["gen_passed"], "total": s["gen_total"]}
        verdicts.append(Verdict(verifier=GENERATED_TESTS, passed=s["gen_score"] >= 0.5,
                                score=s["gen_score"], details=details))  # fmt: skip
    if "judge" in signals and "judge_score" in s:
        verdicts.append(Verdict(verifier="judge", passed=s["judge_score"] >= 0.5,
                                score=s["judge_score"]))  # fmt: skip
    return Pooled(index=i, status=s["status"], text=s["text"], tokens_out=s["tokens_out"],
                  verdicts=verdicts, vote_key=s[key], stored=s.get("confidence") or {})  # fmt: skip


# name -> (strategy, signals on the candidates, vote key, extra token costs)
METHODS: dict[str, tuple[Any, tuple[str, ...], str, tuple[str, ...]]] = {
    "best (visible)": ("best", ("visible",), "code_key", ()),
    "+ behaviour": ("best", ("visible",), "behavior_key", ("gen",)),
    "generated tests": ("dual_agreement", ("generated",), "behavior_key", ("gen",)),
    "confidence vote": ("confidence_vote", (), "behavior_key", ("gen",)),
    "DeepConf filter": ("confidence_filter", (), "behavior_key", ("gen",)),
    "judge": ("best", ("judge",), "behavior_key", ("gen", "judge")),
    "combined": (COMBINED, ("visible", "generated"), "behavior_key", ("gen",)),
    "passed, votes": (PASSED_VOTES, ("visible", "generated"), "behavior_key", ("gen",)),
}

ADAPTIVE = {"adaptive": False, "adaptive, greedy first": True}
"""The adaptive rows: name -> whether wave 0 is the greedy answer alone."""

GREEDY_FIRST = {  # the same rules on the greedy answer plus k-1 samples
    "best, greedy first": METHODS["best (visible)"],
    "combined, greedy first": METHODS["combined"],
    "passed, votes, greedy first": METHODS["passed, votes"],
}


def _cost(row: dict[str, Any], sub: Sequence[dict[str, Any]], extras: Sequence[str]) -> float:
    tokens = row["prompt_tokens"] + sum(s["tokens_out"] for s in sub)
    if "gen" in extras:
        tokens += row["gen_tokens"]["in"] + row["gen_tokens"]["out"]
    if "judge" in extras:
        tokens += sum(s.get("judge_tokens_in", 0) + 1 for s in sub)
    return float(tokens)


def _pick(method: Any, subset: Sequence[dict[str, Any]], signals: Any, key: str) -> Candidate:
    cands = [candidate(i, s, signals, key) for i, s in enumerate(subset)]
    chosen = select(method, cands)
    assert chosen.winner is not None
    return chosen.winner


def adaptive(
    row: dict[str, Any],
    order: Sequence[int],
    visible: bool,
    *,
    greedy_first: bool = False,
    most: int | None = None,
) -> tuple[bool, int]:
    """The adaptive router over ``order``: (hidden result of the winner, samples used).

    With ``greedy_first`` the schedule starts with one branch, the greedy answer (what
    ``ScalingPolicy(greedy_first=True)`` makes wave 0's branch 0), then the samples; the
    waves stop at ``most`` samples (default: all the pool has)."""
    pool = (
        [row["greedy"], *(row["samples"][j] for j in order)]
        if greedy_first
        else [row["samples"][j] for j in order]
    )
    first = (1,) if greedy_first else ()
    cap = min(len(pool), most or len(pool))
    schedule = (*first, *(k for k in ALL_KS[1:] if k <= cap))
    policy = ScalingPolicy(router=AdaptiveRouter(schedule=schedule), selection=COMBINED)
    decision = policy.router.decide(RouterSignals(has_verifiers=visible), policy.budget)
    st = StepState(policy, "propose", VerifyContext(), lambda _: None, None)
    st.policy = ScalingPolicy(selection="confidence_filter", verifiers=())  # the stop's view
    used = 0
    for wave, n in enumerate(decision.waves):
        if wave > 0 and _should_stop(st, decision) is not None:
            break
        used += n
        signals = ("visible", "generated")
        st.candidates = [
            candidate(i, s, signals, "behavior_key") for i, s in enumerate(pool[:used])
        ]
        if visible and any(c.passed for c in st.candidates):
            break
    winner = COMBINED(st.candidates).winner
    assert winner is not None
    return bool(pool[winner.index]["hidden_passed"]), used


def analyse_condition(
    rows: Sequence[dict[str, Any]], repeats: int, seed: int, most: int | None = None
) -> dict[str, Any]:
    rng = random.Random(seed)
    KS = tuple(k for k in ALL_KS if k <= min(len(r["samples"]) for r in rows))
    acc = {m: dict.fromkeys(KS, 0.0) for m in [*METHODS, *GREEDY_FIRST]}
    cost = {m: dict.fromkeys(KS, 0.0) for m in acc}
    oracle = dict.fromkeys(KS, 0.0)
    ada = {name: {"accuracy": 0.0, "samples": 0.0} for name in ADAPTIVE}
    top: dict[str, dict[str, float]] = {}  # problem -> rule -> accuracy at the largest k
    for row in rows:
        samples, n = row["samples"], len(row["samples"])
        before = {m: acc[m][KS[-1]] for m in acc}
        for k in KS:
            oracle[k] += pass_at_k(n, sum(s["hidden_passed"] for s in samples), k)
        for _ in range(repeats):
            order = rng.sample(range(n), n)
            for k in KS:
                sub = [samples[j] for j in order[:k]]
                for name, (method, signals, key, extras) in METHODS.items():
                    acc[name][k] += _pick(method, sub, signals, key).text in _passing(sub)
                    cost[name][k] += _cost(row, sub, extras)
                g = [row["greedy"], *sub[: k - 1]]
                for name, (method, signals, key, extras) in GREEDY_FIRST.items():
                    acc[name][k] += _pick(method, g, signals, key).text in _passing(g)
                    cost[name][k] += _cost(row, g, extras) + row["prompt_tokens"]
            for name, greedy_first in ADAPTIVE.items():
                visible = row["condition"] == "visible"
                right, used = adaptive(row, order, visible, greedy_first=greedy_first, most=most)
                ada[name]["accuracy"] += right
                ada[name]["samples"] += used
        top[row["task_id"]] = {m: (acc[m][KS[-1]] - before[m]) / repeats for m in acc}
    runs = len(rows) * repeats
    greedy = [r["greedy"] for r in rows]
    return {
        "problems": len(rows),
        "keys_disagree": sum(r.get("keys_disagree", 0) for r in rows),  # merged pools only
        "ks": list(KS),
        "greedy": sum(g["hidden_passed"] for g in greedy) / len(greedy),
        "oracle": {k: oracle[k] / len(rows) for k in KS},
        "accuracy": {m: {k: v / runs for k, v in a.items()} for m, a in acc.items()},
        "tokens_per_problem": {m: {k: v / runs for k, v in c.items()} for m, c in cost.items()},
        "adaptive": {n: {k: v / runs for k, v in a.items()} for n, a in ada.items()},
        "per_problem_at_top_k": top,
    }


def differences(res: dict[str, Any], a: str, b: str) -> str:
    """The problems on which rules ``a`` and ``b`` differ at the largest k, per condition."""
    lines = []
    for cond, r in res["conditions"].items():
        for task, accs in r["per_problem_at_top_k"].items():
            if abs(accs[a] - accs[b]) > 0.05:
                lines.append(f"{cond} {task}: {a} {accs[a]:.2f}, {b} {accs[b]:.2f}")
    return "\n".join(lines) or f"{a} and {b} agree on every problem"


def _passing(sub: Sequence[dict[str, Any]]) -> set[str]:
    return {s["text"] for s in sub if s["hidden_passed"]}


def table(res: dict[str, Any]) -> str:
    lines = []
    for cond, r in res["conditions"].items():
        KS, top = r["ks"], r["ks"][-1]
        lines += [f"\n{cond}: {r['problems']} problems, greedy {100 * r['greedy']:.1f} %",
                  "| rule | " + " | ".join(f"k={k}" for k in KS)
                  + f" | tokens/problem at k={top} |",
                  "|---" * (len(KS) + 2) + "|",
                  "| oracle pass@k | " + " | ".join(f"{100 * r['oracle'][k]:.1f}"
                                                   for k in KS) + " | |"]  # fmt: skip
        for m, a in r["accuracy"].items():
            cells = " | ".join(f"{100 * a[k]:.1f}" for k in KS)
            lines.append(f"| {m} | {cells} | {r['tokens_per_problem'][m][top]:.0f} |")
        for name, ad in r["adaptive"].items():
            lines.append(f"{name} (combined, confidence stop): {100 * ad['accuracy']:.1f} % "
                         f"with {ad['samples']:.2f} samples per problem")  # fmt: skip
    return "\n".join(lines)


def merge(pools: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Pools of other seeds for the same problems as one: the samples of each row in order.

    Only rows in every pool are kept; the greedy answer, prompt and generated-test cost are
    the first pool's. Each pool generated its own tests (greedily, so normally the same
    ones); ``keys_disagree`` counts answers of the same text whose behaviour keys differ
    between pools (outputs on other generated tests), 0 when the tests were the same."""
    first, *rest = pools
    keys = [k for k in first["pool"] if all(k in p["pool"] for p in rest)]
    merged: dict[str, Any] = {}
    for key in keys:
        rows = [p["pool"][key] for p in pools]
        samples = [s for r in rows for s in r["samples"]]
        by_text: dict[str, set[str]] = {}
        for s in [*samples, *(r["greedy"] for r in rows)]:
            if s["status"] == "ok":
                by_text.setdefault(s["text"], set()).add(s["behavior_key"])
        disagree = sum(len(k) > 1 for k in by_text.values())
        merged[key] = rows[0] | {"samples": samples, "keys_disagree": disagree}
    n = sum(p["meta"]["n"] for p in pools)
    meta = first["meta"] | {"merged": [p["meta"] for p in pools], "n": n}
    return {"meta": meta, "pool": merged}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pool", nargs="+", default=[str(POOL)], help="several: merged (seeds)")
    p.add_argument("--out", default=str(OUT))
    p.add_argument("--repeats", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--compare", nargs=2, metavar="RULE", help="problems where two rules differ")
    p.add_argument("--tasks", help="only these problems (e.g. 0-21)")
    p.add_argument("--adaptive-max", type=int, help="samples the adaptive rows may reach")
    args = p.parse_args(argv)
    loaded = [_pool.load(Path(f)) for f in args.pool]
    data = merge(loaded) if len(loaded) > 1 else loaded[0]
    meta = data["meta"] | {"repeats": args.repeats, "tasks": args.tasks,
                           "adaptive_max": args.adaptive_max}  # fmt: skip
    res: dict[str, Any] = {"meta": meta, "conditions": {}}
    wanted = {f"HumanEval/{i}" for i in parse_task_ids(args.tasks)} if args.tasks else None
    for cond in CONDITIONS:
        rows = [r for r in data["pool"].values() if r["condition"] == cond]
        rows = [r for r in rows if wanted is None or r["task_id"] in wanted]
        if rows:
            res["conditions"][cond] = analyse_condition(
                rows, args.repeats, args.seed, args.adaptive_max
            )
    Path(args.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    print(table(res))
    if args.compare:
        print("\n" + differences(res, *args.compare))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
