"""The emulator's own JSON answers are served exactly as werkzeug's Response serves them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from segments_orm.emulator._app import JsonAnswer, json_response


def _served(answer: Any, method: str) -> tuple[str, list[tuple[str, str]], bytes]:
    started: list[tuple[str, list[tuple[str, str]]]] = []
    environ = EnvironBuilder(method=method).get_environ()
    chunks = answer(
        environ, lambda status, headers, exc_info=None: started.append((status, headers))
    )
    body = b"".join(chunks)
    ((status, headers),) = started
    return status, list(headers), body


def _werkzeug(status: int, body: Any, headers: dict[str, str]) -> Response:
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )
    for key, value in headers.items():
        response.headers[key] = value
    return response


@pytest.mark.parametrize("method", ["GET", "PUT", "HEAD"])
@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (200, {"name": "café", "n": [1, 2.5, None]}, {}),
        (201, {"sample_uuid": "u"}, {}),
        (400, {"detail": "Not found."}, {"X-Extra": "1"}),
        (401, {"detail": "Invalid token."}, {"WWW-Authenticate": "APIKey"}),
        (405, {"detail": "no"}, {"Allow": "GET, PUT"}),
        (429, {"detail": "later"}, {"Retry-After": "2", "content-type": "text/plain"}),
        (418, [], {}),
        (599, "text", {}),
    ],
)
def test_a_json_answer_is_served_as_werkzeug_serves_it(
    status: int, body: Any, headers: dict[str, str], method: str
) -> None:
    answer = json_response(status, body, headers)
    assert isinstance(answer, JsonAnswer)
    assert answer.status_code == status
    assert _served(answer, method) == _served(_werkzeug(status, body, headers), method)


@pytest.mark.parametrize(("status", "body"), [(204, None), (200, None), (204, {"a": 1}), (304, {})])
def test_an_answer_without_a_body_keeps_werkzeugs_rules(status: int, body: Any) -> None:
    answer = json_response(status, body, {"X-A": "b"})
    served = _served(answer, "GET")
    assert served[0].startswith(str(status))
    if status in (204, 304):
        assert served[2] == b""
        assert all(name != "Content-Length" or value == "0" for name, value in served[1])
    if body is None:
        assert all(name != "Content-Type" for name, _ in served[1])
    assert ("X-A", "b") in served[1]


def test_an_answer_can_be_served_twice() -> None:
    answer = json_response(200, {"a": 1})
    assert _served(answer, "GET") == _served(answer, "GET")
