"""What a failed chat-completions request becomes, and whether it is sent again.

Retries never add work to a busy server: only what did no work on the request is retried,
with the backend's backoff or after the server's ``Retry-After``:

- connection errors (refused, DNS, connect timeout, connection dropped) become
  :class:`~langgraph_scaling.errors.BackendUnavailableError`, retried with backoff;
- HTTP 429, 502 and 503 (rate limited, no upstream, overloaded) become
  :class:`~langgraph_scaling.errors.BackendError`, retried after ``Retry-After`` or with
  backoff; a ``Retry-After`` over :data:`MAX_RETRY_AFTER` seconds ends the retries;
- HTTP 500 from a router that lost its worker (:func:`lost_worker`: vllm-router answers
  ``500 Request failed: error sending request for url (...)`` when the replica it chose
  refused the connection or died mid-request) is retried like a 502: no server is
  generating that request any more;
- every other status is a :class:`~langgraph_scaling.errors.BackendError`, not retried
  (504 too: a gateway that gave up waiting means a busy server);
- an answer that did not come in time (:func:`is_answer_timeout`) is the backend's
  :class:`~langgraph_scaling.errors.BackendTimeoutError`, never retried.

Example:
    >>> retry_after({"retry-after": "2"}), retry_after({"retry-after-ms": "250"})
    (2.0, 0.25)
    >>> 0.5 <= backoff_delay(4.0, max_backoff=1.0) <= 1.0
    True
"""

from __future__ import annotations

import email.utils
import math
import random
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from langgraph_scaling.errors import BackendError, BackendTimeoutError, BackendUnavailableError

__all__ = [
    "MAX_RETRY_AFTER",
    "RETRY_STATUSES",
    "Wait",
    "backoff_delay",
    "connection_failure",
    "error_text",
    "is_answer_timeout",
    "lost_worker",
    "mentions_n",
    "refused_option",
    "request_failure",
    "retry_after",
    "status_failure",
]

RETRY_STATUSES = frozenset({429, 502, 503})
"""Answers that say the server did no work on the request."""

MAX_RETRY_AFTER = 120.0
"""A longer ``Retry-After`` ends the retries: the step fails now and says so."""

Wait = float | Literal["backoff"] | None
"""Before a retry: the server's ``Retry-After`` seconds, the backoff, or ``None`` (no retry)."""


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked to wait (``retry-after-ms``, or ``Retry-After`` in seconds
    or as an HTTP date), or ``None``."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            seconds = float(headers.get(name) or "nan") * scale
        except ValueError:
            continue
        if math.isfinite(seconds):
            return max(seconds, 0.0)
    try:
        when = email.utils.parsedate_to_datetime(headers.get("retry-after") or "")
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def backoff_delay(delay: float, *, max_backoff: float) -> float:
    """``delay`` capped at ``max_backoff``, with jitter (between half and all of it)."""
    return min(max_backoff, delay) * (0.5 + random.random() / 2)


def error_text(exc: Any) -> str:
    """The server's own error message from an ``openai`` status error (a JSON error, or a
    plain-text body as routers send), else ``str(exc)``."""
    body = getattr(exc, "body", None)
    if isinstance(body, str) and body.strip():
        return body.strip()
    if isinstance(body, Mapping):
        message = body.get("message") or body.get("error")
        if isinstance(message, Mapping):
            message = message.get("message")
        if message:
            return str(message)
    return str(getattr(exc, "message", exc))


def mentions_n(exc: Any) -> bool:
    """Whether a rejected request's error names the ``n`` parameter."""
    text = error_text(exc).lower()
    return any(word in text for word in ("'n'", '"n"', " n ", "n must", "n >", "n=", "`n`"))


_NAMED = (  # "unknown field `top_k`", "Unrecognized request argument supplied: top_k"
    r"(?:unrecognized|unknown|unsupported|unexpected)\b[^.\n]{0,40}?"
    r"\b(?:argument|parameter|field|option|key|propert(?:y|ies))s?\b"
    r"[^.\n]{0,20}?[\s:'\"`(]%s(?!\w|\.\w)"
)
_EXTRA = ("extra inputs are not permitted", "extra fields not permitted", "extra_forbidden")


def refused_option(exc: Any, options: Iterable[str]) -> str | None:
    """The option of ``options`` that a rejected request's error refuses by name, or ``None``.

    A refusal names the option itself as unknown ("Unrecognized request argument supplied:
    structured_outputs", "unknown field `top_k`"), or is pydantic's "Extra inputs are not
    permitted" at a location that ends with it. An error about an option's value (a bad
    regular expression, an extra field inside it) is no refusal.

    Example:
        >>> class Refused:
        ...     body = {"message": "Unrecognized request argument supplied: structured_outputs"}
        >>> refused_option(Refused(), ["top_k", "structured_outputs"])
        'structured_outputs'
        >>> class BadValue:
        ...     body = {"message": "structured_outputs: invalid regex: unknown extension"}
        >>> refused_option(BadValue(), ["structured_outputs"]) is None
        True
    """
    text = error_text(exc)
    extra = any(phrase in text.lower() for phrase in _EXTRA)
    for key in options:
        name = re.escape(key)
        if re.search(_NAMED % name, text, re.IGNORECASE):
            return key
        if extra and re.search(rf"['\"]{name}['\"]\s*[)\]]", text):  # the location's last part
            return key
        if extra and re.search(rf"(?m)^(?:\w+\.)*{name}\s*\n\s+extra", text, re.IGNORECASE):
            return key  # str(ValidationError): the location's line, then the message
    return None


def lost_worker(status: int, text: str) -> bool:
    """Whether an error answer is a router saying that its worker could not be reached.

    vllm-router (0.1.17, seen with replicas killed mid-request) answers HTTP 500 with its
    HTTP client's error when its own attempts on the replica it picked failed to connect
    or were cut off. A router's own timeout is not one: the replica may still be
    generating.

    Example:
        >>> lost_worker(500, "Request failed: error sending request for url (http://w:8000/v1)")
        True
        >>> lost_worker(500, "Request failed: error sending request for url (...): timed out")
        False
    """
    lowered = text.lower()
    return status == 500 and "error sending request" in lowered and "timed out" not in lowered


def is_answer_timeout(exc: Exception) -> bool:
    """The connection was open but the answer did not come in time (not a connect timeout)."""
    import openai

    cause = exc.__cause__ or exc
    return isinstance(exc, openai.APITimeoutError) and type(cause).__name__ != "ConnectTimeout"


def connection_failure(exc: Exception, *, base_url: str, attempt: int) -> BackendUnavailableError:
    """The error for a server that could not be reached on attempt number ``attempt``."""
    cause = exc.__cause__ or exc
    what = f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
    plural = "s" if attempt > 1 else ""
    return BackendUnavailableError(
        f"The OpenAI-compatible server at {base_url} cannot be reached ({what}) "
        f"after {attempt} attempt{plural}; is it running?",
        backend="openai",
        url=base_url,
    )


def request_failure(
    exc: Exception, backend: Any, *, max_tokens: int | None, n: int, read: float, attempt: int
) -> tuple[BackendError, Wait]:
    """The error ``exc`` stands for on ``backend`` (an ``OpenAIServerBackend``) after ``read``
    seconds, and what to wait before a retry (``None``: no retry)."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        return status_failure(exc, base_url=backend.base_url, model=backend.model)
    if is_answer_timeout(exc):
        if read < backend.allowance(max_tokens):
            advice = "That was all the caller's deadline had left."
        else:
            advice = (
                f"Give it more time with OpenAIServerBackend(timeout=..., timeout_per_token=...) "
                f"(now {backend.timeout:g} s + {backend.timeout_per_token:g} s per token), or "
                "ask for fewer tokens or branches."
            )
        error = BackendTimeoutError(
            backend.base_url, seconds=read, max_tokens=max_tokens, n=n, advice=advice,
            backend=backend.name,
        )  # fmt: skip
        return error, None
    return connection_failure(exc, base_url=backend.base_url, attempt=attempt), "backoff"


def status_failure(exc: Any, *, base_url: str, model: str) -> tuple[BackendError, Wait]:
    """The error for an HTTP error answer, and what to wait before a retry."""
    text = (
        f"The server at {base_url} answered HTTP {exc.status_code} for "
        f"model {model!r}: {error_text(exc)}"
    )
    if exc.status_code not in RETRY_STATUSES and not lost_worker(exc.status_code, text):
        return BackendError(text, backend="openai", url=base_url), None
    after = retry_after(exc.response.headers)
    if after is not None and after > MAX_RETRY_AFTER:
        text += f" (it asked to be retried after {after:.0f} s)"
        return BackendError(text, backend="openai", url=base_url), None
    return BackendError(text, backend="openai", url=base_url), (
        "backoff" if after is None else after
    )
