"""What is retried, how long the waits are, and where retrying stops.

Every schedule is exact: sleep, clock and the jitter's random source are injected.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

import pytest
from http_fakes import (
    SECRET_KEY,
    FakeBackend,
    FakeTime,
    assert_no_secret,
    connect_timeout,
    connection_dropped,
    connection_refused,
    read_timeout,
)
from yarl import URL

from segments_orm import ConnectionFailed
from segments_orm import exceptions as errors
from segments_orm._transport import RetryPolicy, Transport

URL_ = URL("https://api.segments.ai/datasets/jane/flowers/samples/")
MakeTransport = Callable[..., Transport]


def throttled(adapter: FakeBackend, retry_after: str | None = None) -> None:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    adapter.reply(429, json={"detail": "Request was throttled."}, headers=headers)


# ---- the policy's own arithmetic -------------------------------------------------------


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(backoff=0.5, max_backoff=3.0, jitter=0.0)
    assert [policy.backoff_delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_draws_within_the_fraction() -> None:
    low = RetryPolicy(backoff=1.0, jitter=0.5, random=lambda: 0.0)
    high = RetryPolicy(backoff=1.0, jitter=0.5, random=lambda: 0.999999)
    assert low.backoff_delay(1) == 0.5
    assert high.backoff_delay(1) == pytest.approx(1.0, abs=1e-5)


def test_retry_after_wins_over_backoff_and_is_capped() -> None:
    policy = RetryPolicy(backoff=0.5, jitter=0.0, max_retry_after=10.0)
    assert policy.delay(1, 4.0) == 4.0
    assert policy.delay(1, 120.0) == 10.0
    assert policy.delay(1, None) == 0.5


@pytest.mark.parametrize(
    "arguments",
    [
        {"max_attempts": 0},
        {"backoff": -1},
        {"total": float("inf")},
        {"max_retry_after": float("nan")},
        {"jitter": 1.5},
    ],
)
def test_policy_refuses_nonsense(arguments: dict[str, Any]) -> None:
    with pytest.raises(errors.ValidationError):
        RetryPolicy(**arguments)


def test_none_policy_never_retries(make_transport: MakeTransport, adapter: FakeBackend) -> None:
    transport = make_transport(retry=RetryPolicy.none())
    adapter.reply(503, json={"detail": "down"})
    with pytest.raises(errors.ServerError):
        transport.request("GET", URL_)
    assert len(adapter.sent) == 1


# ---- schedules through the transport ---------------------------------------------------


def test_exact_schedule_with_jitter(
    make_transport: MakeTransport, adapter: FakeBackend, fake_time: FakeTime
) -> None:
    # backoff 0.5 doubling; jitter 0.5 with random() = 0.5 keeps 75 % of each step.
    transport = make_transport(backoff=0.5, jitter=0.5, random=lambda: 0.5, max_attempts=5)
    for _ in range(4):
        adapter.reply(503, json={"detail": "Service unavailable"})
    adapter.reply(200, json={"ok": True})

    assert transport.request("GET", URL_) == {"ok": True}
    assert fake_time.sleeps == [0.375, 0.75, 1.5, 3.0]
    assert len(adapter.sent) == 5


def test_max_attempts_respected(
    make_transport: MakeTransport, adapter: FakeBackend, fake_time: FakeTime
) -> None:
    transport = make_transport(max_attempts=3, jitter=0.0, backoff=1.0)
    for _ in range(5):
        adapter.reply(502, "<html><title>502 Bad Gateway</title></html>")
    with pytest.raises(errors.ServerError) as caught:
        transport.request("GET", URL_)
    assert caught.value.status_code == 502
    assert len(adapter.sent) == 3
    assert fake_time.sleeps == [1.0, 2.0]


def test_retry_after_is_honoured_and_capped(
    make_transport: MakeTransport, adapter: FakeBackend, fake_time: FakeTime
) -> None:
    transport = make_transport(max_retry_after=10.0, jitter=0.0)
    throttled(adapter, "3")
    throttled(adapter, "120")
    adapter.reply(200, json=[])
    assert transport.request("GET", URL_) == []
    assert fake_time.sleeps == [3.0, 10.0]


def test_retry_after_as_http_date(
    make_transport: MakeTransport, adapter: FakeBackend, fake_time: FakeTime, monkeypatch: Any
) -> None:
    import email.utils
    import time as time_module

    wall = 1_700_000_000.0
    monkeypatch.setattr(time_module, "time", lambda: wall)
    transport = make_transport(jitter=0.0)
    throttled(adapter, email.utils.formatdate(wall + 4, usegmt=True))
    adapter.reply(200, json={})
    transport.request("GET", URL_)
    assert fake_time.sleeps == [pytest.approx(4.0)]


def test_total_bound_stops_retrying(
    make_transport: MakeTransport, adapter: FakeBackend, fake_time: FakeTime
) -> None:
    # Waits would be 1, 2, 4...: after the first wait (1 s) the next (2 s) would end at
    # 3 s, past the 2.5 s budget, so it is not started.
    transport = make_transport(total=2.5, backoff=1.0, jitter=0.0, max_attempts=10)
    for _ in range(10):
        adapter.reply(503, json={"detail": "down"})
    with pytest.raises(errors.ServerError):
        transport.request("GET", URL_)
    assert fake_time.sleeps == [1.0]
    assert len(adapter.sent) == 2


def test_total_bound_counts_time_spent_in_requests(
    make_transport: MakeTransport, adapter: FakeBackend, fake_time: FakeTime
) -> None:
    transport = make_transport(total=5.0, backoff=1.0, jitter=0.0, max_attempts=10)

    def slow(request: Any) -> None:
        fake_time.now += 4.5  # the server took 4.5 s to answer 503

    adapter.before = slow
    adapter.reply(503, json={"detail": "down"})
    with pytest.raises(errors.ServerError):
        transport.request("GET", URL_)
    assert fake_time.sleeps == []


# ---- which failures are retried, per method --------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("status", [502, 503, 504])
def test_replayable_methods_retry_gateway_errors(
    make_transport: MakeTransport, adapter: FakeBackend, method: str, status: int
) -> None:
    transport = make_transport()
    adapter.reply(status, "<html><title>oops</title></html>")
    adapter.reply(200, json={"ok": 1})
    assert transport.request(method, URL_, json_body={"a": 1}) == {"ok": 1}
    assert [s.method for s in adapter.sent] == [method, method]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize(
    "failure", [connection_refused, connection_dropped, read_timeout, connect_timeout]
)
def test_replayable_methods_retry_connection_errors(
    make_transport: MakeTransport, adapter: FakeBackend, method: str, failure: Any
) -> None:
    transport = make_transport()
    adapter.fail(failure())
    adapter.reply(200, json={"ok": 1})
    assert transport.request(method, URL_) == {"ok": 1}
    assert len(adapter.sent) == 2


@pytest.mark.parametrize(
    ("failure", "expected"),
    [(read_timeout, errors.TimeoutError), (connection_dropped, errors.NetworkError)],
)
def test_post_not_retried_when_it_may_have_arrived(
    make_transport: MakeTransport, adapter: FakeBackend, failure: Any, expected: type
) -> None:
    # The server may have created the object: replaying could create it twice.
    transport = make_transport()
    adapter.fail(failure())
    adapter.reply(201, json={"uuid": "second"})
    with pytest.raises(expected) as caught:
        transport.request("POST", URL_, json_body={"name": "a"})
    assert len(adapter.sent) == 1
    assert caught.value.status_code is None
    assert caught.value.method == "POST"
    assert_no_secret(caught.value)


@pytest.mark.parametrize("failure", [connection_refused, connect_timeout])
def test_post_retried_when_it_never_left(
    make_transport: MakeTransport, adapter: FakeBackend, failure: Any
) -> None:
    transport = make_transport()
    adapter.fail(failure())
    adapter.reply(201, json={"uuid": "u"})
    assert transport.request("POST", URL_, json_body={"name": "a"}) == {"uuid": "u"}
    assert len(adapter.sent) == 2


def test_post_retried_after_429(make_transport: MakeTransport, adapter: FakeBackend) -> None:
    transport = make_transport()
    throttled(adapter, "1")
    adapter.reply(201, json={"uuid": "u"})
    assert transport.request("POST", URL_, json_body={"name": "a"}) == {"uuid": "u"}
    assert len(adapter.sent) == 2


def test_post_retried_after_503_with_retry_after(
    make_transport: MakeTransport, adapter: FakeBackend, fake_time: FakeTime
) -> None:
    transport = make_transport()
    adapter.reply(503, json={"detail": "busy"}, headers={"Retry-After": "2"})
    adapter.reply(201, json={"uuid": "u"})
    assert transport.request("POST", URL_, json_body={"name": "a"}) == {"uuid": "u"}
    assert fake_time.sleeps == [2.0]


@pytest.mark.parametrize(("status", "headers"), [(502, {}), (503, {}), (504, {})])
def test_post_not_retried_after_gateway_errors(
    make_transport: MakeTransport, adapter: FakeBackend, status: int, headers: dict[str, str]
) -> None:
    transport = make_transport()
    adapter.reply(status, "<html><title>gateway</title></html>", headers=headers)
    adapter.reply(201, json={"uuid": "u"})
    with pytest.raises(errors.SegmentsError) as caught:
        transport.request("POST", URL_, json_body={"name": "a"})
    assert caught.value.status_code == status
    assert len(adapter.sent) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 500])
def test_other_statuses_are_not_retried(
    make_transport: MakeTransport, adapter: FakeBackend, status: int
) -> None:
    transport = make_transport()
    adapter.reply(status, json={"detail": "no"})
    with pytest.raises(errors.SegmentsError):
        transport.request("GET", URL_)
    assert len(adapter.sent) == 1


def test_429_exhausted_raises_api_limit_error(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    transport = make_transport(max_attempts=2)
    throttled(adapter, "1")
    throttled(adapter, "1")
    with pytest.raises(errors.APILimitError) as caught:
        transport.request("GET", URL_)
    assert caught.value.retry_after == 1.0
    assert caught.value.status_code == 429


# ---- the shared 429 gate ---------------------------------------------------------------


def test_429_makes_the_next_request_wait(
    make_transport: MakeTransport, adapter: FakeBackend, fake_time: FakeTime
) -> None:
    transport = make_transport(max_attempts=1)
    throttled(adapter, "3")
    with pytest.raises(errors.APILimitError):
        transport.request("GET", URL_)
    assert fake_time.sleeps == []

    adapter.reply(200, json={"ok": 1})
    assert transport.request("GET", URL_) == {"ok": 1}
    assert fake_time.sleeps == [3.0]


def test_gate_past_the_budget_fails_fast(
    make_transport: MakeTransport, adapter: FakeBackend, fake_time: FakeTime
) -> None:
    transport = make_transport(max_attempts=1, total=5.0, max_retry_after=30.0)
    throttled(adapter, "20")
    with pytest.raises(errors.APILimitError):
        transport.request("GET", URL_)
    with pytest.raises(errors.APILimitError):
        transport.request("GET", URL_)
    assert len(adapter.sent) == 1
    assert fake_time.sleeps == []


# ---- logging ---------------------------------------------------------------------------


def test_each_retry_logged_at_info_without_the_key(
    make_transport: MakeTransport, adapter: FakeBackend, caplog: pytest.LogCaptureFixture
) -> None:
    transport = make_transport(jitter=0.0)
    adapter.reply(503, json={"detail": "down"})
    throttled(adapter, "1")
    adapter.fail(connection_dropped())
    adapter.reply(200, json={})
    with caplog.at_level(logging.DEBUG, logger="segments_orm"):
        transport.request("GET", URL_)

    retries = [
        r for r in caplog.records if r.name == "segments_orm" and "Retrying" in r.getMessage()
    ]
    assert [r.levelno for r in retries] == [logging.INFO] * 3
    assert "attempt 2 of 5" in retries[0].getMessage()
    assert "HTTP 503" in retries[0].getMessage()
    assert "HTTP 429" in retries[1].getMessage()
    assert "NetworkError" in retries[2].getMessage()
    for record in caplog.records:
        assert SECRET_KEY not in record.getMessage()
    assert SECRET_KEY not in caplog.text


def test_one_jitter_draw_per_retry_after_429(
    make_transport: MakeTransport, adapter: FakeBackend, fake_time: FakeTime
) -> None:
    # A 429 without Retry-After closes the shared gate for the backoff delay; the wait
    # must be that same delay, not the larger of two independent jitter draws.
    draws = iter([0.2, 0.4, 0.9, 0.9])
    transport = make_transport(backoff=1.0, jitter=1.0, random=lambda: next(draws))
    throttled(adapter)
    throttled(adapter)
    adapter.reply(200, json={})
    transport.request("GET", URL_)
    assert fake_time.sleeps == [0.2, 0.8]


@pytest.mark.parametrize("reached", [False, True])
def test_requests_that_cannot_succeed_as_sent_are_not_retried(
    make_transport: MakeTransport, adapter: FakeBackend, fake_time: FakeTime, reached: bool
) -> None:
    # A malformed URL or header, a redirect loop (which the requests backend reports as
    # kind "invalid", see test_transport_requests_backend.py) fail the same way every
    # time: retrying only burns the time budget, and the message must not claim the
    # connection was lost.
    transport = make_transport()
    adapter.fail(
        ConnectionFailed(
            "TooManyRedirects: Exceeded 30 redirects.", kind="invalid", reached_server=reached
        )
    )
    adapter.reply(200, json={})
    with pytest.raises(errors.NetworkError) as caught:
        transport.request("GET", URL_)
    assert len(adapter.sent) == 1
    assert fake_time.sleeps == []
    assert "connection was lost" not in str(caught.value)
    assert "cannot succeed as sent" in str(caught.value)
    assert isinstance(caught.value.cause, ConnectionFailed)
