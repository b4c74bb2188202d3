"""The run's private work directory: made, filled, handed to the run's uid, removed.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> wd = make_workdir(Path(tempfile.gettempdir()), {"a/b.txt": "hi"}, None)
    >>> (wd / "a" / "b.txt").read_text()
    'hi'
    >>> remove_workdir(wd); wd.exists()
    False
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from langgraph_scaling.errors import ConfigError

__all__ = ["make_workdir", "remove_workdir"]


def _target(workdir: Path, name: str) -> Path:
    rel = PurePosixPath(name)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ConfigError("files", name, "must be a relative path inside the work dir")
    return workdir.joinpath(*rel.parts)


def make_workdir(root: Path, files: Mapping[str, str | bytes | Path], uid: int | None) -> Path:
    """Create a private work dir under ``root`` holding ``files``, owned by ``uid``."""
    workdir = Path(tempfile.mkdtemp(prefix="lgs-sbx-", dir=root))
    try:
        for name, content in files.items():
            target = _target(workdir, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                if content.is_dir():
                    shutil.copytree(content, target, symlinks=True)
                else:
                    shutil.copy2(content, target)
            elif isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        if uid is not None:
            _chown_tree(workdir, uid)
    except BaseException:
        remove_workdir(workdir)
        raise
    return workdir


def _chown_tree(workdir: Path, uid: int) -> None:
    os.chown(workdir, uid, uid)
    for base, dirs, names in os.walk(workdir):
        for name in dirs + names:
            os.lchown(os.path.join(base, name), uid, uid)


def remove_workdir(workdir: Path) -> None:
    """Remove the work dir, whatever permissions the program left on it."""

    def unlock(_func: object, path: str, _exc: object) -> None:
        try:
            os.chmod(os.path.dirname(path), stat.S_IRWXU)
            os.chmod(path, stat.S_IRWXU, follow_symlinks=False)
        except (OSError, NotImplementedError):
            pass

    shutil.rmtree(workdir, onerror=unlock)  # first pass loosens what it could not remove
    shutil.rmtree(workdir, ignore_errors=True)
