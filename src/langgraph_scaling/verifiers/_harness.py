"""The test harness run inside the sandbox (a script, stdlib only).

Two processes, so the candidate cannot forge the verdict:

* the **referee** (this script's main process) loads the spec, deletes it, makes itself
  non-dumpable (no ``/proc/<pid>/mem``, ``fd/`` or ptrace by the candidate's uid), and
  prepares everything before any candidate code runs: it imports and snapshots what the
  tests rely on (``_harness_pins.py``: the builtins, ``unittest``, ``pytest``'s API modules
  when pytest can be imported, the other modules the tests import) and compiles the tests
  with their comparisons and asserts routed through plain-value checks
  (``_harness_checks.py``). Then it forks a **player** to run the candidate and the tests.
  It never runs candidate code.
* the **player** closes the referee's descriptors 3 and 4, runs the candidate's code in a
  fresh module, restores the snapshots, then runs each test in a namespace with pristine
  builtins (the candidate's globals named like a builtin are left out, except the entry
  point) and reports per test over a private pipe, through a sender whose per-player key
  lives only in a closure cell. If the player exits, crashes or hangs mid-way, the referee
  records that test as failed and forks a new player for the next test.
* only when every player is gone does the referee read the verifier's nonce from fd 3 and
  write ``{"nonce", "results"}`` to fd 4. Output on stdout/stderr, files and early exits
  cannot produce that record.

What the candidate can still do from inside the player (it shares the tests' interpreter)
is written in ``docs/security.md``.

Example:
    The verifier runs ``python _harness.py`` with ``spec.json``, ``_harness_checks.py`` and
    ``_harness_pins.py`` beside it; see ``unit_test.py``.
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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING or __package__:
    from langgraph_scaling.verifiers import _harness_checks as checks
    from langgraph_scaling.verifiers import _harness_pins as pins
else:  # run as a script in the sandbox: the two are shipped beside it
    import _harness_checks as checks
    import _harness_pins as pins

_PR_SET_DUMPABLE = 4
Result = tuple[bool, str]
Send = Callable[[int, bool, str], None]
# Bound before any candidate code runs: the player never looks these up in builtins or os.
_EXEC, _COMPILE, _WRITE, _EXIT = exec, compile, os.write, os._exit
_FUNCTION = types.FunctionType


class _Kit(NamedTuple):
    """What the referee prepares before forking players."""

    code: str
    tests: list[types.CodeType | str]  # compiled tests, or why one could not be prepared
    entry_point: str | None
    timeout: float


def _prepare(spec: dict[str, Any]) -> _Kit:
    """Import and snapshot what the tests use, and compile them, before any candidate code."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p not in ("", here)]  # the candidate writes there
    sources = [str(t["source"]) for t in spec["tests"]]
    pins.prepare(sources)
    checks.trust_approx()
    tests: list[types.CodeType | str] = []
    for index, source in enumerate(sources):
        try:
            tests.append(checks.compile_test(source, f"<test {index}>"))
        except Exception as exc:  # reported as this test's failure
            tests.append(f"the harness could not prepare this test: {exc!r}"[:500])
    entry = spec.get("entry_point")
    return _Kit(str(spec["code"]), tests, entry, float(spec["test_timeout"]))


def _sender(wfd: int, key: str) -> Send:
    """The player's only way to report: the key stays in this closure's cell."""
    write = _WRITE

    def send(index: int, ok: bool, msg: str) -> None:
        write(wfd, f"{key}\t{index}\t{'1' if ok else '0'}\t{msg!a}\n".encode())

    return send


def _namespace(kit: _Kit, solution: dict[str, Any]) -> dict[str, Any]:
    """A test's globals: the candidate's, less names that shadow builtins, plus pristine ones."""
    ns: dict[str, Any] = {}
    for key, value in list(solution.items()):
        if type(key) is not str:
            continue
        if key in pins.PRISTINE and not key.startswith("__") and key != kit.entry_point:
            continue  # e.g. a module-level ``abs`` the tests would otherwise call
        ns[key] = pins.wrap(value) if type(value) is _FUNCTION else value
    ns["__builtins__"] = dict(pins.PRISTINE)
    return ns


def _run_test(kit: _Kit, index: int, solution: dict[str, Any]) -> Result:
    """Run test ``index`` against the candidate's module globals."""
    code, state, repin = kit.tests[index], checks.STATE, pins.repin
    repin()
    if isinstance(code, str):
        return False, code
    ns = _namespace(kit, solution)
    pins.CURRENT[0] = ns["__builtins__"]
    state[0] = state[1] = None
    error: BaseException | None = None
    try:
        _EXEC(code, ns)
    except BaseException as exc:
        error = exc
    repin()  # before any more harness code: whatever the test's calls patched is undone
    pins.CURRENT[0] = None
    if state[0] is not None:  # a check refused a value, even if the test caught the error
        return False, str(state[0])
    if error is None:
        return True, ""
    got = f" (got {checks.shown(state[1][0])})" if state[1] is not None else ""
    return False, checks.describe(error) + got


def _player(kit: _Kit, start: int, send: Send) -> None:
    """Run the candidate, then tests ``start..``; report each through ``send``."""
    for name in (checks.__name__, pins.__name__):  # not importable by the candidate's code
        del sys.modules[name]
    module = types.ModuleType("solution")
    sys.modules["solution"] = sys.modules["__main__"] = module
    try:
        _EXEC(_COMPILE(kit.code, "solution.py", "exec"), module.__dict__)
    except BaseException as exc:
        pins.repin()
        send(-1, False, f"the candidate's code failed to load: {checks.describe(exc)}")
        return
    pins.repin()
    for index in range(start, len(kit.tests)):
        try:
            ok, msg = _run_test(kit, index, module.__dict__)
        except BaseException as exc:  # the harness itself was disturbed: fail closed
            pins.repin()
            ok, msg = False, f"the test run was disturbed: {checks.describe(exc)}"
        send(index, ok, msg)


def _spawn(kit: _Kit, start: int) -> tuple[int, int, str]:
    """Fork a player from test ``start``; return its pid, the read end, and its key."""
    rfd, wfd = os.pipe()
    key = secrets.token_hex(16)
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        os.close(3)
        os.close(4)
        send = _sender(wfd, key)
        del key  # no frame on the player's stack holds the key itself
        try:
            _player(kit, start, send)
        finally:
            _EXIT(0)
    os.close(wfd)
    return pid, rfd, key


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


def _referee_one(kit: _Kit, start: int, results: dict[int, Result]) -> int:
    """Run one player from test ``start``; record what it reported; return the next test."""
    pid, rfd, key = _spawn(kit, start)
    buf, index, total = bytearray(), start, len(kit.tests)
    try:
        while index < total:
            line = _read_record(rfd, buf, time.monotonic() + kit.timeout)
            parts = line.split("\t", 3) if line else []
            if len(parts) != 4 or parts[0] != key:
                results[index] = (False, _early_end(pid, line, kit.timeout))
                return index + 1
            if parts[1] == "-1":
                for rest in range(index, total):
                    results[rest] = (False, _unquote(parts[3]))
                return total
            if parts[1] != str(index):
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
    kit = _prepare(spec)
    results: dict[int, Result] = {}
    index = 0
    while index < len(kit.tests):
        index = _referee_one(kit, index, results)
    nonce = os.read(3, 4096).decode()
    os.close(3)
    ordered = [results[i] for i in range(len(kit.tests))]
    os.write(4, json.dumps({"nonce": nonce, "results": ordered}).encode())
    os.close(4)


if __name__ == "__main__":
    main()
