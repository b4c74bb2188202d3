"""LangChain tools over the sandbox: run Python, run tests, apply a patch and test it.

Each tool is async, runs in the shared sandbox, and answers in compact text fit for a
model's context (exit status, limit hit, truncated output; verdict feedback for tests).

Example:
    >>> import anyio
    >>> anyio.run(run_python.ainvoke, {"code": "print(2 + 2)"})
    'exit 0\\nstdout:\\n4'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool, tool

from langgraph_scaling.sandbox import SandboxResult
from langgraph_scaling.verifiers import shared_sandbox
from langgraph_scaling.verifiers.code import extract_diff, extract_python
from langgraph_scaling.verifiers.patch import PatchVerifier
from langgraph_scaling.verifiers.unit_test import UnitTestVerifier

__all__ = ["format_result", "make_patch_tools", "run_python", "run_tests"]

_SHOWN = 4000


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _SHOWN else f"...[{len(text) - _SHOWN} chars cut]\n{text[-_SHOWN:]}"


def format_result(result: SandboxResult) -> str:
    """Compact text for a model: status line, then stdout and stderr when non-empty.

    Example:
        >>> format_result(SandboxResult(exit_code=1, stderr="boom"))
        'exit 1\\nstderr:\\nboom'
    """
    status = f"exit {result.exit_code}" if result.signal is None else f"signal {result.signal}"
    if result.limit_hit:
        status += f" (limit hit: {result.limit_hit})"
    parts = [status]
    if result.stdout.strip():
        parts.append("stdout:\n" + _clip(result.stdout))
    if result.stderr.strip():
        parts.append("stderr:\n" + _clip(result.stderr))
    return "\n".join(parts)


@tool
async def run_python(code: str, stdin: str = "") -> str:
    """Run a Python program in an isolated sandbox (no network, 10 s) and show its output.

    Args:
        code: the program (a ```python fence is accepted).
        stdin: text given to the program on standard input.
    """
    result = await shared_sandbox().run_python(extract_python(code), stdin=stdin)
    return format_result(result)


@tool
async def run_tests(code: str, tests: str) -> str:
    """Run Python code against unit tests (assert statements or test_ functions).

    Args:
        code: the code under test.
        tests: assert statements, or pytest-style test_ functions, using the code's names.
    """
    try:
        verifier = UnitTestVerifier(tests)
    except ValueError as exc:
        return f"error: the tests are unusable: {exc}"
    verdict = await verifier.check_code(extract_python(code))
    return f"{'PASSED' if verdict.passed else 'FAILED'} ({verdict.score:.0%})\n{verdict.feedback}"


def make_patch_tools(
    repo: Path, test_command: Sequence[str], *, timeout: float = 60.0
) -> list[BaseTool]:
    """Tools bound to one repository: ``apply_patch_and_test(patch)``.

    The patch is applied to a copy of ``repo`` in the sandbox and ``test_command`` runs
    there; the repository itself is never changed.

    Example:
        >>> [t.name for t in make_patch_tools(Path("."), ["python", "-m", "pytest", "-q"])]
        ['apply_patch_and_test']
    """
    verifier = PatchVerifier(repo, test_command, timeout=timeout)
    command = " ".join(test_command)

    async def apply_patch_and_test(patch: str) -> str:
        diff = extract_diff(patch) or patch
        verdict = await verifier.check_patch(diff)
        return f"{'PASSED' if verdict.passed else 'FAILED'}\n{verdict.feedback}"

    return [
        StructuredTool.from_function(
            coroutine=apply_patch_and_test,
            name="apply_patch_and_test",
            description=(
                f"Apply a unified diff (paths relative to the repository root, a/ b/ "
                f"prefixes) to a copy of the repository and run `{command}`."
            ),
        )
    ]
