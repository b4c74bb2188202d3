"""One base for the package's configuration models: frozen, validated by pydantic, one error.

``ConfigModel`` subclasses declare their rules as pydantic types and ``Field`` constraints
(and validators for what types cannot say). Every way of making one is validated:
construction, ``model_validate``, nested construction from dicts, and ``model_copy(update=)``.
A ``ValidationError`` becomes one :class:`~langgraph_scaling.errors.ConfigError` naming the
field and the value; a ``ConfigError`` raised by a validator passes through as it is.

Example:
    >>> from pydantic import Field
    >>> class Knob(ConfigModel):
    ...     level: int = Field(default=1, ge=1)
    >>> Knob(level=0)
    Traceback (most recent call last):
    ...
    langgraph_scaling.errors.ConfigError: Knob.level=0 is invalid: must be at least 1.
    >>> Knob().model_copy(update={"level": -2})
    Traceback (most recent call last):
    ...
    langgraph_scaling.errors.ConfigError: Knob.level=-2 is invalid: must be at least 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from langgraph_scaling.errors import ConfigError

__all__ = ["ConfigModel", "Number", "config_error"]

_REASONS = {
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be greater than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "finite_number": "must be a finite number",
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "int_parsing": "must be an integer",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "dict_type": "must be a mapping",
    "literal_error": "use one of {expected}",
    "missing": "is required",
}


def _real(value: Any) -> Any:
    """Numbers only: ``True`` and ``"1.5"`` are not numbers (pydantic would coerce them)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError("", value, "must be a number")
    return value


Number = Annotated[float, BeforeValidator(_real)]
"""A real number given as an int or a float (not a bool, not a string)."""


def config_error(exc: ValidationError, model: str, *, extra: str = "unknown field") -> ConfigError:
    """The first error of ``exc`` as a :class:`ConfigError` naming ``model.field`` and the value."""
    first = exc.errors()[0]
    inner = (first.get("ctx") or {}).get("error")
    loc = first["loc"]
    field = model + "".join(f"[{p!r}]" if not isinstance(p, str) else f".{p}" for p in loc)
    if isinstance(inner, ConfigError):
        if inner.field:
            return inner
        return ConfigError(field, inner.value, inner.reason)
    if first["type"] == "extra_forbidden":
        return ConfigError(field, first.get("input"), extra)
    template = _REASONS.get(first["type"])
    ctx = {k: _plain(v) for k, v in (first.get("ctx") or {}).items()}
    reason = template.format(**ctx) if template else str(first["msg"]).lower()
    return ConfigError(field, first.get("input"), reason.removeprefix("value error, "))


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return int(value)
    return value


class ConfigModel(BaseModel):
    """A frozen configuration model whose every construction raises :class:`ConfigError`."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", arbitrary_types_allowed=True, use_attribute_docstrings=True
    )
    extra_reason: ClassVar[str] = "unknown field"
    """What an unknown keyword is called in the error (e.g. ``unknown budget field``)."""

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise config_error(exc, type(self).__name__, extra=self.extra_reason) from None

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with ``update``, a new model validated like any other (never a bypass)."""
        if not update:
            return super().model_copy(deep=deep)
        fields = {name: getattr(self, name) for name in self.model_fields_set}
        return type(self)(**{**fields, **update})
