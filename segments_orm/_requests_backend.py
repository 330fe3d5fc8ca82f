"""The HTTP backend: requests and urllib3, and the only module that imports them.

It turns one `BackendRequest` into one HTTP exchange and every failure into a
`ConnectionFailed`; the retry policy, the 429 gate and error mapping stay in the transport.
Nothing it raises keeps a requests error: those carry the prepared request (whose headers
hold the API key) and, for a redirect loop, the whole response history.
"""

from __future__ import annotations

import email.parser
import http.client
import os
import re
import socket
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

import requests
import requests.adapters
import requests.auth
import requests.cookies
import requests.sessions
import requests.structures
import requests.utils
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
import urllib3.response
import urllib3.util

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
# Header pairs a backend remembers as checked; past it, it starts over.
_MAX_HEADER_PAIRS = 256

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
        # A plain URL's scheme and netloc are the text before its path, as urlsplit reads.
        shape = _url_shape(url) if type(url) is str else None
        if shape is not None:
            key = (shape[1], url[len(shape[1]) + 3 : shape.start(4)], no_proxy)
        else:
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
            or self.params
            or request.files
            or request.json is not None
            or not (data is None or isinstance(data, bytes) or data == [])
            or request.auth is None
            or self.auth is not None
        ):
            return super().prepare_request(request)
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=str(request.method).upper(),
            url=request.url,
            data=data,
            headers=_merged_headers(self.headers, request.headers),
            params="",  # a str is taken as the query as it is, with no Protocol checks
            auth=request.auth,
            cookies=requests.cookies.merge_cookies(  # type: ignore[no-untyped-call]
                requests.cookies.RequestsCookieJar(), self.cookies
            ),
            hooks=requests.sessions.merge_hooks(  # type: ignore[no-untyped-call]
                request.hooks, self.hooks
            ),
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


# Whether requests' CaseInsensitiveDict is what this module knows: an object holding
# only ``_store``, an OrderedDict of lower-case name -> (name, value). Else its own
# methods are used throughout.
_KNOWN_TABLE = vars(requests.structures.CaseInsensitiveDict()).keys() == {"_store"} and (
    type(requests.structures.CaseInsensitiveDict()._store) is OrderedDict  # type: ignore[attr-defined]
)


def _store(headers: Any) -> Optional[OrderedDict[str, tuple[Any, Any]]]:
    """Return the table behind a requests `CaseInsensitiveDict` (lower name -> pair), or None.

    Its own methods cost a call or three per name (and an ABC check per copy, even of
    nothing): about a tenth of the backend's own time per request, for the four header
    dicts a request makes (its headers, urllib3's copy of them, the answer's, `Headers`).
    """
    kind = type(headers)
    if not _KNOWN_TABLE or not (
        kind is requests.structures.CaseInsensitiveDict or kind is _RequestHeaders
    ):
        return None
    store = headers.__dict__.get("_store")
    return store if type(store) is OrderedDict else None


def _table(kind: Any, store: OrderedDict[str, tuple[Any, Any]]) -> Any:
    """Return a ``kind`` (a `CaseInsensitiveDict`) holding ``store`` as its table."""
    made = kind.__new__(kind)
    made._store = store
    return made


class _RequestHeaders(requests.structures.CaseInsensitiveDict[Any]):
    """A request's headers on the direct path: requests' own, copied a table at a time.

    urllib3 copies a request's headers before sending them (to add a proxy's); requests'
    copy sets them one by one.
    """

    def copy(self) -> requests.structures.CaseInsensitiveDict[Any]:
        store = _store(self)
        if store is None:
            return super().copy()
        return _table(_RequestHeaders, OrderedDict(store))  # type: ignore[no-any-return]


def _case_insensitive(
    pairs: Iterable[tuple[str, Any]],
) -> requests.structures.CaseInsensitiveDict[Any]:
    """Return ``CaseInsensitiveDict(pairs)``, its table filled directly where it can be."""
    if not _KNOWN_TABLE:
        return requests.structures.CaseInsensitiveDict(pairs)
    store: OrderedDict[str, tuple[Any, Any]] = OrderedDict()
    for name, value in pairs:
        store[name.lower()] = (name, value)
    return _table(requests.structures.CaseInsensitiveDict, store)  # type: ignore[no-any-return]


def _pairs(headers: Mapping[str, Any]) -> Iterable[tuple[Any, Any]]:
    """Return the (name, value) pairs of ``headers``, in order."""
    store = _store(headers)
    return headers.items() if store is None else store.values()


def _merged_headers(
    session_headers: Mapping[str, Any], request_headers: Optional[Mapping[str, Any]]
) -> requests.structures.CaseInsensitiveDict[Any]:
    """Merge headers as requests' session does: its own first, a None value unsets a name."""
    merged: requests.structures.CaseInsensitiveDict[Any]
    request_headers = request_headers or {}
    session_store = _store(session_headers)
    if session_store is None or type(request_headers) is not dict:
        merged = requests.structures.CaseInsensitiveDict(session_headers)
        for name, value in request_headers.items():
            merged[name] = value
    else:  # the same table, each pair set directly
        store = OrderedDict(session_store)
        for name, value in request_headers.items():
            store[name.lower()] = (name, value)
        merged = _table(_RequestHeaders, store)
    # Scanned only where a None can be: the merge's values come from these two.
    if None in request_headers.values() or any(v is None for _, v in _pairs(session_headers)):
        for name in [name for name, value in _pairs(merged) if value is None]:
            del merged[name]
    return merged


# The attributes of a requests Session (and ours). One more on the instance, such as a
# wrapped ``send`` or ``request``, means it is not the plain session the direct path knows.
_SESSION_ATTRIBUTES = frozenset(requests.Session.__attrs__) | {"_environment"}

# The shape of a URL whose preparation by requests can be skipped (`_prepared_url`).
_URL_SHAPE = re.compile(
    r"(https?)://((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)"
    r"(?::([1-9][0-9]{0,4}))?(/[A-Za-z0-9._~!$&'()*+,;=:@/%-]*)"
    r"(?:\?[A-Za-z0-9._~!$&'()*+,;=:@/?%-]+)?\Z"
)
_ESCAPE = re.compile(r"%(.?.?)")
# The last URLs' `_URL_SHAPE` matches: one request's URL is matched four times (its
# preparation, its environment, its pool, its request line), ~2 us each. Read and
# filled by several threads: a lost race only matches a URL twice.
_SHAPES: dict[str, Optional[re.Match[str]]] = {}
_MAX_SHAPES = 64


def _url_shape(url: str) -> Optional[re.Match[str]]:
    """Return ``_URL_SHAPE.match(url)``, remembered for the last few URLs without a query."""
    try:
        return _SHAPES[url]
    except KeyError:
        pass
    shape = _URL_SHAPE.match(url)
    if "?" in url:  # a query may be a presigned URL's signature: not kept past its request
        return shape
    if len(_SHAPES) >= _MAX_SHAPES:
        _SHAPES.clear()
    _SHAPES[url] = shape
    return shape


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _two_paths(cert: Any) -> bool:
    """Tell whether ``cert`` is a (certificate, key) pair of paths."""
    return type(cert) is tuple and len(cert) == 2 and all(type(c) is str for c in cert)


def _prepared_url(url: str) -> str:
    """Return ``url`` as requests' preparation makes it (normalised, re-quoted).

    Preparing costs ~30 us (urllib3's parser, then ``requote_uri``), and changes nothing
    in a URL this SDK builds: a lower-case http(s) scheme, a plain host, a port, and a
    path and query made only of the characters both leave alone (RFC 3986's unreserved
    and sub-delims, ``:@/?``, upper-case escapes of other characters); no dot segment,
    fragment, userinfo or empty query. Such a URL is returned as it is; any other is
    prepared by requests.
    """
    shape = _url_shape(url)
    if (
        shape is None
        or (shape[3] is not None and int(shape[3]) > 65535)
        or ("/." in shape[4] and any(s in (".", "..") for s in shape[4].split("/")))
        or ("%" in url and not all(_plain_escape(e) for e in _ESCAPE.findall(url)))
    ):
        prepared = requests.PreparedRequest()
        prepared.prepare_url(url, None)
        return str(prepared.url)
    return url


def _plain_escape(hexdigits: str) -> bool:
    # urllib3 upper-cases escapes and requote_uri decodes those of unreserved characters.
    return (
        len(hexdigits) == 2
        and all(c in "0123456789ABCDEF" for c in hexdigits)
        and chr(int(hexdigits, 16)) not in _UNRESERVED
    )


# http.client's limits on an answer's header block, read from it so that they stay its own.
_MAXLINE: int = getattr(http.client, "_MAXLINE", 65536)
_MAXHEADERS: int = getattr(http.client, "_MAXHEADERS", 100)
# A header block the email parser (with http.client's compat32 policy) reads as plain
# ``name: value`` pairs: names of the characters it accepts before a colon, values of
# printable ASCII and tabs, no folded line, a blank line at the end. For such a block it
# stores each name as written and the value with its leading blanks and line end removed.
_PLAIN_BLOCK = re.compile(r"(?:[!-9;-~]+:[\t -~]*\r?\n)*\r?\n")
_PLAIN_FIELD = re.compile(r"([!-9;-~]+):[\t ]*([\t -~]*)\r?\n")


def _header_lines(fp: Any) -> list[bytes]:
    """Read the lines of a header block, up to its blank line, as http.client reads them.

    Raises:
        http.client.LineTooLong: A line is longer than http.client allows.
        http.client.HTTPException: There are more lines than http.client allows.
    """
    lines: list[bytes] = []
    while True:
        line = fp.readline(_MAXLINE + 1)
        if len(line) > _MAXLINE:
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > _MAXHEADERS:
            raise http.client.HTTPException(f"got more than {_MAXHEADERS} headers")
        if line in (b"\r\n", b"\n", b""):
            return lines


def _parsed_headers(lines: list[bytes]) -> http.client.HTTPMessage:
    """Return the `http.client.HTTPMessage` http.client's parser makes of ``lines``.

    The email package's feed parser costs ~60 us for a handful of headers, about a tenth
    of the client's time per request in a bulk write. A plain block (`_PLAIN_BLOCK`) is
    read with one expression into the same message (the same pairs, in order, and an
    empty body); any other (folded or non-ASCII lines, a line without a colon, no blank
    line at the end) goes to the email parser, as http.client does.
    """
    text = b"".join(lines).decode("iso-8859-1")
    if _PLAIN_BLOCK.fullmatch(text) is None:
        return email.parser.Parser(_class=http.client.HTTPMessage).parsestr(text)
    message = http.client.HTTPMessage()
    for name, value in _PLAIN_FIELD.findall(text):
        message.set_raw(name, value)
    message.set_payload("")
    return message


class _Response(http.client.HTTPResponse):
    """http.client's response, reading its header block with `_parsed_headers`.

    ``begin`` does what http.client's does, in the same order and with the same limits
    and errors: the status line (1xx answers and their headers skipped), the version, the
    headers, then the framing: chunked or not, ``Content-Length``, no body for 1xx, 204,
    304 and HEAD, and whether the connection closes after the answer.
    """

    def begin(self) -> None:
        begun: Any = self.headers
        if begun is not None:
            return
        if self.debuglevel > 0:  # http.client prints what it reads
            super().begin()
            return
        version, status, reason = self._read_status()  # type: ignore[attr-defined]
        while status == http.client.CONTINUE:
            _header_lines(self.fp)
            version, status, reason = self._read_status()  # type: ignore[attr-defined]
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = headers = _parsed_headers(_header_lines(self.fp))
        coding = headers.get("transfer-encoding")
        self.chunked = coding is not None and coding.lower() == "chunked"
        if self.chunked:
            self.chunk_left = None
        self.will_close = self._check_close()  # type: ignore[attr-defined]
        self.length = None
        length = headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                pass
            else:
                if self.length < 0:  # a negative length means nothing
                    self.length = None
        if status in (204, 304) or 100 <= status < 200 or self._method == "HEAD":  # type: ignore[attr-defined]
            self.length = 0
        # Neither chunked nor of known length: the body ends when the connection closes.
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True


_STARTED = getattr(http.client, "_CS_REQ_STARTED", "Request-started")
# Header names whose lines `_put_header` never remembers: they carry credentials.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


def _put_header(
    connection: Any, put: Callable[..., None], header: str, values: tuple[str, ...]
) -> None:
    """Write a header line, each (name, value) pair checked once per connection.

    urllib3's ``putheader`` (its SKIP_HEADER scan) and http.client's (two expressions and
    two encodings per header) cost ~3 us a header, a dozen per request. A pair both
    accepted is remembered, per connection, with the line they wrote, and written again
    as it is; a pair never seen, or a call out of turn, goes to ``put``: theirs. Lines
    that carry a credential (the API key) are never remembered.
    """
    state = connection.__dict__
    lines: Optional[dict[tuple[str, str], bytes]] = state.get("_checked_lines")
    if len(values) == 1 and lines is not None:
        line = lines.get((header, values[0]))
        # http.client's own state check: headers only right after the request line.
        if line is not None and state.get("_HTTPConnection__state") == _STARTED:
            connection._output(line)
            return
    put(header, *values)
    if len(values) == 1 and type(header) is str and type(values[0]) is str:
        value = values[0]
        # Nothing was written for SKIP_HEADER; and a credential is never kept here.
        if value == urllib3.util.SKIP_HEADER or header.lower() in _SECRET_HEADERS:
            return
        if lines is None or len(lines) >= _MAX_HEADER_PAIRS:
            lines = state["_checked_lines"] = {}
        lines[header, value] = header.encode("ascii") + b": " + value.encode("latin-1")


# The classes urllib3's pools make, which ours extend: ours are made only in their place.
_HTTP_CONNECTION = urllib3.connection.HTTPConnection
_HTTPS_CONNECTION = urllib3.connection.HTTPSConnection


class _Connection(_HTTP_CONNECTION):
    """urllib3's HTTP connection, with `_Response` s and `_put_header`."""

    response_class = _Response

    def putheader(self, header: str, *values: str) -> None:  # type: ignore[override]
        _put_header(self, super().putheader, header, values)


class _HTTPSConnection(_Connection, _HTTPS_CONNECTION):
    """urllib3's HTTPS connection, with `_Connection`'s answers and header lines.

    Its order of classes puts `_Connection` first, then urllib3's HTTPS connection:
    ``putheader`` reaches urllib3's own, and TLS is urllib3's HTTPS class's.
    """


class _HTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    """urllib3's pool, making `_Connection` s where it would make urllib3's own.

    Where the class urllib3's pool makes was replaced (vcrpy replaces it while a cassette
    is in use, with a recorder), that class is made, as urllib3's pool would.
    """

    @property
    def ConnectionCls(self) -> Any:  # type: ignore[override] # noqa: N802 - urllib3's name
        made = urllib3.connectionpool.HTTPConnectionPool.ConnectionCls
        return _Connection if made is _HTTP_CONNECTION else made


class _HTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    """urllib3's HTTPS pool, making `_HTTPSConnection` s where it would make its own."""

    @property
    def ConnectionCls(self) -> Any:  # type: ignore[override] # noqa: N802 - urllib3's name
        made = urllib3.connectionpool.HTTPSConnectionPool.ConnectionCls
        return _HTTPSConnection if made is _HTTPS_CONNECTION else made


# Whether a requests Response holds, once made, exactly the attributes `_Adapter`'s
# build_response sets on one it makes without ``__init__`` (else requests builds it).
_KNOWN_RESPONSE = vars(requests.Response()).keys() == {
    "_content",
    "_content_consumed",
    "_next",
    "status_code",
    "headers",
    "raw",
    "url",
    "encoding",
    "history",
    "reason",
    "cookies",
    "elapsed",
    "request",
}


class _Adapter(requests.adapters.HTTPAdapter):
    """requests' adapter, finding the pool of a plain request without re-deriving its key.

    For each request, requests parses the URL twice more, builds the TLS settings and
    urllib3 normalises them into a pool key: ~10% of the client's time per request in
    B5. Here the key is derived once per scheme, host, port, ``verify`` (True, False or
    a CA bundle path) and client certificate, for a URL that needs no proxy, exactly as
    requests and urllib3 derive it; the pool is then asked of the pool manager by that
    key, as they ask it: a pool closed or evicted since is made again by the manager.
    Any other request, or a pool manager whose settings changed since, takes requests'
    own code.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (scheme, host, port, verify) -> (manager, its settings then, pool key, context)
        self._pool_keys: dict[tuple[Any, ...], tuple[Any, dict[str, Any], Any, dict[str, Any]]]
        self._pool_keys = {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)  # type: ignore[misc] # not in requests' stubs
        self._pool_keys = {}

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        # The manager's own table (a copy): its pools make our connections.
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        """Build the response as requests does, reading cookies only when some were set.

        requests reads every answer's headers through cookielib's machinery (~20 us),
        and copies urllib3's headers one name at a time.
        """
        headers = getattr(resp, "headers", None)
        if not (
            _KNOWN_RESPONSE
            and type(headers) is urllib3.HTTPHeaderDict
            and isinstance(req.url, str)
            and not _sets_cookies(resp)
        ):
            return super().build_response(req, resp)
        table = _case_insensitive(headers.itermerged())
        # What Response() holds at first (an empty cookie jar, no content read yet, no
        # history), with what build_response sets: Response() makes an empty header dict
        # and a cookie jar through cookiejar_from_dict, ~5 us, to be replaced at once.
        response = requests.Response.__new__(requests.Response)
        vars(response).update(
            _content=False,
            _content_consumed=False,
            _next=None,
            status_code=resp.status,
            headers=table,
            raw=resp,
            url=req.url,
            encoding=requests.utils.get_encoding_from_headers(table),
            history=[],
            reason=resp.reason,
            cookies=requests.cookies.RequestsCookieJar(),
            elapsed=timedelta(0),
            request=req,
            connection=self,
        )
        return response

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: Any,
        proxies: Optional[Mapping[str, str]] = None,
        cert: Any = None,
    ) -> Any:
        url = request.url or ""
        shape = _url_shape(url)
        manager = self.poolmanager
        if (
            shape is None
            or (shape[3] is not None and int(shape[3]) > 65535)
            or not (verify is True or verify is False or type(verify) is str)
            or not (cert is None or type(cert) is str or _two_paths(cert))
            or (proxies and requests.utils.select_proxy(url, proxies))
        ):
            return super().get_connection_with_tls_context(request, verify, proxies, cert)
        # A CA bundle path is a file or a directory, as requests tells them apart each time.
        bundle_kind = os.path.isdir(verify) if type(verify) is str else None
        origin = (shape[1], shape[2], shape[3], verify, bundle_kind, cert)
        known = self._pool_keys.get(origin)
        if known is None or known[0] is not manager or known[1] != manager.connection_pool_kw:
            merge = getattr(manager, "_merge_pool_kwargs", None)
            if merge is None:  # another urllib3: let requests find the pool
                return super().get_connection_with_tls_context(request, verify, proxies, cert)
            # What requests' get_connection_with_tls_context and urllib3's
            # connection_from_host do, up to the pool key.
            host_params, pool_kwargs = self.build_connection_pool_key_attributes(
                request, verify, cert
            )
            if not host_params.get("host"):
                return super().get_connection_with_tls_context(request, verify, proxies, cert)
            context = merge(pool_kwargs)
            context["scheme"] = host_params["scheme"] or "http"
            port = host_params["port"]
            context["port"] = (
                urllib3.connectionpool.port_by_scheme.get(context["scheme"].lower(), 80)
                if port is None
                else port
            )
            context["host"] = host_params["host"]
            key_of = manager.key_fn_by_scheme.get(context["scheme"].lower())
            if key_of is None or "strict" in context:
                return super().get_connection_with_tls_context(request, verify, proxies, cert)
            known = (manager, dict(manager.connection_pool_kw), key_of(context), context)
            if len(self._pool_keys) >= _MAX_ORIGINS:
                self._pool_keys.clear()
            self._pool_keys[origin] = known
        # A copy: a new pool is made from the context, and making it changes the dict.
        return manager.connection_from_pool_key(known[2], request_context=dict(known[3]))

    def request_url(
        self, request: requests.PreparedRequest, proxies: Optional[Mapping[str, str]]
    ) -> str:
        # Not proxied: the path and query, which a plain URL holds after its origin.
        url = request.url or ""
        shape = _url_shape(url)
        if shape is None or (proxies and requests.utils.select_proxy(url, proxies)):
            return super().request_url(request, proxies)
        return url[shape.start(4) :]


class RequestsBackend:
    """Send requests over HTTP with one pooled `requests.Session`.

    Args:
        pool_size: Connections kept open per host (size it to the bulk workers).
    """

    def __init__(self, pool_size: int = 10) -> None:
        session = _Session()
        adapter = _Adapter(pool_connections=2, pool_maxsize=max(pool_size, 2), max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self.session = session
        self._suffix = f" python-requests/{requests.__version__}"
        # Header (name, value) pairs requests' check_header_validity has passed (bounded).
        self._valid_headers: set[tuple[str, str]] = set()

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
            direct = self._send_direct(request, headers)
            response = self._send_by_session(request, headers) if direct is None else direct
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
        return BackendResponse(response.status_code, Headers(_pairs(response.headers)), content)

    def _send_by_session(
        self, request: BackendRequest, headers: dict[str, str]
    ) -> requests.Response:
        """Send through requests' whole path (``Session.request``)."""
        return self.session.request(
            request.method,
            request.url,
            data=request.body,
            headers=headers,
            timeout=request.timeout,
            allow_redirects=request.follow_redirects,
            # Read by the caller in chunks, against the request's deadline.
            stream=True,
            auth=_Auth(request.credential),
        )

    def _checked_headers(
        self, session_headers: Mapping[str, Any], request_headers: Mapping[str, str]
    ) -> requests.structures.CaseInsensitiveDict[Any]:
        """Return the headers ``prepare_headers`` makes of the merged headers.

        The same merge (`_merged_headers`) and the same checks, each pair checked once:
        the headers of one backend's requests are nearly always the same few.
        """
        merged = _merged_headers(session_headers, request_headers)
        pairs = _pairs(merged)
        if any(type(name) is not str for name, _ in pairs):  # bytes: requests converts them
            prepared = requests.PreparedRequest()
            prepared.prepare_headers(merged)
            return prepared.headers
        valid = self._valid_headers
        for pair in pairs:
            if type(pair[1]) is not str or pair not in valid:
                requests.utils.check_header_validity(pair)
                if type(pair[1]) is str:
                    if len(valid) >= _MAX_HEADER_PAIRS:
                        valid.clear()
                    valid.add(pair)
        return merged

    def _send_direct(
        self, request: BackendRequest, headers: dict[str, str]
    ) -> Optional[requests.Response]:
        """Send as ``session.request`` would, through the adapter, without its overhead.

        ``Session.request`` and ``Session.send`` cost about a fifth of the client's time
        per request: a `requests.Request`, the settings merge, URL preparation, cookie
        merging, redirect and hook handling that have nothing to do for what the backend
        sends. This does what they would do to a plain session: the same prepared request
        (method, URL, headers in the same order, body, cookies, hooks) goes to the same
        adapter's ``send`` with the same settings (proxies, CA bundle, client certificate,
        from the environment too); the cookies the answer sets are kept, and redirects
        are followed by the session's own code. Returns None, having sent nothing, when
        the session was changed in a way only requests' own path knows (hooks, params,
        auth, a replaced method, a session of another class): it then takes that path.
        """
        session = self.session
        body = request.body
        if (
            type(session) is not _Session
            or not session.__dict__.keys() <= _SESSION_ATTRIBUTES
            or session.params
            or session.auth is not None
            or session.hooks.get("response") != []
            or not (body is None or type(body) is bytes)
        ):
            return None
        method = request.method.upper()
        prepared = requests.PreparedRequest()
        prepared.method = method
        prepared.url = url = _prepared_url(request.url)
        prepared.headers = self._checked_headers(session.headers, headers)
        if session.cookies:
            prepared.prepare_cookies(
                requests.cookies.merge_cookies(  # type: ignore[no-untyped-call]
                    requests.cookies.RequestsCookieJar(), session.cookies
                )
            )
        else:  # no Cookie header to write; the merge of no cookies is a new empty jar
            setattr(prepared, "_cookies", requests.cookies.RequestsCookieJar())  # noqa: B010
        # prepare_body and prepare_auth, for bytes or nothing and our credential.
        if body:
            prepared.body = body
            prepared.headers["Content-Length"] = str(len(body))
        elif method not in ("GET", "HEAD") and prepared.headers.get("Content-Length") is None:
            prepared.headers["Content-Length"] = "0"
        if request.credential:
            prepared.headers["Authorization"] = request.credential.authorization()
        settings = session.merge_environment_settings(url, {}, True, None, None)
        adapter = session.get_adapter(url)
        started = time.perf_counter()
        response = adapter.send(prepared, timeout=request.timeout, **settings)
        response.elapsed = timedelta(seconds=time.perf_counter() - started)
        # Session.send keeps the cookies the answer sets (cookielib reads these headers).
        if _sets_cookies(response.raw):
            requests.cookies.extract_cookies_to_jar(  # type: ignore[no-untyped-call]
                session.cookies, prepared, response.raw
            )
        if response.is_redirect:  # else the session's redirect code has nothing to do
            if request.follow_redirects:
                history = list(
                    session.resolve_redirects(
                        response, prepared, **settings, timeout=request.timeout
                    )
                )
                if history:
                    history.insert(0, response)
                    response = history.pop()
                    response.history = history
            else:
                response._next = next(  # type: ignore[attr-defined]
                    session.resolve_redirects(
                        response,
                        prepared,
                        yield_requests=True,
                        timeout=request.timeout,
                        **settings,
                    ),
                    None,
                )
        return response


def _sets_cookies(raw: Any) -> bool:
    """Tell whether an answer may set cookies: cookielib reads these headers of it."""
    message = getattr(getattr(raw, "_original_response", None), "msg", None)
    if message is None:
        return False
    return bool(message.get_all("Set-Cookie") or message.get_all("Set-Cookie2"))


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
    # Whether the body is whole once its Content-Length has arrived: with no content
    # coding, nothing is held back in a decoder. urllib3 closes the answer and returns
    # the connection to its pool as the last byte is read, so the read that would only
    # find the end is skipped (a tenth of reading a small answer).
    whole_at_length = False
    if isinstance(raw, urllib3.response.BaseHTTPResponse):
        # read1 returns what has arrived; read(n) would wait for all n bytes.
        pieces: Iterator[bytes] = iter(lambda: raw.read1(_CHUNK, decode_content=True), b"")
        whole_at_length = "Content-Encoding" not in raw.headers
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
            if whole_at_length and raw.length_remaining == 0 and raw.isclosed():
                break
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
