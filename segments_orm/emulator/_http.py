"""Request context, error bodies, input validation and pagination shared by every handler."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar

from segments_orm.emulator._store import Tx

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

    from segments_orm.emulator._app import Emulator

__all__ = [
    "ApiError",
    "Ctx",
    "Field",
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
        base_url: str,
    ) -> None:
        self.emulator = emulator
        self.request = request
        self.tx = tx
        self.user = user
        self.params = params
        self.query = query
        self.body = body
        self.base_url = base_url

    @property
    def username(self) -> str:
        """The authenticated username (the router guarantees one on authenticated routes)."""
        if self.user is None:
            raise ApiError(401, {"detail": "Authentication credentials were not provided."})
        return self.user

    def json(self) -> Any:
        """Parse the body as JSON; an empty body is an empty object."""
        if not self.body.strip():
            return {}
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ApiError(400, {"detail": f"JSON parse error - {error}"}) from None
        try:
            data = json.loads(
                text, parse_constant=_reject_constant, parse_float=_finite, parse_int=_bounded_int
            )
            # "\ud800" is valid JSON but no valid text: refuse it here, not in the store.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
            return data
        except UnicodeEncodeError:
            raise ApiError(
                400, {"detail": "JSON parse error - a string holds a lone surrogate"}
            ) from None
        except ValueError as error:
            raise ApiError(400, {"detail": f"JSON parse error - {error}"}) from None
        except RecursionError:
            # "[[[[..." nested past the parser's stack: a 400 like any malformed body.
            raise ApiError(400, {"detail": "JSON parse error - nested too deeply"}) from None

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


def validate(data: Mapping[str, Any], spec: Mapping[str, Field]) -> dict[str, Any]:
    """Check the keys of ``data`` named in ``spec``; return the cleaned values present.

    Unknown keys are ignored, as DRF serializers do.

    Raises:
        ApiError: A 400 listing every invalid field.
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
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
    if errors:
        raise ApiError(400, errors)
    return cleaned


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
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ValueError("A valid integer is required.")
    return value


def as_number(value: Any) -> float:
    """Accept a JSON number (not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("A valid number is required.")
    return float(value)


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
