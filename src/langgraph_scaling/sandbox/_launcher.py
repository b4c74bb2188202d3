"""The tiny program that starts a sandboxed process (run as a script, stdlib only).

It runs as the first process of the sandbox (pid 1 of a fresh pid namespace, in fresh
mount, network, ipc and uts namespaces), still privileged. It then:

1. builds a new root on a tmpfs from the host's mount plan (``_view.py``): read-only
   binds of the system, the interpreter and the packages asked for, empty covers over
   package directories, a fresh ``/proc``, a minimal ``/dev``, and one size- and
   inode-capped tmpfs holding ``/tmp``, the work dir (``/tmp/work``, filled from the
   host's staging dir) and ``/dev/shm``; it makes the root read-only and ``pivot_root``s
   into it, detaching the host's tree;
2. joins the run's cgroups and makes itself exempt from the OOM killer;
3. forks the target, which sets its rlimits, drops to the run's uid with no
   supplementary groups and ``no_new_privs``, joins a fresh session keyring, closes every
   other descriptor, installs a seccomp filter (``_seccomp.py``) and ``execve``'s;
4. waits for the target and writes its exit status and rusage as JSON to the status
   descriptor, which the target never sees. A setup or exec failure is written there too
   (``setup_error`` / ``exec_error``), so the host raises instead of judging a program that
   never ran. When this process exits, the kernel kills everything left in the pid
   namespace and frees the run's tmpfs.

Example:
    The parent runs ``python -I -S _launcher.py '<json config>'``; see ``_runner.py``.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import resource
import stat
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _seccomp  # type: ignore[import-not-found]  # a sibling script, loaded early

_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_REMOUNT = 32
_MS_BIND = 4096
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_MNT_DETACH = 2
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_PDEATHSIG = 1
_KEYCTL_JOIN_SESSION_KEYRING = 1
_SYSCALLS = {  # numbers glibc has no wrapper for
    "x86_64": {"pivot_root": 155, "keyctl": 250},
    "aarch64": {"pivot_root": 41, "keyctl": 219},
}
# statvfs flags -> mount flags to keep on a read-only remount (a user namespace may not drop
# them: they are locked on mounts it inherited).
_ST_TO_MS = {
    1: _MS_RDONLY,
    2: _MS_NOSUID,
    4: _MS_NODEV,
    8: _MS_NOEXEC,
    1024: 1024,  # noatime
    2048: 2048,  # nodiratime
    4096: 1 << 21,  # relatime
}
_DEVICES = ("null", "zero", "full", "random", "urandom")
_WORK = "/tmp/work"

_RLIMITS = {
    "cpu": resource.RLIMIT_CPU,
    "as": resource.RLIMIT_AS,
    "nproc": resource.RLIMIT_NPROC,
    "nofile": resource.RLIMIT_NOFILE,
    "fsize": resource.RLIMIT_FSIZE,
    "core": resource.RLIMIT_CORE,
}
_libc = ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    rc = _libc.mount(
        source.encode() if source else None,
        target.encode(),
        fstype.encode() if fstype else None,
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    _check(rc, f"mount {source} on {target}")


def _syscall(name: str, *args: Any) -> int:
    machine = os.uname().machine
    number = _SYSCALLS.get(machine, {}).get(name)
    if number is None:
        raise OSError(38, f"{name}: unsupported architecture {machine}")
    return int(_libc.syscall(number, *args))


def _placeholder(path: str, like: str) -> None:
    """Make an empty file or directory at ``path`` to mount ``like`` on."""
    if os.path.lexists(path):
        return
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    if os.path.isdir(like):
        os.mkdir(path, 0o755)
    else:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))


def _bind_ro(source: str, target: str) -> None:
    _placeholder(target, source)
    _mount(source, target, None, _MS_BIND)
    kept = sum(ms for st, ms in _ST_TO_MS.items() if os.statvfs(source).f_flag & st)
    _mount(None, target, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | kept)


def _build_root(cfg: dict[str, Any]) -> str:
    """Mount the new root at ``cfg['root']`` and return it (see the module docstring)."""
    root = cfg["root"]
    os.umask(0o022)
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=16m")
    _make_scratch(root, cfg)  # first: the plan may bind an interpreter that lives under /tmp
    covers = []
    for step in cfg["plan"]:
        kind, path, source = step["kind"], step["path"], step["source"]
        target = root + path
        if kind == "link":
            os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
            os.symlink(source, target)
        elif kind == "ro":
            _bind_ro(path, target)
        else:
            _placeholder(target, "/")
            _mount("tmpfs", target, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=1m")
            covers.append(target)
    _make_dev(root)
    os.makedirs(root + "/proc", 0o555, exist_ok=True)
    _mount("proc", root + "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    for target in covers:
        _mount(None, target, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    _mount(None, root, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    return str(root)


def _make_scratch(root: str, cfg: dict[str, Any]) -> None:
    """One capped tmpfs for /tmp, the work dir and /dev/shm; the staged files copied in."""
    opts = f"mode=1777,size={cfg['disk_mb'] or 0}m,nr_inodes={cfg['max_files'] or 0}"
    os.makedirs(root + "/tmp", 0o755, exist_ok=True)
    _mount("tmpfs", root + "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, opts)
    work = root + _WORK
    _copy_tree(cfg["staging"], work)
    os.mkdir(root + "/tmp/.shm")
    os.chmod(root + "/tmp/.shm", 0o1777)
    uid = cfg["uid"]
    if uid is not None:
        for base, dirs, names in os.walk(work):
            for name in dirs + names:
                os.lchown(os.path.join(base, name), uid, uid)
        os.chown(work, uid, uid)
    os.chmod(work, 0o700)


def _copy_tree(source: str, target: str) -> None:
    """Copy the staged files (regular files, dirs, symlinks; modes kept); shutil is slow to load."""
    os.mkdir(target)
    for base, dirs, names in os.walk(source):
        dest = target + base[len(source) :]
        for name in dirs:
            os.mkdir(os.path.join(dest, name), os.stat(os.path.join(base, name)).st_mode & 0o7777)
        for name in names:
            src, dst = os.path.join(base, name), os.path.join(dest, name)
            info = os.lstat(src)
            if stat.S_ISLNK(info.st_mode):
                os.symlink(os.readlink(src), dst)
            elif stat.S_ISREG(info.st_mode):
                _copy_file(src, dst, info.st_mode & 0o7777, info.st_size)


def _copy_file(src: str, dst: str, mode: int, size: int) -> None:
    fin = os.open(src, os.O_RDONLY)
    try:
        fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            while size > 0:
                sent = os.sendfile(fout, fin, None, size)
                if sent == 0:
                    break
                size -= sent
            os.fchmod(fout, mode)
        finally:
            os.close(fout)
    finally:
        os.close(fin)


def _make_dev(root: str) -> None:
    dev = root + "/dev"
    os.makedirs(dev, 0o755, exist_ok=True)
    _mount("tmpfs", dev, "tmpfs", _MS_NOSUID, "mode=0755,size=64k")
    for name in _DEVICES:
        _placeholder(f"{dev}/{name}", f"/dev/{name}")
        _mount(f"/dev/{name}", f"{dev}/{name}", None, _MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0")):
        os.symlink(target, f"{dev}/{name}")
    os.symlink("/proc/self/fd/1", f"{dev}/stdout")
    os.symlink("/proc/self/fd/2", f"{dev}/stderr")
    os.mkdir(f"{dev}/shm")
    _mount(root + "/tmp/.shm", f"{dev}/shm", None, _MS_BIND)
    _mount(None, dev, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID)


def _enter(root: str) -> None:
    """``pivot_root`` into the new root and detach the host's tree."""
    os.chdir(root)
    _check(_syscall("pivot_root", b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", _MNT_DETACH), "umount old root")
    os.chdir("/")


def _join_cgroups(cfg: dict[str, Any]) -> None:
    for procs in cfg["cgroups"]:
        with open(procs, "w") as fh:
            fh.write("0")


def _set_oom(value: int) -> None:
    try:
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write(str(value))
    except OSError:
        pass


def _exec_target(cfg: dict[str, Any], filt: Any, err_fd: int) -> None:
    """In the forked child: limits, credentials, descriptors, filter, exec. Never returns."""
    try:
        fd_map: dict[str, int] = cfg["fd_map"]
        high = {int(t): fcntl.fcntl(s, fcntl.F_DUPFD, 1000) for t, s in fd_map.items()}
        for target, source in high.items():
            os.dup2(source, target, inheritable=True)
        keep = sorted({0, 1, 2, err_fd, *(int(t) for t in fd_map)})
        lo = 0
        for fd in [*keep, 65536]:
            if fd > lo:
                os.closerange(lo, fd)
            lo = fd + 1
        _set_oom(0)
        for name, (soft, hard) in cfg["rlimits"].items():
            resource.setrlimit(_RLIMITS[name], (soft, hard))
        uid = cfg["uid"]
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        if _syscall("keyctl", _KEYCTL_JOIN_SESSION_KEYRING, None) < 0:
            err = ctypes.get_errno()
            if err not in (errno.EPERM, errno.ENOSYS):  # else keys are out of reach anyway
                raise OSError(err, "cannot join a fresh session keyring")
        _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        _libc.prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0)
        if filt is not None:
            _seccomp.load(filt)
        os.chdir(cfg["cwd"])
        os.execve(cfg["argv"][0], cfg["argv"], cfg["env"])
    except BaseException as exc:
        os.write(err_fd, f"{type(exc).__name__}: {exc}".encode()[:2000])
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


def _run(cfg: dict[str, Any]) -> dict[str, Any]:
    try:
        filt = _seccomp.build() if cfg["seccomp"] else None
        root = _build_root(cfg) if cfg["mounts"] else None
        _join_cgroups(cfg)
        _set_oom(-1000)
        if root is not None:
            _enter(root)
    except OSError as exc:
        return {"setup_error": str(exc)}
    err_r, pipe_w = os.pipe2(os.O_CLOEXEC)
    err_w = fcntl.fcntl(pipe_w, fcntl.F_DUPFD_CLOEXEC, 900)  # clear of the fds 3 and 4
    os.close(pipe_w)
    pid = os.fork()
    if pid == 0:
        os.close(cfg["status_fd"])
        os.close(err_r)
        _exec_target(cfg, filt, err_w)
    os.close(err_w)
    for fd in cfg["fd_map"].values():
        os.close(fd)
    exec_error = os.read(err_r, 4096).decode("utf-8", "replace")
    _, wait_status, usage = os.wait4(pid, 0)
    if exec_error:
        return {"exec_error": exec_error}
    return _status(wait_status, usage)


def main() -> None:
    """Set up the sandbox, run the target, report its status."""
    cfg: dict[str, Any] = json.loads(sys.argv[1])
    os.write(cfg["status_fd"], json.dumps(_run(cfg)).encode())
    os._exit(0)


if __name__ == "__main__":
    main()
