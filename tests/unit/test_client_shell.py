"""The `Client`: quiet construction, configuration from the environment, the key kept secret."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import pytest
import requests
from http_fakes import SECRET_KEY, FakeBackend, FakeTime, assert_no_secret

from segments_orm import exceptions as errors
from segments_orm._transport import PROTOCOL_VERSION, RetryPolicy
from segments_orm.client import Client


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEGMENTS_API_KEY", raising=False)
    monkeypatch.delenv("SEGMENTS_API_URL", raising=False)


@pytest.fixture
def no_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the client sent a request")

    monkeypatch.setattr(requests.Session, "request", refuse)
    monkeypatch.setattr(requests.Session, "send", refuse)


@pytest.mark.usefixtures("no_requests")
def test_construction_makes_no_request_and_prints_nothing(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        client = Client(api_key=SECRET_KEY)
    assert capsys.readouterr() == ("", "")
    assert caplog.records == []
    client.close()


@pytest.mark.usefixtures("no_requests")
def test_environment_variables_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGMENTS_API_KEY", SECRET_KEY)
    monkeypatch.setenv("SEGMENTS_API_URL", "http://127.0.0.1:8765/api/")
    client = Client()
    assert str(client.api_url.root) == "http://127.0.0.1:8765/api/"
    assert client.transport._credential.authorization() == f"APIKey {SECRET_KEY}"
    client.close()


@pytest.mark.usefixtures("no_requests")
def test_arguments_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGMENTS_API_KEY", "from-env")
    monkeypatch.setenv("SEGMENTS_API_URL", "http://127.0.0.1:1/")
    client = Client(api_key=SECRET_KEY, api_url="https://example.com/")
    assert str(client.api_url.root) == "https://example.com/"
    assert client.transport._credential.authorization() == f"APIKey {SECRET_KEY}"
    client.close()


@pytest.mark.usefixtures("no_requests")
def test_default_url() -> None:
    with Client(api_key=SECRET_KEY) as client:
        assert str(client.api_url.root) == "https://api.segments.ai/"


@pytest.mark.usefixtures("no_requests")
@pytest.mark.parametrize("env", [None, "", "   "])
def test_missing_key_says_how_to_fix_it(monkeypatch: pytest.MonkeyPatch, env: Any) -> None:
    if env is not None:
        monkeypatch.setenv("SEGMENTS_API_KEY", env)
    with pytest.raises(errors.AuthenticationError) as caught:
        Client()
    message = str(caught.value)
    assert "SEGMENTS_API_KEY" in message
    assert "api_key=" in message


@pytest.mark.usefixtures("no_requests")
@pytest.mark.parametrize(
    "bad_key",
    [
        SECRET_KEY + "\n",
        " " + SECRET_KEY,
        SECRET_KEY[:8] + "\t" + SECRET_KEY[8:],
        SECRET_KEY + "\x00",
    ],
)
def test_key_with_whitespace_refused_without_echo(bad_key: str) -> None:
    with pytest.raises(errors.AuthenticationError) as caught:
        Client(api_key=bad_key)
    assert_no_secret(caught.value)
    assert_no_secret(caught.value, secret=SECRET_KEY[:12])
    assert "newline" in str(caught.value)


@pytest.mark.usefixtures("no_requests")
def test_key_of_wrong_type_refused() -> None:
    with pytest.raises(errors.AuthenticationError, match="bytes"):
        Client(api_key=SECRET_KEY.encode())  # type: ignore[arg-type]


@pytest.mark.usefixtures("no_requests")
@pytest.mark.parametrize(
    "arguments",
    [
        {"timeout": None},
        {"timeout": 0},
        {"timeout": -5},
        {"timeout": (5, 0)},
        {"max_workers": 0},
        {"max_workers": True},
        {"retry": {"max_attempts": 3}},
        {"api_url": "http://api.segments.ai/"},
        {"api_url": "not a url"},
    ],
)
def test_bad_arguments_refused(arguments: dict[str, Any]) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        Client(api_key=SECRET_KEY, **arguments)
    assert_no_secret(caught.value)


@pytest.mark.usefixtures("no_requests")
def test_insecure_http_when_asked() -> None:
    with Client(api_key=SECRET_KEY, api_url="http://lab.internal/", allow_insecure_http=True) as c:
        assert str(c.api_url.root) == "http://lab.internal/"


@pytest.mark.usefixtures("no_requests")
def test_repr_shows_url_never_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGMENTS_API_KEY", SECRET_KEY)
    client = Client(api_url="http://127.0.0.1:8765/")
    assert "http://127.0.0.1:8765/" in repr(client)
    assert SECRET_KEY not in repr(client)
    assert SECRET_KEY not in str(client)
    assert SECRET_KEY not in repr(client.transport)
    assert SECRET_KEY not in repr(client.api_url)
    assert SECRET_KEY not in repr(vars(client).get("_transport"))
    client.close()


def test_context_manager_closes(adapter: FakeBackend, fake_time: FakeTime) -> None:
    with Client(api_key=SECRET_KEY, backend=adapter) as client:
        pass
    with pytest.raises(errors.NetworkError, match="closed"):
        client.ping()
    assert adapter.sent == []


def test_timeout_and_retry_reach_the_transport(adapter: FakeBackend, fake_time: FakeTime) -> None:
    policy = RetryPolicy(max_attempts=2, sleep=fake_time.sleep, clock=fake_time.clock)
    with Client(api_key=SECRET_KEY, timeout=(2, 9), retry=policy, backend=adapter) as client:
        adapter.reply(503, json={"detail": "down"})
        adapter.reply(200, json={})
        client.ping()
    assert [s.timeout for s in adapter.sent] == [(2.0, 9.0), (2.0, 9.0)]
    assert client.transport.retry is policy


def test_ping_calls_api_status(adapter: FakeBackend, fake_time: FakeTime) -> None:
    with Client(
        api_key=SECRET_KEY, api_url="http://127.0.0.1:8765/api/", backend=adapter
    ) as client:
        adapter.reply(200, json={"status": "ok"})
        adapter.reply(200, b"")
        assert client.ping() == {"status": "ok"}
        assert client.ping() == {}
    sent = adapter.sent[0]
    assert sent.method == "GET"
    assert sent.url == f"http://127.0.0.1:8765/api/api_status/?lib_version={PROTOCOL_VERSION}"
    assert sent.headers["Authorization"] == f"APIKey {SECRET_KEY}"


def test_ping_426_is_a_warning(adapter: FakeBackend, fake_time: FakeTime) -> None:
    with Client(api_key=SECRET_KEY, backend=adapter) as client:
        adapter.reply(426, json={"detail": "Upgrade your library."})
        with pytest.warns(UserWarning, match="upgrade") as record:
            assert client.ping() == {}
    assert SECRET_KEY not in str(record[0].message)


def test_ping_401_raises_authentication_error(adapter: FakeBackend, fake_time: FakeTime) -> None:
    with Client(api_key=SECRET_KEY, backend=adapter) as client:
        adapter.reply(401, json={"detail": "Invalid token."})
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(errors.AuthenticationError, match=r"Invalid token\.") as caught:
                client.ping()
    assert caught.value.status_code == 401
    assert_no_secret(caught.value)


def test_secret_never_in_errors_or_logs(
    adapter: FakeBackend, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    from http_fakes import connection_dropped, read_timeout

    policy = RetryPolicy(max_attempts=3, sleep=fake_time.sleep, clock=fake_time.clock)
    raised: list[BaseException] = []
    with (
        caplog.at_level(logging.DEBUG, logger="segments_orm"),
        Client(api_key=SECRET_KEY, retry=policy, backend=adapter) as client,
    ):
        answers = [
            lambda: adapter.reply(401, json={"detail": "Invalid token."}),
            lambda: adapter.reply(
                403, json={"detail": "Authentication credentials were not provided."}
            ),
            lambda: adapter.reply(500, "<html><title>Server Error (500)</title></html>"),
            lambda: (
                adapter.fail(read_timeout()),
                adapter.fail(read_timeout()),
                adapter.fail(read_timeout()),
            ),
            lambda: (
                adapter.fail(connection_dropped()),
                adapter.reply(429, json={}),
                adapter.reply(504, b""),
            ),
        ]
        for queue in answers:
            queue()
            with pytest.raises(errors.SegmentsError) as caught:
                client.ping()
            raised.append(caught.value)
    assert len(raised) == 5
    for error in raised:
        assert_no_secret(error)
    assert any("Retrying" in r.getMessage() for r in caplog.records)
    assert SECRET_KEY not in caplog.text
