"""Fakes for the unit tests: an HTTP adapter serving canned answers, a fake clock, errors.

Imported by ``conftest.py`` (fixtures) and by tests that need the helpers directly.
"""

from __future__ import annotations

import json as json_module
from typing import Any, Optional, Union

import requests
import urllib3.exceptions
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

# A key that looks real; tests assert it never leaks into reprs, logs or errors.
SECRET_KEY = "sk-unit-7f3a9c1e5b2d4f60a8e1c3b5d7f9a2c4"
API_ROOT = "https://api.segments.ai/"


class Sent:
    """One request the fake adapter received."""

    def __init__(self, request: requests.PreparedRequest, timeout: Any) -> None:
        self.request = request
        self.timeout = timeout
        self.method = request.method
        self.url = request.url
        self.headers = request.headers
        self.body = request.body

    def json(self) -> Any:
        body = self.body
        if isinstance(body, str):
            body = body.encode()
        return json_module.loads(body or b"null")


Answer = Union[BaseException, tuple[int, bytes, dict[str, str]]]


class FakeAdapter(BaseAdapter):
    """Serve queued answers in order and record every request.

    A request with nothing queued fails the test (it was not expected).
    """

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Sent] = []
        self._answers: list[Answer] = []

    def reply(
        self,
        status: int = 200,
        body: Union[bytes, str, None] = None,
        *,
        json: Any = None,
        headers: Optional[dict[str, str]] = None,
    ) -> FakeAdapter:
        """Queue an answer (JSON when ``json`` is given)."""
        all_headers = dict(headers or {})
        if json is not None:
            content = json_module.dumps(json).encode()
            all_headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            content = body.encode()
        else:
            content = body or b""
        self._answers.append((status, content, all_headers))
        return self

    def fail(self, error: BaseException) -> FakeAdapter:
        """Queue a raised exception instead of an answer."""
        self._answers.append(error)
        return self

    @property
    def pending(self) -> int:
        return len(self._answers)

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        self.sent.append(Sent(request, timeout))
        if not self._answers:
            raise AssertionError(f"unexpected request: {request.method} {request.url}")
        answer = self._answers.pop(0)
        if isinstance(answer, BaseException):
            answer.request = request  # type: ignore[attr-defined]
            raise answer
        status, content, headers = answer
        response = requests.Response()
        response.status_code = status
        response._content = content
        response.headers = CaseInsensitiveDict(headers)
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        response.reason = "fake"
        return response

    def close(self) -> None:
        pass


class FakeTime:
    """A clock that only moves when slept on, and a record of every sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


# Errors shaped the way requests raises them (see requests/adapters.py, HTTPAdapter.send).
def connection_refused() -> requests.ConnectionError:
    reason = urllib3.exceptions.NewConnectionError(
        None,  # type: ignore[arg-type]
        "Failed to establish a new connection: [Errno 111] Connection refused",
    )
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/x", reason))  # type: ignore[arg-type]


def connection_dropped() -> requests.ConnectionError:
    return requests.ConnectionError(
        urllib3.exceptions.ProtocolError(
            "Connection aborted.", ConnectionResetError(104, "Connection reset by peer")
        )
    )


def read_timeout() -> requests.ReadTimeout:
    return requests.ReadTimeout(
        urllib3.exceptions.ReadTimeoutError(None, "/x", "Read timed out. (read timeout=60)")  # type: ignore[arg-type]
    )


def connect_timeout() -> requests.ConnectTimeout:
    reason = urllib3.exceptions.ConnectTimeoutError(None, "Connection to host timed out.")
    return requests.ConnectTimeout(urllib3.exceptions.MaxRetryError(None, "/x", reason))  # type: ignore[arg-type]


def mount(session: requests.Session, adapter: FakeAdapter) -> None:
    session.mount("http://", adapter)
    session.mount("https://", adapter)


def assert_no_secret(value: Any, secret: str = SECRET_KEY) -> None:
    """Fail if ``secret`` shows in an exception's str, repr, url, body or message."""
    texts = [str(value), repr(value)]
    for name in ("url", "body", "message", "errors"):
        if hasattr(value, name):
            texts.append(str(getattr(value, name)))
    for text in texts:
        assert secret not in text, f"the API key leaked into {type(value).__name__}: {text!r}"
