"""Agent tools over the sandbox (installed as ``langgraph_scaling.tools``).

Example:
    >>> from langgraph_scaling.tools import run_python
    >>> run_python.name
    'run_python'
"""

from langgraph_scaling.tools.sandbox_tools import (
    format_result,
    make_patch_tools,
    run_python,
    run_tests,
)

__all__ = ["format_result", "make_patch_tools", "run_python", "run_tests"]
