"""Checks of ``OpenAIServerBackend``'s options: each bad one is a ``ConfigError`` naming it.

Example:
    >>> is_header_name("X-Session-ID"), is_header_name("X Session"), is_header_name("")
    (True, False, False)
"""

from __future__ import annotations

import math
import re
from typing import Any

from langgraph_scaling.errors import ConfigError

__all__ = ["check_options", "is_header_name"]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""An HTTP field name (RFC 9110 ``token``)."""


def is_header_name(name: Any) -> bool:
    """Whether ``name`` can be sent as an HTTP header's name."""
    return isinstance(name, str) and _TOKEN.fullmatch(name) is not None


def check_options(b: Any) -> None:
    """Raise :class:`ConfigError` for the first invalid option of backend ``b`` (NaN and
    non-numbers too)."""
    checks: list[tuple[str, Any, bool, str]] = [
        ("max_retries", b.max_retries, _num(b.max_retries, integer=True) >= 0,
         "must be 0 or more"),
        ("timeout", b.timeout, _num(b.timeout) > 0, "must be greater than 0"),
        ("timeout_per_token", b.timeout_per_token, _num(b.timeout_per_token) >= 0,
         "must be 0 or more"),
        ("connect_timeout", b.connect_timeout, _num(b.connect_timeout) > 0,
         "must be greater than 0"),
        ("max_concurrency", b.max_concurrency,
         b.max_concurrency is None or _num(b.max_concurrency, integer=True) >= 1,
         "must be at least 1"),
        ("backoff", b.backoff, _num(b.backoff) >= 0, "must be 0 or more"),
        ("max_backoff", b.max_backoff, _num(b.max_backoff) >= _num(b.backoff),
         f"must be at least backoff ({b.backoff})"),
        ("base_url", b.base_url, b.base_url.startswith(("http://", "https://")),
         "must start with http:// or https://"),
        ("affinity_header", b.affinity_header,
         b.affinity_header is None or is_header_name(b.affinity_header),
         "must be an HTTP header name (letters, digits, '-' ...) or None"),
    ]  # fmt: skip
    for name, value, ok, reason in checks:
        if not ok:
            raise ConfigError(f"OpenAIServerBackend.{name}", value, reason)


def _num(value: Any, *, integer: bool = False) -> float:
    """``value`` as a number for the checks above; NaN, which fails them all, if it is none."""
    number = isinstance(value, int if integer else int | float) and not isinstance(value, bool)
    return float(value) if number else math.nan
