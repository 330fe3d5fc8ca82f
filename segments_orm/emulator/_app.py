"""The emulator's WSGI application: routing, authentication, faults, and its admin interface."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import secrets
import socket
import time
import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Optional, Union
from urllib.parse import parse_qsl, quote, unquote_to_bytes, urlsplit

from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import get_content_length, get_input_stream

from segments_orm.emulator import _admin
from segments_orm.emulator import _handlers as h
from segments_orm.emulator._faults import ERROR_BODIES, Faults, RateLimiter, Stats
from segments_orm.emulator._handlers.releases import SIGNED_URL_TTL
from segments_orm.emulator._http import (
    MAX_BODY_BYTES,
    MAX_QUERY_PARAMETERS,
    MAX_RESPONSE_BYTES,
    MAX_URI_BYTES,
    ApiError,
    Ctx,
    JsonText,
    over_limit,
    parse_json,
)
from segments_orm.emulator._multipart import WholeBodyFormParser
from segments_orm.emulator._store import (
    DEMO_USERNAME,
    DeadlineExceededError,
    Store,
    Tx,
    new_api_key,
    now_iso,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["Emulator", "StatsSnapshot"]

logger = logging.getLogger("segments_orm.emulator")

Handler = Callable[[Ctx], h.Reply]

#: How a route authenticates: "required" (API), "optional" (/api_status/) or "none" (storage).
_AUTH_MODES = ("required", "optional", "none")


class Route:
    """One path pattern and the handler of each method it accepts.

    Pattern segments are literals, ``{name}`` (one path segment) or ``{name*}`` (the rest of
    the path, at least one segment, joined with ``/``). The greedy form lets a labelset or
    release name sent unencoded by segments-ai (``a/b``, WIRE.md 1.1) still be found.
    """

    def __init__(
        self,
        pattern: str,
        methods: Mapping[str, Handler],
        *,
        auth: str = "required",
        multipart: bool = False,
    ) -> None:
        assert auth in _AUTH_MODES
        self.pattern = pattern
        self.segments = tuple(pattern.strip("/").split("/"))
        self.methods = dict(methods)
        self.auth = auth
        self.multipart = multipart
        # Each segment read once: (literal, None), (None, name) or (None, "*name").
        self._parts = tuple(_pattern_part(part) for part in self.segments)

    def match(self, segments: list[str]) -> Optional[dict[str, str]]:
        """Return the path parameters when ``segments`` fits this route, else None."""
        params: dict[str, str] = {}
        count = len(segments)
        for index, (literal, name) in enumerate(self._parts):
            if name is not None and name[0] == "*":
                rest = segments[index:]
                if not rest or not all(rest):
                    return None
                params[name[1:]] = "/".join(rest)
                return params
            if index >= count:
                return None
            if name is None:
                if literal != segments[index]:
                    return None
            elif not segments[index]:
                return None
            else:
                params[name] = segments[index]
        return params if count == len(self._parts) else None


def _pattern_part(part: str) -> tuple[Optional[str], Optional[str]]:
    if part.startswith("{") and part.endswith("*}"):
        return None, "*" + part[1:-2]
    if part.startswith("{"):
        return None, part[1:-1]
    return part, None


_DS = "/datasets/{owner}/{name}"

#: The one router table: every endpoint of WIRE.md section 2, plus the emulator's storage.
ROUTES: tuple[Route, ...] = (
    Route("/api_status", {"GET": h.api_status}, auth="optional"),
    Route("/user", {"GET": h.get_me}),
    Route("/user/datasets", {"GET": h.list_my_datasets, "POST": h.add_my_dataset}),
    Route("/users/{username}", {"GET": h.get_user}),
    Route("/users/{username}/datasets", {"GET": h.list_user_datasets}),
    Route("/organizations/{org}/datasets", {"POST": h.add_org_dataset}),
    Route(
        _DS,
        {"GET": h.get_dataset, "PATCH": h.update_dataset, "DELETE": h.delete_dataset},
    ),
    Route(f"{_DS}/clone", {"POST": h.clone_dataset}),
    Route(f"{_DS}/collaborators", {"POST": h.add_collaborator}),
    Route(
        f"{_DS}/collaborators/{{username}}",
        {
            "GET": h.get_collaborator,
            "PATCH": h.update_collaborator,
            "DELETE": h.delete_collaborator,
        },
    ),
    Route(f"{_DS}/samples", {"GET": h.list_samples, "POST": h.add_sample}),
    Route(f"{_DS}/samples_bulk", {"POST": h.add_samples, "DELETE": h.delete_samples}),
    Route(f"{_DS}/labelsets", {"GET": h.list_labelsets, "POST": h.add_labelset}),
    Route(f"{_DS}/labelsets/{{labelset*}}", {"GET": h.get_labelset, "DELETE": h.delete_labelset}),
    Route(f"{_DS}/issues", {"GET": h.list_issues}),
    Route(f"{_DS}/releases", {"GET": h.list_releases, "POST": h.add_release}),
    Route(f"{_DS}/releases/{{release*}}", {"GET": h.get_release, "DELETE": h.delete_release}),
    Route(f"{_DS}/workunits", {"GET": h.list_workunits}),
    Route(
        "/samples/{uuid}",
        {"GET": h.get_sample, "PATCH": h.update_sample, "DELETE": h.delete_sample},
    ),
    Route("/samples/{uuid}/issues", {"POST": h.add_issue}),
    Route(
        "/labels/{uuid}/{labelset*}",
        {"GET": h.get_label, "PUT": h.put_label, "PATCH": h.patch_label, "DELETE": h.delete_label},
    ),
    Route(
        "/issues/{uuid}",
        {"GET": h.get_issue, "PATCH": h.update_issue, "DELETE": h.delete_issue},
    ),
    Route("/assets", {"POST": h.add_asset}),
    Route("/_emulator/s3", {"POST": h.upload_object}, auth="none", multipart=True),
    Route("/_emulator/s3/{key*}", {"GET": h.get_object}, auth="none"),
    Route("/_emulator/releases/{file}", {"GET": h.release_file}, auth="none"),
)


def _routes_by_first_segment() -> dict[str, tuple[Route, ...]]:
    index: dict[str, list[Route]] = {}
    for route in ROUTES:
        first = route.segments[0]
        assert not first.startswith("{"), "every route starts with a literal segment"
        index.setdefault(first, []).append(route)
    return {first: tuple(routes) for first, routes in index.items()}


# Every route starts with a literal, so a request tries only the routes that share its first
# segment (at most seven, in table order) instead of the whole table.
_ROUTES_BY_FIRST_SEGMENT = _routes_by_first_segment()


def _find_route(segments: list[str]) -> Optional[tuple[Route, dict[str, str]]]:
    candidates = _ROUTES_BY_FIRST_SEGMENT.get(segments[0], ()) if segments else ()
    for route in candidates:
        params = route.match(segments)
        if params is not None:
            return route, params
    return None


def _raw_target(environ: WSGIEnvironment) -> tuple[str, str]:
    """Return the still-percent-encoded path and query string of the request.

    werkzeug decodes PATH_INFO before the application sees it, which would turn a ``%2F``
    inside a labelset name into a path separator; the raw request line keeps it.
    """
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        if raw[:1] == "/" and raw[1:2] != "/" and not _SPLIT_REMOVES.intersection(raw):
            # What urlsplit does with an origin-form target (a path, no scheme or host,
            # nothing it would strip), without its general machinery.
            path, _, query = raw.partition("#")[0].partition("?")
            return path, query
        parts = urlsplit(raw)
        return parts.path or "/", parts.query
    path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
    return quote(path, safe="/:@!$&'()*+,;=-._~"), environ.get("QUERY_STRING", "")


#: The characters urlsplit removes from a URL wherever they are.
_SPLIT_REMOVES = frozenset("\t\r\n")


def _path_segments(raw_path: str) -> list[str]:
    """Split the raw path on ``/`` first, then percent-decode each segment."""
    if raw_path.isascii() and "%" not in raw_path:
        # Nothing to decode: each segment is the text between the slashes.
        segments = raw_path.split("/")
        if segments and segments[0] == "":
            segments = segments[1:]
        if segments and segments[-1] == "":
            segments = segments[:-1]
        return segments
    parts = raw_path.encode("latin-1", "replace").split(b"/")
    if parts and parts[0] == b"":
        parts = parts[1:]
    if parts and parts[-1] == b"":  # the trailing slash is optional on every route
        parts = parts[:-1]
    return [unquote_to_bytes(part).decode("utf-8", "replace") for part in parts]


def _query(raw_query: str) -> dict[str, str]:
    if not raw_query:
        return {}
    text = raw_query.encode("latin-1", "replace").decode("utf-8", "replace")
    try:
        return dict(parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_QUERY_PARAMETERS))
    except ValueError:
        raise over_limit(
            "max_query_parameters",
            f"The query string has more than {MAX_QUERY_PARAMETERS} parameters.",
        ) from None


class JsonAnswer:
    """A JSON answer, served to WSGI as werkzeug's `Response` would serve it, built cheaply.

    Every API answer is one of these: a status, ``Content-Type: application/json``, its
    ``Content-Length`` and the headers given, in that order, and the body, which a HEAD
    request does not get. werkzeug's `Response` does the same through a general machinery
    (header objects, iterators, status parsing) that cost as much as the answer's content.

    Attributes:
        status_code: The HTTP status.
    """

    __slots__ = ("_body", "_headers", "_status", "status_code")

    def __init__(self, status: int, body: bytes, headers: Optional[Mapping[str, str]]) -> None:
        self.status_code = status
        self._status = _status_line(status)
        self._body = body
        answer_headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
        ]
        for key, value in (headers or {}).items():
            # Set, not added, as werkzeug's headers[key] = value: a header of that name
            # already there takes the value in its place.
            lowered = key.lower()
            for index, (name, _) in enumerate(answer_headers):
                if name.lower() == lowered:
                    answer_headers[index] = (key, value)
                    break
            else:
                answer_headers.append((key, value))
        self._headers = answer_headers

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        """Serve the answer to one WSGI request."""
        start_response(self._status, list(self._headers))
        if environ.get("REQUEST_METHOD") == "HEAD":
            return []
        return [self._body]


@functools.lru_cache(maxsize=64)
def _status_line(status: int) -> str:
    # As werkzeug writes it ("201 CREATED"); a code it does not know is "UNKNOWN".
    return f"{status} {HTTP_STATUS_CODES.get(status, 'unknown').upper()}"


#: What the WSGI application answers: JSON, or a file (an object of the storage, a release).
Answer = Union[JsonAnswer, Response]


def json_response(status: int, body: Any, headers: Optional[Mapping[str, str]] = None) -> Answer:
    """Render a status and a JSON body (``None`` for an empty body, `JsonText` as it is)."""
    if body is None or status in _NO_BODY_STATUSES:
        # Rare (204 answers): werkzeug knows which headers such an answer must drop.
        if body is None:
            response = Response(b"", status=status)
            response.headers.pop("Content-Type", None)
        else:
            text = body if isinstance(body, JsonText) else json.dumps(body, ensure_ascii=False)
            response = Response(text, status=status, content_type="application/json")
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response
    text = body if isinstance(body, JsonText) else _ANSWER_ENCODER.encode(body)
    if len(text) > MAX_RESPONSE_BYTES // 4 and len(text.encode()) > MAX_RESPONSE_BYTES:
        text = json.dumps(
            {
                "detail": f"The answer would exceed {MAX_RESPONSE_BYTES} bytes;"
                " ask for a smaller page (per_page).",
                "limit": "max_response_bytes",
            }
        )
        status, headers = 400, None
    return JsonAnswer(status, text.encode("utf-8"), headers)


#: json.dumps(body, ensure_ascii=False) builds this encoder per call; it is stateless.
_ANSWER_ENCODER = json.JSONEncoder(ensure_ascii=False)

#: Statuses whose answers have no body (RFC 9110 6.4.1).
_NO_BODY_STATUSES = frozenset({*range(100, 200), 204, 304})


def _read_body(environ: WSGIEnvironment) -> bytes:
    """Read the request body, gunzipping it when asked, within `MAX_BODY_BYTES`.

    From the environ, as werkzeug's Request would read it (its ``content_length``,
    ``stream`` and headers are these functions and keys) without building its properties.
    """
    length = get_content_length(environ)
    if length is not None and length > MAX_BODY_BYTES:
        raise _body_too_large()
    # A stream read for n bytes may allocate n at once: ask for the announced length, not
    # for the cap, when there is one (the stream never gives more than it announces).
    data = get_input_stream(environ).read(MAX_BODY_BYTES + 1 if length is None else length)
    if len(data) > MAX_BODY_BYTES:
        raise _body_too_large()
    encoding = environ.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if encoding in ("", "identity"):
        return data
    if encoding != "gzip":
        raise ApiError(415, {"detail": f'Unsupported content encoding "{encoding}".'})
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        inflated = decompressor.decompress(data, MAX_BODY_BYTES + 1)
    except zlib.error as error:
        raise ApiError(400, {"detail": f"Malformed gzip body: {error}"}) from None
    if len(inflated) > MAX_BODY_BYTES:
        raise _body_too_large()
    if not decompressor.eof:
        raise ApiError(400, {"detail": "Malformed gzip body: truncated stream."})
    return inflated


def _body_too_large() -> ApiError:
    return ApiError(400, {"detail": f"Request body exceeds {MAX_BODY_BYTES} bytes."})


class _ConnectionDroppedError(ConnectionAbortedError):
    """Raised out of the application to make the server hang up without answering."""


#: The environ key under which the server passes the connection's socket (for drop faults).
SOCKET_ENVIRON_KEY = "segments_orm.emulator.socket"


def _drop(environ: WSGIEnvironment) -> None:
    sock = environ.get(SOCKET_ENVIRON_KEY) or environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    # The server treats a ConnectionError from the app as a dropped connection: no answer.
    raise _ConnectionDroppedError("connection dropped by fault injection")


class StatsSnapshot:
    """Counters of what the emulator served, at one moment.

    Attributes:
        requests: HTTP requests received (including faulted ones).
        by_status: Answers sent, by status code.
        faults: Faults injected, by kind: ``"latency"``, ``"429"``, ``"500"``, ``"502"``,
            ``"503"``, ``"504"``, ``"drop"`` and ``"drop_after_commit"``.
        rate_limited: Requests refused by `Emulator.rate_limit`.
        internal_errors: Unexpected exceptions answered as 500 (a bug if not zero).
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.requests: int = data["requests"]
        self.by_status: dict[int, int] = data["by_status"]
        self.faults: dict[str, int] = data["faults"]
        self.rate_limited: int = data["rate_limited"]
        self.internal_errors: int = data["internal_errors"]

    def as_dict(self) -> dict[str, Any]:
        """Return the counters as plain data."""
        return {
            "requests": self.requests,
            "by_status": dict(self.by_status),
            "faults": dict(self.faults),
            "rate_limited": self.rate_limited,
            "internal_errors": self.internal_errors,
        }

    def __repr__(self) -> str:
        return f"StatsSnapshot({self.as_dict()!r})"


SeedData = _admin.SeedData


class Emulator:
    """The stateful emulated platform: a WSGI application plus its admin interface.

    The admin methods act directly on the state; faults and the rate limit never apply to
    them.

    Args:
        db: ``":memory:"`` or the path of an SQLite file that keeps the state across restarts.
        release_delay: Seconds a new release stays PENDING before its first read shows it
            SUCCEEDED (or FAILED).
        seed: Accounts to create at start: a JSON seed file path or its parsed content (see
            `load_seed`).

    Attributes:
        signed_url_ttl: Seconds a capability URL it issues stays valid (an asset's presigned
            upload form, a release file's signed URL), 3600 as S3's default; shorten it in
            tests. A release URL also stops working for a user who can no longer read the
            dataset.
    """

    def __init__(
        self,
        db: Union[str, os.PathLike[str]] = ":memory:",
        *,
        release_delay: float = 0.2,
        seed: Optional[SeedData] = None,
    ) -> None:
        self.store = Store(str(db))
        self.release_delay = float(release_delay)
        self._initial_release_delay = self.release_delay
        self.signed_url_ttl = SIGNED_URL_TTL
        self.faults: Optional[Faults] = None
        self._rate_limiter: Optional[RateLimiter] = None
        self._stats = Stats()
        #: Seconds a request may hold the store (its lock) before it is answered 400.
        self.max_request_seconds = 2.0
        with self.store.transaction() as tx:
            secret = _meta(tx, "signing_secret") or secrets.token_hex(32)
            _set_meta(tx, "signing_secret", secret)
            demo_key = _meta(tx, "demo_api_key") or new_api_key()
            _set_meta(tx, "demo_api_key", demo_key)
        self.signing_secret = secret.encode()
        self._demo_key = demo_key
        try:
            self._ensure_demo()
            if seed is not None:
                self.load_seed(seed)
        except BaseException:
            self.store.close()
            raise

    def __repr__(self) -> str:
        return f"<Emulator db={self.store.path!r} faults={self.faults!r}>"

    # --- admin interface ----------------------------------------------------------------

    @property
    def api_key(self) -> str:
        """The demo user's API key."""
        return self._demo_key

    def _ensure_demo(self) -> None:
        with self.store.transaction() as tx:
            if tx.one("SELECT 1 FROM users WHERE username = ?", (DEMO_USERNAME,)) is None:
                _admin.insert_user(tx, DEMO_USERNAME, "demo@example.com", organization=False)
            tx.run(
                "INSERT OR IGNORE INTO api_keys (key, username, created_at) VALUES (?, ?, ?)",
                (self._demo_key, DEMO_USERNAME, now_iso()),
            )

    def add_user(
        self, username: str, email: Optional[str] = None, *, api_key: Optional[str] = None
    ) -> str:
        """Create a user and return a new API key for them.

        Args:
            username: The new username.
            email: Their email; ``<username>@example.com`` by default.
            api_key: A key to register instead of a random one (for seed files).

        Raises:
            ValueError: If the username is invalid or taken.
        """
        with self.store.transaction() as tx:
            _admin.insert_user(tx, username, email or f"{username}@example.com", organization=False)
            return _admin.insert_key(tx, username, api_key)

    def add_organization(self, name: str, email: Optional[str] = None) -> None:
        """Create an organization (an account that owns datasets and has members).

        Raises:
            ValueError: If the name is invalid or taken.
        """
        with self.store.transaction() as tx:
            _admin.insert_user(tx, name, email, organization=True)

    def add_member(self, org: str, username: str, role: str = "labeler") -> None:
        """Add a user to an organization, or change their role in it.

        Args:
            org: The organization's name.
            username: The member.
            role: ``admin`` (may do everything on the organization's datasets) or any other
                role of `segments_orm.enums.Role` (may read them).

        Raises:
            ValueError: If the organization or the user does not exist, or the role is
                unknown.
        """
        with self.store.transaction() as tx:
            _admin.set_member(tx, org, username, role)

    def issue_api_key(self, username: str, api_key: Optional[str] = None) -> str:
        """Issue another API key for an existing user and return it.

        Raises:
            ValueError: If the user does not exist or the key is taken.
        """
        with self.store.transaction() as tx:
            return _admin.insert_key(tx, username, api_key)

    def load_seed(self, seed: SeedData) -> _admin.SeedReport:
        """Create the accounts described by a seed file or mapping that do not exist yet.

        The format is::

            {"users": [{"username": "john", "email": "j@x.org", "api_key": "optional"}],
             "organizations": [{"name": "acme",
                                "members": [{"username": "john", "role": "admin"}]}]}

        Loading the same seed again changes nothing, so a sandbox restarted with the same
        seed starts; the whole seed applies in one transaction, or nothing of it does.

        Returns:
            What was created.

        Raises:
            SeedConflictError: If the seed contradicts the database (an account of the other
                kind, another email or role, a key registered to someone else).
            ValueError: If the seed is malformed or unreadable.
        """
        data = _admin.read_seed(seed)
        with self.store.transaction() as tx:
            return _admin.apply_seed(tx, data)

    def reset(self) -> None:
        """Wipe the state back to the demo user (same key); clear faults and counters."""
        self.store.wipe()
        self._ensure_demo()
        self.faults = None
        self._rate_limiter = None
        self.release_delay = self._initial_release_delay
        self.signed_url_ttl = SIGNED_URL_TTL
        self._stats = Stats()

    @property
    def rate_limit(self) -> Optional[tuple[int, float]]:
        """The per-key limit as ``(requests, per_seconds)``, or None for no limit.

        Requests over the limit answer 429 with a ``Retry-After`` header.
        """
        limiter = self._rate_limiter
        return None if limiter is None else (limiter.limit, limiter.period)

    @rate_limit.setter
    def rate_limit(self, value: Optional[tuple[int, float]]) -> None:
        self._rate_limiter = None if value is None else RateLimiter(int(value[0]), value[1])

    @property
    def stats(self) -> StatsSnapshot:
        """A snapshot of the request and fault counters."""
        return StatsSnapshot(self._stats.snapshot())

    def close(self) -> None:
        """Close the database."""
        self.store.close()

    # --- WSGI ---------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        """Serve one WSGI request."""
        request = Request(environ)
        response = self._respond(request, environ)
        self._stats.count_status(response.status_code)
        return response(environ, start_response)

    def _respond(self, request: Request, environ: WSGIEnvironment) -> Answer:
        stats = self._stats
        stats.count_request()
        raw_path, raw_query = _raw_target(environ)
        faults = self.faults
        decision = faults.decide(raw_path) if faults is not None else None
        if decision is not None:
            if decision.delay > 0:
                stats.count_fault("latency")
                time.sleep(decision.delay)
            if decision.kind == "error" and decision.status is not None:
                assert faults is not None
                stats.count_fault(str(decision.status))
                return _fault_response(decision.status, faults.retry_after)
            if decision.kind == "drop":
                stats.count_fault("drop")
                _drop(environ)
        response = self._dispatch(request, raw_path, raw_query)
        if decision is not None and decision.kind == "drop_after_commit":
            stats.count_fault("drop_after_commit")
            _drop(environ)
        return response

    def _dispatch(self, request: Request, raw_path: str, raw_query: str) -> Answer:
        try:
            if len(raw_path) + len(raw_query) > MAX_URI_BYTES:
                raise over_limit(
                    "max_uri_bytes", f"The request target exceeds {MAX_URI_BYTES} bytes.", 414
                )
            found = _find_route(_path_segments(raw_path))
            if found is None:
                raise ApiError(404, {"detail": "Not found."})
            route, params = found
            key = self._credentials(request, route)
            method = "GET" if request.method == "HEAD" else request.method
            handler = route.methods.get(method)
            query = _query(raw_query)
            body = b""
            parsed: Optional[tuple[Any, Optional[ApiError]]] = None
            if handler is not None and route.multipart:
                request.max_content_length = MAX_BODY_BYTES
                request.form_data_parser_class = WholeBodyFormParser
                request.files  # noqa: B018 - parse the form outside the store's lock
            elif handler is not None:
                body = _read_body(request.environ)
                parsed = _parse_outside_lock(body)
            with self.store.transaction(self.max_request_seconds) as tx:
                user = self._authenticate(tx, route, key)
                if route.auth != "none":  # the object store is not the API; S3 has no such limit
                    # After authentication: a key that is not registered answers 401 and
                    # leaves no entry in the limiter.
                    self._check_rate_limit(request, user)
                if handler is None:
                    raise ApiError(
                        405,
                        {"detail": f'Method "{request.method}" not allowed.'},
                        {"Allow": ", ".join(sorted(route.methods))},
                    )
                ctx = Ctx(self, request, tx, user, params, query, body, None, parsed)
                reply = handler(ctx)
        except ApiError as error:
            return json_response(error.status, error.body, error.headers)
        except DeadlineExceededError:
            return json_response(
                400,
                {
                    "detail": f"The request needs more than {self.max_request_seconds:g} s of the"
                    " emulator's time; ask for less (a smaller page or batch, fewer filters).",
                    "limit": "max_request_seconds",
                },
            )
        except Exception as error:
            if getattr(error, "code", None) == 413:  # werkzeug's RequestEntityTooLarge
                return json_response(
                    400, {"detail": f"Request body exceeds {MAX_BODY_BYTES} bytes."}
                )
            self._stats.count_internal_error()
            logger.exception("unexpected error on %s %s", request.method, raw_path)
            return json_response(500, {"detail": "A server error occurred."})
        if isinstance(reply, Response):
            return reply
        status, payload = reply
        return json_response(status, payload)

    def _credentials(self, request: Request, route: Route) -> Optional[str]:
        """Return the API key sent, or None; reject a malformed header."""
        if route.auth == "none":
            return None
        header = str(request.environ.get("HTTP_AUTHORIZATION", ""))  # headers["Authorization"]
        scheme, _, key = header.strip().partition(" ")
        if scheme.lower() != "apikey":
            return None
        key = key.strip()
        if not key or " " in key:
            raise ApiError(
                401,
                {"detail": "Invalid token header. No credentials provided."},
                {"WWW-Authenticate": "APIKey"},
            )
        return key

    def _authenticate(self, tx: Tx, route: Route, key: Optional[str]) -> Optional[str]:
        """Return the username of the key, enforcing the route's authentication mode."""
        if route.auth == "none":
            return None
        if key is None:
            if route.auth == "required":
                raise ApiError(
                    401,
                    {"detail": "Authentication credentials were not provided."},
                    {"WWW-Authenticate": "APIKey"},
                )
            return None
        row = tx.one("SELECT username FROM api_keys WHERE key = ?", (key,))
        if row is None:
            raise ApiError(401, {"detail": "Invalid token."}, {"WWW-Authenticate": "APIKey"})
        return str(row["username"])

    def _check_rate_limit(self, request: Request, user: Optional[str]) -> None:
        limiter = self._rate_limiter
        if limiter is None:
            return
        client = f"user:{user}" if user else f"addr:{request.remote_addr}"
        wait = limiter.check(client)
        if wait is not None:
            self._stats.count_rate_limited()
            raise ApiError(
                429,
                {"detail": f"Request was throttled. Expected available in {wait} seconds."},
                {"Retry-After": str(wait)},
            )


def _parse_outside_lock(body: bytes) -> Optional[tuple[Any, Optional[ApiError]]]:
    """Parse a JSON body before the store's lock; the handler meets the outcome later.

    The error is kept rather than raised so that a handler still answers 404 for a missing
    dataset before it reports a malformed body, as it did when it parsed the body itself.
    """
    if not body.strip():
        return None
    try:
        return parse_json(body), None
    except ApiError as error:
        return None, error


def _fault_response(status: int, retry_after: int) -> Answer:
    detail = ERROR_BODIES[status].format(retry_after=retry_after)
    headers = {"Retry-After": str(retry_after)} if status in (429, 503) else {}
    return json_response(status, {"detail": detail}, headers)


def _meta(tx: Tx, key: str) -> Optional[str]:
    value = tx.scalar("SELECT value FROM meta WHERE key = ?", (key,))
    return None if value is None else str(value)


def _set_meta(tx: Tx, key: str, value: str) -> None:
    tx.run(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
