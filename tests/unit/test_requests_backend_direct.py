"""The requests backend's direct path sends what requests' whole path would send.

For a plain session, the backend prepares the request itself and hands it to the mounted
adapter, skipping ``Session.request``; its adapter finds the pool of a plain URL by a key
derived once. Each test runs both paths and compares them: the prepared request (method,
URL, headers in order, body, cookies, hooks), the settings the adapter gets, the pool it
picks (cookies and redirects, over a real socket: tests/reliability/test_direct_path.py).
A session changed in a way only requests knows takes requests' own path.
"""

from __future__ import annotations

import itertools
import random
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional
from unittest import mock

import pytest
import requests
import requests.adapters

from segments_orm import BackendRequest
from segments_orm._backend import Credential
from segments_orm._requests_backend import RequestsBackend, _prepared_url

KEY = "sk-direct-0a1b2c3d4e5f"


def backend_request(
    url: str, method: str = "PUT", body: Optional[bytes] = b'{"a":1}', follow: bool = False
) -> BackendRequest:
    return BackendRequest(
        method,
        url,
        headers={"User-Agent": "segments-orm/test", "X-source": "python-sdk", "Content-Type": "x"},
        body=body,
        timeout=(5.0, 30.0),
        follow_redirects=follow,
        credential=Credential(KEY),
        deadline=float("inf"),
        clock=lambda: 0.0,
    )


class Recorded:
    def __init__(self) -> None:
        self.calls: list[tuple[requests.PreparedRequest, dict[str, Any]]] = []


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    """Answer 200 ``{}`` from the adapter; keep each prepared request and its settings."""
    seen = Recorded()

    def send(self: Any, prepared: requests.PreparedRequest, **kwargs: Any) -> Any:
        seen.calls.append((prepared, kwargs))
        response = requests.Response()
        response.status_code = 200
        response._content = b"{}"
        response.url = prepared.url or ""
        response.request = prepared
        return response

    with mock.patch.object(requests.adapters.HTTPAdapter, "send", send):
        yield seen


def both_paths(
    backend: RequestsBackend, recorded: Recorded, request: BackendRequest
) -> tuple[tuple[Any, dict[str, Any]], tuple[Any, dict[str, Any]], bool]:
    """Send ``request`` by the direct path, then by requests' own; return both records."""
    with mock.patch.object(
        RequestsBackend, "_send_by_session", side_effect=AssertionError("not direct")
    ):
        try:
            backend.send(request)
            direct = True
        except AssertionError:
            direct = False
    if not direct:
        backend.send(request)  # direct declined: this one went by requests' path
    with mock.patch.object(RequestsBackend, "_send_direct", return_value=None):
        backend.send(request)
    return recorded.calls[-2], recorded.calls[-1], direct


def assert_same(a: tuple[Any, dict[str, Any]], b: tuple[Any, dict[str, Any]]) -> None:
    (pa, ka), (pb, kb) = a, b
    assert (pa.method, pa.url, pa.body) == (pb.method, pb.url, pb.body)
    assert list(pa.headers.items()) == list(pb.headers.items())  # the order too
    assert pa.hooks == pb.hooks
    assert [_cookie(c) for c in pa._cookies] == [_cookie(c) for c in pb._cookies]
    assert type(pa._cookies) is type(pb._cookies)
    assert ka == kb


def _cookie(cookie: Any) -> tuple[Any, ...]:
    return (cookie.name, cookie.value, cookie.domain, cookie.path)


URLS = [
    "http://127.0.0.1:8765/labels/0b5c1d2e-3f4a/ground-truth/",
    "https://api.segments.ai/datasets/jane/flowers/samples/?page=2&per_page=1000",
    "https://api.segments.ai/datasets/jane/fl%C3%B6wers/?labelset=a%2Cb",
    "HTTPS://API.segments.ai/x/./y/",  # not plain: requests' preparation changes it
    "https://api.segments.ai/x/%7Ey/?q=%zz#frag",
]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
@pytest.mark.parametrize("body", [None, b"", b'{"a":1}'], ids=["none", "empty", "json"])
def test_the_direct_path_prepares_what_requests_prepares(
    recorded: Recorded, url: str, method: str, body: Optional[bytes]
) -> None:
    backend = RequestsBackend()
    direct, session, took = both_paths(backend, recorded, backend_request(url, method, body))
    assert took
    assert_same(direct, session)
    assert direct[0].headers["Authorization"] == f"APIKey {KEY}"


def test_session_settings_apply_on_the_direct_path(
    recorded: Recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "storage.example")
    backend = RequestsBackend()
    session = backend.session
    session.headers["X-Team"] = "vision"
    session.headers["Accept-Encoding"] = None  # None unsets a session header
    session.verify = False
    session.cert = ("client.pem", "client.key")
    session.cookies.set("seen", "1", domain="api.segments.ai", path="/")
    direct, plain, took = both_paths(backend, recorded, backend_request(URLS[1]))
    assert took
    assert_same(direct, plain)
    assert direct[0].headers["Cookie"] == "seen=1"
    assert "Accept-Encoding" not in direct[0].headers
    assert direct[1]["proxies"]["https"] == "http://proxy.example:3128"


def _hook(response: Any, **kwargs: Any) -> Any:
    return response


@pytest.mark.parametrize(
    "change",
    ["hooks", "params", "auth", "wrapped send", "another session", "file body"],
)
def test_a_session_changed_beyond_plain_takes_requests_path(
    recorded: Recorded, change: str
) -> None:
    backend = RequestsBackend()
    session = backend.session
    request = backend_request(URLS[0])
    if change == "hooks":
        session.hooks["response"].append(_hook)
    elif change == "params":
        session.params = {"team": "vision"}
    elif change == "auth":
        session.auth = ("someone", "pw")
    elif change == "wrapped send":
        session.send = mock.Mock(wraps=session.send)  # type: ignore[method-assign]
    elif change == "another session":
        backend.session = requests.Session()
    else:
        request.body = bytearray(b"{}")  # type: ignore[assignment]
    _, _, took = both_paths(backend, recorded, request)
    assert not took
    if change == "hooks":
        # requests' path runs the session's hooks (merged into the prepared request).
        assert recorded.calls[-1][0].hooks["response"] == [_hook]
    if change == "params":
        assert recorded.calls[-1][0].url.endswith("?team=vision")


def test_a_plain_url_is_exactly_what_requests_would_prepare() -> None:
    # Random URLs over the characters that matter: whenever the backend keeps a URL as
    # it is, requests' preparation leaves it unchanged too.
    rng = random.Random(13)
    alphabet = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/?%#[] \"<>^`{|}\\"
    hosts = ["api.segments.ai", "127.0.0.1:8765", "localhost:0", "h:99999", "a..b", "x-.y"]
    kept = 0
    for _ in range(4000):
        scheme = rng.choice(["http", "https", "HTTP"])
        tail = "".join(rng.choice(alphabet + "%2F%7e%41%C3") for _ in range(rng.randint(0, 24)))
        url = f"{scheme}://{rng.choice(hosts)}/{tail}"
        expected = requests.PreparedRequest()
        try:
            expected.prepare_url(url, None)
        except (requests.exceptions.RequestException, ValueError):
            continue
        ours = _prepared_url(url)
        assert ours == expected.url, url
        kept += ours == url
    assert kept > 200  # the shortcut was taken often, not only the fallback


def test_the_adapter_picks_the_pool_requests_would_pick(tmp_path: Path) -> None:
    local_server = "http://127.0.0.1:8765"
    backend = RequestsBackend()
    adapter = backend.session.get_adapter(local_server)
    base = requests.adapters.HTTPAdapter
    try:
        for url in (f"{local_server}/a/", "https://api.segments.ai/b/?x=1", f"{local_server}/#f"):
            prepared = requests.Request("GET", url).prepare()
            for verify, cert in itertools.product(
                (True, False, str(tmp_path), str(tmp_path / "bundle.pem")),
                (None, "client.pem", ("client.pem", "client.key")),
            ):
                for proxies in ({}, {"no": "storage.example"}, {"https": "http://proxy:1"}):
                    ours = adapter.get_connection_with_tls_context(prepared, verify, proxies, cert)
                    theirs = base.get_connection_with_tls_context(
                        adapter, prepared, verify, proxies, cert
                    )
                    assert ours is theirs
                    assert adapter.request_url(prepared, proxies) == base.request_url(
                        adapter, prepared, proxies
                    )
        # A bundle path that was a file and is now a directory: another pool, as requests'.
        bundle = tmp_path / "swapped"
        bundle.write_text("")
        prepared = requests.Request("GET", f"{local_server}/a/").prepare()
        as_file = adapter.get_connection_with_tls_context(prepared, str(bundle), {})
        bundle.unlink()
        bundle.mkdir()
        as_dir = adapter.get_connection_with_tls_context(prepared, str(bundle), {})
        assert as_dir is not as_file
        assert as_dir is base.get_connection_with_tls_context(adapter, prepared, str(bundle), {})
        # A pool closed since (the manager cleared) is made again, as requests would.
        prepared = requests.Request("GET", f"{local_server}/a/").prepare()
        before = adapter.get_connection_with_tls_context(prepared, True, {})
        adapter.poolmanager.clear()
        after = adapter.get_connection_with_tls_context(prepared, True, {})
        assert after is not before
        assert after is base.get_connection_with_tls_context(adapter, prepared, True, {})
        # The manager's own settings changed: the key is derived again.
        adapter.poolmanager.connection_pool_kw["maxsize"] = 3
        changed = adapter.get_connection_with_tls_context(prepared, True, {})
        assert changed is not after
        assert changed is base.get_connection_with_tls_context(adapter, prepared, True, {})
    finally:
        backend.close()


def test_headers_are_checked_as_requests_checks_them(recorded: Recorded) -> None:
    from segments_orm import ConnectionFailed

    backend = RequestsBackend()
    bad = backend_request(URLS[0])
    bad.headers = {**bad.headers, "X-Bad": "one\r\nInjected: yes"}
    for _ in range(2):  # refused each time: a bad pair is never remembered as checked
        with pytest.raises(ConnectionFailed) as caught:
            backend.send(bad)
        assert caught.value.kind == "invalid"
    assert recorded.calls == []
    # A bytes name or value is converted or checked as requests does, on either path.
    backend.session.headers[b"X-Bytes"] = b"v"  # type: ignore[index]
    direct, plain, took = both_paths(backend, recorded, backend_request(URLS[0]))
    assert took
    assert_same(direct, plain)
