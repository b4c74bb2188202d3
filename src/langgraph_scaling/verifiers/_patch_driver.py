"""The patch referee run inside the sandbox (a script, stdlib only).

It applies ``candidate.diff`` to the repository copy (``git apply``, else ``patch -p1``;
no patch at all for the verifier's baseline run on the unpatched copy),
runs each test command as a child process that inherits none of its descriptors, and
only then reads the verifier's nonce from fd 3 and writes its record to fd 4. The
referee is non-dumpable, so the tests' processes cannot read its memory or descriptors.

What the sandbox lacks is checked before the patch, so that no candidate can cause it: a
test command's program that is not there (or the module of a ``python -m`` command), or
neither git nor patch for a patch. The record
then carries ``error`` (the verifier raises; no candidate is judged on it). A program that
goes missing only with the patch applied is the candidate's doing, a failed test.

Example:
    The verifier runs ``python _referee.py`` with ``spec.json`` beside it; see
    ``patch.py``.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
from typing import Any

_PR_SET_DUMPABLE = 4
_FIND_MODULE = "import importlib.util as u,sys;sys.exit(0 if u.find_spec(sys.argv[1]) else 3)"
_TAIL = 1500


def _tail(proc: subprocess.CompletedProcess[bytes]) -> str:
    text = (proc.stdout or b"") + (proc.stderr or b"")
    return text.decode("utf-8", "replace")[-_TAIL:]


def _apply(repo: str, patch: str) -> tuple[bool, str]:
    """Apply the patch with git (index-free) or patch(1); say why when neither can."""
    patch = os.path.abspath(patch)
    tried = []
    if shutil.which("git"):
        cmd = ["git", "apply", "--whitespace=nowarn", "--verbose", patch]
        # a copy inside another git work tree: git apply would skip every path and exit 0
        env = {**os.environ, "GIT_CEILING_DIRECTORIES": os.path.dirname(repo)}
        proc = subprocess.run(
            cmd, cwd=repo, env=env, capture_output=True, check=False, close_fds=True
        )
        if proc.returncode == 0:
            return True, ""
        tried.append(f"git apply: {_tail(proc).strip()}")
    if shutil.which("patch"):
        cmd = ["patch", "-p1", "--batch", "--forward", "--dry-run", "-i", patch]
        dry = subprocess.run(cmd, cwd=repo, capture_output=True, check=False, close_fds=True)
        if dry.returncode == 0:
            cmd.remove("--dry-run")
            proc = subprocess.run(cmd, cwd=repo, capture_output=True, check=False, close_fds=True)
            if proc.returncode == 0:
                return True, ""
            dry = proc
        tried.append(f"patch -p1: {_tail(dry).strip()}")
    return False, "\n".join(tried)


def _missing(repo: str, spec: dict[str, Any]) -> str:
    """What the sandbox lacks to judge any candidate (``""``: nothing)."""
    if spec["patch"] is not None and not (shutil.which("git") or shutil.which("patch")):
        return "neither git nor patch is available in the sandbox to apply a patch"
    for _, argv in spec["tests"]:
        program = argv[0] if os.sep in argv[0] else shutil.which(argv[0])
        if program is None or not os.access(os.path.join(repo, program), os.X_OK):
            return f"the test command's program {argv[0]!r} is not available in the sandbox"
        if len(argv) > 2 and argv[1] == "-m":  # python -m pytest: the module must be there
            top = argv[2].split(".")[0]
            find = [program, "-c", _FIND_MODULE, top]
            if subprocess.run(find, cwd=repo, capture_output=True, check=False).returncode == 3:
                return f"the test command's module {top!r} is not available in the sandbox"
    return ""


def _run_test(repo: str, argv: list[str], timeout: float) -> tuple[bool, str]:
    try:
        proc = subprocess.run(
            argv, cwd=repo, capture_output=True, timeout=timeout, check=False, close_fds=True
        )
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout:g}s"
    except OSError as exc:
        return False, f"could not run {argv[0]!r}: {exc}"
    return proc.returncode == 0, _tail(proc)


def main() -> None:
    """Apply, test, then write the nonce-stamped record."""
    ctypes.CDLL(None).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    with open("spec.json", encoding="utf-8") as fh:
        spec: dict[str, Any] = json.load(fh)
    os.remove("spec.json")
    repo = os.path.abspath(spec["repo"])
    error = _missing(repo, spec)
    applied, why = (True, "") if error or spec["patch"] is None else _apply(repo, spec["patch"])
    results = []
    if applied and not error:
        for name, argv in spec["tests"]:
            ok, output = _run_test(repo, argv, float(spec["test_timeout"]))
            results.append([name, ok, output])
    nonce = os.read(3, 4096).decode()
    os.close(3)
    record = {
        "nonce": nonce,
        "applied": applied,
        "apply_error": why,
        "results": results,
        "error": error,
    }
    os.write(4, json.dumps(record).encode())
    os.close(4)


if __name__ == "__main__":
    main()
