"""The ``langgraph-scaling`` command: ``solve``, ``eval`` and ``prepare-model``.

Example:
    >>> main(["eval", "--policies", "nonsense"])  # doctest: +SKIP
    error: policy='nonsense' is invalid: unknown policy; ...
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from rich.console import Console

from langgraph_scaling.cli._policies import POLICY_HELP, parse_policies, parse_policy
from langgraph_scaling.errors import ConfigError, ScalingError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="langgraph-scaling", description="Inference-time scaling for LangGraph agents."
    )
    sub = p.add_subparsers(dest="command", required=True)

    def backend_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--base-url",
            help="OpenAI-compatible server (e.g. vllm serve) to use "
            "instead of the in-process embedded model",
        )
        sp.add_argument("--model", help="model directory (in-process vLLM) or served model name")
        sp.add_argument("--max-new-tokens", type=int, default=512)

    ev = sub.add_parser("eval", help="run the coding agent over HumanEval under several policies")
    ev.add_argument(
        "--tasks", default="0-39", help="HumanEval ids, e.g. 0-4,7 (0-39 is the development set)"
    )
    ev.add_argument("--policies", default="single,vote@4,best@4", help=POLICY_HELP)
    ev.add_argument("--out", type=Path, default=Path("eval-results"))
    backend_opts(ev)

    so = sub.add_parser("solve", help="solve one task with live branch progress")
    src = so.add_mutually_exclusive_group(required=True)
    src.add_argument("--task", type=Path, help="task file: JSON (CodingTask fields) or .py prompt")
    src.add_argument("--humaneval", type=int, help="a HumanEval problem number")
    src.add_argument("--repo", type=Path, help="repository with a bug to fix")
    so.add_argument("--issue", help="bug report (with --repo)")
    so.add_argument("--test-command", help="command running the repo's tests (with --repo)")
    so.add_argument("--files", default="", help="comma-separated repo files to show the model")
    so.add_argument("--apply", action="store_true", help="apply the committed patch to --repo")
    so.add_argument("--policy", default="best@4", help=POLICY_HELP)
    backend_opts(so)

    pm = sub.add_parser("prepare-model", help="install, verify and convert the embedded model")
    pm.add_argument("--force", action="store_true")
    return p


def _backend(args: argparse.Namespace) -> Any:
    if args.base_url:
        from langgraph_scaling.backends.openai_server import OpenAIServerBackend

        return OpenAIServerBackend(args.base_url, args.model or "default")
    from langgraph_scaling.backends.default import embedded_backend

    if args.model and not Path(args.model).is_dir():
        raise ConfigError("--model", args.model, "is not a model directory")
    return embedded_backend(args.model)


async def _start(backend: Any, console: Console) -> None:
    """Start an in-process engine up front, so a failure stops the run at once."""
    start = getattr(backend, "start", None)
    if start is not None:
        with console.status("starting the engine (about a minute on 2 CPU cores)"):
            await start()


def _solve_task(args: argparse.Namespace) -> Any:
    from langgraph_scaling.tasks import CodingTask, humaneval_tasks, load_task_file

    if args.task is not None:
        return load_task_file(args.task)
    if args.humaneval is not None:
        if not 0 <= args.humaneval < 164:
            raise ConfigError("--humaneval", args.humaneval, "must be in 0-163")
        return humaneval_tasks([args.humaneval])[0][0]
    if not args.repo.is_dir():
        raise ConfigError("--repo", str(args.repo), "is not a directory")
    if not args.test_command or not args.issue:
        raise ConfigError("--repo", str(args.repo), "needs --issue and --test-command")
    command = shlex.split(args.test_command)
    if _which(command[0], args.repo) is None:
        raise ConfigError(
            "--test-command",
            args.test_command,
            f"{command[0]!r} is not an executable found on PATH or in the repo",
        )
    files = tuple(f for f in args.files.split(",") if f)
    for f in files:
        if not (args.repo / f).is_file():
            raise ConfigError("--files", f, f"is not a file in {args.repo}")
    return CodingTask(
        id=args.repo.name,
        kind="patch",
        prompt=args.issue,
        repo=args.repo.resolve(),
        test_command=tuple(command),
        context_files=files,
    )


def _which(exe: str, repo: Path) -> str | None:
    import shutil

    if os.sep in exe:
        return exe if (repo / exe).exists() or Path(exe).exists() else None
    return shutil.which(exe)


async def _run(args: argparse.Namespace, console: Console) -> int:
    if args.command == "eval":
        from langgraph_scaling.cli._eval import run_eval, summarise, table, write_outputs
        from langgraph_scaling.tasks import humaneval_tasks, parse_task_ids

        specs = parse_policies(args.policies, max_new_tokens=args.max_new_tokens)
        ids = parse_task_ids(args.tasks)
        tasks = humaneval_tasks(ids)
        backend = _backend(args)
        console.print(
            f"eval: {len(tasks)} HumanEval tasks x {len(specs)} policies on {backend.name}"
        )
        try:
            await _start(backend, console)
            results = await run_eval(tasks, specs, backend, console)
        finally:
            await _close(backend)
        rows = summarise(results)
        console.print(table(rows))
        meta = {
            "command": "langgraph-scaling " + " ".join(sys.argv[1:]),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "tasks": args.tasks,
            "policies": args.policies,
            "backend": backend.name,
        }
        json_path, png_path = write_outputs(results, rows, args.out, meta)
        console.print(f"results: {json_path}  plot: {png_path}")
        return 0
    from langgraph_scaling.cli._solve import solve

    task = _solve_task(args)
    spec = parse_policy(args.policy, max_new_tokens=args.max_new_tokens)
    backend = _backend(args)
    try:
        await _start(backend, console)
        final = await solve(task, spec, backend, console, apply_patch=args.apply)
    finally:
        await _close(backend)
    return 0 if final.get("passed") else 1


async def _close(backend: Any) -> None:
    close = getattr(backend, "aclose", None)
    if close is not None:
        await close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``langgraph-scaling`` command."""
    args = _parser().parse_args(argv)
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")  # the progress display is the log
    console = Console()
    try:
        if args.command == "prepare-model":
            from langgraph_scaling.models.embedded import prepare_model

            path = prepare_model(force=args.force)
            console.print(f"model ready: {path}")
            return 0
        return anyio.run(_run, args, console)
    except ScalingError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: {first}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
