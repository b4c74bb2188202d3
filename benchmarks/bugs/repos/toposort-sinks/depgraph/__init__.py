"""Dependency graphs: topological order and cycle detection."""

from depgraph.graph import CycleError, topological_order

__all__ = ["CycleError", "topological_order"]
