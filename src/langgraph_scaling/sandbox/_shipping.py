"""A run's host files, read on the driver and rebuilt on a Ray worker (no shared disk).

A remote worker cannot read the driver's ``Path`` file specs, so :func:`pack_files` reads
each one into memory: a file with its mode, a directory walked into relative entries
(files, sub-directories, and symbolic links kept as links, as the local sandbox copies
them). :func:`unpack_files` rebuilds them under a scratch directory on the worker and
hands the local sandbox ``Path`` specs again. Text and bytes specs travel as they are.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> repo = Path(tempfile.mkdtemp())
    >>> (repo / "pkg").mkdir(); _ = (repo / "pkg" / "a.py").write_text("x = 1")
    >>> packed = pack_files({"repo": repo, "main.py": "print(1)"}, max_bytes=1 << 20)
    >>> files = unpack_files(packed, Path(tempfile.mkdtemp()))
    >>> (files["repo"] / "pkg" / "a.py").read_text(), files["main.py"]
    ('x = 1', 'print(1)')
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from langgraph_scaling.errors import ConfigError

__all__ = ["PackedEntry", "PackedPath", "Shipped", "pack_files", "unpack_files"]


@dataclass(frozen=True)
class PackedEntry:
    """One file, directory or link of a packed host path.

    Attributes:
        path: relative to the packed path, ``/``-separated (``""``: the path itself).
        kind: what it is.
        mode: its permission bits.
        data: a file's content, or a link's target.
    """

    path: str
    kind: Literal["file", "dir", "link"]
    mode: int
    data: bytes = b""


@dataclass(frozen=True)
class PackedPath:
    """A host file or directory read into memory, parents before children."""

    entries: tuple[PackedEntry, ...]


Shipped = str | bytes | PackedPath
"""A file spec as it travels to a worker."""


def pack_files(files: Mapping[str, str | bytes | Path], *, max_bytes: int) -> dict[str, Shipped]:
    """Read every ``Path`` spec of ``files``; raise once the whole passes ``max_bytes``.

    Raises:
        ConfigError: a path is missing or holds a special file (a socket, a device), or
            the files come to more than ``max_bytes``.
    """
    budget = _Budget(max_bytes)
    shipped: dict[str, Shipped] = {}
    for name, spec in files.items():
        if isinstance(spec, Path):
            shipped[name] = PackedPath(tuple(_walk(name, spec, budget)))
        else:
            budget.take(name, len(spec.encode() if isinstance(spec, str) else spec))
            shipped[name] = spec
    return shipped


class _Budget:
    """Bytes one run may still ship; checked before a file is read."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0

    def take(self, name: str, size: int) -> None:
        self.used += size
        if self.used > self.max_bytes:
            raise ConfigError(
                "files",
                name,
                f"the run's files pass the {self.max_bytes / 2**20:g} MiB one Ray run may "
                "ship (RaySandbox(max_upload_mb=...)); ship less or raise the cap",
            )


def _walk(name: str, top: Path, budget: _Budget) -> Iterator[PackedEntry]:
    """``top`` (followed if a link, as the local sandbox copies it), then what it holds."""
    try:
        info = top.stat()
    except OSError as exc:
        raise ConfigError(
            "files", name, f"names {str(top)!r}, which cannot be read: {exc}"
        ) from exc
    if not stat.S_ISDIR(info.st_mode):
        yield _entry(name, top, "", info, budget)
        return
    yield PackedEntry("", "dir", stat.S_IMODE(info.st_mode))
    pending = [(top, "")]
    while pending:
        folder, rel = pending.pop()
        with os.scandir(folder) as listing:
            children = sorted(listing, key=lambda e: e.name)
        for child in children:
            child_rel = f"{rel}{child.name}"
            info = child.stat(follow_symlinks=False)
            entry = _entry(name, Path(child.path), child_rel, info, budget)
            yield entry
            if entry.kind == "dir":
                pending.append((Path(child.path), f"{child_rel}/"))


def _entry(name: str, path: Path, rel: str, info: os.stat_result, budget: _Budget) -> PackedEntry:
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode):
        return PackedEntry(rel, "link", mode, os.fsencode(os.readlink(path)))
    if stat.S_ISDIR(info.st_mode):
        return PackedEntry(rel, "dir", mode)
    if stat.S_ISREG(info.st_mode):
        budget.take(name, info.st_size)
        return PackedEntry(rel, "file", mode, path.read_bytes())
    raise ConfigError(
        "files", name, f"holds {str(path)!r}, which is not a file, a directory or a link"
    )


def unpack_files(files: Mapping[str, Shipped], scratch: Path) -> dict[str, str | bytes | Path]:
    """Rebuild each packed path under ``scratch`` (an empty directory); the specs to run."""
    specs: dict[str, str | bytes | Path] = {}
    for index, (name, spec) in enumerate(files.items()):
        if isinstance(spec, PackedPath):
            specs[name] = _rebuild(spec, scratch / str(index))
        else:
            specs[name] = spec
    return specs


def _rebuild(packed: PackedPath, top: Path) -> Path:
    folders: list[tuple[Path, int]] = []
    for entry in packed.entries:
        target = top.joinpath(*entry.path.split("/")) if entry.path else top
        if entry.kind == "dir":
            target.mkdir(mode=0o700)
            folders.append((target, entry.mode))
        elif entry.kind == "link":
            os.symlink(os.fsdecode(entry.data), target)
        else:
            target.write_bytes(entry.data)
            target.chmod(entry.mode)
    for folder, mode in reversed(folders):  # children first: a read-only one is filled
        folder.chmod(mode)
    return top
