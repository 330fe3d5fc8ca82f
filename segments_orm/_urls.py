"""Building API URLs: every path segment and query value percent-encoded, prefix kept.

The platform's own client pastes names into paths and query strings raw (WIRE.md 1.1,
3.4, 15.2): a labelset ``a/b`` adds a path segment, a ``#`` in a name filter silently drops
every later filter. Here each value is one encoded segment or one encoded query value,
whatever it contains, and an ``api_url`` with a path prefix keeps it (WIRE.md 15.17).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union
from urllib.parse import quote

from yarl import URL

from segments_orm.exceptions import InvalidIdentifierError, ValidationError

__all__ = [
    "DEFAULT_API_URL",
    "ApiUrl",
    "encode_query_value",
    "is_loopback_host",
    "split_dataset_identifier",
]

DEFAULT_API_URL = "https://api.segments.ai/"

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
QueryValue = Union[str, int, float, bool, None]


def split_dataset_identifier(identifier: object, argument: str = "dataset") -> tuple[str, str]:
    """Check a dataset identifier and split it into owner and name.

    Args:
        identifier: The identifier, ``"owner/name"``.
        argument: The argument's name, for the error message.

    Raises:
        ValidationError: It is not a string.
        InvalidIdentifierError: It is not two non-empty parts separated by one ``/`` (a
            `ValidationError` and a `NotFoundError`).
    """
    if not isinstance(identifier, str):
        raise ValidationError(
            f"{argument}: expected 'owner/name' as a string, got {type(identifier).__name__}"
        )
    owner, slash, name = identifier.partition("/")
    if not slash or not owner.strip() or not name.strip() or "/" in name:
        raise InvalidIdentifierError(
            f"{argument}: expected 'owner/name' (two non-empty parts and one '/'), "
            f"got {identifier!r}"
        )
    return owner, name


def is_loopback_host(host: Optional[str]) -> bool:
    """Tell whether ``host`` names this machine (``localhost`` or a loopback address)."""
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ApiUrl:
    """The API's root URL, and the one way to build an endpoint URL from it.

    Args:
        root: The API's root, for example ``https://api.segments.ai/`` or
            ``http://127.0.0.1:8765/api/`` (the path prefix is kept).
        allow_insecure_http: Permit ``http://`` to a host other than this machine.
            Off by default: the API key would cross the network in clear.

    Raises:
        ValidationError: The URL is not absolute http(s), holds a user name or password,
            or is plain http to a remote host without ``allow_insecure_http``.
    """

    __slots__ = ("_prefix", "root")

    def __init__(self, root: str, *, allow_insecure_http: bool = False) -> None:
        if not isinstance(root, str) or not root.strip():
            raise ValidationError("api_url: expected an absolute http(s) URL")
        try:
            url = URL(root.strip())
            url.port  # noqa: B018 - parsing the port is what refuses 99999
        except ValueError as error:
            raise ValidationError(f"api_url: not a valid URL ({error}): {root!r}") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValidationError(f"api_url: expected an absolute http(s) URL, got {root!r}")
        if url.raw_user is not None or url.raw_password is not None:
            # They would show in every error message, log line and repr that names a URL,
            # and requests would send them as Basic auth in place of the API key.
            raise ValidationError(
                "api_url: a user name or password in the URL is not supported; "
                "pass the key as api_key (or SEGMENTS_API_KEY) instead"
            )
        if url.scheme == "http" and not allow_insecure_http and not is_loopback_host(url.host):
            raise ValidationError(
                f"api_url: refusing plain http to {url.host}: the API key would travel "
                "unencrypted. Use https, or pass allow_insecure_http=True if you mean it."
            )
        path = url.raw_path if url.raw_path.endswith("/") else url.raw_path + "/"
        self.root: URL = url.with_query(None).with_fragment(None)
        self._prefix = path

    @property
    def origin(self) -> URL:
        """Scheme, host and port: requests to any other origin never carry the key."""
        return self.root.origin()

    def endpoint(
        self,
        template: str,
        params: Optional[Mapping[str, str]] = None,
        query: Optional[Mapping[str, Any]] = None,
    ) -> URL:
        """Build the URL of one endpoint.

        Args:
            template: The path below the root, with ``{placeholders}``, for example
                ``"datasets/{owner}/{name}/labelsets/{labelset}/"``. A trailing slash in
                the template is kept (WIRE.md 1.7 lists the paths that have none).
            params: One value per placeholder; each becomes exactly one encoded segment.
            query: Query parameters in order; None values are left out, the rest are
                encoded by `encode_query_value`.

        Raises:
            ValidationError: A placeholder has no value, or a value is empty, ``.`` or ``..``.
        """
        values = params or {}

        def fill(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in values:
                raise ValidationError(f"{key}: a value is required to build {template!r}")
            value = values[key]
            if not isinstance(value, str) or value == "":
                raise ValidationError(f"{key}: expected a non-empty string, got {value!r}")
            if value in (".", ".."):
                # A dot segment is removed when the URL is normalised (requests does it),
                # so ``labelsets/../`` would address the dataset itself. Encoding does not
                # help: servers decode %2E before normalising (RFC 3986 6.2.2.2).
                raise ValidationError(f"{key}: {value!r} cannot be used as a name in a URL")
            return quote(value, safe="")

        path = self._prefix + _PLACEHOLDER.sub(fill, template.lstrip("/"))
        url = URL.build(
            scheme=self.root.scheme,
            authority=self.root.raw_authority,
            path=path,
            encoded=True,
        )
        if query:
            pairs = [(k, encode_query_value(v)) for k, v in query.items() if v is not None]
            if pairs:
                url = url.with_query(pairs)
        return url

    def __repr__(self) -> str:
        return f"ApiUrl({str(self.root)!r})"


def encode_query_value(value: Union[QueryValue, Sequence[QueryValue]]) -> str:
    """Turn one query value into the text the API expects.

    Booleans become ``true``/``false``, sequences are joined with commas (``label_status``
    and ``filters`` take comma-separated lists), everything else is ``str()``. The URL
    encoding itself is yarl's, applied when the query is attached.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(encode_query_value(v) for v in value)
    return str(value)
