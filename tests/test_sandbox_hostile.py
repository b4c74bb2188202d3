"""Hostile programs against the real sandbox: every one must be contained."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from langgraph_scaling.sandbox import Sandbox, SandboxLimits, SandboxResult

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

SECRET = "sk-lgs-FAKE-" + uuid.uuid4().hex
REPO = Path(__file__).resolve().parents[1]


@dataclass
class Env:
    """What the test set up on the host for one hostile case."""

    victim: Path
    marker: Path
    port: int
    test_pid: int


Check = Callable[[SandboxResult, Env], None]


@pytest.fixture
def env() -> Iterator[Env]:
    victim_dir = REPO / "build" / f"hostile-{uuid.uuid4().hex[:8]}"
    victim_dir.mkdir(parents=True)
    victim = victim_dir / "victim.txt"
    victim.write_text("keep me")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.01)
    os.environ["LGS_FAKE_API_KEY"] = SECRET
    try:
        yield Env(victim, victim_dir / "marker.txt", listener.getsockname()[1], os.getpid())
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody ever connected from inside the sandbox
    finally:
        del os.environ["LGS_FAKE_API_KEY"]
        listener.close()
        for path in victim_dir.iterdir():
            path.unlink()
        victim_dir.rmdir()


def _survivors() -> list[int]:
    """Host pids of processes still running under a sandbox run uid."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                uid = entry.stat().st_uid
            except FileNotFoundError:
                continue
            if uid >= 3_000_000_000:
                found.append(int(entry.name))
    return found


def _contained(r: SandboxResult, e: Env) -> None:
    assert e.victim.read_text() == "keep me"
    assert not e.marker.exists()


def _limit(*hits: str | None) -> Check:
    def check(r: SandboxResult, e: Env) -> None:
        assert r.limit_hit in hits, (r.limit_hit, r.stderr[-500:])

    return check


def _no_output(*needles: str) -> Check:
    def check(r: SandboxResult, e: Env) -> None:
        for needle in needles:
            assert needle.format(e=e) not in r.stdout + r.stderr

    return check


def _stdout_has(text: str) -> Check:
    def check(r: SandboxResult, e: Env) -> None:
        assert text in r.stdout, (r.stdout, r.stderr[-800:])

    return check


def _quick(r: SandboxResult, e: Env) -> None:
    assert r.duration_s < 4, r.duration_s


CASES: list[tuple[str, str, Check]] = [
    (
        "fork_bomb",
        "import os\nwhile True:\n    try: os.fork()\n    except OSError: pass",
        _limit("timeout", "processes", "cpu"),
    ),
    ("memory_bomb", "x = bytearray(8 * 2**30)", _limit("memory")),
    ("memory_growth", "x = []\nwhile True: x.append(' ' * 10**6)", _limit("memory")),
    (
        "fork_then_allocate",
        "import os\nfor _ in range(8):\n    if os.fork() == 0: break\nx = bytearray(400 * 2**20)\n"
        "import time; time.sleep(0.5)",
        _contained,
    ),
    ("infinite_loop", "while True: pass", _limit("cpu", "timeout")),
    ("sleep_forever", "import time; time.sleep(1000)", _limit("timeout")),
    (
        "orphans_outlive_parent",
        "import subprocess\nfor _ in range(5):\n    subprocess.Popen(\n"
        "        ['sh', '-c', 'while true; do sleep 0.05; done'], start_new_session=True)"
        "\nprint('parent done')",
        _quick,
    ),
    (
        "double_fork_daemon",
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        while True: time.sleep(0.05)\n    os._exit(0)\nprint('bye')",
        _quick,
    ),
    (
        "connect_loopback_listener",
        "import socket\ntry:\n    socket.create_connection(('127.0.0.1', {e.port}), timeout=1)\n"
        "    print('CONNECTED')\nexcept OSError as exc: print('blocked', exc)",
        _no_output("CONNECTED"),
    ),
    (
        "connect_outside",
        "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=1)\n"
        "    print('CONNECTED')\nexcept OSError as exc: print('blocked', exc)",
        _no_output("CONNECTED"),
    ),
    (
        "dns_lookup",
        "import socket\ntry: print('RESOLVED', socket.gethostbyname('example.com'))\n"
        "except OSError as exc: print('blocked', exc)",
        _no_output("RESOLVED"),
    ),
    (
        "write_outside_workdir",
        "try:\n    open({e.marker!r}, 'w').write('pwned')\nexcept OSError as exc: print(exc)",
        _contained,
    ),
    (
        "overwrite_victim",
        "try:\n    open({e.victim!r}, 'w').write('pwned')\nexcept OSError as exc: print(exc)",
        _contained,
    ),
    (
        "delete_outside",
        "import os, shutil\nfor p in [{e.victim!r}]:\n    try: os.remove(p)\n"
        "    except OSError as exc: print(exc)\n"
        "shutil.rmtree({e.victim.parent!r}, ignore_errors=True)",
        _contained,
    ),
    (
        "write_host_tmp",
        "open('/tmp/lgs-hostile-{e.port}', 'w').write('x')\nprint('wrote')",
        _contained,
    ),
    (
        "write_dev_shm",
        "open('/dev/shm/lgs-hostile-{e.port}', 'w').write('x')\nprint('wrote')",
        _contained,
    ),
    (
        "read_env_secret",
        "import os\nprint(dict(os.environ))\n"
        "for p in ('/proc/1/environ', '/proc/self/environ'):\n"
        "    try: print(open(p, 'rb').read())\n    except OSError as exc: print(exc)",
        _no_output(SECRET, "LGS_FAKE_API_KEY"),
    ),
    (
        "read_test_process_environ",
        "try: print(open('/proc/{e.test_pid}/environ', 'rb').read())\n"
        "except OSError as exc: print('denied', exc)",
        _no_output(SECRET),
    ),
    (
        "read_etc_shadow",
        "try: print(open('/etc/shadow').read())\nexcept OSError as exc: print('denied', exc)",
        _no_output("root:"),
    ),
    (
        "list_root_home",
        "import os\ntry: print(sorted(os.listdir('/root')))\nexcept OSError as exc: print(exc)",
        _no_output(".bashrc", ".ssh", ".cache"),
    ),
    ("huge_stdout", "import sys\nwhile True: sys.stdout.write('x' * 65536)", _limit("output")),
    ("huge_stderr", "import sys\nwhile True: sys.stderr.write('y' * 65536)", _limit("output")),
    (
        "kill_parent",
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('sent')",
        _contained,
    ),
    ("kill_minus_one", "import os, signal\nos.kill(-1, signal.SIGKILL)\nprint('sent')", _contained),
    (
        "kill_test_pid",
        "import os, signal\ntry: os.kill({e.test_pid}, signal.SIGKILL)\n"
        "except OSError as exc: print(exc)",
        _contained,
    ),
    (
        "kill_process_groups",
        "import os, signal\nfor pg in range(1, 200):\n    try: os.killpg(pg, signal.SIGKILL)\n"
        "    except OSError: pass",
        _contained,
    ),
    (
        "recursion_bomb",
        "import sys\nsys.setrecursionlimit(10**7)\ndef f(n): return f(n + 1)\nf(0)",
        _contained,
    ),
    (
        "setuid_root",
        "import os\ntry:\n    os.setuid(0); print('ROOT')\nexcept OSError as e: print(e)",
        _no_output("ROOT"),
    ),
    (
        "mount_tmpfs",
        "import subprocess\nr = subprocess.run(['mount', '-t', 'tmpfs', 'x', '.'], "
        "capture_output=True)\nprint('MOUNTED' if r.returncode == 0 else 'denied')",
        _no_output("MOUNTED"),
    ),
    (
        "inherited_descriptors",
        "import os\nprint(sorted(int(f) for f in os.listdir('/proc/self/fd')))",
        _stdout_has("[0, 1, 2, 3]"),
    ),
    ("too_many_files", "fs = [open('main.py') for _ in range(100000)]", _limit("files")),
    (
        "huge_file",
        "with open('big', 'wb') as f:\n    while True: f.write(b'0' * 2**20)",
        _limit("files"),
    ),
    (
        "thread_bomb",
        "import threading, time\nwhile True:\n"
        "    threading.Thread(target=time.sleep, args=(100,), daemon=True).start()",
        _limit("processes", "memory", "timeout"),
    ),
    (
        "ptrace_launcher",
        "try: print(open('/proc/1/mem', 'rb').read(10))\nexcept OSError as exc: print('denied')",
        _stdout_has("denied"),
    ),
]

LIMITS = SandboxLimits(
    timeout_s=4,
    cpu_seconds=2,
    memory_mb=512,
    max_processes=32,
    max_file_mb=16,
    max_output_bytes=200_000,
)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(LIMITS, require_isolation=True)


@pytest.mark.parametrize(("code", "check"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_hostile_program_is_contained(
    sandbox: Sandbox, env: Env, code: str, check: Check
) -> None:
    result = await sandbox.run_python(code.format(e=env))
    assert os.getpid() == env.test_pid
    check(result, env)
    _contained(result, env)
    assert result.isolated_network
    assert not result.stdout_truncated or result.limit_hit == "output"
    assert len(result.stdout) <= LIMITS.max_output_bytes
    # The kernel kills a pid namespace's processes when its pid 1 exits, but reaps them
    # asynchronously: on a loaded machine one may still be listed for a moment.
    for _ in range(40):
        if not _survivors():
            break
        await anyio.sleep(0.05)
    assert _survivors() == []


async def test_host_tmp_untouched(sandbox: Sandbox) -> None:
    name = f"/tmp/lgs-hostile-{uuid.uuid4().hex}"
    result = await sandbox.run_python(f"open({name!r}, 'w').write('x'); print('ok')")
    assert result.stdout == "ok\n"
    assert not await anyio.Path(name).exists()


async def test_cancellation_kills_the_tree(sandbox: Sandbox) -> None:
    with anyio.move_on_after(0.5) as scope:
        await sandbox.run_python("import os, time\nos.fork(); os.fork()\ntime.sleep(60)")
    assert scope.cancelled_caught
    assert _survivors() == []
