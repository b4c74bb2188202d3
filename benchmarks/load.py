"""Load benchmark: many concurrent graph runs with scaled steps, and leak counters.

Each run is a ReAct graph whose agent step is scaled to ``k`` branches (one ``n=k``
chat-completions request through ``OpenAIServerBackend``) and calls one tool, then answers
in a second scaled step; the server is the loopback fake of the test suite. Reports wall
time, throughput, memory retained (tracemalloc) and RSS delta, and open fds, child processes
and temp-dir entries before/after. Writes ``benchmarks/results/load.json``.

Usage::

    .venv/bin/python benchmarks/load.py --invocations 1000 --k 4 --concurrency 1000
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import anyio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests._load import run_load  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invocations", type=int, default=1000)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=None, help="default: all at once")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/load.json")
    args = parser.parse_args()
    stats = anyio.run(lambda: run_load(args.invocations, k=args.k, concurrency=args.concurrency))
    stats["machine"] = {
        "python": platform.python_version(),
        "cpus": len(__import__("os").sched_getaffinity(0)),
    }
    stats["command"] = " ".join(["python", "benchmarks/load.py", *sys.argv[1:]])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(stats, indent=2) + "\n")
    print(json.dumps(stats, indent=2))


if __name__ == "__main__":
    main()
