"""Request context, error bodies, input validation and pagination shared by every handler."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

from segments_orm.emulator._shapes import non_finite_error
from segments_orm.emulator._store import Tx

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

    from segments_orm.emulator._app import Emulator

__all__ = [
    "ApiError",
    "Ctx",
    "Field",
    "JsonText",
    "duplicate",
    "forbidden",
    "not_found",
    "paginate",
    "validate",
]

T = TypeVar("T")

#: The cap on request bodies, before and after gzip decoding.
MAX_BODY_BYTES = 32 * 1024 * 1024
#: The largest page a list endpoint serves.
MAX_PER_PAGE = 1000
#: The longest request target (path and query string), in bytes (414 beyond).
MAX_URI_BYTES = 16 * 1024
#: Query-string parameters per request.
MAX_QUERY_PARAMETERS = 64
#: ``key:value`` pairs in a sample listing's ``filters``.
MAX_FILTERS = 64
#: Values (objects, arrays and scalars) in one JSON body, counted as the parser would make
#: them: bounds the memory a small compressed body can expand to once decoded.
MAX_JSON_VALUES = 500_000
#: Nesting depth of a JSON body (the walks over stored documents stay shallow).
MAX_JSON_DEPTH = 64
#: Items in one bulk request (samples_bulk).
MAX_BULK_ITEMS = 5000
#: Serialised size of one stored field (metadata, attributes, ...).
MAX_FIELD_BYTES = 1024 * 1024
#: Size of one answer's body.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: The largest magnitude an integer field accepts (SQLite's and JSON consumers' 64 bits).
MAX_INTEGER = 2**63 - 1


class JsonText(str):
    """An answer's JSON body already rendered, which a handler returns in place of data.

    A listing splices the stored text of its documents into it rather than decode each one
    only for the answer to encode it again; the server sends it as it is.
    """

    __slots__ = ()


class ApiError(Exception):
    """An answer other than success, raised by a handler and rendered as JSON.

    The bodies follow WIRE.md 11.3 phrase for phrase, because the platform's client maps
    errors by substring.
    """

    def __init__(self, status: int, body: Any, headers: Optional[Mapping[str, str]] = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def not_found() -> ApiError:
    """Return the 404 for a missing (or invisible) object."""
    return ApiError(404, {"detail": "Not found."})


def forbidden() -> ApiError:
    """Return the 403 for a visible object the caller may not change."""
    return ApiError(403, {"detail": "You do not have permission to perform this action."})


def duplicate(thing: str) -> ApiError:
    """Return the 400 for a name already taken (``thing`` is capitalised, e.g. "Dataset")."""
    return ApiError(400, {"detail": f"{thing} with this name already exists."})


def bad_request(field: str, message: str) -> ApiError:
    """Return a DRF-style field-level 400."""
    return ApiError(400, {field: [message]})


def over_limit(limit: str, detail: str, status: int = 400) -> ApiError:
    """Return the 4xx for a request past one of the emulator's bounds, naming the bound."""
    return ApiError(status, {"detail": detail, "limit": limit})


def parse_json(body: bytes) -> Any:
    """Parse a request body as JSON within the value and depth bounds; empty is ``{}``.

    Raises:
        ApiError: 400 for malformed JSON or a body past `MAX_JSON_VALUES` / `MAX_JSON_DEPTH`.
    """
    if not body.strip():
        return {}
    # Every value but the first follows a comma or opens a container: an upper bound on
    # what json.loads would allocate, counted at C speed before it allocates anything.
    containers = body.count(b"[") + body.count(b"{")
    values = body.count(b",") + containers
    if values > MAX_JSON_VALUES:
        raise over_limit(
            "max_json_values", f"The JSON body holds more than {MAX_JSON_VALUES} values."
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(400, {"detail": f"JSON parse error - {error}"}) from None
    try:
        if text.startswith("\ufeff"):  # json.loads checks this before it decodes
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        data = _BODY_DECODER.decode(text)
        # "\ud800" is valid JSON but no valid text: refuse it here, not in the store. The
        # text came from valid UTF-8, so only a \uD800-\uDFFF escape can make one; a body
        # without "\ud" is not encoded again to find out.
        if "\\ud" in text or "\\uD" in text:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(
            400, {"detail": "JSON parse error - a string holds a lone surrogate"}
        ) from None
    except ValueError as error:
        located = non_finite_error(text)  # NaN or an infinity: say in which field
        if located is not None:
            raise ApiError(400, located) from None
        raise ApiError(400, {"detail": f"JSON parse error - {error}"}) from None
    except RecursionError:
        # "[[[[..." nested past the parser's stack: a 400 like any malformed body.
        raise ApiError(400, {"detail": "JSON parse error - nested too deeply"}) from None
    # Each level opens a bracket: a body with few of them cannot be nested too deep.
    if containers > MAX_JSON_DEPTH and json_depth(data) > MAX_JSON_DEPTH:
        raise over_limit(
            "max_json_depth", f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."
        )
    return data


def json_depth(value: Any) -> int:
    """Return how deeply a JSON document nests (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in item if isinstance(child, (dict, list)))
    return deepest


class Ctx:
    """Everything a handler needs about the request it answers."""

    def __init__(
        self,
        emulator: Emulator,
        request: Request,
        tx: Tx,
        user: Optional[str],
        params: dict[str, str],
        query: dict[str, str],
        body: bytes,
        base_url: Optional[str],
        parsed: Optional[tuple[Any, Optional[ApiError]]] = None,
    ) -> None:
        self.emulator = emulator
        self.request = request
        self.tx = tx
        self.user = user
        self.params = params
        self.query = query
        self.body = body
        self._base_url = base_url
        # The body as parsed before the store's lock was taken: (value, error).
        self._parsed = parsed

    @property
    def base_url(self) -> str:
        """The root URL the request came to (``http://host:port/``); from the request if None.

        Only the handlers that issue URLs ask for it, so it is worked out on demand.
        """
        if self._base_url is None:
            # Not request.host_url: it IRI-decodes the whole URL.
            self._base_url = f"{self.request.scheme}://{self.request.host}/"
        return self._base_url

    @property
    def username(self) -> str:
        """The authenticated username (the router guarantees one on authenticated routes)."""
        if self.user is None:
            raise ApiError(401, {"detail": "Authentication credentials were not provided."})
        return self.user

    def json(self) -> Any:
        """Parse the body as JSON; an empty body is an empty object."""
        if self._parsed is None:
            return parse_json(self.body)
        value, error = self._parsed
        if error is not None:
            raise error
        return value

    def object_body(self) -> dict[str, Any]:
        """Parse the body as a JSON object, as DRF serializers require."""
        data = self.json()
        if not isinstance(data, dict):
            raise ApiError(
                400,
                {
                    "non_field_errors": [
                        f"Invalid data. Expected a dictionary, but got {_type_name(data)}."
                    ]
                },
            )
        return data


def _reject_constant(name: str) -> Any:
    # segments-ai's gzip path can send NaN/Infinity (WIRE.md 1.3); they cannot be stored and
    # re-served as valid JSON, so they are refused like DRF's strict parser does.
    raise ValueError(f"Out of range float values are not JSON compliant: {name}")


def _finite(text: str) -> float:
    # 1e999 parses to infinity, which would reach the store and fail there (a 500).
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"Out of range float values are not JSON compliant: {text[:20]}")
    return value


def _bounded_int(text: str) -> int:
    # Python 3.11+ refuses more digits than this itself; 3.9 and 3.10 would parse them.
    if len(text) > 4300:
        raise ValueError("Exceeds the limit (4300 digits) for an integer")
    return int(text)


#: What json.loads(text, parse_constant=..., parse_float=..., parse_int=...) would build
#: for every body: built once, as json.loads builds its default decoder once.
_BODY_DECODER = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_finite, parse_int=_bounded_int
)


def _type_name(value: Any) -> str:
    names = {dict: "dict", list: "list", str: "str", bool: "bool", int: "int", float: "float"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


# --- validation -------------------------------------------------------------------------


class Field:
    """How one body key is checked: a converter, whether it is required, whether null is ok.

    A converter returns the cleaned value or raises `ValueError` with the message for the
    field-level 400.
    """

    def __init__(
        self,
        convert: Callable[[Any], Any],
        required: bool = False,
        nullable: bool = False,
    ) -> None:
        self.convert = convert
        self.required = required
        self.nullable = nullable


def validate(
    data: Mapping[str, Any], spec: Mapping[str, Field], *, source_bytes: Optional[int] = None
) -> dict[str, Any]:
    """Check the keys of ``data`` named in ``spec``; return the cleaned values present.

    Unknown keys are ignored, as DRF serializers do.

    Args:
        data: The parsed body (or one item of it).
        spec: How each key is checked.
        source_bytes: The size of the JSON text ``data`` was parsed from, when the caller
            knows it and the converters of ``spec`` return the parsed values unchanged. A
            value's compact form is at most `_MAX_GROWTH` times the text it came from, so
            below `MAX_FIELD_BYTES` divided by that no field is measured.

    Raises:
        ApiError: A 400 listing every invalid field.
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    measure = source_bytes is None or source_bytes * _MAX_GROWTH > MAX_FIELD_BYTES
    for key, field in spec.items():
        if key not in data:
            if field.required:
                errors[key] = ["This field is required."]
            continue
        value = data[key]
        if value is None:
            if field.nullable:
                cleaned[key] = None
            else:
                errors[key] = ["This field may not be null."]
            continue
        try:
            cleaned[key] = field.convert(value)
        except ValueError as error:
            errors[key] = [str(error)]
            continue
        if measure and isinstance(cleaned[key], (dict, list, str)) and _too_large(cleaned[key]):
            errors[key] = [f"Ensure this field has no more than {MAX_FIELD_BYTES} bytes."]
    if errors:
        raise ApiError(400, errors)
    return cleaned


#: How many times longer than its JSON text a value's compact serialisation can be. Only
#: floats grow ("1e5" becomes "100000.0"): a float's repr has at most 24 characters and its
#: text at least 3. Strings do not (an escape never serialises longer than it was written),
#: nor do integers, literals or the punctuation (whitespace is dropped).
_MAX_GROWTH = 8


def _too_large(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) * 4 > MAX_FIELD_BYTES and len(value.encode()) > MAX_FIELD_BYTES
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    return size > MAX_FIELD_BYTES


def as_str(value: Any) -> str:
    """Accept a string."""
    if not isinstance(value, str):
        raise ValueError("Not a valid string.")
    return value


def as_name(value: Any) -> str:
    """Accept a non-blank string."""
    text = as_str(value)
    if not text.strip():
        raise ValueError("This field may not be blank.")
    return text


def as_bool(value: Any) -> bool:
    """Accept a JSON boolean."""
    if not isinstance(value, bool):
        raise ValueError("Must be a valid boolean.")
    return value


def as_int(value: Any) -> int:
    """Accept a JSON integer (not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("A valid integer is required.")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("A valid integer is required.")
    number = int(value)
    if not -MAX_INTEGER <= number <= MAX_INTEGER:
        raise ValueError(f"Ensure this value is between {-MAX_INTEGER} and {MAX_INTEGER}.")
    return number


def as_number(value: Any) -> float:
    """Accept a JSON number (not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("A valid number is required.")
    try:
        return float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise ValueError("Ensure this value is a finite number of at most 1e308.") from None


def as_object(value: Any) -> dict[str, Any]:
    """Accept a JSON object."""
    if not isinstance(value, dict):
        raise ValueError(f'Expected a dictionary of items but got type "{_type_name(value)}".')
    return value


def as_list(value: Any) -> list[Any]:
    """Accept a JSON array."""
    if not isinstance(value, list):
        raise ValueError(f'Expected a list of items but got type "{_type_name(value)}".')
    return value


def one_of(choices: Sequence[str]) -> Callable[[Any], str]:
    """Build a converter that accepts one of ``choices``."""

    def convert(value: Any) -> str:
        if not isinstance(value, str) or value not in choices:
            raise ValueError(f'"{value}" is not a valid choice.')
        return value

    return convert


# --- pagination -------------------------------------------------------------------------


def page_bounds(query: Mapping[str, str]) -> tuple[int, int]:
    """Read ``per_page`` and ``page`` (defaults 1000 and 1) from a query.

    A ``per_page`` that is not a positive integer falls back to the default, as DRF's
    paginator does (the platform answers ``per_page=desc`` with a page of 1000).

    Raises:
        ApiError: 400 for a ``per_page`` over the maximum (never silently cut: a client would
            take the short page for the last one); 404 "Invalid page." for a bad ``page``, as
            DRF's paginator does (WIRE.md 10).
    """
    try:
        per_page = int(query.get("per_page", ""))
    except ValueError:
        per_page = MAX_PER_PAGE
    if per_page < 1:
        per_page = MAX_PER_PAGE
    if per_page > MAX_PER_PAGE:
        raise bad_request("per_page", f"Ensure this value is between 1 and {MAX_PER_PAGE}.")
    page = 1
    if "page" in query:
        try:
            page = int(query["page"])
        except ValueError:
            raise ApiError(404, {"detail": "Invalid page."}) from None
        if page < 1:
            raise ApiError(404, {"detail": "Invalid page."})
    return per_page, page


def paginate(items: Sequence[T], query: Mapping[str, str]) -> list[T]:
    """Return the requested page of ``items``; a page past the end is 404 "Invalid page."."""
    per_page, page = page_bounds(query)
    pages = max(1, math.ceil(len(items) / per_page))
    if page > pages:
        raise ApiError(404, {"detail": "Invalid page."})
    start = (page - 1) * per_page
    return list(items[start : start + per_page])
