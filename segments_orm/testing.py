"""Pytest fixtures for testing code that talks to Segments.ai, against the local emulator.

The plugin is registered as the ``segments_orm`` ``pytest11`` entry point, so installing the
package makes these fixtures available in every test suite:

- ``segments_emulator``: an emulator with a fresh state (only the ``demo`` user) for every
  test, with ``.emulator`` (the `segments_orm.emulator.Emulator`: faults, counters,
  accounts), ``.url`` and ``.api_key``. One emulator is made per session and wiped between
  tests, which keeps each test fast. A test marked ``@pytest.mark.segments_keep_state``
  gets it as the previous test left it.
- ``segments_client``: a `segments_orm.Client` bound to that emulator with the demo user's
  key, closed after the test.

Two backends, chosen per run or per test:

- ``http`` (the default): a real `segments_orm.emulator.EmulatorServer` on 127.0.0.1, for
  code that talks HTTP by other means (``requests``, the platform's own client).
- ``inprocess``: a `segments_orm.emulator.InProcessBackend`, the emulator called in the
  test's own thread with no socket; faults behave as over HTTP. Any `segments_orm.Client`
  or `segments_orm.SegmentsClient` made with ``segments_emulator.url`` uses it.

Choose with ``--segments-backend=inprocess`` on the command line, ``segments_backend =
inprocess`` in the ini file, or ``@pytest.mark.segments_backend("http")`` on a test (the
marker wins, then the command line, then the ini file).

pytest imports this module in every run, so it must stay cheap: werkzeug, sqlite and the
emulator are imported only inside the fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Union

import pytest

if TYPE_CHECKING:
    from segments_orm.emulator import EmulatorServer, InProcessBackend

__all__ = [
    "BACKENDS",
    "pytest_addoption",
    "pytest_configure",
    "segments_backend",
    "segments_client",
    "segments_emulator",
]

KEEP_STATE_MARKER = "segments_keep_state"
BACKEND_MARKER = "segments_backend"
#: The values of ``--segments-backend``, the ``segments_backend`` ini option and marker.
BACKENDS = ("http", "inprocess")

Handle = Union["EmulatorServer", "InProcessBackend"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare ``--segments-backend`` and the ``segments_backend`` ini option."""
    help_text = "how segments_emulator serves: 'http' (a local server) or 'inprocess'"
    parser.getgroup("segments-orm").addoption(
        "--segments-backend", choices=BACKENDS, default=None, help=help_text
    )
    parser.addini("segments_backend", help_text, default="http")


def pytest_configure(config: pytest.Config) -> None:
    """Register the plugin's markers, so that ``--strict-markers`` accepts them."""
    config.addinivalue_line(
        "markers",
        f"{KEEP_STATE_MARKER}: give segments_emulator without wiping the previous test's state",
    )
    config.addinivalue_line(
        "markers",
        f"{BACKEND_MARKER}(name): serve segments_emulator over 'http' or 'inprocess' for this test",
    )


@pytest.fixture
def segments_backend(request: pytest.FixtureRequest) -> str:
    """Give the backend this test's emulator uses: ``"http"`` or ``"inprocess"``."""
    marker = request.node.get_closest_marker(BACKEND_MARKER)
    if marker is not None:
        chosen = marker.args[0] if marker.args else marker.kwargs.get("name")
        where = "the segments_backend marker"
    else:
        chosen = request.config.getoption("--segments-backend", default=None)
        where = "--segments-backend"
        if chosen is None:
            chosen = request.config.getini("segments_backend")
            where = "the segments_backend ini option"
    if chosen not in BACKENDS:
        raise pytest.UsageError(f"{where}: expected one of {BACKENDS}, got {chosen!r}")
    return str(chosen)


@pytest.fixture(scope="session")
def _segments_emulator_http() -> Iterator[EmulatorServer]:
    """Start one emulator server for the whole session and stop it at the end."""
    from segments_orm.emulator import EmulatorServer

    with EmulatorServer() as server:
        yield server


@pytest.fixture(scope="session")
def _segments_emulator_inprocess() -> Iterator[InProcessBackend]:
    """Make one in-process emulator for the whole session and close it at the end."""
    from segments_orm.emulator import InProcessBackend

    with InProcessBackend() as backend:
        yield backend


@pytest.fixture
def segments_emulator(request: pytest.FixtureRequest, segments_backend: str) -> Handle:
    """Give an emulator whose state holds only the demo user.

    Faults, the rate limit and the counters are cleared as well, so a test that sets them
    does not leak into the next one, unless the test is marked ``segments_keep_state``.
    """
    handle: Handle = request.getfixturevalue(f"_segments_emulator_{segments_backend}")
    if request.node.get_closest_marker(KEEP_STATE_MARKER) is None:
        handle.emulator.reset()
    return handle


@pytest.fixture
def segments_client(segments_emulator: Handle) -> Iterator[Any]:
    """Give a `segments_orm.Client` authenticated as the emulator's demo user."""
    from segments_orm.client import Client

    client = Client(api_key=segments_emulator.api_key, api_url=segments_emulator.url)
    try:
        yield client
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()
