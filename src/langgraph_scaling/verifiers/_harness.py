"""The test harness run inside the sandbox (a script, stdlib only).

Two processes, so the candidate cannot forge the verdict:

* the **referee** (this script's main process) loads the spec, deletes it, makes itself
  non-dumpable (no ``/proc/<pid>/mem``, ``fd/`` or ptrace by the candidate's uid), and
  forks a **player** to run the candidate and the tests. It never runs candidate code.
* the **player** closes the referee's descriptors 3 and 4, runs the candidate's code in a
  fresh module, then each test in a copy of that namespace, and reports per test over a
  private pipe with a per-player key. If the player exits, crashes or hangs mid-way, the
  referee records that test as failed and forks a new player for the next test.
* only when every player is gone does the referee read the verifier's nonce from fd 3 and
  write ``{"nonce", "results"}`` to fd 4. Output on stdout/stderr, files and early exits
  cannot produce that record.

Example:
    The verifier runs ``python _harness.py`` with ``spec.json`` beside it; see
    ``unit_test.py``.
"""

from __future__ import annotations

import ast
import ctypes
import json
import os
import secrets
import select
import signal
import sys
import time
import types
from typing import Any

_PR_SET_DUMPABLE = 4
Result = tuple[bool, str]


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:500]


def _got(test: dict[str, Any], ns: dict[str, Any], entry_point: str | None) -> str:
    """Value of the failing assert's left side, for feedback (best effort)."""
    lhs = test.get("lhs")
    if not lhs:
        return ""
    env = dict(ns)
    if entry_point and entry_point in env:
        env["candidate"] = env[entry_point]
    try:
        return f" (got {ascii(eval(lhs, env))[:200]})"
    except BaseException:
        return ""


def _player(spec: dict[str, Any], start: int, wfd: int, key: str) -> None:
    """Run the candidate, then tests ``start..``; report each on ``wfd``. Never returns."""
    write, exit_now = os.write, os._exit
    tests, entry = spec["tests"], spec.get("entry_point")

    def send(index: int, ok: bool, msg: str) -> None:
        write(wfd, f"{key}\t{index}\t{int(ok)}\t{msg!a}\n".encode())

    module = types.ModuleType("solution")
    sys.modules["solution"] = sys.modules["__main__"] = module
    try:
        exec(compile(spec["code"], "solution.py", "exec"), module.__dict__)
    except BaseException as exc:
        send(-1, False, f"the candidate's code failed to load: {_describe(exc)}")
        exit_now(0)
    for index in range(start, len(tests)):
        ns = dict(module.__dict__)
        try:
            exec(compile(tests[index]["source"], f"<test {index}>", "exec"), ns)
            send(index, True, "")
        except BaseException as exc:
            send(index, False, _describe(exc) + _got(tests[index], ns, entry))
    exit_now(0)


def _read_record(rfd: int, buf: bytearray, deadline: float) -> str | None:
    """Next report line; ``""`` at end of file, ``None`` at the deadline."""
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([rfd], [], [], left)[0]:
            return None
        chunk = os.read(rfd, 65536)
        if not chunk:
            return ""
        buf.extend(chunk)
    line, _, rest = bytes(buf).partition(b"\n")
    buf[:] = rest
    return line.decode("utf-8", "replace")


def _referee_one(spec: dict[str, Any], start: int, results: dict[int, Result]) -> int:
    """Run one player from test ``start``; record what it reported; return the next test."""
    rfd, wfd = os.pipe()
    key = secrets.token_hex(16)
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        os.close(3)
        os.close(4)
        _player(spec, start, wfd, key)
    os.close(wfd)
    buf, index, total = bytearray(), start, len(spec["tests"])
    timeout = float(spec["test_timeout"])
    try:
        while index < total:
            line = _read_record(rfd, buf, time.monotonic() + timeout)
            parts = line.split("\t", 3) if line else []
            if len(parts) != 4 or parts[0] != key:
                results[index] = (False, _early_end(pid, line, timeout))
                return index + 1
            if parts[1] == "-1":
                for rest in range(index, total):
                    results[rest] = (False, _unquote(parts[3]))
                return total
            if int(parts[1]) != index:
                results[index] = (False, "the test run sent a corrupt report")
                return index + 1
            results[index] = (parts[2] == "1", _unquote(parts[3]))
            index += 1
        return total
    finally:
        os.close(rfd)
        _reap(pid)


def _early_end(pid: int, line: str | None, timeout: float) -> str:
    """Why a player stopped reporting: timeout, corrupt report, exit or signal."""
    if line is None:
        return f"the test timed out (limit {timeout:g}s per test)"
    if line:
        return "the test run sent a corrupt report"
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return "the program exited before this test finished"
    if os.WIFSIGNALED(status):
        return f"the program was killed by signal {os.WTERMSIG(status)} during this test"
    code = os.waitstatus_to_exitcode(status)
    return f"the program exited (status {code}) before this test finished"


def _reap(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _unquote(text: str) -> str:
    try:
        value = ast.literal_eval(text)  # an ascii() literal written by the player
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text[:500]
    return value[:500] if isinstance(value, str) else text[:500]


def main() -> None:
    """Referee: run every test through players, then write the nonce-stamped record."""
    ctypes.CDLL(None).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    with open("spec.json", encoding="utf-8") as fh:
        spec = json.load(fh)
    os.remove("spec.json")
    results: dict[int, Result] = {}
    index = 0
    while index < len(spec["tests"]):
        index = _referee_one(spec, index, results)
    nonce = os.read(3, 4096).decode()
    os.close(3)
    ordered = [results[i] for i in range(len(spec["tests"]))]
    os.write(4, json.dumps({"nonce": nonce, "results": ordered}).encode())
    os.close(4)


if __name__ == "__main__":
    main()
