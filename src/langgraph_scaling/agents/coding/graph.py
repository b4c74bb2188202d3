"""The coding agent's graph: ``propose`` (scaled, verified branches) then ``commit``.

Example:
    >>> graph = build_coding_agent()
    >>> sorted(graph.get_graph().nodes)
    ['__end__', '__start__', 'commit', 'propose']
"""

from __future__ import annotations

import operator
import subprocess
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from langgraph_scaling.agents.coding.context import CodingAgentContext
from langgraph_scaling.errors import ScalingError
from langgraph_scaling.langgraph import ScaledChatModel
from langgraph_scaling.tasks import CodingTask, answer_from_text, prompt_messages, task_verifiers
from langgraph_scaling.verifiers.protocol import Verifier

__all__ = ["CodingState", "build_coding_agent", "commit", "propose", "signal_verifiers"]


class CodingState(TypedDict, total=False):
    """State of one coding task."""

    task: CodingTask
    answer: str
    """The committed code or unified diff."""
    passed: bool
    """Whether the committed answer passed the visible verification."""
    applied: bool
    """Whether the committed patch was applied to the repository."""
    reports: Annotated[list[dict[str, Any]], operator.add]
    """Compact step reports (no candidates)."""


async def propose(state: CodingState, runtime: Runtime[CodingAgentContext]) -> CodingState:
    """Sample candidates in scaled branches, verify each, and select one."""
    ctx = runtime.context or CodingAgentContext()
    task = state["task"]
    policy = ctx.propose_policy()
    if ctx.verify:
        visible = task_verifiers(task, sandbox=ctx.sandbox)
        verifiers = (*visible, *signal_verifiers(ctx, task), *policy.verifiers)
        policy = policy.model_copy(update={"verifiers": verifiers})
    model = ScaledChatModel(ctx.backend(), policy=policy, step="propose")
    message = await model.ainvoke(prompt_messages(task))
    report = message.response_metadata["scaling"]
    return {
        "answer": answer_from_text(task, message.text),
        "passed": bool(report.get("winner_passed")),
        "reports": [report],
    }


def signal_verifiers(ctx: CodingAgentContext, task: CodingTask) -> list[Verifier]:
    """The model-made checks ``ctx.signals`` asks for, on the step's own model (generated
    tests run in ``ctx.sandbox``)."""
    if task.kind != "function" or not ctx.signals:
        return []
    from langgraph_scaling.sampling import as_backend
    from langgraph_scaling.verifiers.generated_tests import GeneratedTestsVerifier
    from langgraph_scaling.verifiers.judge import JudgeVerifier

    backend = as_backend(ctx.backend())
    made: dict[str, Verifier] = {
        "generated_tests": GeneratedTestsVerifier(
            backend, entry_point=task.entry_point, sandbox=ctx.sandbox
        ),
        "judge": JudgeVerifier(backend),
    }
    return [made[name] for name in dict.fromkeys(ctx.signals)]


def commit(state: CodingState, runtime: Runtime[CodingAgentContext]) -> CodingState:
    """Commit the answer; for patch tasks, optionally apply it to the repository."""
    ctx = runtime.context or CodingAgentContext()
    task = state["task"]
    if task.kind != "patch" or not ctx.apply_patch:
        return {"applied": False}
    if not state.get("passed"):
        return {"applied": False}
    done = subprocess.run(
        ["git", "apply", "--whitespace=nowarn", "-"],
        input=state["answer"],
        text=True,
        cwd=task.repo,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise ScalingError(
            f"The committed patch did not apply to {task.repo}: {done.stderr.strip()}"
        )
    return {"applied": True}


def build_coding_agent(**compile_kwargs: Any) -> Any:
    """Compile the coding agent (pass ``checkpointer=...`` and other compile options).

    Example:
        >>> from langgraph.checkpoint.memory import InMemorySaver
        >>> graph = build_coding_agent(checkpointer=InMemorySaver())
        >>> graph.context_schema.__name__
        'CodingAgentContext'
    """
    g = StateGraph(CodingState, context_schema=CodingAgentContext)
    g.add_node("propose", propose)
    g.add_node("commit", commit)
    g.add_edge(START, "propose")
    g.add_edge("propose", "commit")
    g.add_edge("commit", END)
    return g.compile(**compile_kwargs)
