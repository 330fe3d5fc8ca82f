"""The HTTP transport: one `requests.Session`, timeouts, retries, and error mapping.

Everything that crosses the network goes through `Transport.request`, so the rules live
here once:

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
import json
import logging
import math
import random
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import attrs
from yarl import URL

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

if TYPE_CHECKING:
    # requests (with urllib3, http.client, ssl) is imported by the first request, not by
    # ``import segments_orm``: it is most of the import time of a bare import.
    import requests

__all__ = ["PROTOCOL_VERSION", "RetryPolicy", "Timeout", "Transport", "logger"]

logger = logging.getLogger("segments_orm")

# The version of the platform's client whose wire protocol we speak (WIRE.md). The server
# reads it (``/api_status/?lib_version=``, ``Segments-SDK-Version``) to warn old clients.
PROTOCOL_VERSION = "1.33.0"

Timeout = Union[float, tuple[float, float]]
_DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 60.0)
_NO_BODY: Any = object()
# Bodies are read this many bytes at a time, checking the call's deadline in between.
_CHUNK = 1 << 16
# Waits at least this long are logged at WARNING rather than INFO.
_LOUD_WAIT = 5.0
# RFC 9110: these may be replayed. PATCH is added because every PATCH body this SDK sends
# sets absolute values (never increments), so replaying one is harmless.
_REPLAYABLE = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})


# Failures that do not depend on the network: a malformed URL or header, a redirect loop.
# Retrying them only spends the call's time budget.
def _never_retried() -> tuple[type[Exception], ...]:
    import requests

    return (
        requests.exceptions.InvalidURL,
        requests.exceptions.InvalidSchema,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidHeader,
        requests.exceptions.URLRequired,
        requests.exceptions.TooManyRedirects,
    )


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


def _headers_as_given(request: Any) -> Any:
    """Send the request with the headers we set (an ``auth`` for requests).

    requests fills in credentials from ``~/.netrc`` when a call has no ``auth``: an entry
    for the API's host would replace ``Authorization: APIKey ...`` with Basic auth (every
    call then fails with 401), and an entry for a storage host would be sent there.
    """
    return request


class _Secret:
    """Holds the API key so that no repr, ``vars()`` dump or debugger view shows it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<secret>"

    def __reduce__(self) -> Any:
        raise TypeError("the API key cannot be pickled")


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


def encode_json(payload: Any) -> bytes:
    """Encode a request body as compact JSON, refusing what JSON cannot carry.

    Raises:
        ValidationError: The payload holds NaN or an infinity (the path is named), or a
            value JSON cannot represent.
    """
    try:
        return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()
    except ValueError:
        where = _non_finite_path(payload)
        raise ValidationError(
            f"{where}: NaN and infinities cannot be sent (JSON has no such numbers)"
        ) from None
    except TypeError as exc:
        raise ValidationError(f"The request body cannot be encoded as JSON: {exc}") from None


def _timed_out(exc: requests.RequestException) -> bool:
    """Tell whether a failure was a timeout.

    requests raises ``ConnectionError`` (not ``Timeout``) when the read timeout expires
    while reading the body, after the headers came: a server that stalls mid-answer.
    """
    import requests
    import urllib3.exceptions

    if isinstance(exc, requests.Timeout):
        return True
    for item in _causes(exc):
        # urllib3's NewConnectionError (refused, unreachable) subclasses its timeout error.
        if isinstance(item, urllib3.exceptions.NewConnectionError):
            continue
        if isinstance(item, (urllib3.exceptions.TimeoutError, socket.timeout)):
            return True
    return False


def _causes(exc: BaseException) -> list[BaseException]:
    """Return ``exc`` and every exception it wraps (args, reasons, causes, contexts)."""
    import urllib3.exceptions

    found: list[BaseException] = []
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        found.append(item)
        if isinstance(item, urllib3.exceptions.MaxRetryError):
            stack.append(item.reason)
        stack.extend(a for a in item.args if isinstance(a, BaseException))
        stack.append(item.__cause__)
        stack.append(item.__context__)
    return found


def _forget_request(exc: BaseException) -> None:
    """Drop the prepared request a requests error carries: its headers hold the API key.

    The error is kept as the `SegmentsError`'s ``cause``, where anything that serialises
    exceptions (an error tracker, a debugger, ``vars(error.cause)``) would find the key.
    """
    import requests

    for item in _causes(exc):
        if isinstance(item, requests.RequestException):
            item.request = None


def _reached_server(exc: requests.RequestException) -> bool:
    """Tell whether a failed request may have reached the server's application."""
    import requests
    import urllib3.exceptions

    if isinstance(exc, requests.ConnectTimeout):
        return False
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(
            item, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError)
        ):
            return False
        if isinstance(item, urllib3.exceptions.MaxRetryError):
            stack.append(item.reason)
        if isinstance(item, BaseException):
            stack.extend(a for a in item.args if isinstance(a, BaseException))
            stack.append(item.__cause__)
            stack.append(item.__context__)
    return True


class Transport:
    """Send requests to the API with auth, timeouts, retries and error mapping.

    Args:
        api_key: The API key. It is sent as ``Authorization: APIKey <key>`` to the API's
            origin only.
        api_url: Where the API is.
        timeout: Seconds to connect and to read, or one number for both. Never None.
        retry: The retry policy.
        pool_size: Connections kept open to the API (size it to the bulk workers).
    """

    def __init__(
        self,
        api_key: str,
        api_url: ApiUrl,
        *,
        timeout: Timeout = _DEFAULT_TIMEOUT,
        retry: Optional[RetryPolicy] = None,
        pool_size: int = 10,
    ) -> None:
        self._api_key = _Secret(api_key)
        self.api_url = api_url
        self.timeout = _check_timeout(timeout)
        self.retry = retry if retry is not None else RetryPolicy()
        self._gate = _BackoffGate(self.retry.clock)
        self._origin = api_url.origin
        self._closed = False
        self._pool_size = pool_size
        self._session: Optional[requests.Session] = None
        self.requests_sent = 0
        self._count_lock = threading.Lock()
        self._wait_listeners: list[Callable[[float, str], None]] = []
        self._uploads: Optional[requests.Session] = None

    def __repr__(self) -> str:
        return f"<Transport {self.api_url.root}>"

    @property
    def session(self) -> requests.Session:
        """The `requests.Session` of the API, created (and requests imported) on first use."""
        session = self._session
        if session is None:
            with self._count_lock:
                if self._session is None:
                    self._session = _new_session(self._pool_size)
                session = self._session
        return session

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
        """Close the pooled connections. Safe to call twice."""
        self._closed = True
        if self._session is not None:
            self._session.close()
        if self._uploads is not None:
            self._uploads.close()

    def _headers_for(
        self, url: URL, extra: Optional[Mapping[str, str]], authenticated: bool
    ) -> dict[str, str]:
        headers = dict(extra or {})
        if authenticated and self._api_key.value and url.origin() == self._origin:
            headers["Authorization"] = f"APIKey {self._api_key.value}"
        return headers

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
        send_headers = self._headers_for(url, headers, authenticated)
        if json_body is not _NO_BODY:
            data = encode_json(json_body)
            send_headers["Content-Type"] = "application/json"
            if gzip:
                data = gzip_module.compress(data, compresslevel=5)
                send_headers["Content-Encoding"] = "gzip"
        text_url = str(url)
        read_timeout = self.timeout if timeout is None else _check_timeout(timeout)

        def send() -> requests.Response:
            return self.session.request(
                method,
                text_url,
                data=data,
                headers=send_headers,
                timeout=read_timeout,
                allow_redirects=method in ("GET", "HEAD"),
                # Read by _attempt in chunks, against the call's time budget.
                stream=True,
                auth=_headers_as_given,
            )

        response = self._send_with_retries(method, text_url, send, replayable)
        return _decode(response, method, url, expect)

    def _send_with_retries(
        self,
        method: str,
        url: str,
        send: Callable[[], requests.Response],
        replayable: Optional[bool] = None,
    ) -> requests.Response:
        policy = self.retry
        started = policy.clock()
        attempt = 0
        while True:
            attempt += 1
            check_cancelled()
            self._wait_for_gate(started)
            error, reached, response = self._attempt(method, url, send, started + policy.total)
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
        self,
        method: str,
        url: str,
        send: Callable[[], requests.Response],
        deadline: float,
    ) -> tuple[Optional[SegmentsError], bool, Optional[requests.Response]]:
        import requests

        with self._count_lock:
            self.requests_sent += 1
        try:
            response = send()
            if not self._read_body(response, deadline):
                return (
                    TimeoutError(
                        f"Timed out reading the answer: it was still arriving after the "
                        f"call's time budget of {self.retry.total:g} s ({method} {url})",
                        method=method,
                        url=url,
                    ),
                    True,
                    None,
                )
        except _never_retried() as exc:
            _forget_request(exc)
            # Raised, not returned: the same request would fail the same way again.
            raise NetworkError(
                f"Request cannot succeed as sent ({method} {url}): {_exception_summary(exc)}",
                exc,
                method=method,
                url=url,
            ) from None
        except requests.RequestException as exc:
            _forget_request(exc)
            reached = _reached_server(exc)
            if not _timed_out(exc):
                return self._lost(exc, reached, method, url), reached, None
            # A stall while reading the body comes as a ConnectionError: a timeout too.
            what = "reading the answer" if reached else "connecting"
            error: SegmentsError = TimeoutError(
                f"Timed out {what} ({method} {url})", exc, method=method, url=url
            )
            return error, reached, None
        logger.debug("%s %s -> %d", method, url, response.status_code)
        if response.status_code >= 400:
            error = error_from_response(
                response.status_code, method, url, response.content, response.headers
            )
            return error, True, None
        return None, True, response

    def _read_body(self, response: requests.Response, deadline: float) -> bool:
        """Read the body as it arrives; return False if the deadline passes first.

        The read timeout bounds each wait for data, not the whole body: a server that
        sends a few bytes a second would otherwise hold a call for as long as it likes.
        """
        import requests
        import urllib3.exceptions
        import urllib3.response

        if isinstance(getattr(response, "_content", False), bytes):
            return True  # already read (not streamed)
        raw = response.raw
        clock = self.retry.clock
        chunks = []
        if isinstance(raw, urllib3.response.BaseHTTPResponse):
            # read1 returns what has arrived; read(n) would wait for all n bytes.
            pieces: Iterator[bytes] = iter(lambda: raw.read1(_CHUNK, decode_content=True), b"")
        else:  # a stand-in (a test double, a replayed cassette): requests reads it
            pieces = response.iter_content(chunk_size=_CHUNK)
        try:
            for chunk in pieces:
                chunks.append(chunk)
                if clock() > deadline:
                    response.close()
                    return False
        # The same translation requests applies in iter_content.
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.ConnectionError(exc) from exc
        except urllib3.exceptions.ProtocolError as exc:
            raise requests.exceptions.ChunkedEncodingError(exc) from exc
        except urllib3.exceptions.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from exc
        # What requests itself does after reading: .content is the bytes from now on.
        response._content = b"".join(chunks)
        setattr(response, "_content_consumed", True)  # noqa: B010 - not in requests' stubs
        return True

    @staticmethod
    def _lost(exc: requests.RequestException, reached: bool, method: str, url: str) -> NetworkError:
        reason = "the connection was lost" if reached else "could not connect"
        return NetworkError(
            f"Request failed, {reason} ({method} {url}): {_exception_summary(exc)}",
            exc,
            method=method,
            url=url,
        )

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

        It goes through a session of its own that never holds the API key: the target is
        a storage host (WIRE.md 12), and every field the server issued is sent, including
        those the platform's client drops (``x-amz-security-token``, WIRE.md 15.10).

        Network: one request, more when retried (the upload is idempotent: same key,
        same bytes).
        """
        target = _verbatim_url(url)
        if target.scheme not in ("http", "https") or not target.host:
            raise ValidationError(f"presigned url: expected an http(s) URL, got {str(url)!r}")
        text_url = str(target)
        upload_session = self._upload_session()
        file_part = (filename, content, content_type) if content_type else (filename, content)

        def send() -> requests.Response:
            return upload_session.post(
                text_url,
                data=dict(fields),
                files={"file": file_part},
                timeout=self.timeout,
                allow_redirects=False,
                auth=_headers_as_given,
            )

        self._send_with_retries("POST", text_url, send, replayable=True)

    def _upload_session(self) -> requests.Session:
        user_agent = str(self.session.headers["User-Agent"])
        with self._count_lock:
            if self._uploads is None:
                import requests

                self._uploads = requests.Session()
                self._uploads.headers["User-Agent"] = user_agent
            return self._uploads


def _new_session(pool_size: int) -> requests.Session:
    import requests
    import requests.adapters

    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=2, pool_maxsize=max(pool_size, 2), max_retries=0
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update(
        {
            "X-source": "python-sdk",
            "Segments-SDK-Version": PROTOCOL_VERSION,
            "User-Agent": f"segments-orm/{__version__} "
            f"(segments-ai/{PROTOCOL_VERSION} protocol) "
            f"python-requests/{requests.__version__}",
        }
    )
    return session


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


def _decode(response: requests.Response, method: str, url: URL, expect: str) -> Any:
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


def _exception_summary(exc: BaseException) -> str:
    # requests' messages embed the urllib3 pool repr; the innermost reason reads better.
    inner: BaseException = exc
    while True:
        nxt = next((a for a in inner.args if isinstance(a, BaseException)), None)
        if nxt is None:
            nxt = getattr(inner, "reason", None) if isinstance(inner, BaseException) else None
        if not isinstance(nxt, BaseException) or nxt is inner:
            break
        inner = nxt
    return f"{type(inner).__name__}: {inner}"[:300]
