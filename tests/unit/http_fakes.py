"""The one fake of the unit tests: a `FakeBackend` given to the transport, a fake clock.

`FakeBackend` sits where a real backend does (``Client(backend=...)``), so everything above
it runs for real (URL building, encoding, the retry policy, the 429 gate, decoding, error
mapping) while no connection is ever opened. It answers in two ways, mixed freely:

- routes (``on``, ``paged``): canned JSON or a handler per method and path, the route added
  last winning (for the ORM's tests, which care about what is asked, not in which order);
- a queue (``reply``, ``fail``): the next answers in order, for requests no route matches
  (for the transport's tests, which care about each attempt).

Every request is recorded in ``sent`` (also ``calls``), with the ``Authorization`` header
the credential would give, so tests assert where the key goes.
"""

from __future__ import annotations

import gzip
import json as json_module
import threading
from typing import Any, Callable, Optional, Union
from urllib.parse import parse_qsl, urlsplit

from segments_orm import BackendRequest, BackendResponse, ConnectionFailed
from segments_orm._backend import Headers

# A key that looks real; tests assert it never leaks into reprs, logs or errors.
SECRET_KEY = "sk-unit-7f3a9c1e5b2d4f60a8e1c3b5d7f9a2c4"
API_ROOT = "https://api.segments.ai/"


class Sent:
    """One request the fake backend received.

    Attributes:
        method, url, path, query: What was asked (``query`` parsed into a dict).
        headers: The headers, with ``Authorization`` as the credential would write it.
        raw: The body bytes as sent (gzipped when sent so), or None.
        body: The body decoded (gunzipped, JSON-decoded) when it is JSON, else ``raw``.
        timeout: The timeout the transport gave.
        request: The `BackendRequest` itself.
    """

    def __init__(self, request: BackendRequest) -> None:
        self.request = request
        self.method = request.method
        self.url = request.url
        parts = urlsplit(request.url)
        self.path = parts.path
        self.query = dict(parse_qsl(parts.query, keep_blank_values=True))
        headers = dict(request.headers)
        if request.credential:
            headers["Authorization"] = request.credential.authorization()
        self.headers = Headers(headers)
        self.timeout = request.timeout
        self.raw = request.body
        self.body: Any = request.body
        if request.body and "json" in self.headers.get("Content-Type", ""):
            data = request.body
            if self.headers.get("Content-Encoding") == "gzip":
                data = gzip.decompress(data)
            self.body = json_module.loads(data)

    def json(self) -> Any:
        data = self.raw or b"null"
        if self.headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        return json_module.loads(data)

    def __repr__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"<Sent {self.method} {self.path}{'?' + query if query else ''}>"


# What a route's handler gets and returns: (status, JSON body), or it raises ConnectionFailed.
Call = Sent
Handler = Callable[[Sent], tuple[int, Any]]
Answer = Union[BaseException, tuple[int, bytes, dict[str, str]]]


class FakeBackend:
    """Answer by route or from a queue; record every request; never open a socket."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self._answers: list[Answer] = []
        self._routes: list[tuple[str, str, dict[str, str], Handler]] = []
        self._lock = threading.Lock()
        #: Called with each request before it is answered (to move a fake clock, say).
        self.before: Optional[Callable[[BackendRequest], None]] = None
        self.closed = False

    @property
    def calls(self) -> list[Sent]:
        return self.sent

    # -- the queue -----------------------------------------------------------------------

    def reply(
        self,
        status: int = 200,
        body: Union[bytes, str, None] = None,
        *,
        json: Any = None,
        headers: Optional[dict[str, str]] = None,
    ) -> FakeBackend:
        """Queue an answer (JSON when ``json`` is given)."""
        all_headers = dict(headers or {})
        if json is not None:
            content = json_module.dumps(json).encode()
            all_headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            content = body.encode()
        else:
            content = body or b""
        with self._lock:
            self._answers.append((status, content, all_headers))
        return self

    def fail(self, error: BaseException) -> FakeBackend:
        """Queue a raised exception (a `ConnectionFailed`, normally) instead of an answer."""
        with self._lock:
            self._answers.append(error)
        return self

    @property
    def pending(self) -> int:
        return len(self._answers)

    # -- routes --------------------------------------------------------------------------

    def on(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        status: int = 200,
        query: Optional[dict[str, str]] = None,
        handler: Optional[Handler] = None,
    ) -> None:
        """Serve ``json`` (or the handler's answer) to ``method path`` with ``query`` in it."""
        if handler is None:
            answer = (status, json)

            def handler(call: Sent) -> tuple[int, Any]:
                return answer

        with self._lock:
            self._routes.append(
                (method.upper(), "/" + path.lstrip("/"), dict(query or {}), handler)
            )

    def paged(self, path: str, items: list[Any], *, past_end: str = "404") -> None:
        """Serve ``items`` page by page, as the API does with ``per_page`` and ``page``.

        ``past_end``: ``"404"`` answers a page past the end with "Invalid page." (as the
        real API does, WIRE.md 10); ``"empty"`` answers ``[]``.
        """

        def handler(call: Sent) -> tuple[int, Any]:
            size = int(call.query["per_page"])
            page = int(call.query["page"])
            chunk = items[(page - 1) * size : page * size]
            if not chunk and page > 1 and past_end == "404":
                return 404, {"detail": "Invalid page."}
            return 200, chunk

        self.on("GET", path, handler=handler)

    def requests_to(self, method: str, path: str) -> list[Sent]:
        path = "/" + path.lstrip("/")
        return [c for c in self.sent if c.method == method and c.path == path]

    def reset_calls(self) -> None:
        with self._lock:
            self.sent.clear()

    # -- the Backend protocol ------------------------------------------------------------

    def send(self, request: BackendRequest) -> BackendResponse:
        call = Sent(request)
        with self._lock:
            self.sent.append(call)
            handler = next(
                (
                    route_handler
                    for method, path, query, route_handler in reversed(self._routes)
                    if method == call.method
                    and path == call.path
                    and all(call.query.get(k) == v for k, v in query.items())
                ),
                None,
            )
            answer = self._answers.pop(0) if handler is None and self._answers else None
        if self.before is not None:
            self.before(request)
        if handler is not None:
            status, body = handler(call)
            content = b"" if body is None else json_module.dumps(body).encode()
            headers = {"Content-Type": "application/json"} if body is not None else {}
            return BackendResponse(status, Headers(headers), content)
        if answer is None:
            raise AssertionError(f"unexpected request: {call!r}")
        if isinstance(answer, BaseException):
            raise answer
        status, content, answer_headers = answer
        return BackendResponse(status, Headers(answer_headers), content)

    def close(self) -> None:
        self.closed = True


class FakeTime:
    """A clock that only moves when slept on, and a record of every sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


# The failures a backend reports, as the requests backend reports them.
def connection_refused() -> ConnectionFailed:
    return ConnectionFailed(
        "NewConnectionError: Failed to establish a new connection: [Errno 111] Connection refused",
        kind="connect",
        reached_server=False,
    )


def connection_dropped() -> ConnectionFailed:
    return ConnectionFailed(
        "ConnectionResetError: [Errno 104] Connection reset by peer",
        kind="lost",
        reached_server=True,
    )


def read_timeout() -> ConnectionFailed:
    return ConnectionFailed(
        "ReadTimeoutError: Read timed out. (read timeout=60)", kind="timeout", reached_server=True
    )


def connect_timeout() -> ConnectionFailed:
    return ConnectionFailed(
        "ConnectTimeoutError: Connection to host timed out.", kind="timeout", reached_server=False
    )


def assert_no_secret(value: Any, secret: str = SECRET_KEY) -> None:
    """Fail if ``secret`` shows in an exception's str, repr, url, body or message."""
    texts = [str(value), repr(value)]
    for name in ("url", "body", "message", "errors"):
        if hasattr(value, name):
            texts.append(str(getattr(value, name)))
    for text in texts:
        assert secret not in text, f"the API key leaked into {type(value).__name__}: {text!r}"
