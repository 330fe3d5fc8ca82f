"""The requests backend prepares its own requests exactly as requests' session would.

The session builds what the backend sends (a final URL, bytes, plain headers, its auth)
without requests' settings merge, which checks values against runtime Protocols several
times per request; the result must be the same prepared request, byte for byte.
"""

from __future__ import annotations

from typing import Any, Optional

import pytest
import requests

from segments_orm._backend import Credential
from segments_orm._requests_backend import RequestsBackend, _Auth


def _prepared(session: requests.Session, own: bool, **kwargs: Any) -> requests.PreparedRequest:
    request = requests.Request(**kwargs)
    if own:
        return session.prepare_request(request)
    return requests.Session.prepare_request(session, request)


def _same(a: requests.PreparedRequest, b: requests.PreparedRequest) -> None:
    assert (a.method, a.url, a.body) == (b.method, b.url, b.body)
    assert dict(a.headers) == dict(b.headers)
    assert list(a.headers) == list(b.headers)
    assert a.hooks == b.hooks


@pytest.mark.parametrize(
    "body", [None, b"", b'{"name": "x"}', "text"], ids=["none", "empty", "json", "str"]
)
@pytest.mark.parametrize("extra", [None, {"X-Unset": None}], ids=["plain", "unset"])
def test_own_preparation_equals_requests(body: Optional[Any], extra: Any) -> None:
    session = RequestsBackend().session
    session.headers["X-Unset"] = "session default"
    session.cookies.set("seen", "1", domain="api.example")
    headers = {"Content-Type": "application/json", "User-Agent": "me", **(extra or {})}
    kwargs = dict(
        method="put",
        url="https://api.example/labels/u/ground-truth/?a=1&b=%20",
        headers=headers,
        data=body,
        auth=_Auth(Credential("secret-key")),
    )
    _same(_prepared(session, True, **kwargs), _prepared(session, False, **kwargs))


def test_other_requests_take_requests_own_path() -> None:
    # params, files and json are requests' to merge: the session does not take them over.
    session = RequestsBackend().session
    for kwargs in ({"params": {"q": "1"}}, {"json": {"a": 1}}, {"data": {"k": "v"}}):
        full = dict(method="POST", url="https://api.example/x/", **kwargs)
        _same(_prepared(session, True, **full), _prepared(session, False, **full))
