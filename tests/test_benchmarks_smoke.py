"""Smoke runs of the cheap benchmarks: the overhead benchmark on the fake model, and the
scaling / router analyses on a small synthetic pool. No engine is started."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))

import _pool
import overhead
import routers
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
    scaling.plot(scaling.curves(pool, [1, 2, 4], repeats=2), tmp_path / "s.png")
    routers.plot(anyio.run(lambda: routers.simulate(pool, repeats=1)), tmp_path / "r.png")
    assert (tmp_path / "s.png").stat().st_size > 10_000
    assert (tmp_path / "r.png").stat().st_size > 10_000


def test_overhead_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    assert overhead.main(["--smoke"]) == 0
    assert '"steps_per_s"' in capsys.readouterr().out
