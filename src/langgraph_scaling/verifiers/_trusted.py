"""Run a referee script in the sandbox and accept only its nonce-stamped record.

The verifier makes a fresh random nonce per run and hands it to the referee on descriptor
3; the referee reads it only after the candidate's processes are gone and writes
``{"nonce": ..., ...}`` to descriptor 4. Nothing the candidate prints or writes reaches
descriptor 4's reader, and a record with the wrong nonce is ignored.

Example:
    >>> sandbox = shared_sandbox()
    >>> sandbox is shared_sandbox()
    True
"""

from __future__ import annotations

import hmac
import importlib.util
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from langgraph_scaling.sandbox import FileSpec, Sandbox, SandboxLimits, SandboxResult

__all__ = ["harness_source", "packages_for_tests", "run_failure", "run_refereed", "shared_sandbox"]

_shared: dict[tuple[str, ...], Sandbox] = {}


def shared_sandbox(packages: Sequence[str] = ()) -> Sandbox:
    """The process-wide sandbox verifiers use by default (one limiter for all).

    Args:
        packages: distributions the programs may import (see :class:`Sandbox`); each set
            gets its own sandbox, all sharing one concurrency limit.

    Example:
        >>> shared_sandbox() is shared_sandbox() is not shared_sandbox(["pytest"])
        True
    """
    key = tuple(sorted(packages))
    if key not in _shared:
        box = Sandbox(packages=key)
        if _shared:
            box.share_limiter(next(iter(_shared.values())))
        _shared[key] = box
    return _shared[key]


def packages_for_tests(sources: Sequence[str]) -> tuple[str, ...]:
    r"""``("pytest",)`` when tests import pytest and it is installed here, else ``()``.

    Example:
        >>> packages_for_tests(["import pytest\ndef test_a(): pass"])
        ('pytest',)
        >>> packages_for_tests(["assert f(1) == 2"])
        ()
    """
    wanted = any(re.search(r"^\s*(import|from)\s+pytest\b", s, re.M) for s in sources)
    return ("pytest",) if wanted and importlib.util.find_spec("pytest") else ()


def harness_source(name: str) -> str:
    """Source text of a referee script shipped beside this module."""
    return Path(__file__).with_name(name).read_text(encoding="utf-8")


async def run_refereed(
    sandbox: Sandbox,
    script: str,
    spec: Mapping[str, Any],
    *,
    limits: SandboxLimits,
    files: Mapping[str, FileSpec] | None = None,
) -> tuple[dict[str, Any] | None, SandboxResult]:
    """Run ``script`` with ``spec.json``; return its verified record (or ``None``)."""
    nonce = secrets.token_hex(32)
    all_files: dict[str, FileSpec] = {
        **(files or {}),
        "_referee.py": script,
        "spec.json": json.dumps(dict(spec)),
    }
    result = await sandbox.run(
        [sandbox.python, "-E", "-s", "-B", "_referee.py"],
        files=all_files,
        limits=limits,
        channel_in=nonce.encode(),
        channel_out=True,
    )
    try:
        record = json.loads(result.channel.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, result
    if not isinstance(record, dict):
        return None, result
    if not hmac.compare_digest(str(record.get("nonce", "")), nonce):
        return None, result
    return record, result


def run_failure(result: SandboxResult) -> str:
    """Explain a run whose referee wrote no valid record."""
    how = f"limit hit: {result.limit_hit}" if result.limit_hit else f"exit {result.exit_code}"
    tail = result.stderr.strip()[-600:]
    return f"The test run ended without a result ({how}).{f' stderr: {tail}' if tail else ''}"
