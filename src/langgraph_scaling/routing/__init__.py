"""Difficulty routers: how many branches a step gets.

Pick one by name (``"fixed"``, ``"adaptive"``, ``"heuristic"``), by branch count (an int
means ``fixed(n)``), or pass any object implementing :class:`Router`.

Example:
    >>> resolve_router(3).decide(RouterSignals(), Budget()).waves
    (3,)
"""

from __future__ import annotations

from collections.abc import Callable

from langgraph_scaling.budget import Budget
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.routing._protocol import Router, RouterSignals
from langgraph_scaling.routing.adaptive import AdaptiveRouter
from langgraph_scaling.routing.fixed import FixedRouter
from langgraph_scaling.routing.heuristic import HeuristicRouter

__all__ = [
    "ROUTERS",
    "AdaptiveRouter",
    "Budget",
    "FixedRouter",
    "HeuristicRouter",
    "Router",
    "RouterSignals",
    "resolve_router",
]

ROUTERS: dict[str, Callable[[], Router]] = {
    "fixed": FixedRouter,
    "adaptive": AdaptiveRouter,
    "heuristic": HeuristicRouter,
}


def resolve_router(value: object) -> Router:
    """A router from a name, a branch count, or a router object."""
    if isinstance(value, bool):
        raise ConfigError("ScalingPolicy.router", value, "must be a name, an int or a Router")
    if isinstance(value, int):
        return FixedRouter(value)
    if isinstance(value, str):
        if value not in ROUTERS:
            raise ConfigError(
                "ScalingPolicy.router", value, f"unknown router; use {sorted(ROUTERS)}"
            )
        return ROUTERS[value]()
    if isinstance(value, Router):
        return value
    raise ConfigError("ScalingPolicy.router", value, "is not a Router (needs name and decide())")
