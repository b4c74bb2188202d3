"""The tiny program that starts a sandboxed process (run as a script, stdlib only).

It runs as the first process of the sandbox (pid 1 of a fresh pid namespace when
namespaces are available), still privileged. It then:

1. mounts private tmpfs over ``/tmp``, ``/dev/shm`` and ``/var/tmp`` (re-exposing the work
   directory), and re-exposes the interpreter under directories the sandbox uid cannot
   traverse (e.g. ``/root/.pyenv``) on a tmpfs that hides everything else there;
2. joins the run's cgroups;
3. forks the target, which sets its rlimits, drops to the run's uid with no supplementary
   groups and ``no_new_privs``, closes every other descriptor and ``execve``'s the program;
4. waits for the target and writes its exit status and rusage as JSON to the status
   descriptor, which the target never sees. When this process exits, the kernel kills
   everything left in the pid namespace.

Example:
    The parent runs ``python -I -S _launcher.py '<json config>'``; see ``_runner.py``.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import resource
import sys
from typing import Any

_MS_NOSUID = 2
_MS_NODEV = 4
_MS_BIND = 4096
_MS_REC = 16384
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_PDEATHSIG = 1

_RLIMITS = {
    "cpu": resource.RLIMIT_CPU,
    "as": resource.RLIMIT_AS,
    "nproc": resource.RLIMIT_NPROC,
    "nofile": resource.RLIMIT_NOFILE,
    "fsize": resource.RLIMIT_FSIZE,
    "core": resource.RLIMIT_CORE,
}


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    rc = _libc().mount(
        source.encode(),
        target.encode(),
        fstype.encode() if fstype else None,
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")


def _setup_mounts(cfg: dict[str, Any]) -> None:
    """Private tmpfs over the shared temp dirs; re-expose the work dir and the interpreter."""
    os.umask(0o022)
    paths = [cfg["workdir"], *(os.path.join(d, c) for d, c in cfg["expose"])]
    keep = [(os.open(path, os.O_PATH | os.O_DIRECTORY), path) for path in paths]
    size = f"size={cfg['tmpfs_mb']}m"
    for blocked, _child in cfg["expose"]:
        _mount("tmpfs", blocked, "tmpfs", _MS_NOSUID | _MS_NODEV, f"mode=0755,{size}")
    for tmp in cfg["tmpfs"]:
        if os.path.isdir(tmp):
            _mount("tmpfs", tmp, "tmpfs", _MS_NOSUID | _MS_NODEV, f"mode=1777,{size}")
    for fd, path in keep:
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC, None)
        os.close(fd)


def _join_cgroups(cfg: dict[str, Any]) -> None:
    for procs in cfg["cgroups"]:
        with open(procs, "w") as fh:
            fh.write("0")


def _exec_target(cfg: dict[str, Any]) -> None:
    """In the forked child: limits, credentials, descriptors, then exec. Never returns."""
    try:
        fd_map: dict[str, int] = cfg["fd_map"]
        high = {int(t): fcntl.fcntl(s, fcntl.F_DUPFD, 1000) for t, s in fd_map.items()}
        for target, source in high.items():
            os.dup2(source, target, inheritable=True)
        keep = sorted({0, 1, 2, *(int(t) for t in fd_map)})
        lo = 0
        for fd in [*keep, 65536]:
            if fd > lo:
                os.closerange(lo, fd)
            lo = fd + 1
        for name, value in cfg["rlimits"].items():
            soft, hard = value
            resource.setrlimit(_RLIMITS[name], (soft, hard))
        uid = cfg["uid"]
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        libc = _libc()
        libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        libc.prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0)
        os.chdir(cfg["workdir"])
        os.execve(cfg["argv"][0], cfg["argv"], cfg["env"])
    except BaseException as exc:
        os.write(2, f"sandbox: cannot start {cfg['argv'][0]!r}: {exc}\n".encode())
    os._exit(127)


def _status(wait_status: int, usage: resource.struct_rusage) -> dict[str, Any]:
    out: dict[str, Any] = {
        "maxrss_kb": usage.ru_maxrss,
        "cpu_s": usage.ru_utime + usage.ru_stime,
    }
    if os.WIFSIGNALED(wait_status):
        out["signal"] = os.WTERMSIG(wait_status)
    else:
        out["exit"] = os.waitstatus_to_exitcode(wait_status)
    return out


def main() -> None:
    """Set up the sandbox, run the target, report its status."""
    cfg: dict[str, Any] = json.loads(sys.argv[1])
    status_fd: int = cfg["status_fd"]
    if cfg["mounts"]:
        _setup_mounts(cfg)
    _join_cgroups(cfg)
    pid = os.fork()
    if pid == 0:
        os.close(status_fd)
        _exec_target(cfg)
    for fd in cfg["fd_map"].values():
        os.close(fd)
    _, wait_status, usage = os.wait4(pid, 0)
    os.write(status_fd, json.dumps(_status(wait_status, usage)).encode())
    os._exit(0)


if __name__ == "__main__":
    main()
