"""``CallableVerifier``: turn a user function into a verifier."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from langgraph_scaling.errors import ConfigError
from langgraph_scaling.report import Candidate, Verdict
from langgraph_scaling.verifiers.protocol import VerifyContext

__all__ = ["CallableVerifier"]

CheckResult = bool | float | Verdict | tuple[bool, str]


class CallableVerifier:
    """Wraps ``fn(candidate)`` or ``fn(candidate, context)``, sync or async.

    ``fn`` returns a ``bool``, a score in [0, 1] (passed when >= ``threshold``), a
    ``(passed, feedback)`` pair, or a full :class:`Verdict`. Anything else raises
    :class:`~langgraph_scaling.errors.ConfigError` naming the verifier and the value; the
    engine (and ``AllOf``/``Weighted``) records that as a failing verdict and goes on.

    Example:
        >>> import anyio
        >>> v = CallableVerifier(lambda c: "42" in c.text, name="has_42")
        >>> anyio.run(v.verify, Candidate(index=0, text="it is 42", status="ok"),
        ...           VerifyContext()).passed
        True
        >>> anyio.run(CallableVerifier(lambda c: None, name="oops").verify,
        ...           Candidate(index=0), VerifyContext())
        Traceback (most recent call last):
        ...
        langgraph_scaling.errors.ConfigError: CallableVerifier('oops').fn's result=None ...
    """

    def __init__(
        self,
        fn: Callable[..., CheckResult | Awaitable[CheckResult]],
        *,
        name: str | None = None,
        threshold: float = 1.0,
    ) -> None:
        if not callable(fn):
            raise ConfigError("CallableVerifier.fn", fn, "must be callable")
        if not 0.0 <= threshold <= 1.0:
            raise ConfigError("CallableVerifier.threshold", threshold, "must be in [0, 1]")
        self._fn = fn
        self._threshold = threshold
        self._name: str = name or str(getattr(fn, "__name__", "callable"))
        try:
            params = inspect.signature(fn).parameters
            self._takes_context = len(params) >= 2
        except (TypeError, ValueError):
            self._takes_context = False

    @property
    def name(self) -> str:
        return self._name

    async def verify(self, candidate: Candidate, context: VerifyContext) -> Verdict:
        args: tuple[Any, ...] = (candidate, context) if self._takes_context else (candidate,)
        result = self._fn(*args)
        if inspect.isawaitable(result):
            result = await result
        return self._to_verdict(result)

    def _to_verdict(self, result: object) -> Verdict:
        if isinstance(result, Verdict):
            return result
        if isinstance(result, tuple) and len(result) == 2:
            ok, feedback = bool(result[0]), str(result[1])
            return Verdict(verifier=self.name, passed=ok, score=float(ok), feedback=feedback)
        if isinstance(result, bool):
            return Verdict(verifier=self.name, passed=result, score=float(result))
        if isinstance(result, int | float):
            score = min(1.0, max(0.0, float(result)))
            return Verdict(verifier=self.name, passed=score >= self._threshold, score=score)
        raise ConfigError(
            f"CallableVerifier({self.name!r}).fn's result",
            result,
            "fn must return a bool, a score in [0, 1], a (passed, feedback) pair or a "
            f"Verdict, not {type(result).__name__}",
        )
