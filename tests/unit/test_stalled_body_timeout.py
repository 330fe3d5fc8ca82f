"""A server that sends the headers and then stalls: requests reports the read timeout as a
``ConnectionError``; the SDK must still call it a `TimeoutError` (and retry a GET)."""

from __future__ import annotations

from typing import Callable

import pytest
import requests
import urllib3.exceptions
from http_fakes import FakeAdapter, connection_dropped
from yarl import URL

from segments_orm import exceptions as errors
from segments_orm._transport import Transport

URL_ = URL("https://api.segments.ai/datasets/jane/flowers/")


def stalled_body() -> requests.ConnectionError:
    # What requests raises from Response.content when the body read times out.
    return requests.ConnectionError(
        urllib3.exceptions.ReadTimeoutError(None, "/x", "Read timed out.")  # type: ignore[arg-type]
    )


def test_a_stalled_body_is_a_timeout(
    make_transport: Callable[..., Transport], adapter: FakeAdapter
) -> None:
    transport = make_transport(max_attempts=2)
    adapter.fail(stalled_body())
    adapter.fail(stalled_body())
    with pytest.raises(errors.TimeoutError) as caught:
        transport.request("GET", URL_)
    assert "Timed out reading the answer" in str(caught.value)
    assert len(adapter.sent) == 2  # a GET is retried after it


def test_a_reset_connection_is_still_a_network_error(
    make_transport: Callable[..., Transport], adapter: FakeAdapter
) -> None:
    transport = make_transport(max_attempts=1)
    adapter.fail(connection_dropped())
    with pytest.raises(errors.NetworkError) as caught:
        transport.request("GET", URL_)
    assert not isinstance(caught.value, errors.TimeoutError)


def test_a_stalled_post_is_a_timeout_and_not_replayed(
    make_transport: Callable[..., Transport], adapter: FakeAdapter
) -> None:
    transport = make_transport()
    adapter.fail(stalled_body())
    with pytest.raises(errors.TimeoutError):
        transport.request("POST", URL_, json_body={"name": "x"})
    assert len(adapter.sent) == 1
