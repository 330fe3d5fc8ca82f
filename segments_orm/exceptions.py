"""The error hierarchy of segments-orm and the one function that maps HTTP answers to it.

The class names and their nesting are those of the platform's own client (``segments-ai``),
so ``except`` clauses written for it port unchanged. Unlike that client, errors are chosen
by **status code first** and the body only refines the choice (:ref:`protocol-errors`), and
every HTTP error carries structured fields instead of a lower-cased body.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from segments_orm._concurrency import BulkResult

__all__ = [
    "APILimitError",
    "AlreadyExistsError",
    "AuthenticationError",
    "AuthorizationError",
    "BadRequestError",
    "BulkError",
    "CollaboratorError",
    "InvalidIdentifierError",
    "InvalidModelError",
    "LabelProtectedError",
    "MissingContextError",
    "MissingDependencyError",
    "MultipleObjectsReturned",
    "NetworkError",
    "NotFoundError",
    "NotLoadedError",
    "ReleaseFailedError",
    "SegmentsError",
    "ServerError",
    "SubscriptionError",
    "TimeoutError",
    "ValidationError",
    "error_from_response",
    "parse_retry_after",
]

# A Retry-After above this is treated as this: a server asking for an hour must not wedge
# a notebook for an hour. The transport's RetryPolicy applies its own, usually lower, cap.
_RETRY_AFTER_CEILING = 3600.0
# An HTML error page can be megabytes; the message keeps only its start.
_MAX_TEXT_IN_MESSAGE = 300


class SegmentsError(Exception):
    """Base class of every error segments-orm raises.

    Attributes:
        message: A readable description, in the server's words where there was a server.
        cause: The lower-level exception this one was raised from, if any.
        status_code: The HTTP status of the answer, or None when there was no answer.
        method: The HTTP method of the request, or None.
        url: The request URL (it never holds a secret: the key travels in a header).
        body: The parsed JSON body of the answer, or its text when it was not JSON.
        retry_after: Seconds the server asked us to wait (``Retry-After``), or None.
    """

    def __init__(
        self,
        message: str,
        cause: Optional[BaseException] = None,
        *,
        status_code: Optional[int] = None,
        method: Optional[str] = None,
        url: Optional[str] = None,
        body: Any = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause
        self.status_code = status_code
        self.method = method
        self.url = url
        self.body = body
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        status = f" status_code={self.status_code}" if self.status_code is not None else ""
        return f"{type(self).__name__}({self.message!r}{status})"


class AuthenticationError(SegmentsError):
    """The API key is missing or was not accepted (HTTP 401)."""


class AuthorizationError(SegmentsError):
    """The key is valid but may not do this (HTTP 403)."""


class NetworkError(SegmentsError):
    """The request failed: no answer, or an HTTP error with no more specific class."""


class NotFoundError(NetworkError):
    """The object does not exist or is not visible to this key (HTTP 404)."""


class AlreadyExistsError(NetworkError):
    """An object with this name already exists (HTTP 409, or a 400 saying so)."""


class CollaboratorError(NetworkError):
    """The user is already a collaborator, or cannot be added as one."""


class SubscriptionError(NetworkError):
    """The account's subscription does not allow this (trial ended, user limit)."""


class ServerError(NetworkError):
    """The server failed (HTTP 5xx other than 504)."""


class TimeoutError(SegmentsError):  # shadows the builtin on purpose: the platform client does
    """The request did not complete in time (a client timeout or an HTTP 504)."""


class APILimitError(SegmentsError):
    """The server throttled us (HTTP 429) and retries did not get through."""


class ValidationError(SegmentsError):
    """Input was refused before sending, or the server refused it as invalid.

    Attributes:
        errors: Every problem found, each as ``"path: what is wrong"``; a validation
            collects all of them rather than stopping at the first.
    """

    def __init__(
        self,
        message: str,
        cause: Optional[BaseException] = None,
        *,
        errors: Optional[Iterable[str]] = None,
        **http: Any,
    ) -> None:
        super().__init__(message, cause, **http)
        self.errors: list[str] = list(errors) if errors is not None else [message]

    @classmethod
    def from_errors(cls, errors: Iterable[str], prefix: str = "") -> ValidationError:
        """Build one error that lists every problem, one per line.

        Args:
            errors: The problems, each ``"path: what is wrong"``.
            prefix: A heading for the message, for example ``"Invalid label attributes"``.
        """
        found = list(errors)
        head = prefix or "Invalid input"
        plural = "s" if len(found) != 1 else ""
        message = f"{head} ({len(found)} problem{plural}):\n" + "\n".join(f"  {e}" for e in found)
        return cls(message, errors=found)


class BadRequestError(NetworkError, ValidationError):
    """The server refused the request as invalid (HTTP 400 without a more specific meaning).

    It is both a `NetworkError` (as the platform's client raises for a 400) and a
    `ValidationError` (what it means), so either ``except`` clause catches it.
    """


class InvalidIdentifierError(ValidationError, NotFoundError):
    """A dataset identifier that is not ``"owner/name"``, refused before sending.

    It is a `ValidationError` (what it is) and a `NotFoundError` (what the platform's
    client raises for it, after the server answers 404), so ``except NotFoundError`` in a
    script written for that client still catches it.
    """


class InvalidModelError(SegmentsError):
    """Attributes of the wrong model for the dataset's task type."""


class MissingContextError(SegmentsError):
    """The object is not linked to what the operation needs (a client, a dataset)."""


class NotLoadedError(MissingContextError):
    """A shell (``get(..., lazy=True)``) was asked for a field it does not know.

    A shell knows only its identity (a dataset's name, a sample's uuid, ...); call
    ``refresh()`` on it to fetch the rest. Not an `AttributeError`: the field exists, its
    value is just not known yet.
    """


class MissingDependencyError(SegmentsError, ImportError):
    """An optional extra is needed for this (the message names the pip command)."""


class MultipleObjectsReturned(SegmentsError):  # noqa: N818 - Django's name, kept on purpose
    """``get()`` matched more than one object."""


class LabelProtectedError(SegmentsError):
    """A label write would replace a person's label; nothing was sent.

    A label whose status is anything but PRELABELED (or UNLABELED) is human work; it is
    replaced only with ``overwrite=True``.

    Attributes:
        sample_uuid: The sample.
        labelset: The labelset.
        label_status: The status of the label that was kept.
    """

    def __init__(self, message: str, *, sample_uuid: str, labelset: str, label_status: str):
        super().__init__(message)
        self.sample_uuid = sample_uuid
        self.labelset = labelset
        self.label_status = label_status


class BulkError(SegmentsError):
    """Some items of a bulk operation failed; the others succeeded and are kept.

    Attributes:
        results: One entry per input item, in input order; None where it failed.
        errors: The error of each failed item, by its index in the input.
    """

    def __init__(self, message: str, results: list[Any], errors: dict[int, SegmentsError]) -> None:
        super().__init__(message)
        self.results = results
        self.errors = errors

    @classmethod
    def from_result(cls, result: BulkResult[Any], what: str) -> BulkError:
        """Summarise a `BulkResult` with failures into one error."""
        failed = sorted(result.errors)
        sample = "; ".join(f"[{i}] {result.errors[i]}" for i in failed[:5])
        more = f"; and {len(failed) - 5} more" if len(failed) > 5 else ""
        message = (
            f"{len(failed)} of {len(result.results)} {what} failed "
            f"(the others succeeded and are in .results): {sample}{more}"
        )
        return cls(message, result.results, dict(result.errors))


class ReleaseFailedError(SegmentsError):
    """The server could not build the release (its status is FAILED)."""


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Read a ``Retry-After`` header: delay seconds or an HTTP date.

    Args:
        value: The header's value, or None.
        now: The current time as a Unix timestamp (injectable for tests).

    Returns:
        Seconds to wait, at least 0 and at most an hour, or None when absent or unreadable.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        import email.utils  # only for an HTTP-date Retry-After: ~13 ms of import otherwise

        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            # An HTTP date is always UTC (RFC 9110 5.6.7); "-0000" and the zoneless asctime
            # form parse as naive, which timestamp() would read in the local zone.
            when = when.replace(tzinfo=datetime.timezone.utc)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), _RETRY_AFTER_CEILING)


def _decode_body(content: bytes) -> Any:
    if not content:
        return None
    text = content.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _server_words(body: Any) -> str:
    """Turn a DRF-style error body into one readable line, keeping the server's casing."""
    if body is None:
        return ""
    if isinstance(body, str):
        text = " ".join(body.split())
        if text.lstrip().startswith("<"):
            # An HTML error page: its <title> is the readable part.
            lower = text.lower()
            start, end = lower.find("<title>"), lower.find("</title>")
            if 0 <= start < end:
                text = text[start + len("<title>") : end].strip()
        return text[:_MAX_TEXT_IN_MESSAGE]
    if isinstance(body, Mapping):
        detail = body.get("detail")
        if isinstance(detail, str) and len(body) == 1:
            return detail
        parts = []
        for key, value in body.items():
            words = _flatten_words(value)
            parts.append(words if key in ("detail", "non_field_errors") else f"{key}: {words}")
        return "; ".join(parts)
    return _flatten_words(body)


def _flatten_words(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(_flatten_words(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_flatten_words(v)}" for k, v in value.items())
    return json.dumps(value)


def _choose_class(status: int, lowered: str) -> type[SegmentsError]:
    def says(*phrases: str) -> bool:
        return any(p in lowered for p in phrases)

    if status == 401:
        return AuthenticationError
    if status == 402:
        return SubscriptionError
    if status == 403:
        # DRF answers 403 for absent credentials under some authentication schemes.
        if says("authentication credentials were not provided"):
            return AuthenticationError
        if says("free trial ended", "exceeded user limit"):
            return SubscriptionError
        return AuthorizationError
    if status in (404, 410):
        return NotFoundError
    if status in (400, 409, 422):
        if says("is already a collaborator", "cannot be added as collaborator"):
            return CollaboratorError
        if says("already exists", "already have") or status == 409:
            return AlreadyExistsError
        if says("free trial ended", "exceeded user limit"):
            return SubscriptionError
        return BadRequestError
    if status == 408 or status == 504:
        return TimeoutError
    if status == 429:
        return APILimitError
    if status >= 500:
        return ServerError
    return NetworkError


def error_from_response(
    status_code: int,
    method: str,
    url: str,
    content: bytes,
    headers: Optional[Mapping[str, str]] = None,
    now: Optional[float] = None,
) -> SegmentsError:
    """Map an HTTP error answer to the exception a user should see.

    The class is chosen by status code first (401, 402, 403, 404, 400/409 duplicates,
    429, 504, other 5xx); the body only refines it (for example, a 400 saying "already
    exists" is an `AlreadyExistsError`). The message keeps the server's own words.

    Args:
        status_code: The HTTP status (400 or above).
        method: The request's method.
        url: The request's URL, which carries no secret.
        content: The raw body of the answer.
        headers: The answer's headers (case-insensitive mapping), for ``Retry-After``.
        now: The current Unix time, for a ``Retry-After`` given as a date (tests).

    Returns:
        The exception, not raised.
    """
    body = _decode_body(content)
    words = _server_words(body)
    lowered = words.lower()
    cls = _choose_class(status_code, lowered)
    retry_after = parse_retry_after(headers.get("Retry-After") if headers else None, now)
    summary = words or f"HTTP {status_code} with no explanation"
    message = f"{summary} ({status_code} {method} {url})"
    http: dict[str, Any] = {
        "status_code": status_code,
        "method": method,
        "url": url,
        "body": body,
        "retry_after": retry_after,
    }
    if issubclass(cls, ValidationError):
        field_errors = _field_errors(body)
        return cls(message, errors=field_errors or [summary], **http)
    return cls(message, **http)


def _field_errors(body: Any) -> list[str]:
    if not isinstance(body, Mapping):
        return []
    return [f"{key}: {_flatten_words(value)}" for key, value in body.items() if key != "detail"]
