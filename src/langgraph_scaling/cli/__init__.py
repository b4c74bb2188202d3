"""The ``langgraph-scaling`` command: ``solve``, ``eval`` and ``prepare-model``.

Example:
    >>> main(["eval", "--policies", "nonsense"])  # doctest: +SKIP
    error: policy='nonsense' is invalid: unknown policy; ...
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from rich.console import Console

from langgraph_scaling.backends import Backend, Startable, aclose_backend, start_backend
from langgraph_scaling.cli._policies import POLICY_HELP, parse_policies, parse_policy
from langgraph_scaling.errors import BackendError, ConfigError, ScalingError

if TYPE_CHECKING:
    from langgraph_scaling.sandbox import Sandbox

__all__ = ["main"]

DEFAULT_TEST_COMMAND = "python -m pytest -q"
"""What ``solve --repo`` runs the repository's tests with unless ``--test-command`` says."""


def _backend_opts(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--base-url",
        help="OpenAI-compatible server (e.g. vllm serve) to use "
        "instead of the in-process embedded model",
    )
    sp.add_argument("--model", help="model directory (in-process vLLM) or served model name")
    sp.add_argument("--max-new-tokens", type=int, default=512)


def _sandbox_opts(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--sandbox-python",
        help="interpreter the sandbox runs the tests with (default: this one)",
    )
    sp.add_argument(
        "--ray-address",
        help="run every sandboxed test run as a Ray task on this cluster ('auto': the one "
        "`ray start` made here; 'local': a new one on this machine; or host:port, "
        "ray://host:10001); needs the ray extra",
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="langgraph-scaling", description="Inference-time scaling for LangGraph agents."
    )
    sub = p.add_subparsers(dest="command", required=True)

    ev = sub.add_parser("eval", help="run the coding agent over HumanEval under several policies")
    ev.add_argument(
        "--tasks", default="0-39", help="HumanEval ids, e.g. 0-4,7 (0-39 is the development set)"
    )
    ev.add_argument("--policies", default="single,vote@4,best@4", help=POLICY_HELP)
    ev.add_argument("--out", type=Path, default=Path("eval-results"))
    ev.add_argument(
        "--concurrency",
        type=int,
        help="tasks run at once, so the engine batches them (default: 8; 16 for the "
        "in-process engine on GPU)",
    )
    _sandbox_opts(ev)
    _backend_opts(ev)

    so = sub.add_parser("solve", help="solve one task with live branch progress")
    src = so.add_mutually_exclusive_group(required=True)
    src.add_argument("--task", type=Path, help="task file: JSON (CodingTask fields) or .py prompt")
    src.add_argument("--humaneval", type=int, help="a HumanEval problem number")
    src.add_argument("--repo", type=Path, help="repository with a bug to fix")
    so.add_argument("--issue", help="bug report (with --repo)")
    so.add_argument(
        "--test-command",
        help=f"command running the repo's tests (with --repo; default: {DEFAULT_TEST_COMMAND})",
    )
    so.add_argument("--files", default="", help="comma-separated repo files to point the model at")
    so.add_argument(
        "--apply", action="store_true", help="write the verified edit to --repo (only if fixed)"
    )
    so.add_argument(
        "--max-steps", type=int, default=12, help="model turns the repository agent may take"
    )
    so.add_argument("--policy", default="best@4", help=POLICY_HELP)
    _sandbox_opts(so)
    _backend_opts(so)

    pm = sub.add_parser("prepare-model", help="install, verify and convert the embedded model")
    pm.add_argument("--force", action="store_true")
    return p


def _sandbox(args: argparse.Namespace, *, packages: tuple[str, ...] = ()) -> Sandbox | None:
    """The sandbox ``--sandbox-python`` and ``--ray-address`` ask for (``None``: neither,
    the shared local one); ``packages`` are shown to the programs (pytest for a repo)."""
    from langgraph_scaling.sandbox import RaySandbox, Sandbox

    if args.ray_address:
        return RaySandbox(address=args.ray_address, python=args.sandbox_python, packages=packages)
    if args.sandbox_python:
        return Sandbox(python=args.sandbox_python, packages=packages)
    return None


def _packages(task: Any) -> tuple[str, ...]:
    """What a task's tests import that the sandbox must show: pytest for a repository."""
    from langgraph_scaling.verifiers._trusted import packages_for_tests

    return ("pytest",) if task.kind == "patch" else packages_for_tests([task.visible_tests])


def _backend(args: argparse.Namespace) -> Backend:
    if args.base_url:
        from langgraph_scaling.backends.openai_server import OpenAIServerBackend

        return OpenAIServerBackend(args.base_url, args.model or "default")
    from langgraph_scaling.backends.default import embedded_backend

    if args.model and not Path(args.model).is_dir():
        raise ConfigError("--model", args.model, "is not a model directory")
    return embedded_backend(args.model)


_ENGINE_LOGS: list[Path] = []
"""Logs of the in-process engines this command started."""


async def _start(backend: Backend, console: Console) -> None:
    """Start an in-process engine up front, so a failure stops the run at once."""
    if not isinstance(backend, Startable):
        return
    log = getattr(backend, "log_path", None)
    if log is not None:
        console.print(f"engine log: {log}", soft_wrap=True, highlight=False)
        _ENGINE_LOGS.append(log)
    with console.status("starting the engine (about a minute on 2 CPU cores)"):
        await start_backend(backend)


def _print_log_tail(backend: Backend, lines: int = 25) -> None:
    """The end of the engine's log, on stderr (after an engine failure)."""
    from langgraph_scaling.backends._vllm_engine import log_tail

    log = getattr(backend, "log_path", None)
    tail = log_tail(log, lines)
    if tail:
        print(f"last {len(tail)} lines of the engine log {log}:", file=sys.stderr)
        print("\n".join(f"  | {line}" for line in tail), file=sys.stderr)


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
    if not args.issue:
        raise ConfigError("--repo", str(args.repo), "needs --issue (the bug report)")
    command = shlex.split(args.test_command or DEFAULT_TEST_COMMAND)
    if _which(command[0], args.repo) is None:
        raise ConfigError(
            "--test-command",
            args.test_command or DEFAULT_TEST_COMMAND,
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


async def _eval(args: argparse.Namespace, console: Console) -> int:
    from langgraph_scaling.cli._eval import (
        default_concurrency,
        errors_report,
        run_eval,
        summarise,
        table,
        write_outputs,
    )
    from langgraph_scaling.cli._preflight import check_backend, check_sandbox
    from langgraph_scaling.tasks import humaneval_tasks, parse_task_ids

    specs = parse_policies(args.policies, max_new_tokens=args.max_new_tokens)
    tasks = humaneval_tasks(parse_task_ids(args.tasks))
    if args.concurrency is not None and args.concurrency < 1:
        raise ConfigError("--concurrency", args.concurrency, "must be at least 1")
    sandbox = _sandbox(args)
    backend = _backend(args)
    try:
        await check_sandbox(sandbox)  # seconds; before the engine's minute-long start
        await _start(backend, console)
        await check_backend(backend)
        concurrency = args.concurrency or default_concurrency(backend)
        console.print(
            f"eval: {len(tasks)} HumanEval tasks x {len(specs)} policies on {backend.name}, "
            f"{concurrency} at a time"
        )
        results = await run_eval(
            tasks, specs, backend, console, concurrency=concurrency, sandbox=sandbox
        )
    except BackendError:
        _print_log_tail(backend)
        raise
    finally:
        await aclose_backend(backend)
    rows = summarise(results)
    console.print(table(rows))
    meta = {
        "command": "langgraph-scaling " + " ".join(sys.argv[1:]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "tasks": args.tasks,
        "policies": args.policies,
        "backend": backend.name,
        "concurrency": concurrency,
    }
    json_path, png_path = write_outputs(results, rows, args.out, meta)
    console.print(f"results: {json_path}  plot: {png_path}")
    errors = errors_report(results)
    if errors:
        print(
            f"{len(errors)} task(s) errored (not judged, not counted as failures):",
            *errors,
            sep="\n  ",
            file=sys.stderr,
        )
        return 1
    return 0


async def _run(args: argparse.Namespace, console: Console) -> int:
    if args.command == "eval":
        return await _eval(args, console)
    from langgraph_scaling.cli._preflight import check_sandbox
    from langgraph_scaling.cli._solve import solve

    task = _solve_task(args)
    spec = parse_policy(args.policy, max_new_tokens=args.max_new_tokens)
    sandbox = _sandbox(args, packages=_packages(task))
    backend = _backend(args)
    try:
        await check_sandbox(sandbox)  # seconds; before the engine's minute-long start
        await _start(backend, console)
        final = await solve(
            task,
            spec,
            backend,
            console,
            apply_patch=args.apply,
            max_steps=args.max_steps,
            sandbox=sandbox,
        )
    except BackendError:
        _print_log_tail(backend)
        raise
    finally:
        await aclose_backend(backend)
    return 0 if final.get("passed") else 1


def _terminate_as_interrupt() -> None:
    """SIGTERM (``kill``, ``timeout``, a container stopping) stops a run as Ctrl-C does:
    the running steps are cancelled and the engine is shut down. Python's default would end
    the process at once and leave the in-process engine's workers running, holding their
    memory. Only for the command itself, where SIGTERM has no handler yet and SIGINT is
    Python's own (a background job of a shell ignores SIGINT: SIGTERM must still end it)."""
    default = signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    if default and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGTERM, lambda *_: os.kill(os.getpid(), signal.SIGINT))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``langgraph-scaling`` command."""
    args = _parser().parse_args(argv)
    console = Console()
    if argv is None:
        _terminate_as_interrupt()
    try:
        if args.command == "prepare-model":
            from langgraph_scaling.models.embedded import prepare_model

            path = prepare_model(force=args.force)
            console.print(f"model ready: {path}")
            return 0
        code: int = anyio.run(_run, args, console)
    except ScalingError as exc:
        lines = str(exc).splitlines() or [type(exc).__name__]
        print(f"error: {lines[0]}", file=sys.stderr)
        for line in lines[1:][-15:]:  # a sandbox's or server's own text, its end
            print(f"  {line}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if argv is None:  # run as the command: nothing more of ours will be printed
        _exit_messages_to_engine_log()
    return code


def _exit_messages_to_engine_log() -> None:
    """What this process writes to stderr while the interpreter exits goes to the engine's log.

    That is native libraries' own exit reports (e.g. nanobind's leak report from Triton,
    which vLLM imports) after the command has printed its result.
    """
    if not _ENGINE_LOGS:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        fd = os.open(_ENGINE_LOGS[-1], os.O_WRONLY | os.O_APPEND)
    except OSError:
        return
    os.dup2(fd, 2)
    os.close(fd)


if __name__ == "__main__":
    sys.exit(main())
