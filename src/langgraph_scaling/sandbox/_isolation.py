"""Which isolation this machine offers: namespaces, a per-run uid, cgroups.

Probed once per process. Root gets fresh network, pid, mount, ipc and uts namespaces and
drops each run to its own unprivileged uid; other users get the same namespaces inside a
user namespace where the kernel allows it; elsewhere runs are only rlimited, with a
warning (``SandboxResult.isolated_network`` says which).

Example:
    >>> import anyio
    >>> iso = anyio.run(probe_isolation)
    >>> isinstance(iso.features, tuple)
    True
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

import anyio

__all__ = ["Cgroups", "Isolation", "exposed_dirs", "probe_isolation", "run_uid"]

_NS_FLAGS = ("--net", "--pid", "--kill-child", "--mount", "--mount-proc", "--ipc", "--uts")
_UID_BASE = 3_000_000_000
_CG_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Isolation:
    """What a run gets on this machine.

    Attributes:
        prefix: the ``unshare`` command line that puts a program into fresh namespaces.
        features: names of the isolation features in force.
        drop_uid: whether each run gets its own unprivileged uid.
        mounts: whether the launcher can mount private tmpfs.
    """

    prefix: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    drop_uid: bool = False
    mounts: bool = False

    @property
    def network(self) -> bool:
        """True when runs have no network."""
        return "net" in self.features


_cache: list[Isolation] = []


async def probe_isolation() -> Isolation:
    """Find (once) the strongest isolation this process can set up."""
    if _cache:
        return _cache[0]
    unshare = shutil.which("unshare")
    result = Isolation()
    if unshare is not None:
        root = os.geteuid() == 0
        prefix = (unshare, *_NS_FLAGS) if root else (unshare, "--map-root-user", *_NS_FLAGS)
        probe = await anyio.run_process([*prefix, "true"], check=False)
        if probe.returncode == 0:
            feats = ("net", "pid", "mount", "ipc") + (("uid",) if root else ("userns",))
            result = Isolation(prefix=prefix, features=feats, drop_uid=root, mounts=True)
    _cache[:] = [result]
    return result


def run_uid() -> int:
    """A fresh, unused uid for one run, so ``RLIMIT_NPROC`` counts this run alone."""
    return _UID_BASE + secrets.randbelow(1_000_000_000)


def exposed_dirs(paths: list[str]) -> list[tuple[str, str]]:
    """``(blocked_dir, child)`` pairs to re-expose so an unprivileged uid reaches ``paths``.

    A blocked dir is an ancestor others may not traverse (e.g. ``/root``); the launcher
    covers it with a tmpfs holding only ``child`` (e.g. ``.pyenv``).
    """
    found: dict[str, str] = {}
    for path in paths:
        parts = Path(os.path.realpath(path)).parts
        for depth in range(1, len(parts) - 1):
            here = os.path.join(*parts[: depth + 1])
            if not os.stat(here).st_mode & stat.S_IXOTH:
                found.setdefault(here, parts[depth + 1])
                break
    return sorted(found.items())


@dataclass
class Cgroups:
    """The run's own memory and pids cgroups (cgroup v1 hierarchies), where they can be made."""

    dirs: list[Path] = field(default_factory=list)

    @property
    def procs(self) -> list[str]:
        """The ``cgroup.procs`` files the launcher joins."""
        return [str(d / "cgroup.procs") for d in self.dirs]

    @classmethod
    def create(cls, memory_mb: int | None, max_processes: int | None) -> Cgroups:
        """Make the cgroups; return an empty set when the machine does not allow it."""
        groups = cls()
        name = f"lgs-{secrets.token_hex(6)}"
        wanted = {
            "memory": ("memory.limit_in_bytes", memory_mb and memory_mb * 2**20),
            "pids": ("pids.max", max_processes),
        }
        for ctrl, (knob, value) in wanted.items():
            base = _v1_base(ctrl)
            if base is None or value is None:
                continue
            try:
                path = base / name
                path.mkdir()
                groups.dirs.append(path)
                (path / knob).write_text(str(value))
            except OSError:
                continue
        return groups

    def events(self) -> set[str]:
        """``memory`` and/or ``processes`` when the run hit those cgroup limits."""
        hits: set[str] = set()
        for path in self.dirs:
            if _counter(path / "memory.oom_control", "oom_kill") > 0:
                hits.add("memory")
            if _counter(path / "pids.events", "max") > 0:
                hits.add("processes")
        return hits

    async def remove(self) -> None:
        """Remove the (now empty) cgroups, retrying while the kernel finishes reaping."""
        for path in self.dirs:
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    await anyio.sleep(0.01)
        self.dirs.clear()


def _v1_base(ctrl: str) -> Path | None:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, ctrls, rel = line.split(":", 2)
        if ctrl in ctrls.split(","):
            base = _CG_ROOT / ctrl / rel.lstrip("/")
            return base if base.is_dir() else None
    return None


def _counter(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        return 0
    return 0
