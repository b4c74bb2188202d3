"""Sandboxed execution of untrusted code: no network, private files, hard limits.

``Sandbox`` runs programs on this machine; ``RaySandbox`` runs each as a Ray task, in the
same sandbox on a worker (Ray is imported on its first run: the ``ray`` extra).

Example:
    >>> import anyio
    >>> from langgraph_scaling.sandbox import Sandbox, SandboxLimits
    >>> sandbox = Sandbox(SandboxLimits(timeout_s=5))
    >>> anyio.run(lambda: sandbox.run_python("print('ok')")).stdout
    'ok\\n'
"""

from langgraph_scaling.sandbox._limits import LimitHit, SandboxLimits, SandboxResult
from langgraph_scaling.sandbox._runner import FileSpec, Sandbox
from langgraph_scaling.sandbox.ray import RayOptions, RaySandbox

__all__ = [
    "FileSpec",
    "LimitHit",
    "RayOptions",
    "RaySandbox",
    "Sandbox",
    "SandboxLimits",
    "SandboxResult",
]
