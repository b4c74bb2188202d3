"""The exception tree of langgraph-scaling.

Every error the package raises on purpose derives from :class:`ScalingError`::

    ScalingError
    ├── ConfigError (also ValueError)          bad policy, budget or option (field, value)
    ├── StepFailedError                        every branch of a scaled step failed (step,
    │                                          failures, report)
    ├── BackendError                           an engine or server failed (backend, url)
    │   ├── BackendUnavailableError            the engine/server cannot be reached
    │   └── BackendTimeoutError                the server took a request, did not answer in
    │                                          time (seconds, max_tokens, n)
    ├── VerifierError                          a verifier could not check at all (not a
    │                                          failed check)
    ├── EditError (also ValueError)            a model's edit cannot be applied (file,
    │                                          reason): a failed candidate, with feedback
    ├── SandboxError                           the sandbox could not run a program (stage,
    │                                          argv0)
    └── ModelPreparationError                  the embedded model could not be prepared

A run budget that is used up is not an error: the step still runs one branch and its
report says why (``StepReport.notes``), so an agent's run can always finish its turn.

    ScalingWarning (also UserWarning)          a setting that probably does not do what
                                               was meant (e.g. a misspelt step override)

Example:
    >>> from langgraph_scaling.errors import ConfigError, ScalingError
    >>> issubclass(ConfigError, ValueError) and issubclass(ConfigError, ScalingError)
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

__all__ = [
    "BackendError",
    "BackendTimeoutError",
    "BackendUnavailableError",
    "ConfigError",
    "EditError",
    "ModelPreparationError",
    "SandboxError",
    "SandboxStage",
    "ScalingError",
    "ScalingWarning",
    "StepFailedError",
    "VerifierError",
]


class ScalingError(Exception):
    """Root of every error raised by langgraph-scaling."""


class ConfigError(ScalingError, ValueError):
    """An invalid option, policy or budget.

    Attributes:
        field: the option at fault.
        value: the value that was given.
    """

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={value!r} is invalid: {reason}.")


class StepFailedError(ScalingError):
    """Every branch of a scaled step failed; ``failures`` says how, branch by branch.

    Attributes:
        step: the step's name.
        failures: one ``"branch N: what happened"`` line per branch.
        report: the failed step's report (a ``StepReport``), when the engine made one.
    """

    def __init__(self, step: str, failures: Sequence[str], *, report: Any = None) -> None:
        self.step = step
        self.failures = list(failures)
        self.report = report
        lines = "\n".join(f"  - {line}" for line in self.failures) or "  - no branch ran"
        super().__init__(
            f"Scaled step {step!r} failed: all {len(self.failures)} branches failed.\n{lines}"
        )


class BackendError(ScalingError):
    """An engine or server failed while producing samples.

    Attributes:
        backend: the backend's name (``vllm``, ``openai`` ...), when the raiser knows it.
        url: the server's base URL, for a backend that talks to one.

    Example:
        >>> err = BackendError("The engine stopped.", backend="vllm")
        >>> err.backend, err.url, str(err)
        ('vllm', None, 'The engine stopped.')
    """

    def __init__(self, message: str, *, backend: str | None = None, url: str | None = None) -> None:
        self.backend = backend
        self.url = url
        super().__init__(message)


class BackendUnavailableError(BackendError):
    """The engine or server cannot be reached (after the configured retries)."""


class BackendTimeoutError(BackendError):
    """A server accepted a request but did not answer in time: it is up, probably busy.

    Such a request is not retried: a retry would queue the same work again behind it.

    Attributes:
        url: the server's base URL (``backend`` as for :class:`BackendError`).
        seconds: how long the answer was waited for.
        max_tokens: tokens per sample the request asked for (``None``: the server's default).
        n: samples the request asked for.

    Example:
        >>> print(BackendTimeoutError("http://h:8000/v1", seconds=376, max_tokens=512, n=8))
        The server at http://h:8000/v1 accepted the connection but did not answer within 376.0 s for a request of max_tokens=512, n=8; it is up but probably busy.
    """  # noqa: E501

    def __init__(
        self,
        url: str,
        *,
        seconds: float,
        max_tokens: int | None,
        n: int,
        advice: str = "",
        backend: str | None = None,
    ) -> None:
        self.seconds = seconds
        self.max_tokens = max_tokens
        self.n = n
        super().__init__(
            f"The server at {url} accepted the connection but did not answer within "
            f"{seconds:.1f} s for a request of max_tokens={max_tokens}, n={n}; it is up but "
            f"probably busy. {advice}".rstrip(),
            backend=backend,
            url=url,
        )


class VerifierError(ScalingError):
    """A verifier could not check a candidate at all (as opposed to a candidate failing it).

    It is never a failed verdict: it propagates through ``AllOf``/``Weighted`` and the
    engine, because it would fail every candidate alike (e.g. no tests were given).
    """


class EditError(ScalingError, ValueError):
    """A model's answer holds an edit that cannot be applied (malformed, ambiguous, unsafe).

    Verifiers turn it into a failed verdict whose feedback is this message: it names the
    file and says what to change, so a revision can act on it.

    Attributes:
        file: the repository-relative path the edit names (``None`` when it names none).
        reason: what is wrong, as a sentence fragment.

    Example:
        >>> print(EditError("stats.py", "the SEARCH text matches 2 places"))
        The edit of stats.py cannot be applied: the SEARCH text matches 2 places.
    """

    def __init__(self, file: str | None, reason: str) -> None:
        self.file = file
        self.reason = reason
        where = f"The edit of {file}" if file else "The edit"
        end = "" if "\n" in reason or reason.endswith(".") else "."
        super().__init__(f"{where} cannot be applied: {reason}{end}")


SandboxStage = Literal["probe", "setup", "exec", "launcher", "executor"]
"""Where a sandboxed run broke: asking the interpreter or the host what it can do
(``probe``), building the run's private view (``setup``), starting the program inside it
(``exec``), the launcher process around it (``launcher``), or the executor that was to
run it elsewhere (``executor``: ``RaySandbox`` could not reach Ray, or the worker running
the program died after every retry)."""


class SandboxError(ScalingError):
    """The sandbox could not run a program at all (never a verdict on the program).

    Attributes:
        stage: where it broke (:data:`SandboxStage`), when the raiser knows it.
        argv0: the program that was to run (or the interpreter that was probed).

    Example:
        >>> err = SandboxError("The sandbox could not start 'pytest'.", stage="exec",
        ...                    argv0="pytest")
        >>> err.stage, err.argv0
        ('exec', 'pytest')
    """

    def __init__(
        self, message: str, *, stage: SandboxStage | None = None, argv0: str | None = None
    ) -> None:
        self.stage = stage
        self.argv0 = argv0
        super().__init__(message)


class ModelPreparationError(ScalingError):
    """The embedded default model could not be installed, assembled or converted."""


class ScalingWarning(UserWarning):
    """A setting that probably does not do what was meant (the run goes on)."""
