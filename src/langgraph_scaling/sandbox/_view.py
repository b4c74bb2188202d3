"""What a sandboxed program can see: a read-only root built from an allow-list.

The launcher builds a fresh root on a tmpfs and shows the program only:

* the operating system's programs and libraries (``/usr`` and the ``/bin``-style links),
  read-only, with every Python package directory in them covered;
* a handful of ``/etc`` files that programs read to start (loader cache, time zone,
  users, certificates), read-only;
* the interpreter's own installation (its prefix; the virtual environment's ``bin`` and
  ``pyvenv.cfg``), read-only, wherever it lives (``/tmp``, a mode-700 home, ``/opt``),
  with its ``site-packages`` covered by an empty directory;
* the distributions asked for (``packages=``, with their requirements) and the extra
  paths asked for (``expose=``), read-only;
* and, made fresh for the run: ``/proc``, a minimal ``/dev``, and one size- and
  inode-capped tmpfs for ``/tmp``, the work dir and ``/dev/shm``.

Nothing else of the host exists inside: not ``/run`` (no host unix sockets), ``/home``,
``/root``, ``/var``, ``/srv``, the project tree, nor other Python packages.

This module runs on the host: it asks the interpreter (once per interpreter and package
set) where its files are, and turns that into the mount plan the launcher follows.

Example:
    >>> import sys
    >>> plan = build_plan(probe_interpreter(sys.executable, ()), ())
    >>> any(m.kind == "ro" and m.path == "/usr" for m in plan)
    True
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any, Literal

from langgraph_scaling.errors import SandboxError

__all__ = ["Interpreter", "Mount", "build_plan", "probe_interpreter"]

_ROOT_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_ETC = (
    "alternatives",
    "ca-certificates",
    "ca-certificates.conf",
    "debian_version",
    "gitconfig",
    "group",
    "host.conf",
    "hosts",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "mime.types",
    "nsswitch.conf",
    "os-release",
    "passwd",
    "protocols",
    "services",
    "ssl",
)
# Python package directories of the OS's own interpreters (Debian's dist-packages, a
# /usr/local install's site-packages): covered, so only the packages asked for are seen.
_OS_SITE_GLOBS = (
    "/usr/lib/python3*/*-packages",
    "/usr/local/lib/python3*/*-packages",
    "/usr/lib64/python3*/*-packages",
)

# Run by the target interpreter itself (``-I``: no user site, no environment), so that the
# answer is about that interpreter and its environment, not this process's.
_PROBE = r"""
import json, os, re, sys, sysconfig
from importlib import metadata
wanted = json.loads(sys.argv[1])
site = {p for p in sys.path if p.endswith(("site-packages", "dist-packages"))}
base = {"base": sys.base_prefix, "platbase": sys.base_prefix}
for scheme in ({}, base):
    site |= {sysconfig.get_path("purelib", vars=scheme), sysconfig.get_path("platlib", vars=scheme)}
found, missing, queue = {}, [], list(wanted)
while queue:
    name = queue.pop()
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in found:
        continue
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        if name in wanted:
            missing.append(name)
        continue
    base = str(dist.locate_file(""))
    paths = {os.path.join(base, f.parts[0]) for f in dist.files or () if f.parts[0] != ".."}
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    if direct.get("dir_info", {}).get("editable") and direct["url"].startswith("file://"):
        paths.add(direct["url"][len("file://"):])
    found[key] = sorted(p for p in paths if os.path.exists(p))
    for req in dist.requires or ():
        if "extra ==" not in req:
            queue.append(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req).group(0))
print(json.dumps({
    "executable": os.path.realpath(sys.executable),
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "site": sorted(p for p in site if p),
    "packages": found,
    "missing": missing,
}))
"""


@dataclass(frozen=True)
class Interpreter:
    """Where one interpreter's files are (as that interpreter reports them).

    Attributes:
        executable: the real path of the interpreter binary.
        prefix: ``sys.prefix`` (the virtual environment, if any).
        base_prefix: ``sys.base_prefix`` (the Python installation).
        site: its package directories, all of which the sandbox covers.
        packages: the paths of each distribution asked for (and of its requirements).
    """

    executable: str
    prefix: str
    base_prefix: str
    site: tuple[str, ...]
    packages: tuple[str, ...]


@dataclass(frozen=True, order=True)
class Mount:
    """One step of the launcher's plan.

    Attributes:
        kind: ``ro`` (bind ``path`` read-only), ``cover`` (an empty read-only directory over
            ``path``) or ``link`` (a symlink at ``path`` to ``source``).
        path: where, inside the sandbox (the same path as on the host).
        source: the link target, for ``link``.
    """

    kind: Literal["ro", "cover", "link"]
    path: str
    source: str = ""


@lru_cache(maxsize=32)
def probe_interpreter(python: str, packages: tuple[str, ...]) -> Interpreter:
    """Ask ``python`` where it, its environment and ``packages`` live (cached).

    Raises:
        SandboxError: the interpreter cannot be run, or a package is not installed in it.
    """
    try:
        proc = subprocess.run(
            [python, "-I", "-c", _PROBE, json.dumps(list(packages))],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxError(
            f"The sandbox cannot run its interpreter {python!r}: {exc}", stage="probe", argv0=python
        ) from exc
    if proc.returncode != 0:
        raise SandboxError(
            f"The sandbox cannot run its interpreter {python!r} "
            f"(exit {proc.returncode}): {proc.stderr.strip()[-800:]}",
            stage="probe",
            argv0=python,
        )
    data: dict[str, Any] = json.loads(proc.stdout)
    if data["missing"]:
        raise SandboxError(
            f"The sandbox was asked to expose {data['missing']}, which the interpreter "
            f"{python!r} does not have installed.",
            stage="probe",
            argv0=python,
        )
    paths = sorted({p for ps in data["packages"].values() for p in ps})
    return Interpreter(
        executable=data["executable"],
        prefix=data["prefix"],
        base_prefix=data["base_prefix"],
        site=tuple(data["site"]),
        packages=tuple(paths),
    )


def build_plan(interp: Interpreter, expose: Sequence[str]) -> list[Mount]:
    """The mounts that make the sandbox's root, parents before children.

    Example:
        >>> import sys, sysconfig
        >>> plan = build_plan(probe_interpreter(sys.executable, ()), ())
        >>> {m.path: m.kind for m in plan}[sysconfig.get_path("purelib")]
        'cover'
        >>> [m.path for m in plan if m.path in ("/run", "/home", "/var")]
        []
    """
    wanted: list[Mount] = []
    for name in _ROOT_LINKS:
        path = f"/{name}"
        if os.path.islink(path):
            wanted.append(Mount("link", path, os.readlink(path)))
        elif os.path.isdir(path):
            wanted.append(Mount("ro", path))
    wanted.append(Mount("ro", "/usr"))
    wanted += [Mount("ro", f"/etc/{n}") for n in _ETC if os.path.exists(f"/etc/{n}")]
    wanted.append(Mount("ro", interp.base_prefix))
    wanted.append(Mount("ro", os.path.dirname(interp.executable)))
    if interp.prefix != interp.base_prefix:  # a virtual environment: its launcher and config
        wanted += [Mount("ro", os.path.join(interp.prefix, n)) for n in ("bin", "pyvenv.cfg")]
    covers = {*interp.site, *(p for g in _OS_SITE_GLOBS for p in glob.glob(g))}
    wanted += [Mount("cover", os.path.realpath(p)) for p in covers if os.path.isdir(p)]
    wanted += [Mount("ro", p) for p in (*interp.packages, *expose)]
    return _prune([m for m in wanted if m.kind != "ro" or os.path.exists(m.path)])


def _prune(wanted: list[Mount]) -> list[Mount]:
    """Order by path (parents first) and drop read-only binds already visible as such."""
    plan: list[Mount] = []
    for mount in sorted(set(wanted), key=lambda m: (PurePosixPath(m.path).parts, m.kind)):
        owner = _nearest(plan, mount.path)
        if mount.kind == "ro" and owner is not None and owner.kind == "ro":
            continue  # inside a read-only bind that is not covered: already visible
        if owner is not None and owner.kind == "link":
            continue  # reached through a link the plan recreates
        plan.append(mount)
    return plan


def _nearest(plan: list[Mount], path: str) -> Mount | None:
    parts = PurePosixPath(path).parts
    best: Mount | None = None
    for mount in plan:
        mparts = PurePosixPath(mount.path).parts
        if parts[: len(mparts)] == mparts and (
            best is None or len(mparts) >= len(PurePosixPath(best.path).parts)
        ):
            best = mount
    return best
