"""Pytest fixtures for testing code that talks to Segments.ai, against the local emulator.

The plugin is registered as the ``segments_orm`` ``pytest11`` entry point, so installing the
package makes these fixtures available in every test suite:

- ``segments_emulator``: a running `segments_orm.emulator.EmulatorServer` on 127.0.0.1 with a
  fresh state (only the ``demo`` user) for every test. One server is started per session and
  wiped between tests, which keeps each test fast. A test marked
  ``@pytest.mark.segments_keep_state`` gets the server as the previous test left it.
- ``segments_client``: a `segments_orm.Client` bound to that server with the demo user's key,
  closed after the test.

pytest imports this module in every run, so it must stay cheap: werkzeug, sqlite and the
emulator are imported only inside the fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from segments_orm.emulator import EmulatorServer

__all__ = ["pytest_configure", "segments_client", "segments_emulator"]

KEEP_STATE_MARKER = "segments_keep_state"


def pytest_configure(config: pytest.Config) -> None:
    """Register the plugin's marker, so that ``--strict-markers`` accepts it."""
    config.addinivalue_line(
        "markers",
        f"{KEEP_STATE_MARKER}: give segments_emulator without wiping the previous test's state",
    )


@pytest.fixture(scope="session")
def _segments_emulator_session() -> Iterator[EmulatorServer]:
    """Start one emulator for the whole session and stop it at the end."""
    from segments_orm.emulator import EmulatorServer

    with EmulatorServer() as server:
        yield server


@pytest.fixture
def segments_emulator(
    request: pytest.FixtureRequest, _segments_emulator_session: EmulatorServer
) -> EmulatorServer:
    """Give a running emulator whose state holds only the demo user.

    Faults, the rate limit and the counters are cleared as well, so a test that sets them
    does not leak into the next one, unless the test is marked ``segments_keep_state``.
    """
    if request.node.get_closest_marker(KEEP_STATE_MARKER) is None:
        _segments_emulator_session.emulator.reset()
    return _segments_emulator_session


@pytest.fixture
def segments_client(segments_emulator: EmulatorServer) -> Iterator[Any]:
    """Give a `segments_orm.Client` authenticated as the emulator's demo user."""
    from segments_orm.client import Client

    client = Client(api_key=segments_emulator.api_key, api_url=segments_emulator.url)
    try:
        yield client
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()
