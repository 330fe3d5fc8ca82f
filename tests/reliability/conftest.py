"""Fixtures and options of the reliability tests (faults, hung servers, bad input, secrets).

``--soak-full`` (or ``SEGMENTS_SOAK_FULL=1``) runs the fault soak at its full size: 5,000
samples and 50-500 ms of latency per request (about ten minutes on two cores). The default
run is ten times smaller, with 1-10 ms of latency, so it fits CI. The option is declared
in ``tests/conftest.py``.

``emulator_server`` is the plugin's ``segments_emulator`` (wiped before each test), served
in-process for tests of the SDK's behaviour under faults; the tests of sockets, timeouts,
hung or slow servers and of what crosses the wire get a real server (``ON_SOCKETS``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Union

import pytest

from segments_orm.emulator import EmulatorServer, InProcessBackend

HERE = Path(__file__).parent
ON_SOCKETS = {
    HERE / "test_bounded_waits.py",  # read timeouts that must cut a wait short
    HERE / "test_shared_backoff.py",  # request start times through a recording HTTP backend
    HERE / "test_slow_body.py",  # bodies that drip over a socket
    HERE / "test_secrets.py",  # what the key reaches, urllib3's debug logs included
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_sockets = {str(path) for path in ON_SOCKETS}  # called with the whole session's items
    for item in items:
        if str(item.path) in on_sockets:
            item.add_marker(pytest.mark.segments_backend("http"))


@pytest.fixture(scope="session")
def soak_full(request: pytest.FixtureRequest) -> bool:
    flag = bool(request.config.getoption("--soak-full", default=False))
    return flag or os.environ.get("SEGMENTS_SOAK_FULL", "") not in ("", "0")


@pytest.fixture
def emulator_server(
    segments_emulator: Union[EmulatorServer, InProcessBackend],
) -> Iterator[Union[EmulatorServer, InProcessBackend]]:
    """The emulator, wiped: faults, limits and state never leak between tests."""
    segments_emulator.emulator.release_delay = 0.05
    yield segments_emulator
    assert segments_emulator.emulator.stats.internal_errors == 0


@pytest.fixture
def no_leaked_threads() -> Iterator[None]:
    """Fail if the test leaves behind a thread it started (clients must close cleanly).

    Ask for it after ``emulator_server``: the session's server thread is not the test's.
    """
    before = set(threading.enumerate())
    yield
    deadline = threading.Event()
    for _ in range(50):  # threads may take a moment to notice they are done
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not extra:
            return
        deadline.wait(0.1)
    raise AssertionError(f"threads outlived the test: {[t.name for t in extra]}")
