"""The transport: timeouts, retries, the 429 gate, decoding and error mapping.

Everything that crosses the network goes through `Transport.request`, so the rules live
here once. Moving the bytes is a backend's job (`segments_orm._backend`): HTTP through
requests by default, or the emulator in-process; the rules are the same for both.

- Every request has a timeout (connect, read); there is no way to make it infinite.
- The API key travels only to the API's own origin, never to an upload host, a release
  file URL or an asset URL, and never into a log line, a repr or an exception.
- JSON bodies are compact and refuse NaN/Infinity before sending (the platform's client
  sends invalid JSON there, WIRE.md 15.16); the five endpoints the platform gzips
  (WIRE.md 1.3) are gzipped here too.
- `RetryPolicy` decides what is retried and how long to wait; a 429 pauses every thread
  of the client through one shared gate, so more workers never mean more 429s.
- Errors become the classes of `segments_orm.exceptions`, never a raw library error.
"""

from __future__ import annotations

import gzip as gzip_module
import ipaddress
import json
import logging
import math
import random
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Mapping
from typing import Any, Callable, Optional, Union

import attrs
from yarl import URL

from segments_orm._backend import (
    Backend,
    BackendRequest,
    BackendResponse,
    ConnectionFailed,
    Credential,
    inprocess_backend_for,
)
from segments_orm._concurrency import check_cancelled, pause
from segments_orm._urls import ApiUrl
from segments_orm._version import __version__
from segments_orm.exceptions import (
    APILimitError,
    NetworkError,
    SegmentsError,
    TimeoutError,
    ValidationError,
    error_from_response,
)

__all__ = ["PROTOCOL_VERSION", "RetryPolicy", "Timeout", "Transport", "logger"]

logger = logging.getLogger("segments_orm")

# The version of the platform's client whose wire protocol we speak (WIRE.md). The server
# reads it (``/api_status/?lib_version=``, ``Segments-SDK-Version``) to warn old clients.
PROTOCOL_VERSION = "1.33.0"

Timeout = Union[float, tuple[float, float]]
_DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 60.0)
_NO_BODY: Any = object()
# Waits at least this long are logged at WARNING rather than INFO.
_LOUD_WAIT = 5.0
# RFC 9110: these may be replayed. PATCH is added because every PATCH body this SDK sends
# sets absolute values (never increments), so replaying one is harmless.
_REPLAYABLE = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})


def _default_random() -> float:
    return random.random()


@attrs.frozen
class RetryPolicy:
    """When to retry a request and how long to wait, bounded in count and in time.

    Retried: connection failures, 429, 502, 503 and 504, for replayable methods. A POST is
    retried only where it provably did not reach the application: the connection could
    not be opened, or the answer was 429, or 503 with ``Retry-After``. A ``Retry-After``
    from the server is honoured (capped at ``max_retry_after``) before the policy's own
    capped exponential backoff with jitter.

    Attributes:
        max_attempts: Attempts in all, the first included (1 disables retries).
        backoff: The first backoff delay, in seconds; it doubles each retry.
        max_backoff: The cap on one backoff delay.
        jitter: The fraction of each backoff delay drawn at random (0 to 1), so that
            many workers do not retry in lockstep.
        max_retry_after: The cap on a server's ``Retry-After``.
        total: The bound on the time spent in one call, retries and waits included;
            no retry is started that would end past it.
        statuses: The HTTP statuses that are retried.
        sleep: The sleep function (injectable so tests assert exact schedules).
        clock: A monotonic clock, in seconds.
        random: A source of floats in [0, 1) for the jitter.
    """

    max_attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 20.0
    jitter: float = 0.5
    max_retry_after: float = 60.0
    total: float = 180.0
    statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, eq=False, repr=False)
    clock: Callable[[], float] = attrs.field(default=time.monotonic, eq=False, repr=False)
    random: Callable[[], float] = attrs.field(default=_default_random, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        def number(value: Any) -> bool:
            return (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and math.isfinite(value)
            )

        attempts: Any = self.max_attempts
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise ValidationError(f"max_attempts: expected an integer >= 1, got {attempts!r}")
        for name in ("backoff", "max_backoff", "max_retry_after", "total"):
            value = getattr(self, name)
            if not (number(value) and value >= 0):
                raise ValidationError(
                    f"{name}: expected a finite number of seconds >= 0, got {value!r}"
                )
        if not (number(self.jitter) and 0 <= self.jitter <= 1):
            raise ValidationError(
                f"jitter: expected a fraction between 0 and 1, got {self.jitter!r}"
            )
        statuses: Any = self.statuses
        if not isinstance(statuses, (frozenset, set, list, tuple)) or not all(
            isinstance(s, int) and not isinstance(s, bool) and 400 <= s <= 599 for s in statuses
        ):
            raise ValidationError(
                f"statuses: expected a set of HTTP error statuses (400-599), got {statuses!r}"
            )
        object.__setattr__(self, "statuses", frozenset(statuses))
        for name in ("sleep", "clock", "random"):
            if not callable(getattr(self, name)):
                raise ValidationError(f"{name}: expected a function")

    @classmethod
    def none(cls) -> RetryPolicy:
        """Return a policy that never retries."""
        return cls(max_attempts=1)

    def backoff_delay(self, retry_number: int) -> float:
        """Return the policy's own delay before retry ``retry_number`` (1 for the first)."""
        base = min(self.backoff * 2.0 ** (retry_number - 1), self.max_backoff)
        return base * (1 - self.jitter) + base * self.jitter * self.random()

    def delay(self, retry_number: int, retry_after: Optional[float]) -> float:
        """Return the wait before retry ``retry_number``: ``Retry-After`` first, else backoff."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return self.backoff_delay(retry_number)

    def retryable(
        self,
        method: str,
        error: SegmentsError,
        reached_server: bool,
        replayable: Optional[bool] = None,
    ) -> bool:
        """Tell whether a failed attempt may be replayed.

        Args:
            method: The HTTP method.
            error: The error of the attempt (with ``status_code`` when there was an answer).
            reached_server: False when the request provably never reached the server
                (the connection could not be opened).
            replayable: Overrides what the method says (an upload POST is replayable).
        """
        replay = method in _REPLAYABLE if replayable is None else replayable
        status = error.status_code
        if status is None:
            return not reached_server or replay
        if status not in self.statuses:
            return False
        if replay or status == 429:
            return True
        # A 503 with Retry-After is a load shedder's answer: the application never ran.
        return status == 503 and error.retry_after is not None


class _BackoffGate:
    """A point in time before which no request of this client is sent.

    A 429 tells us the whole key is over its limit, not just one thread: every worker
    waits for the same moment instead of each discovering the limit with its own 429.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._until = 0.0

    def close_for(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, self._clock() + seconds)

    def remaining(self) -> float:
        with self._lock:
            return max(0.0, self._until - self._clock())


def _non_finite_path(value: Any, path: str = "") -> Optional[str]:
    if isinstance(value, float) and not math.isfinite(value):
        return path or "(the body)"
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _non_finite_path(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _non_finite_path(item, f"{path}[{index}]")
            if found:
                return found
    return None


if sys.version_info >= (3, 11):

    def _gzip(data: bytes) -> bytes:
        # A gzip member made by zlib in one call: gzip.compress writes the header and
        # trailer in Python (~3 us of the ~18 a small label body costs).
        return zlib.compress(data, 5, wbits=16 + zlib.MAX_WBITS)

else:

    def _gzip(data: bytes) -> bytes:
        return gzip_module.compress(data, compresslevel=5)


# json.dumps with these options builds a new encoder per call; one serves every body.
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def encode_json(payload: Any) -> bytes:
    """Encode a request body as compact JSON, refusing what JSON cannot carry.

    Raises:
        ValidationError: The payload holds NaN or an infinity (the path is named), or a
            value JSON cannot represent.
    """
    try:
        return _ENCODER.encode(payload).encode()
    except ValueError:
        where = _non_finite_path(payload)
        raise ValidationError(
            f"{where}: NaN and infinities cannot be sent (JSON has no such numbers)"
        ) from None
    except TypeError as exc:
        raise ValidationError(f"The request body cannot be encoded as JSON: {exc}") from None


class Transport:
    """Send requests to the API with auth, timeouts, retries and error mapping.

    Args:
        api_key: The API key. It is sent as ``Authorization: APIKey <key>`` to the API's
            origin only.
        api_url: Where the API is.
        timeout: Seconds to connect and to read, or one number for both. Never None.
        retry: The retry policy.
        pool_size: Connections kept open to the API (size it to the bulk workers).
        backend: What sends the requests (`segments_orm._backend.Backend`). By default,
            the in-process emulator registered for the API's URL if there is one, else
            HTTP through requests, created (and requests imported) on first use. A backend
            given here is not closed by `close` (it may be shared); a default one is.
    """

    def __init__(
        self,
        api_key: str,
        api_url: ApiUrl,
        *,
        timeout: Timeout = _DEFAULT_TIMEOUT,
        retry: Optional[RetryPolicy] = None,
        pool_size: int = 10,
        backend: Optional[Backend] = None,
    ) -> None:
        self._credential = Credential(api_key)
        self.api_url = api_url
        self.timeout = _check_timeout(timeout)
        self.retry = retry if retry is not None else RetryPolicy()
        self._gate = _BackoffGate(self.retry.clock)
        self._origin = api_url.origin
        self._closed = False
        self._pool_size = pool_size
        self._backend = backend
        self._owns_backend = False
        self.requests_sent = 0
        self._count_lock = threading.Lock()
        self._wait_listeners: list[Callable[[float, str], None]] = []

    def __repr__(self) -> str:
        return f"<Transport {self.api_url.root}>"

    @property
    def backend(self) -> Backend:
        """The backend every request goes through."""
        backend = self._backend
        if backend is None:
            with self._count_lock:
                if self._backend is None:
                    routed = inprocess_backend_for(str(self.api_url.root))
                    if routed is not None:
                        self._backend = routed
                    else:
                        # Imported here: requests (with urllib3, http.client, ssl) is most
                        # of the import time of a bare ``import segments_orm``.
                        from segments_orm._requests_backend import RequestsBackend

                        self._backend = RequestsBackend(self._pool_size)
                        self._owns_backend = True
                backend = self._backend
        return backend

    def add_wait_listener(self, listener: Callable[[float, str], None]) -> None:
        """Call ``listener(seconds, reason)`` before every retry or rate-limit wait.

        Bulk operations use it to show waits on their progress bar.
        """
        self._wait_listeners.append(listener)

    def remove_wait_listener(self, listener: Callable[[float, str], None]) -> None:
        """Stop calling ``listener``."""
        if listener in self._wait_listeners:
            self._wait_listeners.remove(listener)

    def _report_wait(self, seconds: float, reason: str) -> None:
        # A long wait must never be silent: a notebook user sees WARNING by default.
        level = logging.WARNING if seconds >= _LOUD_WAIT else logging.INFO
        logger.log(level, "%s: waiting %.2f s", reason, seconds)
        for listener in list(self._wait_listeners):
            listener(seconds, reason)

    def close(self) -> None:
        """Close the backend's connections. Safe to call twice."""
        self._closed = True
        if self._backend is not None and self._owns_backend:
            self._backend.close()

    def _credential_for(self, url: URL, authenticated: bool) -> Optional[Credential]:
        # The key goes to the API's origin only: never to a file, upload or asset host.
        if authenticated and self._credential and url.origin() == self._origin:
            return self._credential
        return None

    def request(
        self,
        method: str,
        url: URL,
        *,
        json_body: Any = _NO_BODY,
        gzip: bool = False,
        expect: str = "json",
        timeout: Optional[Timeout] = None,
        headers: Optional[Mapping[str, str]] = None,
        authenticated: bool = True,
        replayable: Optional[bool] = None,
    ) -> Any:
        """Send one API request, retrying per the policy, and decode the answer.

        Network: one request, more when retried.

        Args:
            method: The HTTP method.
            url: The full URL (built by `ApiUrl.endpoint`).
            json_body: A JSON-able payload, or nothing.
            gzip: Compress the body (the platform gzips five endpoints, WIRE.md 1.3).
            expect: ``"json"`` (a JSON body is required), ``"optional"`` (JSON or empty),
                ``"bytes"`` (the raw body) or ``"none"`` (the body is ignored).
            timeout: Overrides the client's timeout for this call.
            headers: Extra headers.
            authenticated: Send the API key (to the API's origin only). False for files.
            replayable: True when sending the request twice has the effect of sending it
                once, whatever the method (``samples_bulk``: existing names come back
                unchanged), so a POST whose answer was lost is retried too. None: decided
                by the method (RFC 9110).

        Returns:
            The decoded JSON, the bytes, or None.

        Raises:
            SegmentsError: A subclass chosen by `error_from_response`, `TimeoutError`,
                or `NetworkError` when no answer came.
        """
        if self._closed:
            raise NetworkError("This client is closed; create a new one.")
        method = method.upper()
        data: Optional[bytes] = None
        send_headers = {**_API_HEADERS, **(headers or {})}
        if json_body is not _NO_BODY:
            data = encode_json(json_body)
            send_headers["Content-Type"] = "application/json"
            if gzip:
                data = _gzip(data)
                send_headers["Content-Encoding"] = "gzip"
        read_timeout = self.timeout if timeout is None else _check_timeout(timeout)
        response = self._send_with_retries(
            method,
            str(url),
            data,
            send_headers,
            read_timeout,
            credential=self._credential_for(url, authenticated),
            follow_redirects=method in ("GET", "HEAD"),
            replayable=replayable,
        )
        return _decode(response, method, url, expect)

    def _send_with_retries(
        self,
        method: str,
        url: str,
        body: Optional[bytes],
        headers: Mapping[str, str],
        timeout: Timeout,
        *,
        credential: Optional[Credential],
        follow_redirects: bool,
        replayable: Optional[bool] = None,
    ) -> BackendResponse:
        policy = self.retry
        started = policy.clock()
        attempt = 0
        while True:
            attempt += 1
            check_cancelled()
            self._wait_for_gate(started)
            request = BackendRequest(
                method,
                url,
                headers=headers,
                body=body,
                timeout=timeout,
                follow_redirects=follow_redirects,
                credential=credential,
                deadline=started + policy.total,
                clock=policy.clock,
            )
            error, reached, response = self._attempt(request)
            if response is not None:
                return response
            assert error is not None
            # One draw of the jitter per failure: the gate and this call's own wait must
            # agree (two draws made the wait the larger of the two, skewing the backoff).
            delay = policy.delay(attempt, error.retry_after)
            if error.status_code == 429:
                self._gate.close_for(delay)
            if attempt >= policy.max_attempts or not policy.retryable(
                method, error, reached, replayable
            ):
                raise error
            wait = max(delay, self._gate.remaining())
            if policy.clock() - started + wait > policy.total:
                raise error
            self._report_wait(
                wait,
                f"Retrying {method} {url} (attempt {attempt + 1} of {policy.max_attempts}) "
                f"after {_short_reason(error)}",
            )
            pause(wait, policy.sleep)

    def _wait_for_gate(self, started: float) -> None:
        # Checked again after each sleep: another worker's 429 may have pushed the gate
        # further while this one slept, and sending then would only earn one more 429.
        while True:
            wait = self._gate.remaining()
            if wait <= 0:
                return
            if self.retry.clock() - started + wait > self.retry.total:
                raise APILimitError(
                    f"The API asked every request to wait {wait:.1f} s more, past this "
                    f"call's time budget of {self.retry.total:.0f} s."
                )
            self._report_wait(wait, "Rate limited by the API (429), every request of this client")
            pause(wait, self.retry.sleep)

    def _attempt(
        self, request: BackendRequest
    ) -> tuple[Optional[SegmentsError], bool, Optional[BackendResponse]]:
        method, url = request.method, request.url
        with self._count_lock:
            self.requests_sent += 1
        failure: Optional[ConnectionFailed] = None
        try:
            response = self.backend.send(request)
        except ConnectionFailed as exc:
            failure = exc
        if failure is not None:
            # Mapped outside the except block: nothing is chained to the error but the
            # backend's own, which holds no request, headers or answer.
            error = self._no_answer(failure, method, url)
            if failure.kind == "invalid" or _refused_here(failure, url):
                # Raised, not returned: the same request would fail the same way again.
                raise error
            return error, failure.reached_server, None
        logger.debug("%s %s -> %d", method, url, response.status_code)
        if response.status_code >= 400:
            error = error_from_response(
                response.status_code, method, url, response.content, response.headers
            )
            return error, True, None
        return None, True, response

    def _no_answer(self, failure: ConnectionFailed, method: str, url: str) -> SegmentsError:
        where = f"({method} {url})"
        kind = failure.kind
        if kind == "budget":
            return TimeoutError(
                f"Timed out reading the answer: it was still arriving after the "
                f"call's time budget of {self.retry.total:g} s {where}",
                method=method,
                url=url,
            )
        if kind == "timeout":
            # A stall while reading the body is a timeout too.
            what = "reading the answer" if failure.reached_server else "connecting"
            return TimeoutError(f"Timed out {what} {where}", failure, method=method, url=url)
        if kind == "invalid":
            message = f"Request cannot succeed as sent {where}: {failure.detail}"
        elif _refused_here(failure, url):
            message = (
                f"Could not connect to {URL(url, encoded=True).origin()} {where}: nothing "
                f"accepts connections there ({failure.detail}). Check the API URL "
                "(api_url=... or the SEGMENTS_API_URL environment variable), or start "
                "the local emulator there: segments-orm emulator"
            )
        else:
            reason = "the connection was lost" if failure.reached_server else "could not connect"
            message = f"Request failed, {reason} {where}: {failure.detail}"
        return NetworkError(message, failure, method=method, url=url)

    def download(self, url: Union[str, URL], *, timeout: Optional[Timeout] = None) -> bytes:
        """GET a file by URL (a release file, an asset) without the API key.

        Files are public or presigned (WIRE.md 13.2); the key never goes with them, even
        when they are served from the API's own host (as the emulator does).

        Network: one request, more when retried.
        """
        target = _verbatim_url(url)
        if target.scheme not in ("http", "https") or not target.host:
            raise ValidationError(f"url: expected an absolute http(s) URL, got {str(url)!r}")
        result = self.request("GET", target, expect="bytes", timeout=timeout, authenticated=False)
        assert isinstance(result, bytes)
        return result

    def post_multipart(
        self,
        url: Union[str, URL],
        fields: Mapping[str, str],
        filename: str,
        content: bytes,
        content_type: Optional[str] = None,
    ) -> None:
        """POST a presigned multipart upload: every given field, then the file part.

        It never carries the API key: the target is a storage host (WIRE.md 12), and
        every field the server issued is sent, including those the platform's client
        drops (``x-amz-security-token``, WIRE.md 15.10).

        Network: one request, more when retried (the upload is idempotent: same key,
        same bytes).
        """
        target = _verbatim_url(url)
        if target.scheme not in ("http", "https") or not target.host:
            raise ValidationError(f"presigned url: expected an http(s) URL, got {str(url)!r}")
        if self._closed:
            raise NetworkError("This client is closed; create a new one.")
        body, form_type = _multipart(fields, filename, content, content_type)
        headers = {"User-Agent": _API_HEADERS["User-Agent"], "Content-Type": form_type}
        self._send_with_retries(
            "POST",
            str(target),
            body,
            headers,
            self.timeout,
            credential=None,
            follow_redirects=False,
            replayable=True,
        )


# Sent with every API request (WIRE.md 1.1); the backend may add to the User-Agent.
_API_HEADERS = {
    "X-source": "python-sdk",
    "Segments-SDK-Version": PROTOCOL_VERSION,
    "User-Agent": f"segments-orm/{__version__} (segments-ai/{PROTOCOL_VERSION} protocol)",
}


def _refused_here(failure: ConnectionFailed, url: str) -> bool:
    """Tell whether a connection to this very machine could not be opened.

    Nothing listens there (the emulator is not running, or on another port): retrying
    would only make the user wait seconds for the same answer.
    """
    if failure.kind != "connect":
        return False
    host = URL(url, encoded=True).host or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _multipart(
    fields: Mapping[str, str], filename: str, content: bytes, content_type: Optional[str]
) -> tuple[bytes, str]:
    """Encode a ``multipart/form-data`` body: the fields in order, then the file part."""
    boundary = uuid.uuid4().hex

    def quoted(value: str) -> str:
        # The HTML5 form encoding of a name or file name in Content-Disposition.
        return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")

    def disposition(name: str, filename: Optional[str] = None) -> str:
        text = f'--{boundary}\r\nContent-Disposition: form-data; name="{quoted(name)}"'
        return text + (f'; filename="{quoted(filename)}"' if filename is not None else "")

    parts = [
        f"{disposition(name)}\r\n\r\n".encode() + str(value).encode() + b"\r\n"
        for name, value in fields.items()
    ]
    head = disposition("file", filename) + "\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    parts.append(head.encode() + b"\r\n" + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _verbatim_url(url: Union[str, URL]) -> URL:
    """Wrap a URL the server issued without re-encoding it.

    Presigned and signed file URLs must go out byte for byte: yarl's default parsing
    normalises the query (``%2F`` becomes ``/``), which changes what was signed.
    """
    if isinstance(url, URL):
        return url
    return URL(str(url), encoded=True)


def _check_timeout(timeout: Any) -> Union[float, tuple[float, float]]:
    def ok(value: Any) -> bool:
        return (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value > 0
        )

    if isinstance(timeout, tuple) and len(timeout) == 2 and all(ok(v) for v in timeout):
        return (float(timeout[0]), float(timeout[1]))
    if ok(timeout):
        return float(timeout)
    raise ValidationError(
        "timeout: expected seconds > 0, or a (connect, read) pair of them; "
        f"got {timeout!r} (a request without a timeout can hang forever)"
    )


def _decode(response: BackendResponse, method: str, url: URL, expect: str) -> Any:
    if expect == "none":
        return None
    content = response.content
    if expect == "bytes":
        return content
    if not content.strip():
        if expect == "optional":
            return None
        raise NetworkError(
            f"The server answered {response.status_code} with an empty body where data was "
            f"expected ({method} {url})",
            status_code=response.status_code,
            method=method,
            url=str(url),
        )
    try:
        return json.loads(content)
    except ValueError as exc:
        snippet = content[:120].decode("utf-8", errors="replace")
        raise NetworkError(
            f"The server answered {response.status_code} with a body that is not JSON "
            f"({method} {url}): {snippet!r}",
            exc,
            status_code=response.status_code,
            method=method,
            url=str(url),
            body=snippet,
        ) from None


def _short_reason(error: SegmentsError) -> str:
    if error.status_code is not None:
        return f"HTTP {error.status_code}"
    return type(error).__name__
