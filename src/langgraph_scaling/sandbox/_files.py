"""The run's staging directory on the host: made, filled, removed.

``files/`` holds the run's files (the launcher copies them into the sandbox's own tmpfs,
so nothing the program writes ever reaches the host's disk); ``root/`` is the empty mount
point of the sandbox's root. Only this process writes here (mode 0700, owned by it).

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> wd = make_workdir(Path(tempfile.gettempdir()), {"a/b.txt": "hi"})
    >>> (wd / "files" / "a" / "b.txt").read_text()
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


def make_workdir(root: Path, files: Mapping[str, str | bytes | Path]) -> Path:
    """Create a private staging dir under ``root`` holding ``files`` (in ``files/``)."""
    workdir = Path(tempfile.mkdtemp(prefix="lgs-sbx-", dir=root))
    try:
        (workdir / "root").mkdir()
        (workdir / "files").mkdir()
        for name, content in files.items():
            target = _target(workdir / "files", name)
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
    except BaseException:
        remove_workdir(workdir)
        raise
    return workdir


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
