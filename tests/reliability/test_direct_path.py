"""The requests backend's direct path over a real socket: cookies and redirects.

The direct path (tests/unit/test_requests_backend_direct.py) skips ``Session.request``;
what the session does after an answer must still happen: keep the cookies it sets and send
them back, follow redirects for GET (by the session's own code), and not follow them
otherwise.
"""

from __future__ import annotations

import gzip
import http.server
import threading
from collections.abc import Iterator
from typing import Any, Optional
from unittest import mock

import pytest
import urllib3.response

from segments_orm import BackendRequest
from segments_orm._backend import Credential
from segments_orm._requests_backend import RequestsBackend


def backend_request(
    url: str, method: str = "PUT", body: Optional[bytes] = b"{}", follow: bool = False
) -> BackendRequest:
    return BackendRequest(
        method,
        url,
        headers={"User-Agent": "segments-orm/test"},
        body=body,
        timeout=(5.0, 10.0),
        follow_redirects=follow,
        credential=Credential("sk-direct-sockets"),
        deadline=float("inf"),
        clock=lambda: 0.0,
    )


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        seen = self.headers.get("Cookie") or ""
        if self.path.startswith("/chunked") or self.path.startswith("/gzip"):
            self._special()
            return
        if self.path.startswith("/moved"):
            self.send_response(302)
            self.send_header("Location", "/final/")
            body = b""
        else:
            self.send_response(200)
            body = f'{{"path": "{self.path}", "cookie": "{seen}"}}'.encode()
        if self.path.startswith("/login"):
            self.send_header("Set-Cookie", "session=abc; Path=/")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _special(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.path.startswith("/gzip"):
            body = gzip.compress(b'{"coded": true}')
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in (b'{"chunked":', b" true}"):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def do_GET(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_cookies_an_answer_sets_are_kept_and_sent_back(local_server: str) -> None:
    backend = RequestsBackend()
    try:
        first = backend.send(backend_request(f"{local_server}/login/", "GET", None))
        assert first.status_code == 200
        assert backend.session.cookies.get("session") == "abc"
        again = backend.send(backend_request(f"{local_server}/labels/x/", "PUT"))
        assert b'"cookie": "session=abc"' in again.content
    finally:
        backend.close()


@pytest.mark.parametrize("follow", [True, False])
def test_redirects_are_followed_by_the_sessions_own_code(local_server: str, follow: bool) -> None:
    backend = RequestsBackend()
    try:
        with mock.patch.object(
            RequestsBackend, "_send_by_session", side_effect=AssertionError("not direct")
        ):
            answer = backend.send(
                backend_request(f"{local_server}/moved/", "GET", None, follow=follow)
            )
        if follow:
            final = b'{"path": "/final/", "cookie": ""}'
            assert (answer.status_code, answer.content) == (200, final)
        else:
            assert (answer.status_code, answer.headers["Location"]) == (302, "/final/")
    finally:
        backend.close()


def test_answers_are_read_whole_and_connections_reused(local_server: str) -> None:
    # A body of known length stops at its last byte; chunked and gzipped ones at the end.
    backend = RequestsBackend()
    try:
        read1 = urllib3.response.HTTPResponse.read1
        with mock.patch.object(
            urllib3.response.HTTPResponse, "read1", autospec=True, side_effect=read1
        ) as reads:
            for _ in range(3):
                got = backend.send(backend_request(f"{local_server}/labels/x/"))
                assert got.content == b'{"path": "/labels/x/", "cookie": ""}'
        assert reads.call_count == 3  # no read only to find the end
        got = backend.send(backend_request(f"{local_server}/chunked/", "GET", None))
        assert got.content == b'{"chunked": true}'
        got = backend.send(backend_request(f"{local_server}/gzip/", "GET", None))
        assert got.content == b'{"coded": true}'
        adapter = backend.session.get_adapter(local_server)
        manager = adapter.poolmanager
        (pool,) = (manager.pools[key] for key in manager.pools.keys())  # noqa: SIM118 - no iter
        # Each answer gave its connection back: one connection served all five.
        assert (pool.num_connections, pool.num_requests) == (1, 5)
    finally:
        backend.close()
