"""Generated tests and the judge on the real embedded model (vLLM in-process, real sandbox).

The assertions are about the mechanics (tests really generated, parsed and run once per
step; the judge's score really is a probability read from the engine's logprobs), not about
the 0.5B model being right, except that on HumanEval/0 the model's tests must favour the
canonical solution over its negation.
"""

from __future__ import annotations

import anyio
import pytest

from langgraph_scaling.backends.vllm import VLLMBackend
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.verifiers.generated_tests import GeneratedTestsVerifier
from langgraph_scaling.verifiers.judge import JudgeVerifier
from langgraph_scaling.verifiers.protocol import VerifyContext
from tests._vllm_fixtures import (
    anyio_backend,  # noqa: F401  (module-scoped: one engine for the module)
    vllm_backend,  # noqa: F401
)

pytestmark = [pytest.mark.model, pytest.mark.slow]
humaneval = pytest.importorskip("langgraph_scaling.tasks.humaneval")


def _problem_0() -> tuple[VerifyContext, str, str]:
    """The step's context for HumanEval/0, its canonical solution, and the negation of it."""
    from langgraph_scaling.tasks.prompts import prompt_messages

    ((task, hidden),) = humaneval.humaneval_tasks([0])
    right, _ = humaneval.reference_solution(0)
    entry = hidden["entry_point"]
    wrong = (
        right.replace(f"def {entry}(", "def _right(")
        + f"\n\ndef {entry}(numbers, threshold):\n    return not _right(numbers, threshold)\n"
    )
    ctx = VerifyContext(messages=prompt_messages(task), extras={"entry_point": entry})
    return ctx, f"```python\n{right}```", f"```python\n{wrong}```"


async def test_generated_tests_favour_the_canonical_solution(vllm_backend: VLLMBackend) -> None:  # noqa: F811
    ctx, right, wrong = _problem_0()
    verifier = GeneratedTestsVerifier(vllm_backend, n_tests=8)
    verdicts: dict[int, Verdict] = {}

    async def one(i: int, text: str) -> None:
        verdicts[i] = await verifier.verify(Candidate(index=i, text=text, status="ok"), ctx)

    async with anyio.create_task_group() as tg:
        tg.start_soon(one, 0, right)
        tg.start_soon(one, 1, wrong)
    assert verifier.generations == 1  # one suite for the step's two candidates
    total = verdicts[0].details["total"]
    assert total >= 3, verdicts[0].feedback
    assert verdicts[0].score > verdicts[1].score, (verdicts[0].feedback, verdicts[1].feedback)
    assert verdicts[0].score + verdicts[1].score == pytest.approx(1.0)  # negation: disjoint
    spent = [v.details["tokens"] for v in verdicts.values()]
    assert sorted(t["out"] for t in spent)[0] == 0 and sum(t["out"] for t in spent) > 0
    assert sum(t["out"] for t in spent) == verifier.tokens_out
    assert set(verdicts[0].details["outputs"]) == set(
        verdicts[0].details["passed"] + verdicts[0].details["failed"]
    )


async def test_the_judge_scores_with_engine_logprobs(vllm_backend: VLLMBackend) -> None:  # noqa: F811
    ctx, right, _ = _problem_0()
    nonsense = "```python\ndef has_close_elements(numbers, threshold):\n    return 'banana'\n```"
    judge = JudgeVerifier(vllm_backend)
    good = await judge.verify(Candidate(index=0, text=right, status="ok"), ctx)
    bad = await judge.verify(Candidate(index=1, text=nonsense, status="ok"), ctx)
    for verdict in (good, bad):
        assert 0.0 < verdict.score < 1.0, verdict
        assert "undecided" not in verdict.details
        assert verdict.details["tokens"]["in"] > 0 and verdict.details["tokens"]["out"] == 1
    assert good.score != bad.score
    steps = await JudgeVerifier(vllm_backend, per_step=True).verify(
        Candidate(index=0, text=right, status="ok"), ctx
    )
    assert len(steps.details["steps"]) >= 2
    assert all(0.0 < s < 1.0 for s in steps.details["steps"])
    assert steps.score == min(steps.details["steps"])
