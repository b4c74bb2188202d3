"""Which isolation this machine offers: namespaces, a per-run uid, cgroups.

Probed once per process. Root gets fresh network, pid, mount, ipc and uts namespaces and
drops each run to its own unprivileged uid; other users get the same namespaces inside a
user namespace where the kernel allows it; elsewhere runs are only rlimited, with a
warning (``SandboxResult.isolated_network`` says which).

Example:
    >>> import anyio

from langgraph_scaling.sandbox import _seccomp
    >>> iso = anyio.run(probe_isolation)
    >>> isinstance(iso.features, tuple)
    True
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from langgraph_scaling.sandbox import _seccomp

__all__ = ["Cgroups", "Isolation", "probe_isolation", "run_uid"]

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
        mounts: whether the launcher can build the run's own read-only root.
        seccomp: whether the program gets the system-call filter (libseccomp is present).
    """

    prefix: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    drop_uid: bool = False
    mounts: bool = False
    seccomp: bool = False

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
    filtered = _seccomp.available()
    result = Isolation(features=("seccomp",) if filtered else (), seccomp=filtered)
    if unshare is not None:
        root = os.geteuid() == 0
        prefix = (unshare, *_NS_FLAGS) if root else (unshare, "--map-root-user", *_NS_FLAGS)
        probe = await anyio.run_process([*prefix, "true"], check=False)
        if probe.returncode == 0:
            feats = ("net", "pid", "mount", "ipc", "ro-root") + (("uid",) if root else ("userns",))
            result = Isolation(
                prefix=prefix,
                features=feats + result.features,
                drop_uid=root,
                mounts=True,
                seccomp=filtered,
            )
    _cache[:] = [result]
    return result


def run_uid() -> int:
    """A fresh, unused uid for one run, so ``RLIMIT_NPROC`` counts this run alone."""
    return _UID_BASE + secrets.randbelow(1_000_000_000)


@dataclass
class Cgroups:
    """The run's own memory and pids cgroups, where the machine lets this process make them.

    cgroup v1: one group in each of the ``memory`` and ``pids`` hierarchies. cgroup v2: one
    child of this process's cgroup, when that cgroup delegates ``memory``/``pids`` to its
    children (its ``cgroup.subtree_control`` lists them, as under systemd's
    ``Delegate=yes``). Elsewhere there are none, and a run is bounded by rlimits alone.
    """

    dirs: list[Path] = field(default_factory=list)
    version: int = 0

    @property
    def procs(self) -> list[str]:
        """The ``cgroup.procs`` files the launcher joins."""
        return [str(d / "cgroup.procs") for d in self.dirs]

    @classmethod
    def create(cls, memory_mb: int | None, max_processes: int | None) -> Cgroups:
        """Make the cgroups; return an empty set when the machine does not allow it."""
        memory = memory_mb * 2**20 if memory_mb else None
        name = f"lgs-{secrets.token_hex(6)}"
        groups = cls(version=1)
        for ctrl, knob, value in (
            ("memory", "memory.limit_in_bytes", memory),
            ("pids", "pids.max", max_processes),
        ):
            base = _v1_base(ctrl)
            if base is not None and value is not None:
                groups._make(base / name, {knob: value})
        if groups.dirs:
            return groups
        return cls._create_v2(name, memory, max_processes)

    @classmethod
    def _create_v2(cls, name: str, memory: int | None, max_processes: int | None) -> Cgroups:
        groups = cls(version=2)
        base = _v2_base()
        if base is None:
            return groups
        delegated = (base / "cgroup.subtree_control").read_text().split()
        knobs: dict[str, int] = {}
        if memory is not None and "memory" in delegated:
            knobs |= {"memory.max": memory, "memory.swap.max": 0}
        if max_processes is not None and "pids" in delegated:
            knobs["pids.max"] = max_processes
        if knobs:
            groups._make(base / name, knobs)
        return groups

    def _make(self, path: Path, knobs: dict[str, int]) -> None:
        try:
            path.mkdir()
        except OSError:
            return
        self.dirs.append(path)
        for knob, value in knobs.items():
            try:
                (path / knob).write_text(str(value))
            except OSError:
                continue

    def events(self) -> set[str]:
        """``memory`` and/or ``processes`` when the run hit those cgroup limits."""
        oom = "memory.oom_control" if self.version == 1 else "memory.events"
        hits: set[str] = set()
        for path in self.dirs:
            if _counter(path / oom, "oom_kill") > 0:
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


def _own_cgroups() -> list[tuple[str, str]]:
    """``(controllers, path)`` of each hierarchy this process is in."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return []
    return [(ctrls, rel) for _, ctrls, rel in (line.split(":", 2) for line in lines)]


def _v1_base(ctrl: str) -> Path | None:
    for ctrls, rel in _own_cgroups():
        if ctrl in ctrls.split(","):
            base = _CG_ROOT / ctrl / rel.lstrip("/")
            return base if base.is_dir() else None
    return None


def _v2_base() -> Path | None:
    """This process's cgroup on a pure cgroup v2 machine, if it is writable."""
    if not (_CG_ROOT / "cgroup.controllers").is_file():
        return None
    for ctrls, rel in _own_cgroups():
        base = _CG_ROOT / rel.lstrip("/")
        if ctrls == "" and (base / "cgroup.subtree_control").is_file():
            return base if os.access(base, os.W_OK) else None
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
