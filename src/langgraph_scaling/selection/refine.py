"""``refine``: the best candidate, revised in rounds fed by the verifiers' feedback.

Choosing is :func:`~langgraph_scaling.selection.best.best`; the rounds themselves run in
:mod:`langgraph_scaling.refine`, because the strategy says it ``revises``.

Example:
    >>> from langgraph_scaling.report import Candidate
    >>> REFINE.revises, REFINE([Candidate(index=0, status="ok")]).reason
    (True, 'best score 1.00')
"""

from __future__ import annotations

from langgraph_scaling.selection._protocol import Selector
from langgraph_scaling.selection.best import best

__all__ = ["REFINE"]

REFINE = Selector("refine", best, revises=True)
