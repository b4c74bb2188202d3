"""Per-run settings from LangGraph's runtime context, and where step reports go.

Pass a :class:`ScalingContext` as the graph's runtime context (``context_schema``), or as a
``scaling`` attribute/key of your own context, to override step budgets by step name, set a
run-level budget shared by all steps of the invocation, and hint difficulty. Every field is
plain JSON, so a LangGraph server takes it per request
(``{"context": {"steps": {"agent": {"max_branches": 2}}}}``) and
``graph.get_context_jsonschema()`` describes it.

What a run has spent is not kept on the context object (one object may serve many runs):
each invocation gets its own ledger, and chat-model steps start it from the spending that
the run's committed messages record (``response_metadata["scaling"]`` of the AI messages
after the last human message), so a run resumed from its checkpoint after a crash keeps
counting where it stopped, and a new input starts from zero.

Example:
    >>> ctx = ScalingContext(steps={"agent": {"max_branches": 2}},
    ...                      run_budget={"max_branches": 10})
    >>> ctx.step_budget("agent", Budget(max_branches=8)).max_branches
    2
    >>> sorted(ScalingContext.model_json_schema()["properties"])
    ['difficulty', 'run_budget', 'steps']
"""

from __future__ import annotations

import contextvars
import difflib
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langgraph.runtime import get_runtime
from pydantic import Field, field_validator

from langgraph_scaling._validation import ConfigModel
from langgraph_scaling.budget import Budget, RunLedger
from langgraph_scaling.errors import ConfigError, ScalingWarning
from langgraph_scaling.report import StepReport

__all__ = ["ScalingContext", "collect_reports", "find_scaling_context", "register_step"]


class ScalingContext(ConfigModel):
    """Invoke-time scaling settings for one graph run (frozen, JSON-valued).

    Attributes:
        steps: budget overrides by step name: a :class:`Budget` or a dict of its fields.
        run_budget: limits shared by every scaled step of one run (a Budget or a dict); once
            used up, steps fall back to a single branch and say so in their report.
        difficulty: a hint in [0, 1] for the heuristic router, for all steps or by step name.
    """

    steps: dict[str, Budget] = Field(default_factory=dict)
    """Budget overrides by step name (only the fields given override the policy's)."""
    run_budget: Budget | None = None
    """Limits shared by every scaled step of one run."""
    difficulty: float | dict[str, float] | None = None
    """A hint in [0, 1] for the heuristic router, for all steps or by step name."""

    @field_validator("steps", mode="before")
    @classmethod
    def _steps(cls, value: Any) -> dict[str, Budget]:
        if not isinstance(value, Mapping):
            raise ConfigError("ScalingContext.steps", value, "must map step names to budgets")
        out: dict[str, Budget] = {}
        for name, override in value.items():
            if not isinstance(name, str) or not name:
                raise ConfigError("ScalingContext.steps key", name, "must be a step name (str)")
            out[name] = _budget(f"ScalingContext.steps[{name!r}]", override)
        return out

    @field_validator("run_budget", mode="before")
    @classmethod
    def _run_budget(cls, value: Any) -> Budget | None:
        return None if value is None else _budget("ScalingContext.run_budget", value)

    @field_validator("difficulty", mode="before")
    @classmethod
    def _difficulty(cls, value: Any) -> Any:
        hints = value.values() if isinstance(value, Mapping) else ([] if value is None else [value])
        for h in hints:
            if isinstance(h, bool) or not isinstance(h, int | float) or not 0 <= h <= 1:
                raise ConfigError("ScalingContext.difficulty", h, "must be in [0, 1]")
        return value

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

    @property
    def ledger(self) -> RunLedger | None:
        """What the current run has spent against ``run_budget`` (``None`` without one)."""
        return self.run_ledger()

    def run_ledger(self, messages: Sequence[BaseMessage] = ()) -> RunLedger | None:
        """The current run's ledger; a run's first step starts it from ``messages``' reports."""
        if self.run_budget is None:
            return None
        state = _run_state(self)
        with _RUNS_LOCK:
            if state.ledger is None:  # the run's first step: count what it already committed
                state.ledger = RunLedger(self.run_budget)
                state.ledger.restore(*committed_spending(messages))
            return state.ledger

    def notice_step(self, step: str) -> None:
        """Warn (once per run and name) when ``step`` has no override but one looks meant
        for it: a near-miss spelling, or ``agent`` for the middleware's ``model`` step."""
        if not self.steps or step in self.steps:
            return
        state = _run_state(self)
        state.seen.add(step)
        unused = [k for k in self.steps if k not in state.seen and k not in state.warned]
        near = difflib.get_close_matches(step, unused, n=1, cutoff=0.75)
        if step == "model" and "agent" in unused:
            near = ["agent"]
        if not near:
            return
        state.warned.add(near[0])
        warnings.warn(
            f"ScalingContext.steps has an override for {near[0]!r}, but the step that ran is "
            f"named {step!r}, so the override does nothing here. Rename the key to {step!r} "
            f"(or name the step {near[0]!r}); ScalingContext.check(graph) lists the names.",
            ScalingWarning,
            stacklevel=2,
        )

    def failures(self, step: str) -> int:
        """Steps named ``step`` in the current run whose winner failed verification."""
        return _run_state(self).failures.get(step, 0)

    def record(self, step: str, winner_passed: bool) -> None:
        """Count a verification failure of ``step`` for later routing decisions."""
        if not winner_passed:
            state = _run_state(self)
            state.failures[step] = state.failures.get(step, 0) + 1


def _budget(field_name: str, value: Any) -> Budget:
    if isinstance(value, Budget):
        return value
    if not isinstance(value, Mapping):
        raise ConfigError(field_name, value, "must be a Budget or a dict of its fields")
    return Budget(**value)


@dataclass
class _RunState:
    """What one run (one invocation of a graph, resumed or not) has done so far."""

    ledger: RunLedger | None = None
    failures: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    warned: set[str] = field(default_factory=set)


_RUNS: OrderedDict[tuple[int, int], tuple[object, _RunState]] = OrderedDict()
_RUNS_LOCK = threading.Lock()
_MAX_RUNS = 1024


def _run_state(ctx: ScalingContext) -> _RunState:
    """The state of the run in progress: one per LangGraph invocation (subgraphs share it)."""
    run = _current_run() or ctx
    key = (id(ctx), id(run))
    with _RUNS_LOCK:
        if key in _RUNS and _RUNS[key][0] is run:
            _RUNS.move_to_end(key)
            return _RUNS[key][1]
        state = _RunState()
        _RUNS[key] = (run, state)  # the run object is kept, so its id is not reused meanwhile
        while len(_RUNS) > _MAX_RUNS:
            _RUNS.popitem(last=False)
        return state


def _current_run() -> object | None:
    """LangGraph's per-invocation ``RunControl`` (shared with subgraphs), if in a run."""
    try:
        runtime = get_runtime()
    except (RuntimeError, KeyError):
        return None  # not inside a graph run
    return getattr(runtime, "control", None)


def committed_spending(messages: Sequence[BaseMessage]) -> tuple[int, int, float]:
    """Branches, tokens and cost the current run's committed AI messages record.

    The current run is what follows the last human message.

    Example:
        >>> from langchain_core.messages import AIMessage, HumanMessage
        >>> done = {"scaling": {"launched": 4, "tokens_in": 10, "tokens_out": 5, "cost": 0.0}}
        >>> committed_spending([AIMessage("old", response_metadata=done), HumanMessage("go"),
        ...                     AIMessage("", response_metadata=done)])
        (4, 15, 0.0)
    """
    branches, tokens, cost = 0, 0, 0.0
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        report = (
            message.response_metadata.get("scaling") if isinstance(message, AIMessage) else None
        )
        if isinstance(report, Mapping):
            branches += int(report.get("launched") or 0)
            tokens += int(report.get("tokens_in") or 0) + int(report.get("tokens_out") or 0)
            cost += float(report.get("cost") or 0.0)
    return branches, tokens, cost


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
