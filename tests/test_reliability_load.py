"""Load: 120 concurrent graph runs, each with two scaled steps of 4 branches, through
OpenAIServerBackend against the loopback fake server: all correct, bounded memory, and no
leaked file descriptors, child processes or temp entries (benchmarks/load.py: 1000 runs)."""

from __future__ import annotations

from tests._load import run_load


async def test_120_concurrent_scaled_graph_runs_leak_nothing() -> None:
    stats = await run_load(120, k=4)
    assert stats["correct"] == 120
    assert stats["requests"] == 240, "one n=4 request per scaled step, no retries"
    before, after = stats["before"], stats["after"]
    assert after["fds"] <= before["fds"], (before, after)
    # A session-wide `vllm serve` fixture may already be a child; the load adds none.
    assert after["children"] == before["children"], (before, after)
    assert after["temp"] == before["temp"] == 0
    assert stats["retained_bytes"] < 2 * 2**20, stats  # what 120 runs left allocated
