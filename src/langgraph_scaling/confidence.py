"""Token confidence: per-token log-probabilities and what a candidate's confidence is.

Backends that can (vLLM in-process and served, OpenAI-compatible servers, chat models that
put OpenAI-style ``logprobs`` in their response metadata) return one :class:`TokenLogprob`
per generated token when a request asks for ``logprobs`` (the number of top alternatives per
position). :func:`confidence` turns them into the measures selection uses:

- ``mean_logprob``: the mean log-probability of the sampled tokens (higher: surer);
- ``token_confidence``: the mean over tokens of DeepConf's token confidence
  ``C_i = -mean_j log p_i(j)`` over the top-k alternatives at position ``i`` (a peaked
  distribution has one alternative near 0 and the others very negative, so ``C_i`` is large);
- ``lowest_group``: DeepConf's *lowest group confidence*, the least mean ``C_i`` over every
  sliding window of ``window`` tokens (the whole answer when it is shorter): one unsure
  stretch marks the whole trace;
- ``tail``: the mean ``C_i`` over the last ``window`` tokens;
- ``self_certainty``: the mean over tokens of ``-mean_j log p_i(j) - log k``, the top-k
  approximation of the KL divergence of the next-token distribution from uniform used by
  *self-certainty* (Kang et al., 2025).

Every measure grows with confidence. With no top alternatives (``logprobs=0``) the measures
that need them fall back to ``-log p`` of the sampled token.

Example:
    >>> sure = [TokenLogprob("a", -0.01, (("a", -0.01), ("b", -5.0)))] * 4
    >>> unsure = [TokenLogprob("a", -0.7, (("a", -0.7), ("b", -0.7)))] * 4
    >>> confidence(sure)["lowest_group"] > confidence(unsure)["lowest_group"]
    True
    >>> round(confidence(sure)["mean_logprob"], 2)
    -0.01
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MEASURES", "TokenLogprob", "confidence", "token_confidence"]

MEASURES = ("mean_logprob", "token_confidence", "lowest_group", "tail", "self_certainty")
"""The names :func:`confidence` returns, each larger for a surer answer."""


@dataclass(frozen=True)
class TokenLogprob:
    """One generated token: its text, its log-probability and the top alternatives.

    Attributes:
        token: the token as text.
        logprob: natural-log probability of this token when it was sampled.
        top: ``(token, logprob)`` of the most likely tokens at this position, most likely
            first (may include the sampled one); empty when the request asked for none.
    """

    token: str
    logprob: float
    top: tuple[tuple[str, float], ...] = ()


def token_confidence(token: TokenLogprob) -> float:
    """DeepConf's ``C_i = -mean_j log p_i(j)`` over the top alternatives (finite)."""
    values = [lp for _, lp in token.top if math.isfinite(lp)] or [token.logprob]
    finite = [v for v in values if math.isfinite(v)]
    return -sum(finite) / len(finite) if finite else 0.0


def _windows(values: Sequence[float], window: int) -> list[float]:
    if len(values) <= window:
        return [sum(values) / len(values)]
    running = sum(values[:window])
    means = [running / window]
    for i in range(window, len(values)):
        running += values[i] - values[i - window]
        means.append(running / window)
    return means


def confidence(tokens: Sequence[TokenLogprob], *, window: int = 32) -> dict[str, float]:
    """Every measure in :data:`MEASURES` for one answer (``{}`` for no tokens).

    Args:
        tokens: the answer's tokens, in order.
        window: tokens per group for ``lowest_group`` and ``tail`` (DeepConf uses 2048 for
            long reasoning traces; code answers of a few hundred tokens need a smaller one).
    """
    if not tokens:
        return {}
    if window < 1:
        raise ValueError(f"window={window} must be >= 1")
    sampled = [t.logprob if math.isfinite(t.logprob) else -100.0 for t in tokens]
    conf = [token_confidence(t) for t in tokens]
    certainty = [c - math.log(max(len(t.top), 1)) for c, t in zip(conf, tokens, strict=True)]
    return {
        "mean_logprob": sum(sampled) / len(sampled),
        "token_confidence": sum(conf) / len(conf),
        "lowest_group": min(_windows(conf, window)),
        "tail": sum(conf[-window:]) / len(conf[-window:]),
        "self_certainty": sum(certainty) / len(certainty),
    }
