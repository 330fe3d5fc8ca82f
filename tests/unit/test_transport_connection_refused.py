"""A refused connection to this machine fails at once, saying what to check and how to
start the emulator; elsewhere a refused connection is retried as before."""

from __future__ import annotations

from typing import Callable

import pytest
from http_fakes import FakeBackend, FakeTime, connection_refused
from yarl import URL

from segments_orm import exceptions as errors
from segments_orm._transport import Transport


@pytest.mark.parametrize(
    "root", ["http://127.0.0.1:8765/", "http://localhost:5000/api/", "http://[::1]:8000/"]
)
def test_nothing_listening_here_fails_on_the_first_attempt_with_the_fix(
    make_transport: Callable[..., Transport], adapter: FakeBackend, fake_time: FakeTime, root: str
) -> None:
    transport = make_transport(api_url=root)
    for _ in range(5):
        adapter.fail(connection_refused())
    url = URL(root) / "user"
    with pytest.raises(errors.NetworkError) as caught:
        transport.request("GET", url)
    assert len(adapter.sent) == 1  # no retry storm
    assert fake_time.sleeps == []
    message = str(caught.value)
    assert str(url) in message  # the cause: where nothing listens
    assert "SEGMENTS_API_URL" in message
    assert "api_url=" in message
    assert "segments-orm emulator" in message
    assert "Connection refused" in message


def test_a_refused_connection_elsewhere_is_still_retried(
    make_transport: Callable[..., Transport], adapter: FakeBackend
) -> None:
    transport = make_transport(max_attempts=3)
    for _ in range(3):
        adapter.fail(connection_refused())
    with pytest.raises(errors.NetworkError) as caught:
        transport.request("GET", URL("https://api.segments.ai/user"))
    assert len(adapter.sent) == 3
    assert "could not connect" in str(caught.value)
    assert "segments-orm emulator" not in str(caught.value)
