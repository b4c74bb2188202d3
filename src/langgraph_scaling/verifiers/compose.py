"""Combine verifiers: ``AllOf`` (every one must pass) and ``Weighted`` (weighted score).

Children run concurrently; a child that raises is recorded as a failing part (with the
error as feedback), except for cancellation, LangGraph interrupts and checks that could not
run at all (``SandboxError``, ``VerifierError``), which propagate.

Example:
    >>> import anyio
    >>> from langgraph_scaling.report import Candidate, Verdict
    >>> from langgraph_scaling.verifiers.protocol import VerifyContext
    >>> class Const:
    ...     def __init__(self, name, ok): self.name, self.ok = name, ok
    ...     async def verify(self, c, ctx):
    ...         return Verdict(verifier=self.name, passed=self.ok, score=float(self.ok))
    >>> v = AllOf(Const("a", True), Const("b", False))
    >>> anyio.run(v.verify, Candidate(index=0), VerifyContext()).passed
    False
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import anyio
from langgraph.errors import GraphBubbleUp

from langgraph_scaling._control import UNCHECKABLE, control_exception, infrastructure_error
from langgraph_scaling.errors import ConfigError
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.verifiers.protocol import Verifier, VerifyContext

__all__ = ["AllOf", "Weighted"]


async def _verdicts(
    verifiers: Sequence[Verifier], candidate: Candidate, context: VerifyContext
) -> list[Verdict]:
    out: list[Verdict | None] = [None] * len(verifiers)

    async def one(i: int, verifier: Verifier) -> None:
        try:
            out[i] = await verifier.verify(candidate, context)
        except (anyio.get_cancelled_exc_class(), GraphBubbleUp, *UNCHECKABLE):
            raise  # cancellation, an interrupt, or a check that could not run at all
        except Exception as exc:
            out[i] = Verdict(
                verifier=verifier.name,
                passed=False,
                score=0.0,
                feedback=f"the verifier failed: {type(exc).__name__}: {exc}",
            )

    try:
        async with anyio.create_task_group() as tg:
            for i, verifier in enumerate(verifiers):
                tg.start_soon(one, i, verifier)
    except BaseExceptionGroup as group:
        raise (control_exception(group) or infrastructure_error(group) or group) from None
    return [v for v in out if v is not None]


def _feedback(verdicts: Sequence[Verdict]) -> str:
    return "\n\n".join(f"[{v.verifier}] {v.feedback}".strip() for v in verdicts if not v.passed)


def _check_verifier(where: str, verifier: object) -> None:
    if not isinstance(verifier, Verifier):
        raise ConfigError(where, verifier, "is not a Verifier (needs name and verify())")


class AllOf:
    """Passes when every child passes; score is the children's mean (or min).

    Example:
        >>> AllOf()
        Traceback (most recent call last):
        ...
        langgraph_scaling.errors.ConfigError: AllOf.verifiers=() is invalid: ...
    """

    def __init__(
        self, *verifiers: Verifier, score: Literal["mean", "min"] = "mean", name: str = "all_of"
    ) -> None:
        if not verifiers:
            raise ConfigError("AllOf.verifiers", verifiers, "must name at least one verifier")
        if score not in ("mean", "min"):
            raise ConfigError("AllOf.score", score, "must be 'mean' or 'min'")
        for v in verifiers:
            _check_verifier("AllOf.verifiers", v)
        self.verifiers = verifiers
        self.score = score
        self._name = name

    @property
    def name(self) -> str:
        """Name used in verdicts."""
        return self._name

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        """Run every child; pass only if all pass."""
        verdicts = await _verdicts(self.verifiers, candidate, context)
        scores = [v.score for v in verdicts]
        score = min(scores) if self.score == "min" else sum(scores) / len(scores)
        return Verdict(
            verifier=self.name,
            passed=all(v.passed for v in verdicts),
            score=score,
            feedback=_feedback(verdicts),
            details={"parts": [v.model_dump() for v in verdicts]},
        )


class Weighted:
    """Score = weighted mean of the children's scores; passes at ``threshold``.

    Example:
        >>> Weighted({})
        Traceback (most recent call last):
        ...
        langgraph_scaling.errors.ConfigError: Weighted.weights={} is invalid: ...
    """

    def __init__(
        self, weights: Mapping[Verifier, float], *, threshold: float = 1.0, name: str = "weighted"
    ) -> None:
        if not weights:
            raise ConfigError("Weighted.weights", dict(weights), "must name at least one verifier")
        for v, w in weights.items():
            _check_verifier("Weighted.weights", v)
            if not w >= 0:
                raise ConfigError(f"Weighted.weights[{v.name}]", w, "must be at least 0")
        if sum(weights.values()) <= 0:
            raise ConfigError("Weighted.weights", dict(weights), "must not all be 0")
        if not 0.0 <= threshold <= 1.0:
            raise ConfigError("Weighted.threshold", threshold, "must be in [0, 1]")
        self.weights = dict(weights)
        self.threshold = threshold
        self._name = name

    @property
    def name(self) -> str:
        """Name used in verdicts."""
        return self._name

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        """Run every child; combine the scores by weight."""
        verifiers = list(self.weights)
        verdicts = await _verdicts(verifiers, candidate, context)
        total = sum(self.weights.values())
        score = sum(self.weights[v] * d.score for v, d in zip(verifiers, verdicts, strict=True))
        score = min(1.0, max(0.0, score / total))
        return Verdict(
            verifier=self.name,
            passed=score >= self.threshold - 1e-9,
            score=score,
            feedback=_feedback(verdicts),
            details={"parts": [v.model_dump() for v in verdicts]},
        )
