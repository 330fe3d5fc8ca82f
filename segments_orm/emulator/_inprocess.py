"""`InProcessBackend`: the emulator's WSGI application called directly, with no socket.

A `segments_orm.Client` (or a `SegmentsClient`) made for the backend's URL sends every
request through it: the transport's retries, rate-limit waits, timeouts and error mapping
run exactly as over HTTP, and the emulator's faults map onto the same failures a socket
gives (`segments_orm.ConnectionFailed`):

======================  ==============================================================
fault                   what the client sees
======================  ==============================================================
latency                 the answer comes late; past the read timeout it is a timeout
                        (the request was handled: the client gave up, not the server)
429 / 5xx               the same answers, headers and bodies
``drop``                the connection lost, no answer (it may have reached the server)
``drop_after_commit``   the same, after the write happened
======================  ==============================================================
"""

from __future__ import annotations

import gzip
import io
import itertools
import sys
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

from segments_orm._backend import (
    BackendRequest,
    BackendResponse,
    ConnectionFailed,
    Credential,
    Headers,
    register_inprocess,
    unregister_inprocess,
)
from segments_orm.emulator._app import Emulator, SeedData

if TYPE_CHECKING:
    from segments_orm.client import Client

__all__ = ["InProcessBackend"]

# requests' own limit, so that a redirect loop fails the same way on both backends.
_MAX_REDIRECTS = 30
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_numbers = itertools.count(1)


class _Environ(dict):  # type: ignore[type-arg]
    """A WSGI environ whose repr never shows its headers (one holds the API key)."""

    def __repr__(self) -> str:
        return f"<WSGI environ {self.get('REQUEST_METHOD')} {self.get('REQUEST_URI')}>"


class InProcessBackend:
    """Serve a client's requests by calling an `Emulator` in the calling thread.

    No port, no server thread: each request is one function call, so a test suite pays
    only for the emulator's own work. Any `Client` made with ``api_url=backend.url``
    (while the backend is open) goes through it, even one built by code under test that
    knows nothing of backends; ``Client(backend=backend)`` says so explicitly.

    Use it as a context manager, or call `close`::

        with InProcessBackend() as backend:
            client = backend.client()          # the demo user's key, backend.url
            client.datasets.create("flowers", task_type="bboxes")

    Args:
        emulator: The emulator to serve; a new one (in memory) by default.
        db: With no ``emulator``: ``":memory:"`` or an SQLite file path.
        seed: With no ``emulator``: accounts to create (see `Emulator.load_seed`).
        release_delay: With no ``emulator``: seconds a new release stays PENDING.
    """

    def __init__(
        self,
        emulator: Optional[Emulator] = None,
        *,
        db: str = ":memory:",
        seed: Optional[SeedData] = None,
        release_delay: float = 0.2,
    ) -> None:
        self._owns_emulator = emulator is None
        self.emulator = (
            emulator
            if emulator is not None
            else Emulator(db, release_delay=release_delay, seed=seed)
        )
        # A name under .localhost (RFC 6761) is this machine: the client accepts plain http
        # to it, and nothing else will ever answer there.
        self.url = f"http://emulator-{next(_numbers)}.localhost/"
        parts = urlsplit(self.url)
        self._origin = (parts.scheme, parts.netloc)
        self._host = parts.hostname or ""
        self._lock = threading.Lock()
        self._open = True
        register_inprocess(self.url, self)

    @property
    def api_key(self) -> str:
        """The demo user's API key."""
        return self.emulator.api_key

    def client(self, api_key: Optional[str] = None, **options: Any) -> Client:
        """Return a `Client` on this backend (the demo user's key by default).

        Args:
            api_key: Another user's key (from `Emulator.add_user`).
            **options: Other `Client` arguments (``retry=``, ``timeout=``, ...).
        """
        from segments_orm.client import Client

        key = self.api_key if api_key is None else api_key
        return Client(api_key=key, api_url=self.url, backend=self, **options)

    def __repr__(self) -> str:
        return f"<InProcessBackend {self.url}>"

    def __enter__(self) -> InProcessBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop routing `url` here; close the emulator if this backend created it.

        A client closing does not close the backend: clients share it.
        """
        with self._lock:
            if not self._open:
                return
            self._open = False
        unregister_inprocess(self.url, self)
        if self._owns_emulator:
            self.emulator.close()

    def send(self, request: BackendRequest) -> BackendResponse:
        """Serve ``request`` by calling the emulator, following redirects if asked.

        Raises:
            ConnectionFailed: A dropped connection (a fault), a read timeout (a latency
                fault longer than the timeout), the deadline passed, a URL that is not
                the emulator's, or a redirect loop.
        """
        started = time.monotonic()
        method, url, body = request.method, request.url, request.body
        credential = request.credential
        for _ in range(_MAX_REDIRECTS + 1):
            status, headers, content = self._call(method, url, request.headers, body, credential)
            location = headers.get("Location")
            if not (request.follow_redirects and status in _REDIRECTS and location):
                break
            target = urljoin(url, location)
            if urlsplit(target)[:2] != urlsplit(url)[:2]:
                credential = None  # requests drops the key on a change of origin too
            if status == 303 and method != "HEAD":
                method, body = "GET", None
            url = target
        else:
            raise ConnectionFailed(
                f"TooManyRedirects: exceeded {_MAX_REDIRECTS} redirects",
                kind="invalid",
                reached_server=True,
            )
        read_timeout = request.timeout[1] if isinstance(request.timeout, tuple) else request.timeout
        if time.monotonic() - started > read_timeout:
            raise ConnectionFailed(
                f"ReadTimeoutError: the emulator took longer than the read timeout "
                f"({read_timeout:g} s) to answer",
                kind="timeout",
                reached_server=True,
            )
        if request.clock() > request.deadline:
            raise ConnectionFailed(
                "the answer was still arriving at the deadline", kind="budget", reached_server=True
            )
        return BackendResponse(status, headers, content)

    def _call(
        self,
        method: str,
        url: str,
        headers: Any,
        body: Optional[bytes],
        credential: Optional[Credential],
    ) -> tuple[int, Headers, bytes]:
        parts = urlsplit(url)
        if not self._open:
            raise ConnectionFailed(
                "ConnectionRefusedError: the in-process emulator backend is closed",
                kind="connect",
                reached_server=False,
            )
        if (parts.scheme, parts.netloc) != self._origin:
            raise ConnectionFailed(
                f"NewConnectionError: {parts.netloc} is not served by the in-process emulator "
                f"({self.url})",
                kind="connect",
                reached_server=False,
            )
        data = body or b""
        target = parts.path + ("?" + parts.query if parts.query else "")
        environ = _Environ(
            {
                "REQUEST_METHOD": method,
                "SCRIPT_NAME": "",
                "PATH_INFO": unquote_to_bytes(parts.path).decode("latin-1"),
                "QUERY_STRING": parts.query,
                "REQUEST_URI": target,
                "RAW_URI": target,
                "SERVER_NAME": self._host,
                "SERVER_PORT": "80",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "REMOTE_ADDR": "127.0.0.1",
                "HTTP_HOST": parts.netloc,
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": parts.scheme,
                "wsgi.input": io.BytesIO(data),
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": True,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
            }
        )
        if body is not None:
            environ["CONTENT_LENGTH"] = str(len(data))
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value
            else:
                environ["HTTP_" + key] = value
        if credential:
            environ["HTTP_AUTHORIZATION"] = credential.authorization()
        answer: list[Any] = []

        def start_response(status: str, response_headers: Any, exc_info: Any = None) -> Any:
            answer[:] = [int(status.split(" ", 1)[0]), response_headers]
            return lambda chunk: None

        dropped = False
        try:
            chunks: Iterable[bytes] = self.emulator(environ, start_response)
            try:
                content = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except ConnectionError:
            # The emulator hangs up on a drop fault by raising out of the application.
            dropped = True
        # Raised outside the except block: the emulator's frames stay out of the error.
        if dropped:
            raise ConnectionFailed(
                "RemoteDisconnected: the emulator closed the connection without an answer",
                kind="lost",
                reached_server=True,
            )
        status, response_headers = answer
        answer_headers = Headers(response_headers)
        if answer_headers.get("Content-Encoding", "").lower() == "gzip":
            content = gzip.decompress(content)
        return status, answer_headers, content
