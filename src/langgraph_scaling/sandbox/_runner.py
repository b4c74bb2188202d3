"""``Sandbox``: run a command or a Python snippet in an isolated, limited child process.

Each run gets a private work directory (removed afterwards), a scrubbed environment, fresh
namespaces (no network, own pids, private ``/tmp``) where the machine allows it, its own
unprivileged uid when run as root, rlimits, cgroup limits where available, a wall-clock
deadline that kills the whole process tree, and output capped while it is read.

Example:
    >>> import anyio
    >>> async def main():
    ...     result = await Sandbox().run_python("print(6 * 7)")
    ...     return result.stdout
    >>> anyio.run(main)
    '42\\n'
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process

from langgraph_scaling.errors import ConfigError, SandboxError, SandboxStage
from langgraph_scaling.sandbox._files import make_workdir, remove_workdir
from langgraph_scaling.sandbox._io import (
    CappedOutput,
    RawPipe,
    cancel_on,
    drain_pipes,
    feed,
    kill_tree,
    stop_after,
)
from langgraph_scaling.sandbox._isolation import Cgroups, Isolation, probe_isolation, run_uid
from langgraph_scaling.sandbox._limits import LimitHit, SandboxLimits, SandboxResult
from langgraph_scaling.sandbox._policy import (
    infer_limit,
    parse_status,
    resolve,
    rlimits,
    scrubbed_env,
)
from langgraph_scaling.sandbox._view import build_plan, probe_interpreter

__all__ = ["FileSpec", "Sandbox"]

FileSpec = str | bytes | Path
"""A file to place in the work dir: text, bytes, or a host path (file or dir) to copy."""

_LAUNCHER = str(Path(__file__).with_name("_launcher.py"))
_CHANNEL_IN_MAX = 32 * 1024
_WORK = "/tmp/work"  # the work dir's path inside the sandbox (see _launcher.py)


class Sandbox:
    """Runs untrusted programs; many runs at once, bounded by the machine's cores.

    Args:
        limits: default limits of every run.
        python: interpreter for :meth:`run_python` (defaults to this one). The sandbox shows
            it, its standard library and its environment's ``bin`` read-only, wherever they
            are installed, but none of its ``site-packages``.
        packages: distributions installed for ``python`` that programs may import (with
            their requirements), e.g. ``("pytest",)``; shown read-only.
        expose: further host paths shown read-only at the same place (e.g. a toolchain).
        max_concurrency: runs at once (defaults to ``os.cpu_count()``).
        workdir_root: where work directories are made (defaults to the temp dir).
        require_isolation: raise :class:`SandboxError` instead of warning when namespaces
            are unavailable.

    Example:
        >>> import anyio
        >>> r = anyio.run(lambda: Sandbox().run(["echo", "hi"]))
        >>> (r.exit_code, r.stdout, r.isolated_network)
        (0, 'hi\\n', True)
    """

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        *,
        python: str | None = None,
        packages: Sequence[str] = (),
        expose: Sequence[str | Path] = (),
        max_concurrency: int | None = None,
        workdir_root: str | Path | None = None,
        require_isolation: bool = False,
    ) -> None:
        if max_concurrency is not None and max_concurrency < 1:
            raise ConfigError("Sandbox.max_concurrency", max_concurrency, "must be at least 1")
        self.limits = limits or SandboxLimits()
        # Normalised: a path through a directory hidden inside (``bench/../.venv``) would not
        # resolve there. Symlinks are kept (a venv's python is one), a bare name stays one.
        interpreter = python or sys.executable
        self.python = os.path.abspath(interpreter) if os.sep in interpreter else interpreter
        self.packages = tuple(packages)
        self.expose = tuple(str(Path(p).resolve()) for p in expose)
        self.workdir_root = Path(workdir_root or tempfile.gettempdir())
        self.require_isolation = require_isolation
        self._limiter = anyio.CapacityLimiter(max_concurrency or os.cpu_count() or 1)

    def share_limiter(self, other: Sandbox) -> None:
        """Count this sandbox's runs against ``other``'s concurrency limit."""
        self._limiter = other._limiter

    async def run_python(
        self,
        code: str,
        *,
        args: Sequence[str] = (),
        stdin: str | bytes | None = None,
        files: Mapping[str, FileSpec] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the program's deadline
        limits: SandboxLimits | None = None,
        channel_in: bytes | None = None,
        channel_out: bool = False,
    ) -> SandboxResult:
        """Run ``code`` as ``main.py`` in the work dir with this sandbox's interpreter.

        Example:
            >>> import anyio
            >>> anyio.run(lambda: Sandbox().run_python("import sys; sys.exit(3)")).exit_code
            3
        """
        all_files = {**(files or {}), "main.py": code}
        return await self.run(
            [self.python, "-E", "-s", "-B", "main.py", *args],
            stdin=stdin,
            files=all_files,
            timeout=timeout,
            limits=limits,
            channel_in=channel_in,
            channel_out=channel_out,
        )

    async def run(
        self,
        argv: Sequence[str],
        *,
        stdin: str | bytes | None = None,
        files: Mapping[str, FileSpec] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the program's deadline
        limits: SandboxLimits | None = None,
        env: Mapping[str, str] | None = None,
        channel_in: bytes | None = None,
        channel_out: bool = False,
    ) -> SandboxResult:
        """Run ``argv`` in a fresh work dir (the cwd) and return how it ended.

        Args:
            argv: program and arguments; a bare name is looked up on the sandbox ``PATH``.
            stdin: bytes (or UTF-8 text) fed to standard input, then closed.
            files: relative path -> content (or host path to copy) placed in the work dir.
            timeout: wall-clock seconds (overrides ``limits.timeout_s``).
            limits: limits for this run (defaults to the sandbox's).
            env: extra environment variables (the rest of the environment is scrubbed).
            channel_in: bytes the program may read once from descriptor 3.
            channel_out: give the program descriptor 4; what it writes there comes back as
                ``result.channel`` (neither stdout nor stderr can reach it).

        Raises:
            SandboxError: the program could not be started at all.

        Example:
            >>> import anyio
            >>> anyio.run(lambda: Sandbox().run(["sh", "-c", "exit 2"])).exit_code
            2
        """
        lim = self._checked_limits(argv, channel_in, limits, timeout)
        data = stdin.encode() if isinstance(stdin, str) else stdin
        async with self._limiter:
            iso = await self._isolation()
            return await _Run(self, iso, lim).execute(
                argv, data, files or {}, env or {}, channel_in, channel_out
            )

    def _checked_limits(
        self,
        argv: Sequence[str],
        channel_in: bytes | None,
        limits: SandboxLimits | None,
        timeout: float | None,
    ) -> SandboxLimits:
        """Check a run's arguments (``ConfigError`` naming the bad one); its limits."""
        if not argv:
            raise ConfigError("argv", argv, "must name a program")
        if channel_in is not None and len(channel_in) > _CHANNEL_IN_MAX:
            raise ConfigError("channel_in", len(channel_in), "must be at most 32 KiB")
        lim = limits or self.limits
        return lim if timeout is None else lim.model_copy(update={"timeout_s": timeout})

    async def _isolation(self) -> Isolation:
        iso = await probe_isolation()
        if not iso.network:
            if self.require_isolation:
                raise SandboxError(
                    "Namespaces are unavailable; the sandbox cannot isolate runs.", stage="probe"
                )
            warnings.warn(
                "sandbox: unshare/namespaces unavailable; runs are rlimited only and have "
                "network access (isolated_network=False)",
                RuntimeWarning,
                stacklevel=3,
            )
        return iso


class _Run:
    """One run: set up, start, watch, kill, clean up."""

    def __init__(self, sandbox: Sandbox, iso: Isolation, limits: SandboxLimits) -> None:
        self.sandbox = sandbox
        self.iso = iso
        self.limits = limits
        self.uid = run_uid() if iso.drop_uid else None
        self.pipes: dict[str, RawPipe] = {}
        self.killed_for: LimitHit | None = None
        self.argv0 = ""

    def _broken(self, stage: SandboxStage, what: str) -> SandboxError:
        """``The sandbox <what>`` as the error of this run at ``stage``."""
        return SandboxError(f"The sandbox {what}", stage=stage, argv0=self.argv0 or None)

    async def execute(
        self,
        argv: Sequence[str],
        stdin: bytes | None,
        files: Mapping[str, FileSpec],
        env: Mapping[str, str],
        channel_in: bytes | None,
        channel_out: bool,
    ) -> SandboxResult:
        staging = await anyio.to_thread.run_sync(make_workdir, self.sandbox.workdir_root, files)
        cgroups = Cgroups()
        try:
            plan = await self._plan() if self.iso.mounts else []
            if self.iso.mounts:
                cgroups = Cgroups.create(self.limits.memory_mb, self.limits.max_processes)
            self._open_pipes(channel_in, channel_out)
            cfg = self._config(argv, staging, env, cgroups, plan)
            return await self._spawn_and_wait(cfg, stdin, cgroups)
        finally:
            with anyio.CancelScope(shield=True):
                for pipe in self.pipes.values():
                    pipe.close()
                await cgroups.remove()
                await anyio.to_thread.run_sync(remove_workdir, staging)

    async def _plan(self) -> list[dict[str, str]]:
        box = self.sandbox
        interp = await anyio.to_thread.run_sync(probe_interpreter, box.python, box.packages)
        return [vars(m) for m in build_plan(interp, box.expose)]

    def _open_pipes(self, channel_in: bytes | None, channel_out: bool) -> None:
        self.pipes["status"] = RawPipe()
        if channel_in is not None:
            pipe = self.pipes["in"] = RawPipe()
            os.write(pipe.write_fd, channel_in)
            os.close(pipe.write_fd)
            pipe.write_fd = -1
        if channel_out:
            self.pipes["out"] = RawPipe()

    def _config(
        self,
        argv: Sequence[str],
        staging: Path,
        env: Mapping[str, str],
        cgroups: Cgroups,
        plan: list[dict[str, str]],
    ) -> dict[str, Any]:
        python_dir = str(Path(self.sandbox.python).parent)
        path = f"{python_dir}:/usr/local/bin:/usr/bin:/bin"
        fd_map: dict[str, int] = {}
        if "in" in self.pipes:
            fd_map["3"] = self.pipes["in"].read_fd
        if "out" in self.pipes:
            fd_map["4"] = self.pipes["out"].write_fd
        # Inside the sandbox the work dir is /tmp/work; without mounts it is the staging dir.
        cwd = _WORK if self.iso.mounts else str(staging / "files")
        return {
            "argv": [resolve(argv[0], path), *argv[1:]],
            "env": scrubbed_env(Path(cwd), path, env),
            "cwd": cwd,
            "staging": str(staging / "files"),
            "root": str(staging / "root"),
            "uid": self.uid,
            "rlimits": rlimits(self.limits, self.uid is not None),
            "fd_map": fd_map,
            "status_fd": self.pipes["status"].write_fd,
            "mounts": self.iso.mounts,
            "seccomp": self.iso.seccomp,
            "plan": plan,
            "disk_mb": self.limits.disk_mb,
            "max_files": self.limits.max_files,
            "cgroups": cgroups.procs,
        }

    async def _spawn_and_wait(
        self, cfg: dict[str, Any], stdin: bytes | None, cgroups: Cgroups
    ) -> SandboxResult:
        self.argv0 = cfg["argv"][0]
        command = [*self.iso.prefix, sys.executable, "-I", "-S", _LAUNCHER, json.dumps(cfg)]
        passed = [self.pipes["status"].write_fd, *(int(fd) for fd in cfg["fd_map"].values())]
        start = time.monotonic()
        try:
            process = await anyio.open_process(
                command, start_new_session=True, pass_fds=passed, env={"PATH": "/usr/bin:/bin"}
            )
        except OSError as exc:
            raise self._broken("launcher", f"could not start {self.argv0!r}: {exc}") from exc
        # The child holds these now. Forget every fd closed here, so that cleanup can never
        # close the same number again after another run has been given it (a double close
        # here once broke concurrent runs with EBADF and BusyResourceError).
        for fd in passed:
            os.close(fd)
        for pipe in self.pipes.values():
            pipe.write_fd = -1
            if pipe.read_fd in passed:
                pipe.read_fd = -1
        out = CappedOutput(self.limits.max_output_bytes)
        err = CappedOutput(self.limits.max_output_bytes)
        status, channel = b"", b""
        try:
            status, channel = await self._watch(process, stdin, out, err)
        finally:
            with anyio.CancelScope(shield=True):
                await kill_tree(process)
        return self._result(status, channel, out, err, time.monotonic() - start, cgroups)

    async def _watch(
        self, process: Process, stdin: bytes | None, out: CappedOutput, err: CappedOutput
    ) -> tuple[bytes, bytes]:
        overflow = anyio.Event()
        drained = anyio.Event()
        results: dict[str, bytes] = {}
        side = {k: p for k, p in self.pipes.items() if k in ("status", "out")}

        async def collect() -> None:
            results.update(await drain_pipes(side, 1 << 20))
            drained.set()

        with anyio.move_on_after(self.limits.timeout_s) as deadline:
            async with anyio.create_task_group() as tg:
                assert process.stdout is not None and process.stderr is not None
                tg.start_soon(feed, process, stdin)
                tg.start_soon(out.read, process.stdout, overflow)
                tg.start_soon(err.read, process.stderr, overflow)
                tg.start_soon(collect)
                tg.start_soon(cancel_on, overflow, tg.cancel_scope)
                await process.wait()
                # The tree is gone; give the readers a moment to reach end of file.
                await stop_after(2.0, tg.cancel_scope, drained)
        if deadline.cancelled_caught:
            self.killed_for = "timeout"
        elif overflow.is_set():
            self.killed_for = "output"
        return results.get("status", b""), results.get("out", b"")

    def _result(
        self,
        status_raw: bytes,
        channel: bytes,
        out: CappedOutput,
        err: CappedOutput,
        duration: float,
        cgroups: Cgroups,
    ) -> SandboxResult:
        status = parse_status(status_raw)
        exit_code = status.get("exit")
        sig = status.get("signal")
        if "setup_error" in status:
            raise self._broken("setup", f"could not be set up: {status['setup_error']}")
        if "exec_error" in status:
            raise self._broken("exec", f"could not start {self.argv0!r}: {status['exec_error']}")
        if not status and self.killed_for is None:
            raise self._broken("launcher", f"launcher failed: {err.text()[-2000:]}")
        hit = self.killed_for or infer_limit(self.limits, status, err.text(), cgroups.events())
        return SandboxResult(
            exit_code=exit_code if isinstance(exit_code, int) else None,
            signal=sig if isinstance(sig, int) else None,
            stdout=out.text(),
            stderr=err.text(),
            stdout_truncated=out.truncated,
            stderr_truncated=err.truncated,
            duration_s=round(duration, 4),
            limit_hit=hit,
            isolated_network=self.iso.network,
            isolation=self.iso.features + (("cgroup",) if cgroups.dirs else ()),
            channel=channel,
        )
