"""Choosing the committed candidate: vote keys and selection strategies."""

from langgraph_scaling.selection.keys import (
    KeyKind,
    VoteKeyFn,
    code_key,
    compute_key,
    extract_python,
    text_key,
    tool_calls_key,
)
from langgraph_scaling.selection.strategies import (
    SELECTORS,
    Selection,
    SelectionName,
    select,
    vote_shares,
)

__all__ = [
    "SELECTORS",
    "KeyKind",
    "Selection",
    "SelectionName",
    "VoteKeyFn",
    "code_key",
    "compute_key",
    "extract_python",
    "select",
    "text_key",
    "tool_calls_key",
    "vote_shares",
]
