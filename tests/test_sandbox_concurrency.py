"""Many sandboxed verifications at once: no run may close or read another run's pipes."""

from __future__ import annotations

import anyio
import pytest

from langgraph_scaling.report import Candidate
from langgraph_scaling.verifiers import UnitTestVerifier, VerifyContext


@pytest.mark.slow
async def test_concurrent_unit_test_runs_keep_their_own_pipes() -> None:
    verifier = UnitTestVerifier("assert add(1, 2) == 3\nassert add(2, 2) == 4")
    right = Candidate(index=0, text="def add(a, b):\n    return a + b\n", status="ok")
    wrong = Candidate(index=1, text="def add(a, b):\n    return a - b\n", status="ok")
    scores: dict[int, float] = {}

    async def one(i: int) -> None:
        verdict = await verifier.verify(right if i % 2 else wrong, VerifyContext())
        scores[i] = verdict.score

    async with anyio.create_task_group() as tg:
        for i in range(24):
            tg.start_soon(one, i)
    assert [scores[i] for i in range(24)] == [0.0 if i % 2 == 0 else 1.0 for i in range(24)]
