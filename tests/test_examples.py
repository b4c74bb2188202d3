"""Every example runs as documented (offline, on scripted fakes) and shows what it says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

EXPECTED = {
    "wrap_model.py": ["ai: 6 times 7 is 42.", "scaled: 4 branches"],
    "create_agent_middleware.py": ["The capital of France is Paris."],
    "budgets.py": ["planner=2, critic=3", "planner=6, critic=1"],
    "streaming_reports.py": ["branch 3:", "winner: 0"],
    "coding_agent_patch.py": ["winner: branch 2", "applied: True", "sum(xs) / len(xs)\n"],
}


def test_every_example_is_covered() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED), ids=lambda n: n.removesuffix(".py"))
def test_example_runs(name: str) -> None:
    first_line = (EXAMPLES / name).read_text().splitlines()[0]
    assert first_line.startswith("# Shows:"), "each example opens with what it shows"
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for expected in EXPECTED[name]:
        assert expected in done.stdout
