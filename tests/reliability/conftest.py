"""Fixtures and options of the reliability tests (faults, hung servers, bad input, secrets).

``--soak-full`` (or ``SEGMENTS_SOAK_FULL=1``) runs the fault soak at its full size: 5,000
samples and 50-500 ms of latency per request (about ten minutes on two cores). The default
run is ten times smaller so it fits CI. The option is declared in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest

from segments_orm.emulator import EmulatorServer


@pytest.fixture(scope="session")
def soak_full(request: pytest.FixtureRequest) -> bool:
    flag = bool(request.config.getoption("--soak-full", default=False))
    return flag or os.environ.get("SEGMENTS_SOAK_FULL", "") not in ("", "0")


@pytest.fixture
def emulator_server() -> Iterator[EmulatorServer]:
    """A server of its own for each test: faults and state never leak between tests."""
    with EmulatorServer(release_delay=0.05) as server:
        yield server
        assert server.emulator.stats.internal_errors == 0


@pytest.fixture
def no_leaked_threads() -> Iterator[None]:
    """Fail if the test leaves behind a thread it started (clients must close cleanly)."""
    before = set(threading.enumerate())
    yield
    deadline = threading.Event()
    for _ in range(50):  # threads may take a moment to notice they are done
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not extra:
            return
        deadline.wait(0.1)
    raise AssertionError(f"threads outlived the test: {[t.name for t in extra]}")
