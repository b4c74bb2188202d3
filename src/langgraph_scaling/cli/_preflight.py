"""Checks run once before the first task: a sandbox or an engine that cannot work stops
``eval`` or ``solve`` at once, with the reason, instead of turning every task into a wrong
answer.

Example:
    >>> import anyio
    >>> from langgraph_scaling.sandbox import Sandbox
    >>> anyio.run(check_sandbox, Sandbox(python="/nonexistent/python"))
    Traceback (most recent call last):
    ...
    langgraph_scaling.errors.SandboxError: The sandbox cannot run programs, so no task could be judged (checked before the first task): ...
"""  # noqa: E501

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage

from langgraph_scaling.backends import Sample, SampleRequest
from langgraph_scaling.errors import BackendError, SandboxError
from langgraph_scaling.sandbox import Sandbox

__all__ = ["check_backend", "check_sandbox"]

_SANDBOX = (
    "The sandbox cannot run programs, so no task could be judged (checked before the first task)"
)
_KNOWN_GOOD = """from typing import List


def running_total(xs: List[int]) -> List[int]:
    out, total = [], 0
    for x in xs:
        total += x
        out.append(total)
    return out
"""
_KNOWN_TESTS = {  # judged as a task's hidden tests are; needs no task data installed
    "test": "def check(candidate):\n    assert candidate([1, 2, 3]) == [1, 3, 6]\n"
    "    assert candidate([]) == []\n",
    "entry_point": "running_total",
}


async def check_sandbox(sandbox: Sandbox | None = None) -> None:
    """Run ``print('ok')`` and judge a known-good program against its tests in ``sandbox``.

    Raises:
        SandboxError: either did not run, or the known-good solution was judged failing.
    """
    from langgraph_scaling.tasks.humaneval import judge_verdict

    box = sandbox or Sandbox()
    try:
        run = await box.run_python("print('ok')", timeout=30)
    except SandboxError as exc:
        raise SandboxError(f"{_SANDBOX}: {exc}") from exc
    if run.stdout != "ok\n":
        detail = f"exit {run.exit_code}, limit {run.limit_hit}, stderr: {run.stderr[-600:]!r}"
        raise SandboxError(f"{_SANDBOX}: print('ok') printed {run.stdout[:200]!r} ({detail}).")
    try:
        verdict = await judge_verdict(_KNOWN_GOOD, _KNOWN_TESTS, sandbox=sandbox)
    except SandboxError as exc:
        raise SandboxError(f"{_SANDBOX}: judging a known-good program: {exc}") from exc
    if not verdict.passed:
        raise SandboxError(
            f"{_SANDBOX}: a known-good program (running_total) failed its own tests: "
            f"{verdict.feedback[:600]}"
        )


async def check_backend(backend: Any) -> None:
    """One greedy one-token request, for backends that sample (engines and servers).

    Raises:
        BackendError: the request failed (``BackendUnavailableError``: the engine is gone).
    """
    if not callable(getattr(backend, "sample", None)):
        return  # a LangChain chat model: its first call will tell
    samples: list[Sample] = []

    async def emit(sample: Sample) -> None:
        samples.append(sample)

    request = SampleRequest(
        messages=[HumanMessage("Say OK.")], n=1, seeds=[0], temperature=0.0, max_tokens=1
    )
    await backend.sample(request, emit)
    if not samples or samples[0].message is None:
        error = samples[0].error if samples else "no sample came back"
        raise BackendError(
            f"The {backend.name} backend failed a one-token request before the first task: {error}"
        )
