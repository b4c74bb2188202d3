import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Helper modules (fake servers, worker scripts run as subprocesses) are not test modules,
# and --doctest-modules must not import them: the resume worker runs on import.
collect_ignore_glob = ["_*.py"]
