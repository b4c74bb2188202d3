"""What a sandboxed run may use, and what it did.

``SandboxLimits`` is the frozen, validated resource budget of one run; ``SandboxResult`` is
the frozen record of how it ended. ``None`` in a limit means "no limit".

Example:
    >>> limits = SandboxLimits(cpu_seconds=2, memory_mb=256)
    >>> limits.max_processes
    64
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from langgraph_scaling._validation import ConfigModel, Number

__all__ = ["LimitHit", "SandboxLimits", "SandboxResult"]

LimitHit = Literal["timeout", "cpu", "memory", "output", "processes", "files"]


class SandboxLimits(ConfigModel):
    """Resource limits of one sandboxed run (``None`` means no limit).

    Example:
        >>> SandboxLimits(timeout_s=5).timeout_s
        5.0
    """

    timeout_s: Number | None = Field(default=10.0, gt=0, allow_inf_nan=False)
    """Wall-clock deadline; the whole process tree is killed when it passes."""
    cpu_seconds: StrictInt | None = Field(default=10, gt=0)
    """CPU time per process (``RLIMIT_CPU``)."""
    memory_mb: StrictInt | None = Field(default=1024, gt=0)
    """Address space per process (``RLIMIT_AS``) and, where a memory cgroup can be made,
    the memory of the whole run."""
    max_processes: StrictInt | None = Field(default=64, gt=0)
    """Processes and threads (a pids cgroup where available, else ``RLIMIT_NPROC`` under a
    per-run uid)."""
    max_open_files: StrictInt | None = Field(default=256, gt=0)
    """Open file descriptors per process (``RLIMIT_NOFILE``)."""
    max_file_mb: StrictInt | None = Field(default=64, gt=0)
    """Size of any one file written (``RLIMIT_FSIZE``)."""
    disk_mb: StrictInt | None = Field(default=512, gt=0)
    """Everything the run stores: its work dir, ``/tmp`` and ``/dev/shm`` share one tmpfs of
    this size (space reserved with ``fallocate`` counts too). The pages are memory, charged
    to the run's memory cgroup where there is one."""
    max_files: StrictInt | None = Field(default=50_000, gt=0)
    """Files and directories the run may create in that tmpfs (its inodes)."""
    max_output_bytes: StrictInt = Field(default=1_000_000, gt=0)
    """Bytes kept of stdout and of stderr each; the run is killed when either overflows."""


class SandboxResult(BaseModel):
    """How one sandboxed run ended.

    Example:
        >>> r = SandboxResult(exit_code=0, stdout="hi\\n", duration_s=0.05)
        >>> r.ok
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    exit_code: int | None = None
    """Exit status of the program, or ``None`` when a signal ended it."""
    signal: int | None = None
    """The signal that ended the program, if one did."""
    stdout: str = ""
    """Standard output (decoded, possibly truncated)."""
    stderr: str = ""
    """Standard error (decoded, possibly truncated)."""
    stdout_truncated: bool = False
    """True when stdout went over ``max_output_bytes``."""
    stderr_truncated: bool = False
    """True when stderr went over ``max_output_bytes``."""
    duration_s: float = 0.0
    """Wall-clock seconds from start to the end of the process tree."""
    limit_hit: LimitHit | None = None
    """Which limit ended or crippled the run, as best determined."""
    isolated_network: bool = False
    """True when the run had its own, empty network namespace."""
    isolation: tuple[str, ...] = ()
    """Isolation features in force (``net``, ``pid``, ``mount``, ``uid``, ``cgroup``...)."""
    channel: bytes = Field(default=b"", repr=False)
    """What the program wrote to its private side channel (fd 4), when one was asked for."""

    @property
    def ok(self) -> bool:
        """True when the program exited with status 0 and hit no limit."""
        return self.exit_code == 0 and self.limit_hit is None
