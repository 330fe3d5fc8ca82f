"""Fixtures shared by the unit tests.

Unit tests never open a socket: the autouse ``_no_sockets`` fixture makes any attempt fail
loudly, and every transport under test has a `http_fakes.FakeBackend` as its backend.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any, Callable, Optional

import pytest
from http_fakes import API_ROOT, SECRET_KEY, FakeBackend, FakeTime

from segments_orm._transport import RetryPolicy, Transport
from segments_orm._urls import ApiUrl


@pytest.fixture(autouse=True)
def _no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a unit test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def adapter() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def make_transport(adapter: FakeBackend, fake_time: FakeTime) -> Iterator[Callable[..., Transport]]:
    """Build a `Transport` whose backend is ``adapter``, sleeping on ``fake_time``.

    The jitter is fixed at 0.5.

    Keyword arguments go to `RetryPolicy` (``retry=`` replaces it whole) and to `Transport`
    (``timeout=``, ``api_url=``, ``api_key=``).
    """
    made: list[Transport] = []

    def build(
        *,
        retry: Optional[RetryPolicy] = None,
        api_url: str = API_ROOT,
        api_key: str = SECRET_KEY,
        timeout: Any = (5.0, 60.0),
        **policy: Any,
    ) -> Transport:
        if retry is None:
            policy.setdefault("random", lambda: 0.5)
            retry = RetryPolicy(sleep=fake_time.sleep, clock=fake_time.clock, **policy)
        transport = Transport(
            api_key, ApiUrl(api_url), timeout=timeout, retry=retry, backend=adapter
        )
        made.append(transport)
        return transport

    yield build
    for transport in made:
        transport.close()
