"""Fixtures for driving the platform's own client (segments-ai) against the emulator.

The emulator is the plugin's ``segments_emulator``, always over HTTP here: the platform's
client speaks requests, and these tests compare what goes on the wire.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from segments_orm.emulator import EmulatorServer

segments = pytest.importorskip("segments")

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Called with the whole session's items: a string test, not Path.parents for each.
    here = str(HERE) + os.sep
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.segments_backend("http"))


@pytest.fixture
def server(segments_emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    segments_emulator.emulator.release_delay = 0.05
    yield segments_emulator
    assert segments_emulator.emulator.stats.internal_errors == 0


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[segments.SegmentsClient]:
    """A segments-ai client authenticated as the demo user (it calls /api_status/ now)."""
    client = segments.SegmentsClient(api_key=server.api_key, api_url=server.url)
    yield client
    client.close()
