"""`pip install .` into a fresh venv gives working graphs, tools and the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def sh(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=600, check=False
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_wheel_installs_graphs_tools_and_cli(tmp_path: Path) -> None:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        pytest.skip("uv is installed by .ci/install.sh; not present in this environment")
    sh(uv, "build", "--wheel", "--out-dir", tmp_path / "dist", ROOT)
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for expected in (
        "langgraph_scaling/graphs/coding_agent.py",
        "langgraph_scaling/agents/coding/graph.py",
        "langgraph_scaling/tools/sandbox_tools.py",
        "langgraph_scaling/py.typed",
    ):
        assert expected in names
    assert not any(n.startswith(("graphs/", "tools/", "tests/")) for n in names)

    venv = tmp_path / "venv"
    sh(uv, "venv", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    sh(
        uv,
        "pip",
        "install",
        "--python",
        python,
        "--override",
        ROOT / ".ci" / "overrides.txt",
        f"{wheel}[agents]",
    )
    out = sh(
        python,
        "-c",
        "import langgraph_scaling.graphs.coding_agent as c, langgraph_scaling.graphs."
        "react_agent as r, langgraph_scaling.tools as t, langgraph_scaling as l;"
        "print(sorted(c.graph.get_graph().nodes), r.calculator.invoke('2*21'),"
        " t.run_python.name, l.ScalingMiddleware.__name__, l.__file__)",
        cwd=tmp_path,
    )
    assert "'propose'" in out and " 42 " in out and "run_python" in out
    assert "ScalingMiddleware" in out and str(venv) in out
    assert "eval" in sh(venv / "bin" / "langgraph-scaling", "--help", cwd=tmp_path)
