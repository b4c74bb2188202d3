"""Choosing the committed candidate: vote keys and selection strategies.

One strategy per module (``vote``, ``weighted_vote``, ``best``, ``first_pass``,
``refine`` ...), registered by name in :data:`SELECTORS`; :func:`lexicographic` builds a
rule that ranks by several scores in turn (``ScalingPolicy(selection=lexicographic(...))``).
"""

from langgraph_scaling.selection.keys import (
    KeyKind,
    VoteKeyFn,
    code_key,
    compute_key,
    extract_python,
    text_key,
    tool_calls_key,
)
from langgraph_scaling.selection.lexicographic import lexicographic
from langgraph_scaling.selection.strategies import (
    SELECTORS,
    Selection,
    SelectionName,
    Selector,
    select,
    selector,
    vote_shares,
)

__all__ = [
    "SELECTORS",
    "KeyKind",
    "Selection",
    "SelectionName",
    "Selector",
    "VoteKeyFn",
    "code_key",
    "compute_key",
    "extract_python",
    "lexicographic",
    "select",
    "selector",
    "text_key",
    "tool_calls_key",
    "vote_shares",
]
