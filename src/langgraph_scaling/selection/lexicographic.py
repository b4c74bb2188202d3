"""``lexicographic``: rank candidates by several signals in order; ``ranked`` is the default.

:func:`lexicographic` builds a strategy from signal names; the winner is the finished
candidate with the highest first signal, ties broken by the second, and so on, then by the
lowest branch index. The signals (each larger is better):

- ``score``: the mean verifier score; ``passed``: 1 when every verifier passed;
- ``verifier:NAME``: one verifier's score (0 without its verdict);
- ``votes``: how many candidates share the vote key (behaviour clustering when the vote key
  is a behaviour key);
- ``confidence``: the lowest group token confidence (needs log-probabilities, which the
  strategy then asks for; a candidate without them ranks last on this signal).

The registered ``ranked`` strategy is ``lexicographic("score", "votes", "confidence")``:
tests first, then agreement, then confidence; ``combined`` ranks the visible tests, then the
generated tests, then agreement, then confidence. Pass another one as
``ScalingPolicy(selection=lexicographic(...))``.

Example:
    >>> from langgraph_scaling.report import Verdict
    >>> cs = [Candidate(index=i, status="ok", vote_key=k) for i, k in enumerate("abb")]
    >>> for c, ok in zip(cs, [True, False, False]):
    ...     c.verdicts.append(Verdict(verifier="tests", passed=ok, score=float(ok)))
    >>> RANKED(cs).winner.index
    0
    >>> lexicographic("votes")(cs).winner.index
    1
    >>> lexicographic("vibes")
    Traceback (most recent call last):
    ...
    langgraph_scaling.errors.ConfigError: lexicographic.signals='vibes' is invalid: ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

from langgraph_scaling.errors import ConfigError
from langgraph_scaling.report import Candidate
from langgraph_scaling.selection._confidence import TOP_LOGPROBS, weight
from langgraph_scaling.selection._protocol import Selection, Selector
from langgraph_scaling.selection._tally import counts, finished, key_of

__all__ = ["COMBINED", "RANKED", "SIGNALS", "lexicographic"]

Signal = Callable[[Candidate, Mapping[str, int]], float]
"""One signal of a candidate, given the vote counts of all finished candidates."""

SIGNALS: Mapping[str, Signal] = MappingProxyType(
    {
        "score": lambda c, _: c.score,
        "passed": lambda c, _: float(c.passed),
        "votes": lambda c, votes: float(votes[key_of(c)]),
        "confidence": lambda c, _: w if (w := weight(c)) is not None else float("-inf"),
    }
)
"""The signals by name (``verifier:NAME`` is also accepted)."""


def _signal(name: str) -> Signal:
    if name.startswith("verifier:") and len(name) > len("verifier:"):
        verifier = name.removeprefix("verifier:")
        return lambda c, _: max((v.score for v in c.verdicts if v.verifier == verifier), default=0)
    try:
        return SIGNALS[name]
    except KeyError:
        raise ConfigError(
            "lexicographic.signals", name, f"use {list(SIGNALS)} or 'verifier:NAME'"
        ) from None


def lexicographic(*signals: str, name: str | None = None) -> Selector:
    """A strategy ranking by ``signals`` in order (see the module docs for the names)."""
    if not signals:
        raise ConfigError("lexicographic.signals", signals, "name at least one signal")
    fns = [_signal(s) for s in signals]

    def choose(candidates: Sequence[Candidate]) -> Selection:
        done = finished(candidates)
        if not done:
            return Selection(None, "no branch finished")
        votes = counts(done)

        def rank(c: Candidate) -> tuple[float, ...]:
            return tuple(fn(c, votes) for fn in fns)

        winner = max(done, key=lambda c: (*rank(c), -c.index))
        shown = ", ".join(f"{s}={v:.3g}" for s, v in zip(signals, rank(winner), strict=True))
        return Selection(winner, f"ranked by {', '.join(signals)}: {shown}", votes)

    needs = TOP_LOGPROBS if "confidence" in signals else None
    return Selector(name or f"lexicographic({','.join(signals)})", choose, logprobs=needs)


RANKED = lexicographic("score", "votes", "confidence", name="ranked")
"""Tests first, then agreement among branches, then token confidence."""

COMBINED = lexicographic(
    "verifier:unit_tests", "verifier:generated_tests", "votes", "confidence", name="combined"
)
"""For code: the visible tests (``UnitTestVerifier``) first, then the model's own tests
(``GeneratedTestsVerifier``), then agreement, then token confidence."""
