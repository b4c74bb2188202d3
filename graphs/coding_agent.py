"""The coding agent: propose candidates in scaled branches, verify them with tests, commit one.

A task is a function to write (verified with the examples visible in its prompt) or a bug to
fix in a repository (candidate unified diffs, verified by applying them to a temporary copy
and running the repository's test command). The model/backend and the scaling policy come
from the runtime context, so the same graph runs on the embedded CPU model, an in-process
vLLM engine on GPU, or a remote OpenAI-compatible server.

Example:
    >>> from langgraph_scaling.graphs.coding_agent import CodingAgentContext, graph
    >>> sorted(graph.get_graph().nodes)
    ['__end__', '__start__', 'commit', 'propose']
"""

from __future__ import annotations

import operator
import subprocess
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from langgraph_scaling import ScaledChatModel, ScalingPolicy
from langgraph_scaling.errors import ScalingError
from langgraph_scaling.langgraph.agent_context import AgentContext
from langgraph_scaling.policy import SelectionMethod
from langgraph_scaling.tasks import CodingTask, answer_from_text, prompt_messages, task_verifiers

__all__ = ["CodingAgentContext", "CodingState", "build_coding_agent", "graph"]


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


class CodingAgentContext(AgentContext):
    """Invoke-time settings of the coding agent (JSON-valued; see ``AgentContext``).

    ``model=`` (a chat model or backend; ``None`` uses the embedded
    Qwen2.5-Coder-0.5B-Instruct through in-process vLLM, or ``base_url``) and ``policy=``
    (how the propose step scales; the task's verifiers are added to it) are accepted from
    Python. A server request sets ``router``, ``selection``, ``steps``, ``run_budget``...
    """

    selection: SelectionMethod = "best"
    verify: bool = True
    """Run the task's tests as verifiers (off: plain voting, no execution)."""
    apply_patch: bool = False
    """Apply the committed diff to the repository (patch tasks)."""

    def propose_policy(self) -> ScalingPolicy:
        """The propose step's policy: answers voted as code when no test separates them."""
        return self.scaling_policy(vote_key="code")


async def propose(state: CodingState, runtime: Runtime[CodingAgentContext]) -> CodingState:
    """Sample candidates in scaled branches, verify each, and select one."""
    ctx = runtime.context or CodingAgentContext()
    task = state["task"]
    policy = ctx.propose_policy()
    if ctx.verify:
        verifiers = (*task_verifiers(task), *policy.verifiers)
        policy = policy.model_copy(update={"verifiers": verifiers})
    model = ScaledChatModel(ctx.backend(), policy=policy, step="propose")
    message = await model.ainvoke(prompt_messages(task))
    report = message.response_metadata["scaling"]
    return {
        "answer": answer_from_text(task, message.text),
        "passed": bool(report.get("winner_passed")),
        "reports": [report],
    }


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
    """Compile the coding agent (pass ``checkpointer=...`` and other compile options)."""
    g = StateGraph(CodingState, context_schema=CodingAgentContext)
    g.add_node("propose", propose)
    g.add_node("commit", commit)
    g.add_edge(START, "propose")
    g.add_edge("propose", "commit")
    g.add_edge("commit", END)
    return g.compile(**compile_kwargs)


graph = build_coding_agent()
