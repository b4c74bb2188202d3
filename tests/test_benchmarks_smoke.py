"""Smoke runs of the cheap benchmarks: the overhead benchmark on the fake model, and the
scaling / router analyses on a small synthetic pool. No engine is started."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))

import _pool
import engine_efficiency
import overhead
import peers_langgraph_send
import routers
import sandbox_overhead
import scaling

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [(4, 0, 2, 0.0), (4, 1, 1, 0.25), (4, 1, 4, 1.0), (8, 2, 2, 1 - 15 / 28)],
    ids=["none-correct", "one-of-four-k1", "k-equals-n", "two-of-eight-k2"],
)
def test_pass_at_k_is_the_unbiased_estimator(n: int, c: int, k: int, expected: float) -> None:
    assert scaling.pass_at_k(n, c, k) == pytest.approx(expected)


def test_scaling_curves_on_a_synthetic_pool() -> None:
    pool = _pool.synthetic_pool(problems=4, n=4, seed=1)
    res = scaling.curves(pool, [1, 2, 4], repeats=5)
    oracle = res["accuracy"]["pass@k (oracle)"]
    assert oracle[1] <= oracle[2] <= oracle[4]
    for name, ys in res["accuracy"].items():  # with every sample in hand, no pick beats it
        assert ys[4] <= oracle[4] + 1e-9, name
    assert res["tokens_per_problem"][1] < res["tokens_per_problem"][4]
    assert res["greedy"]["problems"] == 4


def _revision(rnd: int, *, passed: bool) -> dict[str, object]:
    return {
        "round": rnd,
        "text": f"def f():\n    return {rnd}\n",
        "tokens_in": 300,
        "tokens_out": 100,
        "visible_passed": passed,
        "visible_score": 1.0 if passed else 0.5,
        "hidden_passed": passed,
        "code_key": f"r{rnd}",
        "behavior_key": f"r{rnd}",
    }


def test_refine_curve_reads_every_budget_off_one_run() -> None:
    pool = _pool.synthetic_pool(problems=1, n=4, seed=1)
    first = pool[0]["samples"][0]
    first.update(visible_passed=False, visible_score=0.0, hidden_passed=False)
    data = {
        "pool": pool,
        "refine": {  # one problem, fixed on the third revision (the run stopped there)
            "start": 1,
            "rounds": 7,
            "rows": [
                {
                    "task_id": pool[0]["task_id"],
                    "revisions": [_revision(r, passed=r == 3) for r in (1, 2, 3)],
                }
            ],
        },
    }
    curve = scaling.refine_curve(data, [1, 2, 4, 8, 16])
    assert curve is not None
    points = curve["points"]
    assert list(points) == [1, 2, 4, 8]  # 16 is past 1 sample + 7 rounds
    assert [points[k]["accuracy"] for k in points] == [0.0, 0.0, 1.0, 1.0]
    assert [points[k]["samples_per_problem"] for k in points] == [1, 2, 4, 4]  # stopped early
    extra = points[4]["tokens_per_problem"] - points[1]["tokens_per_problem"]
    assert extra == 3 * (300 + 100)


def test_routers_run_the_engine_over_the_replayed_pool() -> None:
    pool = _pool.synthetic_pool(problems=3, n=8, seed=2)
    res = anyio.run(lambda: routers.simulate(pool, repeats=2))
    rows = res["policies"]
    assert rows["fixed k=8"]["samples_per_problem"] == 8
    assert rows["fixed k=1"]["samples_per_problem"] == 1
    assert 1 <= rows["adaptive 1→2→4→8"]["samples_per_problem"] <= 8
    assert rows["heuristic (1/2/4/8)"]["samples_histogram"] == {1: 6}  # short prompts: k=1


def test_plots_are_written(tmp_path: Path) -> None:
    pool = _pool.synthetic_pool(problems=2, n=4)
    res = scaling.curves(pool, [1, 2, 4], repeats=2)
    refine = {
        "start": 1,
        "points": {1: {"accuracy": 0.5, "samples_per_problem": 1, "tokens_per_problem": 200}},
    }
    scaling.plot(res, tmp_path / "s.png", refine)
    routers.plot(anyio.run(lambda: routers.simulate(pool, repeats=1)), tmp_path / "r.png")
    rows = [
        {
            "task_id": f"t/{i}",
            "variant": v,
            "passed": i % 2 == 0,
            "tokens_in": 100,
            "tokens_out": 50,
            "samples": 4,
            "wall_s": 1.0 + i,
        }
        for i in range(2)
        for v in ("send", "package/server")
    ]
    peers_langgraph_send.plot(
        {"k": 4, "summary": peers_langgraph_send.summarise(rows)}, tmp_path / "p.png"
    )
    runs = [
        {"mode": m, "k": k, "wall_s": w * k, "tokens_out": 16 * k, "tokens_per_s": 16 / w}
        for k in (1, 2)
        for m, w in (("sequential", 2.0), ("n_request", 1.0))
    ]
    engine_efficiency.plot(
        {
            "summary": engine_efficiency.summarise(runs),
            "max_tokens": 16,
            "repeats": 1,
            "machine": {"cpus": 2},
        },
        tmp_path / "e.png",
    )
    for name in ("s", "r", "p", "e"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000, name


def test_engine_summary_is_relative_to_the_n_request() -> None:
    runs = [
        {"mode": "n_request", "k": 4, "wall_s": w, "tokens_out": 64, "tokens_per_s": 64 / w}
        for w in (1.0, 3.0, 2.0)
    ] + [{"mode": "scaled_step", "k": 4, "wall_s": 2.2, "tokens_out": 64, "tokens_per_s": 29.1}]
    summary = engine_efficiency.summarise(runs)["4"]
    assert summary["n_request"]["wall_s"] == 2.0  # the median
    assert summary["scaled_step"]["wall_vs_n_request"] == 1.1


def test_sandbox_overhead_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    assert sandbox_overhead.main(["--smoke"]) == 0
    out = capsys.readouterr().out
    assert '"passed": 3' in out and '"ratios_vs_bare"' in out


def test_overhead_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    assert overhead.main(["--smoke"]) == 0
    assert '"steps_per_s"' in capsys.readouterr().out


def test_signals_analysis_replays_the_committed_pool() -> None:
    import signals

    data = signals._pool.load(signals.POOL)
    rows = [r for r in data["pool"].values() if r["condition"] == "no_tests"][:3]
    res = signals.analyse_condition(rows, repeats=2, seed=0)
    assert res["ks"] == [1, 2, 4, 8]
    # With k=1 the greedy-first rule commits the greedy answer itself.
    assert res["accuracy"]["combined, greedy first"][1] == res["greedy"]
    for rule, acc in res["accuracy"].items():
        assert all(0.0 <= a <= 1.0 for a in acc.values()), rule
    assert 2 <= res["adaptive"]["adaptive"]["samples"] <= 8
    assert 1 <= res["adaptive"]["adaptive, greedy first"]["samples"] <= 9  # greedy + 8
    assert "combined, greedy first" in signals.table({"conditions": {"no_tests": res}})


def test_forced_calls_rebuilds_the_forced_edit_turn(tmp_path: Path) -> None:
    import forced_calls

    repo = forced_calls.bug_fix.corpus.materialise("calc-assoc", tmp_path / "repo")
    messages, specs = forced_calls.conversation("calc-assoc", repo)
    assert messages[-1].content.startswith("minicalc/parser.py (75 lines)")  # as the agent reads
    (edit,) = [forced_calls.capped(s, 50) for s in specs if s["function"]["name"] == "edit"]
    assert edit["function"]["parameters"]["properties"]["edit"]["maxLength"] == 50
    with pytest.raises(SystemExit):
        forced_calls.main(["--variants", "free,bogus"])


def test_edit_copies_classifies_each_edit_branch() -> None:
    import edit_copies

    from langgraph_scaling.backends import Sample
    from tests._scripted_backend import ScriptedBackend
    from tests.test_repo_agent import FIX, MALFORMED, WRONG_FIX

    copy = FIX.replace(") / 2\n>>>", ") // 2\n>>>")  # SEARCH and REPLACE alike
    failed = Sample(index=0, error="the engine failed this sample")
    answers = iter([FIX, copy, MALFORMED, WRONG_FIX, failed])
    backend = ScriptedBackend(lambda request: next(answers))
    row = anyio.run(edit_copies.edit_once, backend, "median-even", 1.3, 5)
    assert sorted(row["outcomes"]) == ["error", "failed", "invalid", "passed", "unchanged"]
    assert (row["passed"], row["branches"]) == (1, 5)  # a failed request is no wrong edit
    (request,) = backend.requests  # the one edit step: 4 branches in one request
    assert request.extra["repetition_penalty"] == 1.3 and "structured_outputs" in request.extra


def test_edit_copies_writes_its_rows_and_extend_runs_only_the_new_pairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import edit_copies

    from langgraph_scaling.backends import default
    from tests._scripted_backend import ScriptedBackend
    from tests.test_repo_agent import FIX

    events: list[str] = []

    class Engine(ScriptedBackend):
        async def start(self) -> None:
            events.append("start")

        async def aclose(self) -> None:
            events.append("close")

    engines: list[Engine] = []

    def embedded_backend() -> Engine:
        engines.append(Engine(lambda request: FIX))
        return engines[-1]

    monkeypatch.setattr(default, "embedded_backend", embedded_backend)
    out = tmp_path / "copies.json"
    common = ["--bugs", "median-even", "--k", "2", "--out", str(out)]
    edit_copies.main([*common, "--penalties", "1.0", "1.2"])
    first = json.loads(out.read_text())
    assert first["complete"] and first["benchmark"] == "edit_copies" and first["k"] == 2
    assert sorted(r["penalty"] for r in first["results"]) == [1.0, 1.2]
    assert first["summary"]["1.2"]["passed"] == 2 and first["summary"]["1.0"]["bugs"] == 1
    edit_copies.main([*common, "--penalties", "1.0", "1.2", "1.3", "--extend"])
    with pytest.raises(SystemExit):  # vLLM takes a penalty above 0
        edit_copies.main([*common, "--penalties", "0"])
    with pytest.raises(SystemExit, match="k=2, not 3"):  # one file, one k
        edit_copies.main([*common, "--k", "3", "--penalties", "1.4", "--extend"])
    second = json.loads(out.read_text())
    assert second["results"][:2] == first["results"]  # the earlier rows kept, first
    assert second["results"][2]["penalty"] == 1.3 and len(second["results"]) == 3
    assert len(engines[1].requests) == 1  # only the new pair ran
    assert events == ["start", "close", "start", "close"]
