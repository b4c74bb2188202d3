"""The sandboxed program's system-call filter, compiled by libseccomp (stdlib + ctypes only).

Loaded by the launcher as a sibling script. The filter allows everything except the calls
an unprivileged program uses to reach outside its run: kernel keyrings (``keyctl``,
``add_key``, ``request_key``), new namespaces (``unshare``, ``setns``, namespace flags
to ``clone``; ``clone3`` answers ``ENOSYS`` so the C library falls back to ``clone``),
mounts, tracing and reading other processes (``ptrace``, ``process_vm_*``), and the
kernel's larger attack surfaces (``bpf``, ``io_uring``, ``userfaultfd``,
``perf_event_open``, modules, ``kexec``...). Denied calls fail with ``EPERM``. libseccomp
adds the architecture checks: a call made through another ABI (i386 ``int 0x80``, x32)
kills the process.

Example:
    >>> available()
    True
"""

from __future__ import annotations

import ctypes
import errno
from typing import Any

__all__ = ["available", "build", "load"]

_ALLOW = 0x7FFF0000
_MASKED_EQ = 7
_DENIED = (
    "acct",
    "add_key",
    "bpf",
    "chroot",
    "delete_module",
    "fanotify_init",
    "finit_module",
    "fsconfig",
    "fsmount",
    "fsopen",
    "init_module",
    "io_uring_enter",
    "io_uring_register",
    "io_uring_setup",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "mount",
    "mount_setattr",
    "move_mount",
    "name_to_handle_at",
    "open_by_handle_at",
    "open_tree",
    "perf_event_open",
    "pivot_root",
    "process_vm_readv",
    "process_vm_writev",
    "ptrace",
    "quotactl",
    "reboot",
    "request_key",
    "setns",
    "swapoff",
    "swapon",
    "syslog",
    "umount2",
    "unshare",
    "userfaultfd",
)
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
_CLONE_NS = (0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)


class _ArgCmp(ctypes.Structure):
    _fields_ = (
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    )


def _errno(value: int) -> int:
    return 0x00050000 | (value & 0xFFFF)


def _lib() -> Any:
    try:
        lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    except OSError:  # not under its usual name: ask the loader's cache (slower to import)
        from ctypes.util import find_library

        lib = ctypes.CDLL(find_library("seccomp") or "libseccomp.so", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = (ctypes.c_uint32,)
    lib.seccomp_rule_add_array.argtypes = (
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    )
    lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
    lib.seccomp_load.argtypes = (ctypes.c_void_p,)
    return lib


def available() -> bool:
    """Whether libseccomp can be loaded on this machine."""
    try:
        _lib()
    except OSError:
        return False
    return True


def build() -> tuple[Any, int]:
    """Compile the filter; returns what :func:`load` installs (in the child, before exec).

    Raises:
        OSError: libseccomp is missing or refused a rule.
    """
    lib = _lib()
    ctx = lib.seccomp_init(_ALLOW)
    if not ctx:
        raise OSError(errno.ENOMEM, "seccomp_init failed")
    for name in _DENIED:
        _rule(lib, ctx, _errno(errno.EPERM), name, [])
    _rule(lib, ctx, _errno(errno.ENOSYS), "clone3", [])
    for flag in _CLONE_NS:
        _rule(lib, ctx, _errno(errno.EPERM), "clone", [_ArgCmp(0, _MASKED_EQ, flag, flag)])
    return lib, ctx


def _rule(lib: Any, ctx: int, action: int, name: str, args: list[_ArgCmp]) -> None:
    number = lib.seccomp_syscall_resolve_name(name.encode())
    if number < 0:
        return  # not a system call on this architecture
    array = (_ArgCmp * max(1, len(args)))(*args)
    rc = lib.seccomp_rule_add_array(ctx, action, number, len(args), array)
    if rc != 0:
        raise OSError(-rc, f"seccomp rule for {name}: {errno.errorcode.get(-rc, rc)}")


def load(built: tuple[Any, int]) -> None:
    """Install the filter on the calling thread (``no_new_privs`` must be set)."""
    lib, ctx = built
    rc = lib.seccomp_load(ctx)
    if rc != 0:
        raise OSError(-rc, f"seccomp_load failed: {errno.errorcode.get(-rc, rc)}")
