"""Prompts for coding tasks, the verifiers a task implies, and reading answers back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from langgraph_scaling.edits import EditError, parse_edits
from langgraph_scaling.tasks._task import CodingTask
from langgraph_scaling.verifiers.code import extract_python
from langgraph_scaling.verifiers.protocol import Verifier

if TYPE_CHECKING:
    from langgraph_scaling.sandbox import Sandbox

__all__ = ["answer_from_text", "prompt_messages", "task_verifiers"]

_SYSTEM = "You are an expert Python programmer. Answer with code only."
_FUNCTION = (
    "Complete the following Python function. Reply with the whole function, including the "
    "imports it needs, in one ```python code block.\n\n```python\n{prompt}```"
)
_PATCH = (
    "Fix the bug described below in this repository. Do not change the tests.\n\n"
    "Reply with one SEARCH/REPLACE block per change: the file's path on its own line, then\n"
    "```python\n<<<<<<< SEARCH\nlines copied exactly from the file\n=======\n"
    "the lines to put in their place\n>>>>>>> REPLACE\n```\n"
    "SEARCH must match the file's lines exactly, once; keep it short (the lines that "
    "change and one or two around them). Instead, you may give the whole corrected "
    "function: the file's path, then the complete `def` in a ```python block. A unified "
    "diff is accepted too.\n\nBug report:\n{prompt}\n\n{files}"
)


def prompt_messages(task: CodingTask) -> list[BaseMessage]:
    """The chat prompt for a task."""
    if task.kind == "function":
        user = _FUNCTION.format(prompt=task.prompt)
    else:
        assert task.repo is not None
        files = "\n\n".join(
            f"File `{name}`:\n```python\n{(task.repo / name).read_text(encoding='utf-8')}```"
            for name in task.context_files
        )
        user = _PATCH.format(prompt=task.prompt, files=files)
    return [SystemMessage(_SYSTEM), HumanMessage(user)]


def _prelude(task: CodingTask) -> str:
    """Import lines of the prompt, which answers often leave out."""
    return "\n".join(
        line for line in task.prompt.splitlines() if line.startswith(("import ", "from "))
    )


def answer_from_text(task: CodingTask, text: str) -> str:
    """The committed artefact: runnable code (prompt imports prepended) or a diff.

    A patch task's answer may be in any edit form (:func:`langgraph_scaling.edits.parse_edits`);
    its diff is built from the edits; an answer with no valid edit gives ``""``.
    """
    if task.kind == "patch":
        assert task.repo is not None
        try:
            return parse_edits(text, task.repo, files=task.context_files).diff
        except EditError:
            return ""
    code = extract_python(text).strip("\n")
    prelude = _prelude(task)
    return f"{prelude}\n\n{code}\n" if prelude else f"{code}\n"


def task_verifiers(
    task: CodingTask, *, timeout: float = 10.0, sandbox: Sandbox | None = None
) -> list[Verifier]:
    """Verifiers from what the task lets the agent see: visible tests or the repo's tests,
    run in ``sandbox`` (default: the shared one)."""
    from langgraph_scaling.verifiers.patch import PatchVerifier
    from langgraph_scaling.verifiers.unit_test import UnitTestVerifier

    if task.kind == "patch":
        assert task.repo is not None
        return [
            PatchVerifier(
                task.repo,
                list(task.test_command),
                timeout=timeout,
                files=task.context_files,
                sandbox=sandbox,
            )
        ]
    tests = task.visible_tests or f"assert callable({task.entry_point})"
    # The entry point keeps its name in the tests' namespace even when it shadows a builtin.
    kwargs: dict[str, Any] = {
        "timeout": timeout,
        "entry_point": task.entry_point,
        "sandbox": sandbox,
    }
    prelude = _prelude(task)
    if prelude:
        kwargs["setup"] = prelude
    return [UnitTestVerifier(tests, **kwargs)]
