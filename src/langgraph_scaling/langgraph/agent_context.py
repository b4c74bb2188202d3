"""A runtime context for agents: JSON fields for servers, Python objects for code.

The prebuilt graphs (``langgraph_scaling.graphs``) subclass it; so can your own agents.

A LangGraph server sends the context of a run as JSON, so every field a request can set is
plain data: where the model is served (``base_url``, ``served_model``), how the agent's step
scales (``router``, ``selection``, ``max_new_tokens``, ``temperature``) and the
:class:`~langgraph_scaling.ScalingContext` fields (``steps``, ``run_budget``,
``difficulty``). In-process callers may pass live objects instead (``model=`` a chat model
or backend, ``policy=`` a full :class:`~langgraph_scaling.ScalingPolicy`); those two are
left out of the JSON schema.

Example:
    >>> from langgraph_scaling.langgraph.agent_context import AgentContext
    >>> ctx = AgentContext(router=2, run_budget={"max_branches": 6})
    >>> ctx.scaling_policy().router.name, ctx.run_budget.max_branches
    ('fixed', 6)
    >>> sorted(AgentContext.model_json_schema()["properties"])[:4]
    ['base_url', 'difficulty', 'max_new_tokens', 'router']
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, StrictInt, field_validator
from pydantic.json_schema import SkipJsonSchema

from langgraph_scaling.errors import ConfigError
from langgraph_scaling.langgraph.context import ScalingContext
from langgraph_scaling.policy import ScalingPolicy, SelectionMethod, check_selection
from langgraph_scaling.sandbox import Sandbox

__all__ = ["AgentContext"]


class AgentContext(ScalingContext):
    """Settings of one run of a prebuilt agent (frozen; JSON-valued but for two fields)."""

    base_url: str | None = None
    """An OpenAI-compatible server (``http://host:8000/v1``); ``None``: the embedded model
    (or ``LANGGRAPH_SCALING_BASE_URL``)."""
    served_model: str | None = None
    """The model's name on that server."""
    router: StrictInt | Literal["fixed", "adaptive", "heuristic"] = Field(default=4)
    """Branches per step: a number, or a router's name."""
    selection: SelectionMethod = "vote"
    """How the step picks its answer."""
    max_new_tokens: StrictInt | None = Field(default=512, ge=1)
    """Tokens each branch may generate."""
    temperature: float = Field(default=0.8, ge=0, allow_inf_nan=False)
    """Sampling temperature of each branch."""
    model: SkipJsonSchema[Any] = None
    """In-process only: a LangChain chat model or a backend (wins over ``base_url``)."""
    policy: SkipJsonSchema[ScalingPolicy | None] = None
    """In-process only: the whole policy (wins over ``router``, ``selection``...)."""
    sandbox: SkipJsonSchema[Any] = None
    """In-process only: the :class:`~langgraph_scaling.sandbox.Sandbox` the agent's own
    checks run in, e.g. a ``RaySandbox`` to run them on a Ray cluster. The coding agent runs
    a task's visible and generated tests there (and a patch task's test command); the
    repository agent every run of its test command (the ``run_tests`` tool, each edit
    branch's check, the reproduction test, the trim). The sandbox must show what the tests
    import (``packages=("pytest",)`` for pytest tests): a sandbox is used as given.
    ``None``: a shared local sandbox showing pytest where the tests need it."""

    @field_validator("sandbox")
    @classmethod
    def _a_sandbox(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, Sandbox):
            reason = f"must be a Sandbox (or None), not {type(value).__name__}"
            raise ConfigError(f"{cls.__name__}.sandbox", value, reason)
        return value

    @field_validator("selection", mode="before")
    @classmethod
    def _selection(cls, value: Any) -> Any:
        return check_selection(f"{cls.__name__}.selection", value)

    def scaling_policy(self, **fixed: Any) -> ScalingPolicy:
        """``policy``, or one built from the JSON fields (``fixed`` adds e.g. verifiers)."""
        if self.policy is not None:
            return self.policy
        return ScalingPolicy(
            router=self.router,
            selection=self.selection,
            max_new_tokens=self.max_new_tokens,
            temperature=self.temperature,
            **fixed,
        )

    def backend(self) -> Any:
        """``model``, the server at ``base_url``, or the embedded default."""
        if self.model is not None:
            return self.model
        if self.base_url is not None:
            return _served(self.base_url, self.served_model or "default")
        from langgraph_scaling.backends.default import default_backend

        return default_backend()


@lru_cache(maxsize=16)
def _served(base_url: str, model: str) -> Any:
    from langgraph_scaling.backends.openai_server import OpenAIServerBackend

    return OpenAIServerBackend(base_url, model)
