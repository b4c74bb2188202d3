"""The exception tree of langgraph-scaling.

Every error the package raises on purpose derives from :class:`ScalingError`::

    ScalingError
    ├── ConfigError (also ValueError)          bad policy, budget or option
    ├── StepFailedError                        every branch of a scaled step failed
    ├── BudgetExhaustedError                   a budget left no room for even one branch
    ├── BackendError                           an engine or server failed
    │   └── BackendUnavailableError            the engine/server cannot be reached
    ├── VerifierError                          a verifier itself broke (not a failed check)
    ├── SandboxError                           the sandbox could not run a program
    └── ModelPreparationError                  the embedded model could not be prepared

Example:
    >>> from langgraph_scaling.errors import ConfigError, ScalingError
    >>> issubclass(ConfigError, ValueError) and issubclass(ConfigError, ScalingError)
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "BackendError",
    "BackendUnavailableError",
    "BudgetExhaustedError",
    "ConfigError",
    "ModelPreparationError",
    "SandboxError",
    "ScalingError",
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
    """

    def __init__(self, step: str, failures: Sequence[str]) -> None:
        self.step = step
        self.failures = list(failures)
        lines = "\n".join(f"  - {line}" for line in self.failures) or "  - no branch ran"
        super().__init__(
            f"Scaled step {step!r} failed: all {len(self.failures)} branches failed.\n{lines}"
        )


class BudgetExhaustedError(ScalingError):
    """A budget left no room for a single branch of a step."""


class BackendError(ScalingError):
    """An engine or server failed while producing samples."""


class BackendUnavailableError(BackendError):
    """The engine or server cannot be reached (after the configured retries)."""


class VerifierError(ScalingError):
    """A verifier itself broke (as opposed to a candidate failing its check)."""


class SandboxError(ScalingError):
    """The sandbox could not run a program at all."""


class ModelPreparationError(ScalingError):
    """The embedded default model could not be installed, assembled or converted."""
