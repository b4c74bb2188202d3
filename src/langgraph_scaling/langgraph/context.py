"""Per-run settings from LangGraph's runtime context, and where step reports go.

Pass a :class:`ScalingContext` as the graph's runtime context (``context_schema``), or as a
``scaling`` attribute/key of your own context, to override step budgets by step name, set a
run-level budget shared by all steps of the invocation, and hint difficulty. Create one per
invocation: it carries that run's ledger.

Example:
    >>> ctx = ScalingContext(steps={"agent": {"max_branches": 2}},
    ...                      run_budget=Budget(max_branches=10))
    >>> ctx.step_budget("agent", Budget(max_branches=8)).max_branches
    2
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from langgraph_scaling.budget import Budget, RunLedger
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.report import StepReport

__all__ = ["ScalingContext", "collect_reports", "find_scaling_context", "register_step"]


@dataclass
class ScalingContext:
    """Invoke-time scaling settings for one graph run.

    Attributes:
        steps: budget overrides by step name: a :class:`Budget` or a dict of its fields.
        run_budget: limits shared by every scaled step of this run; once used up, steps fall
            back to a single branch and say so in their report.
        difficulty: a hint in [0, 1] for the heuristic router, for all steps or by step name.
    """

    steps: Mapping[str, Budget | Mapping[str, Any]] = field(default_factory=dict)
    run_budget: Budget | None = None
    difficulty: float | Mapping[str, float] | None = None
    _ledger: RunLedger | None = field(default=None, init=False, repr=False)
    _failures: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.steps, Mapping):
            raise ConfigError("ScalingContext.steps", self.steps, "must map step names to budgets")
        for name, override in self.steps.items():
            if not isinstance(name, str) or not name:
                raise ConfigError("ScalingContext.steps key", name, "must be a step name (str)")
            if not isinstance(override, Budget | Mapping):
                raise ConfigError(f"ScalingContext.steps[{name!r}]", override, "must be a Budget")
            Budget().merged(override)  # fail now, not mid-run
        if self.run_budget is not None and not isinstance(self.run_budget, Budget):
            raise ConfigError("ScalingContext.run_budget", self.run_budget, "must be a Budget")
        hints = (
            self.difficulty.values()
            if isinstance(self.difficulty, Mapping)
            else ([] if self.difficulty is None else [self.difficulty])
        )
        for h in hints:
            if isinstance(h, bool) or not isinstance(h, int | float) or not 0 <= h <= 1:
                raise ConfigError("ScalingContext.difficulty", h, "must be in [0, 1]")
        if self.run_budget is not None:
            self._ledger = RunLedger(self.run_budget)

    @property
    def ledger(self) -> RunLedger | None:
        """What this run has spent against ``run_budget`` (``None`` without one)."""
        return self._ledger

    def check(self, graph: Any, *, steps: Iterable[str] = ()) -> None:
        """Fail if ``steps`` overrides a name no step of ``graph`` can have.

        Known names: the graph's node names (subgraphs included), the explicit names of
        every wrapper built so far (``ScaledChatModel(step=...)``,
        ``scaled_node(name=...)``, ``ScalingMiddleware(step=...)``) and ``steps``. Call it
        once after building the graph; it is not run automatically, because a wrapper
        built later (inside a node) may still bring a new name.

        Raises:
            ConfigError: an override key matches no known step, naming the known ones.

        Example:
            >>> from langgraph.graph import StateGraph, START, MessagesState
            >>> g = StateGraph(MessagesState)
            >>> _ = g.add_node("agent", lambda s: {})
            >>> _ = g.add_edge(START, "agent")
            >>> ScalingContext(steps={"agnt": {"max_branches": 2}}).check(g.compile())
            Traceback (most recent call last):
            ...
            langgraph_scaling.errors.ConfigError: ScalingContext.steps['agnt']=...
        """
        known = _graph_node_names(graph) | _EXPLICIT_STEPS | set(steps)
        for name, override in self.steps.items():
            if name not in known:
                raise ConfigError(
                    f"ScalingContext.steps[{name!r}]",
                    override,
                    f"no step is named {name!r}; known steps: {sorted(known)}",
                )

    def step_budget(self, step: str, base: Budget) -> Budget:
        """``base`` with this run's override for ``step`` applied."""
        return base.merged(self.steps.get(step))

    def difficulty_for(self, step: str) -> float | None:
        """The difficulty hint for ``step``, if any."""
        if isinstance(self.difficulty, Mapping):
            return self.difficulty.get(step)
        return self.difficulty

    def failures(self, step: str) -> int:
        """Steps named ``step`` in this run whose winner failed verification."""
        return self._failures.get(step, 0)

    def record(self, step: str, winner_passed: bool) -> None:
        """Count a verification failure of ``step`` for later routing decisions."""
        if not winner_passed:
            self._failures[step] = self._failures.get(step, 0) + 1


_EXPLICIT_STEPS: set[str] = set()


def register_step(name: str | None, field_name: str) -> None:
    """Remember a wrapper's explicit step name, for :meth:`ScalingContext.check`."""
    if name is None:
        return
    if not isinstance(name, str) or not name:
        raise ConfigError(field_name, name, "must be a non-empty step name")
    _EXPLICIT_STEPS.add(name)


def _graph_node_names(graph: Any) -> set[str]:
    graphs = [graph]
    get_subgraphs = getattr(graph, "get_subgraphs", None)
    if get_subgraphs is not None:
        graphs += [sub for _, sub in get_subgraphs(recurse=True)]
    names: set[str] = set()
    for g in graphs:
        names.update(str(n) for n in getattr(g, "nodes", {}) if not str(n).startswith("__"))
    return names


def find_scaling_context(context: Any) -> ScalingContext | None:
    """The :class:`ScalingContext` in a runtime context: itself, ``.scaling`` or ``["scaling"]``."""
    if isinstance(context, ScalingContext):
        return context
    inner = getattr(context, "scaling", None)
    if inner is None and isinstance(context, Mapping):
        inner = context.get("scaling")
    if inner is None:
        return None
    if not isinstance(inner, ScalingContext):
        raise ConfigError("context.scaling", inner, "must be a ScalingContext")
    return inner


_COLLECTOR: contextvars.ContextVar[list[StepReport] | None] = contextvars.ContextVar(
    "langgraph_scaling_reports", default=None
)


@contextmanager
def collect_reports() -> Iterator[list[StepReport]]:
    """Collect the :class:`StepReport` of every scaled step run inside the block.

    Example:
        >>> with collect_reports() as reports:
        ...     pass  # await graph.ainvoke(...)
        >>> reports
        []
    """
    reports: list[StepReport] = []
    token = _COLLECTOR.set(reports)
    try:
        yield reports
    finally:
        _COLLECTOR.reset(token)


def publish(report: StepReport) -> None:
    """Hand a finished report to the enclosing :func:`collect_reports`, if any."""
    sink = _COLLECTOR.get()
    if sink is not None:
        sink.append(report)
