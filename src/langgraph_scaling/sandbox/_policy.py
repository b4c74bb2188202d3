"""Pure policy of a run: environment, rlimits, program lookup, and which limit was hit.

Example:
    >>> sorted(scrubbed_env(Path("/w"), "/usr/bin", {}))[:3]
    ['HOME', 'LANG', 'LC_ALL']
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from langgraph_scaling.errors import ConfigError
from langgraph_scaling.sandbox._limits import LimitHit, SandboxLimits

__all__ = ["infer_limit", "parse_status", "resolve", "rlimits", "scrubbed_env"]

_PROC_MARKERS = ("Resource temporarily unavailable", "can't start new thread")


def resolve(program: str, path: str) -> str:
    if os.sep in program:
        return program
    for folder in path.split(":"):
        candidate = os.path.join(folder, program)
        if os.access(candidate, os.X_OK):
            return candidate
    raise ConfigError("argv[0]", program, "is not found on the sandbox PATH")


def scrubbed_env(workdir: Path, path: str, extra: Mapping[str, str]) -> dict[str, str]:
    env = {
        "PATH": path,
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONUNBUFFERED": "1",
        "PYTHONNOUSERSITE": "1",
    }
    env.update(extra)
    return env


def rlimits(limits: SandboxLimits, own_uid: bool) -> dict[str, tuple[int, int]]:
    mb = 2**20
    out: dict[str, tuple[int, int]] = {"core": (0, 0)}
    if limits.cpu_seconds is not None:
        out["cpu"] = (limits.cpu_seconds, limits.cpu_seconds + 1)
    if limits.memory_mb is not None:
        out["as"] = (limits.memory_mb * mb, limits.memory_mb * mb)
    if limits.max_processes is not None and own_uid:
        out["nproc"] = (limits.max_processes, limits.max_processes)
    if limits.max_open_files is not None:
        out["nofile"] = (limits.max_open_files, limits.max_open_files)
    if limits.max_file_mb is not None:
        out["fsize"] = (limits.max_file_mb * mb, limits.max_file_mb * mb)
    return out


def parse_status(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode()) if raw else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def infer_limit(
    limits: SandboxLimits, status: Mapping[str, Any], stderr: str, cgroup_hits: set[str]
) -> LimitHit | None:
    sig = status.get("signal")
    cpu_s = float(status.get("cpu_s", 0.0))
    tail = stderr[-4000:]
    if sig == signal.SIGXCPU or (
        limits.cpu_seconds is not None and sig == signal.SIGKILL and cpu_s >= limits.cpu_seconds
    ):
        return "cpu"
    if "memory" in cgroup_hits or "MemoryError" in tail or "Cannot allocate memory" in tail:
        return "memory"
    if "processes" in cgroup_hits or any(m in tail for m in _PROC_MARKERS):
        return "processes"
    if sig == signal.SIGXFSZ or "File too large" in tail or "Too many open files" in tail:
        return "files"
    return None
