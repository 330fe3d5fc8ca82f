"""A POST that is idempotent by its semantics (``samples_bulk``) is replayed when its answer
was lost; every other POST still is not (it might create twice)."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from http_fakes import FakeBackend, connection_dropped, read_timeout
from yarl import URL

from segments_orm import exceptions as errors
from segments_orm._transport import Transport

URL_ = URL("https://api.segments.ai/datasets/jane/flowers/samples_bulk/")
MakeTransport = Callable[..., Transport]


@pytest.mark.parametrize("failure", [connection_dropped, read_timeout])
def test_replayable_post_is_retried_after_a_lost_answer(
    make_transport: MakeTransport, adapter: FakeBackend, failure: Any
) -> None:
    transport = make_transport()
    adapter.fail(failure())
    adapter.reply(502, json={"detail": "502 Bad Gateway"})
    adapter.reply(201, json=[{"name": "a"}])
    answer = transport.request("POST", URL_, json_body=[{"name": "a"}], replayable=True)
    assert answer == [{"name": "a"}]
    assert [s.method for s in adapter.sent] == ["POST", "POST", "POST"]
    assert adapter.sent[2].json() == [{"name": "a"}]  # the same body each time


def test_a_plain_post_is_still_not_replayed(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    transport = make_transport()
    adapter.fail(connection_dropped())
    adapter.reply(201, json=[{"name": "a"}])
    with pytest.raises(errors.NetworkError):
        transport.request("POST", URL_, json_body=[{"name": "a"}])
    assert len(adapter.sent) == 1


def test_replayable_false_stops_even_a_get(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    transport = make_transport()
    adapter.fail(connection_dropped())
    adapter.reply(200, json={})
    with pytest.raises(errors.NetworkError):
        transport.request("GET", URL_, replayable=False)
    assert len(adapter.sent) == 1


def test_replays_stay_within_max_attempts(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    transport = make_transport(max_attempts=3)
    for _ in range(3):
        adapter.fail(connection_dropped())
    with pytest.raises(errors.NetworkError):
        transport.request("POST", URL_, json_body=[], replayable=True)
    assert len(adapter.sent) == 3
