import pytest

# One `vllm serve` for the whole session. A session-scoped fixture imported into several
# test modules is defined once per module, and each module then gets (and keeps until the
# session ends) a server of its own: three engines at once ran CI out of memory.
from tests._vllm_fixtures import vllm_server_url  # noqa: F401


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Helper modules (fake servers, worker scripts run as subprocesses) are not test modules,
# and --doctest-modules must not import them: the resume worker runs on import.
collect_ignore_glob = ["_*.py"]
