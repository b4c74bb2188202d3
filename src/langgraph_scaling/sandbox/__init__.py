"""Sandboxed execution of untrusted code: no network, private files, hard limits.

Example:
    >>> import anyio
    >>> from langgraph_scaling.sandbox import Sandbox, SandboxLimits
    >>> sandbox = Sandbox(SandboxLimits(timeout_s=5))
    >>> anyio.run(lambda: sandbox.run_python("print('ok')")).stdout
    'ok\\n'
"""

from langgraph_scaling.sandbox._limits import LimitHit, SandboxLimits, SandboxResult
from langgraph_scaling.sandbox._runner import FileSpec, Sandbox

__all__ = ["FileSpec", "LimitHit", "Sandbox", "SandboxLimits", "SandboxResult"]
