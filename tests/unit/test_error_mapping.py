"""HTTP answers become the right exception, by status first, in the server's own words.

The cases are the platform's answers recorded in WIRE.md 11.2 (probe results) and 11.3.
"""

from __future__ import annotations

import email.utils
import json
from typing import Any

import pytest
from http_fakes import assert_no_secret

import segments_orm.exceptions as errors
from segments_orm.exceptions import error_from_response, parse_retry_after

URL = "https://api.segments.ai/datasets/jane/flowers/"
NOW = 1_700_000_000.0

DJANGO_404 = (
    b'<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n'
    b"<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>"
    b"\n</body>\n</html>\n"
)
NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n" + b"<!-- padding -->" * 500
)
NGINX_504 = b"<html><head><title>504 Gateway Time-out</title></head><body></body></html>"


def detail(text: str) -> bytes:
    return json.dumps({"detail": text}).encode()


def answer(status: int, content: bytes, method: str = "GET", **headers: str) -> Any:
    return error_from_response(status, method, URL, content, headers, now=NOW)


# status, body, expected class, words the message must contain (server casing kept)
CASES = [
    (401, detail("Invalid token."), errors.AuthenticationError, "Invalid token."),
    (
        401,
        detail("Authentication credentials were not provided."),
        errors.AuthenticationError,
        "Authentication credentials were not provided.",
    ),
    (
        403,
        detail("You do not have permission to perform this action."),
        errors.AuthorizationError,
        "You do not have permission to perform this action.",
    ),
    (
        403,
        detail("Authentication credentials were not provided."),
        errors.AuthenticationError,
        "Authentication credentials were not provided.",
    ),
    (404, detail("Not found."), errors.NotFoundError, "Not found."),
    (404, detail("Invalid page."), errors.NotFoundError, "Invalid page."),
    # The platform's client maps this one to a bare NetworkError (WIRE.md 11.2); by status
    # it is what it says.
    (
        404,
        detail("No Dataset matches the given query."),
        errors.NotFoundError,
        "No Dataset matches the given query.",
    ),
    (404, DJANGO_404, errors.NotFoundError, "Not Found"),
    (
        400,
        b'{"name":["dataset with this name already exists."]}',
        errors.AlreadyExistsError,
        "name: dataset with this name already exists.",
    ),
    (
        400,
        detail("Labelset with this name already exists."),
        errors.AlreadyExistsError,
        "Labelset with this name already exists.",
    ),
    (
        400,
        detail("john is already a collaborator."),
        errors.CollaboratorError,
        "john is already a collaborator.",
    ),
    # A 400 is a bad request even when it says "not found" (the platform's client says
    # NotFoundError here, WIRE.md 15.4).
    (
        400,
        b'{"assigned_labeler":["User not found"]}',
        errors.BadRequestError,
        "assigned_labeler: User not found",
    ),
    (409, detail("Conflict."), errors.AlreadyExistsError, "Conflict."),
    (
        429,
        detail("Request was throttled. Expected available in 5 seconds."),
        errors.APILimitError,
        "Request was throttled. Expected available in 5 seconds.",
    ),
    (500, b'{"detail":"A server error occurred."}', errors.ServerError, "A server error occurred."),
    (502, NGINX_502, errors.ServerError, "502 Bad Gateway"),
    (504, NGINX_504, errors.TimeoutError, "504 Gateway Time-out"),
    (
        405,
        detail('Method "POST" not allowed.'),
        errors.NetworkError,
        'Method "POST" not allowed.',
    ),
    (402, detail("Your free trial ended."), errors.SubscriptionError, "Your free trial ended."),
]


@pytest.mark.parametrize(("status", "content", "expected", "words"), CASES)
def test_status_and_body_map_to_class(
    status: int, content: bytes, expected: type, words: str
) -> None:
    error = answer(status, content, method="POST")

    assert type(error) is expected
    assert words in str(error)
    assert error.status_code == status
    assert error.method == "POST"
    assert error.url == URL
    assert URL in str(error)
    assert_no_secret(error)


def test_status_decides_over_words() -> None:
    # A 404 whose body talks of permission is still "not found", and a 403 saying
    # "not found" is still a refusal: the status is the server's decision.
    assert type(answer(404, detail("You do not have permission."))) is errors.NotFoundError
    assert type(answer(403, detail("Dataset not found."))) is errors.AuthorizationError
    assert type(answer(500, detail("Dataset already exists."))) is errors.ServerError


def test_message_keeps_the_server_casing() -> None:
    error = answer(404, detail("No Dataset matches the given query."))
    assert "No Dataset matches" in error.message
    assert "no dataset matches" not in error.message
    assert "Possible fixes" not in error.message


def test_body_is_parsed_json_or_text() -> None:
    assert answer(404, detail("Not found.")).body == {"detail": "Not found."}
    html = answer(404, DJANGO_404)
    assert isinstance(html.body, str)
    assert "<h1>Not Found</h1>" in html.body
    assert answer(500, b"").body is None


def test_html_page_message_is_its_title_and_short() -> None:
    error = answer(502, NGINX_502)
    assert error.message.startswith("502 Bad Gateway")
    assert "<html>" not in error.message
    assert len(error.message) < 400


def test_non_utf8_body_does_not_raise() -> None:
    error = answer(500, b"\xff\xfe\x00garbage")
    assert type(error) is errors.ServerError


def test_empty_body_still_says_the_status() -> None:
    error = answer(503, b"")
    assert type(error) is errors.ServerError
    assert "503" in str(error)


def test_bad_request_is_both_network_and_validation_error() -> None:
    error = answer(400, b'{"name":["This field is required."],"priority":["Not a number."]}')
    assert isinstance(error, errors.BadRequestError)
    assert isinstance(error, errors.NetworkError)
    assert isinstance(error, errors.ValidationError)
    assert error.errors == ["name: This field is required.", "priority: Not a number."]
    with pytest.raises(errors.ValidationError):
        raise error


def test_hierarchy_matches_the_platform_client() -> None:
    for cls in (errors.NotFoundError, errors.AlreadyExistsError, errors.CollaboratorError):
        assert issubclass(cls, errors.NetworkError)
    for cls in (
        errors.AuthenticationError,
        errors.AuthorizationError,
        errors.TimeoutError,
        errors.APILimitError,
    ):
        assert not issubclass(cls, errors.NetworkError)
        assert issubclass(cls, errors.SegmentsError)


def test_retry_after_seconds_on_429() -> None:
    error = answer(
        429,
        detail("Request was throttled. Expected available in 5 seconds."),
        **{"Retry-After": "5"},
    )
    assert type(error) is errors.APILimitError
    assert error.retry_after == 5.0


def test_retry_after_http_date_on_429() -> None:
    when = email.utils.formatdate(NOW + 30, usegmt=True)
    error = answer(429, detail("Request was throttled."), **{"Retry-After": when})
    assert error.retry_after == pytest.approx(30.0)


def test_retry_after_absent_is_none() -> None:
    assert answer(429, detail("Request was throttled.")).retry_after is None
    assert answer(404, detail("Not found.")).retry_after is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("-3", 0.0),  # a past moment means now
        ("99999", 3600.0),  # capped
        ("", None),
        ("soon", None),
        ("nan", None),
        (None, None),
        (email.utils.formatdate(NOW - 60, usegmt=True), 0.0),
        (email.utils.formatdate(NOW + 90, usegmt=True), 90.0),
    ],
)
def test_parse_retry_after(value: Any, expected: Any) -> None:
    result = parse_retry_after(value, now=NOW)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_repr_names_class_and_status() -> None:
    error = answer(404, detail("Not found."))
    assert repr(error).startswith("NotFoundError(")
    assert "status_code=404" in repr(error)


@pytest.mark.parametrize(
    "value",
    [
        "Tue, 14 Nov 2023 22:13:50 GMT",  # IMF-fixdate
        "Tue, 14 Nov 2023 22:13:50 -0000",  # RFC 2822 "zone unknown": UTC
        "Tue, 14 Nov 2023 22:13:50",  # no zone at all
        "Tuesday, 14-Nov-23 22:13:50 GMT",  # RFC 850, obsolete but allowed
        "Tue Nov 14 22:13:50 2023",  # asctime, obsolete but allowed (UTC)
    ],
)
def test_retry_after_date_is_utc_whatever_the_local_zone(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert parse_retry_after(value, now=NOW) == pytest.approx(30.0)
    finally:
        monkeypatch.undo()
        time.tzset()
