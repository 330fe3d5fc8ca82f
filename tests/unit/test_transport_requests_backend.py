"""The requests backend: how requests' and urllib3's failures map onto `ConnectionFailed`,
what it keeps of them (nothing that holds the key), and where the key is written.

requests' adapter is replaced by a function (``HTTPAdapter.send`` patched), so the whole
of requests above it runs: preparing the request, auth, netrc, redirects.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable
from unittest import mock

import pytest
import requests
import requests.adapters
import urllib3.exceptions
from http_fakes import SECRET_KEY
from requests.structures import CaseInsensitiveDict

from segments_orm import BackendRequest, ConnectionFailed
from segments_orm._backend import Credential
from segments_orm._requests_backend import RequestsBackend

URL_ = "https://api.segments.ai/datasets/jane/flowers/"


def request(credential: Any = None, method: str = "GET") -> BackendRequest:
    return BackendRequest(
        method,
        URL_,
        headers={"User-Agent": "segments-orm/test"},
        body=None,
        timeout=(5.0, 60.0),
        follow_redirects=method == "GET",
        credential=credential,
        deadline=float("inf"),
        clock=lambda: 0.0,
    )


def answer(prepared: requests.PreparedRequest, status: int = 200, body: bytes = b"{}") -> Any:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
    response.url = prepared.url or ""
    response.request = prepared
    return response


@pytest.fixture
def sent() -> Iterator[list[requests.PreparedRequest]]:
    """Answer every request 200 ``{}``; collect what requests prepared."""
    seen: list[requests.PreparedRequest] = []

    def send(self: Any, prepared: requests.PreparedRequest, **kwargs: Any) -> Any:
        seen.append(prepared)
        return answer(prepared)

    with mock.patch.object(requests.adapters.HTTPAdapter, "send", send):
        yield seen


def failing(error: BaseException) -> Any:
    def send(self: Any, prepared: requests.PreparedRequest, **kwargs: Any) -> Any:
        # requests' errors carry the prepared request, headers and all (the key with them).
        if isinstance(error, requests.RequestException):
            error.request = prepared
        raise error

    return mock.patch.object(requests.adapters.HTTPAdapter, "send", send)


def refused() -> BaseException:
    reason = urllib3.exceptions.NewConnectionError(
        None,  # type: ignore[arg-type]
        "Failed to establish a new connection: [Errno 111] Connection refused",
    )
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/x", reason))  # type: ignore[arg-type]


def connect_timeout() -> BaseException:
    reason = urllib3.exceptions.ConnectTimeoutError(None, "Connection to host timed out.")
    return requests.ConnectTimeout(urllib3.exceptions.MaxRetryError(None, "/x", reason))  # type: ignore[arg-type]


def stalled_body() -> BaseException:
    # What requests raises when the read timeout expires while reading the body.
    return requests.ConnectionError(
        urllib3.exceptions.ReadTimeoutError(None, "/x", "Read timed out.")  # type: ignore[arg-type]
    )


def reset() -> BaseException:
    return requests.ConnectionError(
        urllib3.exceptions.ProtocolError(
            "Connection aborted.", ConnectionResetError(104, "Connection reset by peer")
        )
    )


def redirect_loop() -> BaseException:
    error = requests.exceptions.TooManyRedirects("Exceeded 30 redirects.")
    # As requests raises it: the last answer, with its request and history, goes with it.
    prepared = requests.Request(
        "GET", URL_, headers={"Authorization": f"APIKey {SECRET_KEY}"}
    ).prepare()
    error.response = answer(prepared, 302)
    error.response.history = [answer(prepared, 302)]
    return error


FAILURES: dict[str, tuple[Callable[[], BaseException], str, bool]] = {
    "refused": (refused, "connect", False),
    "connect timeout": (connect_timeout, "timeout", False),
    "read timeout": (lambda: requests.ReadTimeout("Read timed out."), "timeout", True),
    "stalled body": (stalled_body, "timeout", True),
    "reset": (reset, "lost", True),
    "ssl": (lambda: requests.exceptions.SSLError("certificate verify failed"), "lost", True),
    "redirect loop": (redirect_loop, "invalid", True),
    "invalid url": (lambda: requests.exceptions.InvalidURL("Failed to parse"), "invalid", False),
    "invalid schema": (lambda: requests.exceptions.InvalidSchema("No adapters"), "invalid", False),
    "missing schema": (lambda: requests.exceptions.MissingSchema("No scheme"), "invalid", False),
    "invalid header": (lambda: requests.exceptions.InvalidHeader("whitespace"), "invalid", False),
    "body decoding": (
        lambda: requests.exceptions.ContentDecodingError("bad gzip"),
        "lost",
        True,
    ),
}


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_each_failure_maps_to_one_kind_and_keeps_nothing(name: str) -> None:
    make, kind, reached = FAILURES[name]
    backend = RequestsBackend()
    with failing(make()), pytest.raises(ConnectionFailed) as caught:
        backend.send(request(Credential(SECRET_KEY)))
    failure = caught.value
    assert (failure.kind, failure.reached_server) == (kind, reached)
    # Nothing of requests' error is kept: it holds the prepared request (the key in its
    # headers) and, for a redirect loop, the answers and their requests.
    assert failure.__cause__ is None
    assert failure.__context__ is None
    shown = "".join(
        traceback.TracebackException.from_exception(failure, capture_locals=True).format()
    )
    assert SECRET_KEY not in shown
    backend.close()


def test_the_key_is_written_from_the_credential(sent: list[requests.PreparedRequest]) -> None:
    backend = RequestsBackend()
    backend.send(request(Credential(SECRET_KEY)))
    backend.send(request(None))
    assert sent[0].headers["Authorization"] == f"APIKey {SECRET_KEY}"
    assert "Authorization" not in sent[1].headers
    assert sent[0].headers["User-Agent"].startswith("segments-orm/test python-requests/")


def test_a_netrc_entry_never_replaces_or_adds_credentials(
    sent: list[requests.PreparedRequest], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.segments.ai login someone password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    backend = RequestsBackend()
    backend.send(request(Credential(SECRET_KEY)))
    backend.send(request(None))  # a file download: no key, and no netrc password either
    assert sent[0].headers["Authorization"] == f"APIKey {SECRET_KEY}"
    assert "Authorization" not in sent[1].headers


def test_a_body_still_arriving_at_the_deadline_fails_as_budget(
    sent: list[requests.PreparedRequest],
) -> None:
    late = BackendRequest(
        "GET",
        URL_,
        headers={},
        body=None,
        timeout=5.0,
        follow_redirects=True,
        credential=None,
        deadline=10.0,
        clock=lambda: 11.0,
    )
    with (
        mock.patch.object(
            requests.adapters.HTTPAdapter,
            "send",
            lambda self, prepared, **kw: _streamed(prepared),
        ),
        pytest.raises(ConnectionFailed) as caught,
    ):
        RequestsBackend().send(late)
    assert caught.value.kind == "budget"


def _streamed(prepared: requests.PreparedRequest) -> Any:
    import io

    response = answer(prepared)
    del response._content  # as a streamed answer: not read yet
    response._content = False  # type: ignore[assignment]
    response.raw = io.BytesIO(b"{}")
    return response


def test_only_the_requests_backend_imports_requests_or_urllib3() -> None:
    import ast

    import segments_orm

    package = Path(segments_orm.__file__).resolve().parent
    importers = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n.split(".")[0] in ("requests", "urllib3") for n in names):
                importers.add(path.relative_to(package).as_posix())
    assert importers == {"_requests_backend.py"}
