"""Thread settings vLLM reads at start, for the in-process engine and for served ones."""

from __future__ import annotations

import os

__all__ = ["cpu_thread_env"]


def cpu_thread_env() -> dict[str, str]:
    """OpenMP settings using every core this process may run on.

    vLLM on CPU otherwise uses one OpenMP thread (about 35 % slower on 2 cores). Callers
    apply them with lower priority than what the user already set.

    Example:
        >>> sorted(cpu_thread_env())
        ['OMP_NUM_THREADS', 'VLLM_CPU_OMP_THREADS_BIND']
    """
    cores = sorted(os.sched_getaffinity(0))
    return {
        "OMP_NUM_THREADS": str(len(cores)),
        "VLLM_CPU_OMP_THREADS_BIND": ",".join(str(c) for c in cores),
    }
