"""The router protocol: how many branches a step gets, decided before sampling.

A router sees cheap :class:`RouterSignals` and the step's :class:`~langgraph_scaling.Budget`
and returns a :class:`~langgraph_scaling.report.RouterDecision` (branches per wave and why).
The engine clamps the decision to the budget and stops escalating early when the decision
says so (``stop_on_pass``, ``agreement``). Plug in your own by implementing ``decide``.

Example:
    >>> from langgraph_scaling.report import RouterDecision
    >>> class AlwaysThree:
    ...     name = "three"
    ...     def decide(self, signals, budget):
    ...         return RouterDecision(router=self.name, waves=(3,), reason="always three")
    >>> isinstance(AlwaysThree(), Router)
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from langgraph_scaling.budget import Budget
from langgraph_scaling.report import RouterDecision

__all__ = ["Router", "RouterSignals"]


@dataclass(frozen=True)
class RouterSignals:
    """Cheap facts about a step, known before any branch is sampled.

    Attributes:
        step: the step's name.
        prompt_chars: characters in the prompt (all messages).
        n_tools: tools bound to the model.
        prior_failures: verifier failures of this step earlier in this run.
        difficulty: a user hint in [0, 1] from the runtime context, if any.
        has_verifiers: whether the policy has verifiers (escalation needs a signal).
    """

    step: str = "step"
    prompt_chars: int = 0
    n_tools: int = 0
    prior_failures: int = 0
    difficulty: float | None = None
    has_verifiers: bool = False


@runtime_checkable
class Router(Protocol):
    """Decides the number of branches (and waves) for one step."""

    @property
    def name(self) -> str:
        """Short name for reports."""
        ...

    def decide(self, signals: RouterSignals, budget: Budget) -> RouterDecision:
        """Branches per wave for this step, with a reason."""
        ...
