"""The selection strategies, registered once by name.

Each strategy lives in its own module (``vote``, ``weighted_vote``, ``best``,
``first_pass``, ``refine``) as a :class:`Selector`: one chooser with the shared signature
``(candidates) -> Selection``, plus the flags that tell the engine what it needs
(``stops_early``, ``revises``). A new strategy is one new module and one entry in
:data:`SELECTORS`. Candidates come in finish order; ties are broken deterministically (most
votes, then higher score, then the lowest branch index).

Example:
    >>> cs = [Candidate(index=i, status="ok", text=t, vote_key=t) for i, t in
    ...       enumerate(["a", "b", "a"])]
    >>> select("vote", cs).winner.index, select("vote", cs).votes
    (0, {'a': 2, 'b': 1})
    >>> selector("first_pass").stops_early, selector("refine").revises
    (True, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from langgraph_scaling.errors import ConfigError
from langgraph_scaling.report import Candidate
from langgraph_scaling.selection._protocol import Selection, Selector
from langgraph_scaling.selection._tally import vote_shares
from langgraph_scaling.selection.best import BEST
from langgraph_scaling.selection.confidence_filter import CONFIDENCE_FILTER
from langgraph_scaling.selection.confidence_vote import CONFIDENCE_VOTE
from langgraph_scaling.selection.dual_agreement import DUAL_AGREEMENT
from langgraph_scaling.selection.first_pass import FIRST_PASS
from langgraph_scaling.selection.lexicographic import COMBINED, RANKED
from langgraph_scaling.selection.refine import REFINE
from langgraph_scaling.selection.vote import VOTE
from langgraph_scaling.selection.weighted_vote import WEIGHTED_VOTE

__all__ = [
    "SELECTORS",
    "Selection",
    "SelectionName",
    "Selector",
    "select",
    "selector",
    "vote_shares",
]

SELECTORS: Mapping[str, Selector] = MappingProxyType(
    {
        s.name: s
        for s in (
            VOTE,
            WEIGHTED_VOTE,
            BEST,
            FIRST_PASS,
            REFINE,
            CONFIDENCE_VOTE,
            CONFIDENCE_FILTER,
            RANKED,
            COMBINED,
            DUAL_AGREEMENT,
        )
    }
)
"""Every selection strategy by name: the one place a new strategy is registered."""

SelectionName = str
"""A key of :data:`SELECTORS`."""


def selector(name: SelectionName | Selector) -> Selector:
    """The strategy called ``name`` (a :class:`Selector` is returned as it is).

    Raises:
        ConfigError: no strategy has that name.
    """
    if isinstance(name, Selector):
        return name
    try:
        return SELECTORS[name]
    except KeyError:
        raise ConfigError("selection", name, f"use one of {list(SELECTORS)}") from None


def select(name: SelectionName | Selector, candidates: Sequence[Candidate]) -> Selection:
    """Run the strategy called ``name``."""
    return selector(name)(candidates)
