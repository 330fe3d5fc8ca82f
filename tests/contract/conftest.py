"""Fixtures for driving the platform's own client (segments-ai) against the emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from segments_orm.emulator import EmulatorServer

segments = pytest.importorskip("segments")


@pytest.fixture(scope="session")
def _contract_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(release_delay=0.05) as server:
        yield server


@pytest.fixture
def server(_contract_server: EmulatorServer) -> Iterator[EmulatorServer]:
    _contract_server.emulator.reset()
    yield _contract_server
    assert _contract_server.emulator.stats.internal_errors == 0


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[segments.SegmentsClient]:
    """A segments-ai client authenticated as the demo user (it calls /api_status/ now)."""
    client = segments.SegmentsClient(api_key=server.api_key, api_url=server.url)
    yield client
    client.close()
