"""The API key is in no traceback, with locals, of any error: not in a frame of ours, not
in an error kept as a cause or context (requests' errors carry the prepared request and,
for a redirect loop, every answer and its request). And ``~/.netrc`` is never read, on the
first request or on a redirect.

Every error is real: a local HTTP server answers each way (4xx, 5xx, a redirect loop, a
body that does not decode), or a socket refuses, stalls or speaks no TLS.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

import pytest
from hung_servers import HungServer

import segments_orm as so
from segments_orm.emulator import InProcessBackend

KEY = "sk-live-3b9f1c7e2a5d4e8f9a0b1c2d3e4f5a6b"


class Served:
    """A loopback HTTP server answering every request with ``answer(handler)``."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler], None]) -> None:
        self.seen: list[dict[str, str]] = []
        served = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                served.seen.append(dict(self.headers.items()))
                answer(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        # shutdown() waits for serve_forever to look at its flag, which it does once per
        # poll interval: the default half second was most of every test here.
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> Served:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


def reply(status: int, body: bytes, **headers: str) -> Callable[[BaseHTTPRequestHandler], None]:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def shown(error: BaseException) -> str:
    """Everything a traceback with locals shows of ``error``, its chain and its ``cause``."""
    texts = []
    stack: list[Any] = [error]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        exception = traceback.TracebackException.from_exception(item, capture_locals=True)
        texts.append("".join(exception.format()))
        texts.append(repr(vars(item)))
        stack += [item.__cause__, item.__context__, getattr(item, "cause", None)]
    return "\n".join(texts)


def failure_of(call: Callable[[], Any]) -> so.SegmentsError:
    try:
        call()
    except so.SegmentsError as error:
        return error
    raise AssertionError("expected an error")


@contextlib.contextmanager
def client_for(url: str, **options: Any) -> Iterator[so.Client]:
    options.setdefault("retry", so.RetryPolicy.none())
    with so.Client(api_key=KEY, api_url=url, **options) as client:
        yield client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_error(status: int) -> so.SegmentsError:
    with Served(reply(status, b'{"detail": "no"}', Content_Type="application/json")) as s:
        with client_for(s.url) as client:
            return failure_of(client.users.me)


def refused() -> so.SegmentsError:
    with client_for(f"http://127.0.0.1:{free_port()}/") as client:
        return failure_of(client.users.me)


def ssl() -> so.SegmentsError:
    with Served(reply(200, b"{}")) as s, client_for(s.url.replace("http:", "https:")) as client:
        return failure_of(client.users.me)


def timeout() -> so.SegmentsError:
    with HungServer("headers") as hung, client_for(hung.url, timeout=0.2) as client:
        return failure_of(client.users.me)


def redirect_loop() -> so.SegmentsError:
    with Served(reply(302, b"", Location="/user")) as s, client_for(s.url) as client:
        error = failure_of(client.users.me)
        assert len(s.seen) > 5
        assert all(h.get("Authorization") for h in s.seen)
        return error


def not_json() -> so.SegmentsError:
    with Served(reply(200, b"<html>", Content_Type="text/html")) as s, client_for(s.url) as c:
        return failure_of(c.users.me)


def bad_gzip() -> so.SegmentsError:
    with Served(reply(200, b"not gzip at all", Content_Encoding="gzip")) as s:
        with client_for(s.url) as client:
            return failure_of(client.users.me)


def dropped_in_process() -> so.SegmentsError:
    with InProcessBackend() as backend:
        key = backend.emulator.add_user("jane")
        backend.emulator.faults = so_faults(drop_rate=1.0)
        with so.Client(api_key=key, api_url=backend.url, retry=so.RetryPolicy.none()) as client:
            error = failure_of(client.users.me)
        assert key not in shown(error)
        return error


def so_faults(**kwargs: Any) -> Any:
    from segments_orm.emulator import Faults

    return Faults(**kwargs)


KINDS: dict[str, tuple[Callable[[], so.SegmentsError], type]] = {
    "401": (lambda: http_error(401), so.AuthenticationError),
    "404": (lambda: http_error(404), so.NotFoundError),
    "500": (lambda: http_error(500), so.ServerError),
    "503": (lambda: http_error(503), so.ServerError),
    "connection refused": (refused, so.NetworkError),
    "ssl": (ssl, so.NetworkError),
    "timeout": (timeout, so.TimeoutError),
    "redirect loop": (redirect_loop, so.NetworkError),
    "not json": (not_json, so.NetworkError),
    "decode error": (bad_gzip, so.NetworkError),
    "dropped in-process": (dropped_in_process, so.NetworkError),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_no_traceback_with_locals_shows_the_key(kind: str) -> None:
    make, expected = KINDS[kind]
    error = make()
    assert isinstance(error, expected), repr(error)
    text = shown(error)
    assert "Traceback" in text
    assert "self = " in text
    assert KEY not in text


@pytest.fixture
def netrc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Passwords for every host these tests talk to: requests would send them as Basic auth.
    entries = "".join(
        f"machine {host} login someone password hunter2\n" for host in ("127.0.0.1", "localhost")
    )
    path = tmp_path / "netrc"
    path.write_text(entries)
    path.chmod(0o600)
    monkeypatch.setenv("NETRC", str(path))


@pytest.mark.usefixtures("netrc")
def test_netrc_is_never_sent_on_a_redirect_or_for_a_file() -> None:
    with Served(reply(200, b"{}", Content_Type="application/json")) as target:
        # The API on "localhost" redirects to another host, where requests would drop the
        # key and then look the new host up in ~/.netrc.
        elsewhere = target.url + "user"
        with Served(reply(302, b"", Location=elsewhere)) as api:
            with client_for(api.url.replace("127.0.0.1", "localhost")) as client:
                assert client.ping() == {}
                client.transport.download(target.url + "file.png")
        assert api.seen[0]["Authorization"] == f"APIKey {KEY}"
        assert len(target.seen) == 2
        assert all("Authorization" not in headers for headers in target.seen), target.seen
