"""The HTTP backend: requests and urllib3, and the only module that imports them.

It turns one `BackendRequest` into one HTTP exchange and every failure into a
`ConnectionFailed`; the retry policy, the 429 gate and error mapping stay in the transport.
Nothing it raises keeps a requests error: those carry the prepared request (whose headers
hold the API key) and, for a redirect loop, the whole response history.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any, Optional
from urllib.parse import urlsplit

import requests
import requests.adapters
import requests.auth
import requests.utils
import urllib3.exceptions
import urllib3.response

from segments_orm._backend import (
    BackendRequest,
    BackendResponse,
    ConnectionFailed,
    Credential,
    Headers,
)

__all__ = ["RequestsBackend"]

# Bodies are read this many bytes at a time, checking the request's deadline in between.
_CHUNK = 1 << 16

# Origins whose proxy settings a session remembers; past it, it starts over.
_MAX_ORIGINS = 64

# Failures that do not depend on the network: a malformed URL or header, a redirect loop.
# Retrying them only spends the call's time budget.
_NEVER_RETRIED: tuple[type[Exception], ...] = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidHeader,
    requests.exceptions.URLRequired,
    requests.exceptions.TooManyRedirects,
)


class _Auth(requests.auth.AuthBase):
    """Write ``Authorization`` from the credential as requests prepares the request.

    Always given (with or without a credential): requests reads ``~/.netrc`` when a call
    has no ``auth``, and an entry for the API's host would replace the key with Basic auth,
    or one for a storage host would be sent there.
    """

    __slots__ = ("_credential",)

    def __init__(self, credential: Optional[Credential]) -> None:
        self._credential = credential

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._credential:
            prepared.headers["Authorization"] = self._credential.authorization()
        return prepared

    def __repr__(self) -> str:
        return "<auth>"


class _Session(requests.Session):
    """A session that never consults ``~/.netrc``, and reads the environment once per origin.

    requests looks up the proxy variables (scanning the whole environment, twice) and the
    CA bundle variables for every request: about a third of the client's time per request
    on a fast server. This session does it on its first request to each origin (scheme,
    host and port), as clients such as httpx read them once when they are made.
    """

    def __init__(self) -> None:
        super().__init__()
        # (scheme, netloc, no_proxy) -> (the environment's proxies, its CA bundle or None).
        # Read and filled by several threads: a lost race only reads the environment twice.
        self._environment: dict[tuple[str, str, Any], tuple[dict[str, str], Any]] = {}

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        if not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        no_proxy = proxies.get("no_proxy") if proxies is not None else None
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, no_proxy)
        found = self._environment.get(key)
        if found is None:
            if len(self._environment) >= _MAX_ORIGINS:
                self._environment.clear()
            found = (
                requests.utils.get_environ_proxies(url, no_proxy=no_proxy),
                os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE"),
            )
            self._environment[key] = found
        environment_proxies, bundle = found
        # What requests does with what it read, with the session's own settings last.
        if proxies is not None:
            for name, value in environment_proxies.items():
                proxies.setdefault(name, value)
        if verify is True or verify is None:
            verify = bundle or verify
        if proxies is not None and self.proxies:
            proxies = {**self.proxies, **proxies}
        return {
            "proxies": {k: v for k, v in (proxies or self.proxies).items() if v is not None},
            "stream": self.stream if stream is None else stream,
            "verify": self.verify if verify is None else verify,
            "cert": self.cert if cert is None else cert,
        }

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        # requests 2.34 merges the session's settings through isinstance checks against
        # runtime-checkable Protocols: six per request, ~0.4 ms of the client's ~2 ms per
        # label in B5. What the backend sends (a final URL, bytes, plain headers, our auth)
        # needs none of that merging; anything else takes requests' own path.
        data = request.data
        if (
            request.params
            or request.files
            or request.json is not None
            or not (data is None or isinstance(data, bytes) or data == [])
            or request.auth is None
            or self.auth is not None
        ):
            return super().prepare_request(request)
        headers = requests.structures.CaseInsensitiveDict(self.headers)
        for name, value in request.headers.items():
            if value is None:
                headers.pop(name, None)  # None unsets a session header, as in requests
            else:
                headers[name] = value
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=str(request.method).upper(),
            url=request.url,
            data=data,
            headers=headers,
            params="",  # a str is taken as the query as it is, with no Protocol checks
            auth=request.auth,
            cookies=requests.cookies.merge_cookies(  # type: ignore[no-untyped-call]
                requests.cookies.RequestsCookieJar(), self.cookies
            ),
            hooks=request.hooks,
        )
        return prepared

    def rebuild_auth(self, prepared_request: Any, response: Any) -> None:
        # requests' own version strips Authorization on a change of host, then reads netrc
        # for the new one (sending its password to wherever the redirect points).
        headers = prepared_request.headers
        if "Authorization" in headers and self.should_strip_auth(  # type: ignore[no-untyped-call]
            response.request.url, prepared_request.url
        ):
            del headers["Authorization"]


class RequestsBackend:
    """Send requests over HTTP with one pooled `requests.Session`.

    Args:
        pool_size: Connections kept open per host (size it to the bulk workers).
    """

    def __init__(self, pool_size: int = 10) -> None:
        session = _Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=2, pool_maxsize=max(pool_size, 2), max_retries=0
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self.session = session
        self._suffix = f" python-requests/{requests.__version__}"

    def __repr__(self) -> str:
        return "<RequestsBackend>"

    def close(self) -> None:
        """Close the pooled connections. Safe to call twice."""
        self.session.close()

    def send(self, request: BackendRequest) -> BackendResponse:
        """Send ``request`` and read its whole answer before the request's deadline.

        Raises:
            ConnectionFailed: No answer (or not all of it in time).
        """
        headers = dict(request.headers)
        agent = headers.get("User-Agent")
        if agent:
            headers["User-Agent"] = agent + self._suffix
        failure: Optional[ConnectionFailed] = None
        try:
            response = self.session.request(
                request.method,
                request.url,
                data=request.body,
                headers=headers,
                timeout=request.timeout,
                allow_redirects=request.follow_redirects,
                # Read below in chunks, against the request's deadline.
                stream=True,
                auth=_Auth(request.credential),
            )
            content = _read_body(response, request)
        except _NEVER_RETRIED as exc:
            failure = ConnectionFailed(
                _exception_summary(exc),
                kind="invalid",
                reached_server=isinstance(exc, requests.exceptions.TooManyRedirects),
            )
        except requests.RequestException as exc:
            reached = _reached_server(exc)
            kind = "timeout" if _timed_out(exc) else "lost" if reached else "connect"
            failure = ConnectionFailed(_exception_summary(exc), kind=kind, reached_server=reached)
        # Raised outside the except blocks, so that the requests error is not kept as the
        # context: it holds the prepared request, the key in its headers.
        if failure is not None:
            raise failure
        return BackendResponse(response.status_code, Headers(response.headers), content)


def _read_body(response: requests.Response, request: BackendRequest) -> bytes:
    """Read the body as it arrives, failing with kind ``"budget"`` past the deadline.

    The read timeout bounds each wait for data, not the whole body: a server that sends a
    few bytes a second would otherwise hold a call for as long as it likes.
    """
    if isinstance(getattr(response, "_content", False), bytes):
        return response.content  # already read (not streamed)
    raw = response.raw
    clock, deadline = request.clock, request.deadline
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
                raise ConnectionFailed(
                    "the answer was still arriving at the deadline",
                    kind="budget",
                    reached_server=True,
                )
    # The same translation requests applies in iter_content.
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.ConnectionError(exc) from exc
    except urllib3.exceptions.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from exc
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from exc
    content = b"".join(chunks)
    # What requests itself does after reading: .content is the bytes from now on.
    response._content = content
    setattr(response, "_content_consumed", True)  # noqa: B010 - not in requests' stubs
    return content


def _causes(exc: BaseException) -> list[BaseException]:
    """Return ``exc`` and every exception it wraps (args, reasons, causes, contexts)."""
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


def _timed_out(exc: requests.RequestException) -> bool:
    """Tell whether a failure was a timeout.

    requests raises ``ConnectionError`` (not ``Timeout``) when the read timeout expires
    while reading the body, after the headers came: a server that stalls mid-answer.
    """
    if isinstance(exc, requests.Timeout):
        return True
    for item in _causes(exc):
        # urllib3's NewConnectionError (refused, unreachable) subclasses its timeout error.
        if isinstance(item, urllib3.exceptions.NewConnectionError):
            continue
        if isinstance(item, (urllib3.exceptions.TimeoutError, socket.timeout)):
            return True
    return False


def _reached_server(exc: requests.RequestException) -> bool:
    """Tell whether a failed request may have reached the server's application."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    return not any(
        isinstance(
            item, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError)
        )
        for item in _causes(exc)
    )


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
