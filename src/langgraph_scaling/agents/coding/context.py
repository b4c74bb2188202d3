"""The coding agent's invoke-time settings (the graph's ``context_schema``).

Example:
    >>> ctx = CodingAgentContext(selection="vote", verify=False)
    >>> ctx.propose_policy().vote_key
    'code'
"""

from __future__ import annotations

from typing import Literal

from langgraph_scaling.langgraph.agent_context import AgentContext
from langgraph_scaling.policy import ScalingPolicy, SelectionMethod

__all__ = ["CodingAgentContext"]


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
    signals: tuple[Literal["generated_tests", "judge"], ...] = ()
    """Model-made checks added for function tasks (with ``verify``), on the step's own model:
    tests it writes for the task (``GeneratedTestsVerifier``) and a yes/no judge scored by
    p(yes) (``JudgeVerifier``)."""
    greedy_first: bool = True
    """Branch 0 decodes greedily, the others sample (see ``ScalingPolicy.greedy_first``), so
    that when no signal separates the candidates the step does not commit a sample worse
    than greedy decoding would (docs/benchmarks.md: ``best`` alone is 7-17 points below
    greedy at small k). Applies to a policy built from the context's fields; a ``policy=``
    given from Python keeps its own setting unless ``greedy_first`` is also given."""
    apply_patch: bool = False
    """Apply the committed diff to the repository (patch tasks)."""

    def propose_policy(self) -> ScalingPolicy:
        """The propose step's policy: answers voted as code when no test separates them."""
        policy = self.scaling_policy(vote_key="code")
        chosen = self.policy is None or "greedy_first" in self.model_fields_set
        if chosen and self.greedy_first and not policy.greedy_first:
            policy = policy.model_copy(update={"greedy_first": True})
        return policy
