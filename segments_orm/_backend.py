"""The transport seam: what a backend is given, what it answers, and how it fails.

`segments_orm._transport.Transport` owns the policy (retries, the 429 gate, the time budget,
decoding, error mapping); a backend only moves one request and its answer. Two exist:
`segments_orm._requests_backend.RequestsBackend` (HTTP over sockets, the only module that
imports requests or urllib3) and `segments_orm.emulator.InProcessBackend` (the emulator's
WSGI application called directly). Anything with a ``send`` and a ``close`` of these
shapes can be given to ``Client(backend=...)``.

This module imports nothing heavy: ``import segments_orm`` loads it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Callable, Optional, Protocol, Union, runtime_checkable

__all__ = [
    "Backend",
    "BackendRequest",
    "BackendResponse",
    "ConnectionFailed",
    "Credential",
    "Headers",
    "inprocess_backend_for",
    "register_inprocess",
    "unregister_inprocess",
]

Timeout = Union[float, tuple[float, float]]


class Credential:
    """Holds the API key; only a backend reads it, at the moment it writes the header.

    Its repr, ``vars()`` (there is none: slots) and pickling never show the key, and no
    frame of ours keeps the header value in a local variable: backends call
    `authorization` inside the expression that stores the header.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def __bool__(self) -> bool:
        return bool(self._value)

    def authorization(self) -> str:
        """Return the ``Authorization`` header value (never store it in a variable)."""
        return "APIKey " + self._value

    def __repr__(self) -> str:
        return "<secret>"

    def __reduce__(self) -> str:
        raise TypeError("the API key cannot be pickled")


class Headers(Mapping[str, str]):
    """Read-only, case-insensitive HTTP headers (the last value of a repeated name wins)."""

    __slots__ = ("_items",)

    def __init__(self, items: Union[Mapping[str, str], Iterable[tuple[str, str]]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._items: dict[str, tuple[str, str]] = {k.lower(): (k, v) for k, v in pairs}

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


class BackendRequest:
    """One request, as the transport hands it to a backend.

    Attributes:
        method: The HTTP method, upper case.
        url: The absolute URL, already encoded; sent byte for byte.
        headers: Every header to send except ``Authorization``.
        body: The encoded body, or None.
        timeout: Seconds to connect and to read (or one number for both).
        follow_redirects: Follow redirects (GET and HEAD only).
        credential: When set, the backend sends ``Authorization`` from it, and drops it on a
            redirect to another origin. None for files and uploads.
        deadline: The `clock` time by which the whole answer must have arrived; past it the
            backend raises `ConnectionFailed` with kind ``"budget"``.
        clock: The monotonic clock the deadline is on.
    """

    __slots__ = (
        "body",
        "clock",
        "credential",
        "deadline",
        "follow_redirects",
        "headers",
        "method",
        "timeout",
        "url",
    )

    def __init__(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: Optional[bytes],
        timeout: Timeout,
        follow_redirects: bool,
        credential: Optional[Credential],
        deadline: float,
        clock: Callable[[], float],
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.follow_redirects = follow_redirects
        self.credential = credential
        self.deadline = deadline
        self.clock = clock

    def __repr__(self) -> str:
        return f"<BackendRequest {self.method} {self.url}>"


class BackendResponse:
    """An answer, whatever its status, with its whole body read.

    Attributes:
        status_code: The HTTP status.
        headers: The answer's headers.
        content: The body, decoded from any ``Content-Encoding``.
    """

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: Headers, content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    def __repr__(self) -> str:
        return f"<BackendResponse {self.status_code}>"


#: The ways a request can get no answer.
KINDS = ("connect", "lost", "timeout", "budget", "invalid")


class ConnectionFailed(Exception):  # noqa: N818 - a failure, not a bug
    """The request got no answer; the one error a backend raises.

    Args:
        detail: What happened, for the error message (never a header or a body).
        kind: ``"connect"`` (no connection could be opened), ``"lost"`` (the connection
            broke or was closed without an answer), ``"timeout"`` (connecting or reading
            took longer than the timeout), ``"budget"`` (the answer was still arriving at
            the request's deadline), ``"invalid"`` (the request cannot succeed as sent:
            a malformed URL or header, a redirect loop; never worth retrying).
        reached_server: False only when the request provably never reached the server's
            application (the connection could not be opened); True when it may have.
    """

    def __init__(self, detail: str, *, kind: str, reached_server: bool) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
        super().__init__(detail)
        self.detail = detail
        self.kind = kind
        self.reached_server = reached_server

    def __repr__(self) -> str:
        return (
            f"ConnectionFailed({self.detail!r}, kind={self.kind!r}, "
            f"reached_server={self.reached_server!r})"
        )


@runtime_checkable
class Backend(Protocol):
    """Moves one request to a server and its answer back.

    A backend applies no policy: no retries, no status mapping. It must honour the
    request's timeout and deadline, send ``Authorization`` only from the request's
    credential, and raise nothing but `ConnectionFailed` for a request that got no answer.
    It is called from many threads at once.
    """

    def send(self, request: BackendRequest) -> BackendResponse:
        """Send ``request`` and return the answer, or raise `ConnectionFailed`."""
        ...

    def close(self) -> None:
        """Release the backend's connections; safe to call twice."""
        ...


# Backends that serve a URL in this process (`segments_orm.emulator.InProcessBackend`), by
# origin: a client made for that URL without ``backend=`` uses the one registered here, so
# code that builds its own clients from a URL runs in-process too.
_inprocess: dict[str, Backend] = {}
_inprocess_lock = threading.Lock()


def _origin_key(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme.lower()}://{rest.split('/', 1)[0].lower()}"


def register_inprocess(url: str, backend: Backend) -> None:
    """Route clients made for ``url``'s origin (without a backend) to ``backend``."""
    with _inprocess_lock:
        _inprocess[_origin_key(url)] = backend


def unregister_inprocess(url: str, backend: Backend) -> None:
    """Stop routing ``url``'s origin to ``backend``."""
    with _inprocess_lock:
        if _inprocess.get(_origin_key(url)) is backend:
            del _inprocess[_origin_key(url)]


def inprocess_backend_for(url: str) -> Optional[Backend]:
    """Return the backend registered for ``url``'s origin, if any."""
    with _inprocess_lock:
        return _inprocess.get(_origin_key(url))
