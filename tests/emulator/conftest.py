"""Fixtures for the emulator's own tests: the plugin's emulator, a fresh state per test.

The emulator comes from the ``segments_orm.testing`` plugin (``segments_emulator``), served
in-process unless a test is about HTTP serving itself: ``test_emu_server.py`` and
``hostile/`` always get a real server on a socket. Raw HTTP (`Api`) goes through
``requests`` either way; in-process, an adapter hands each prepared request to the
emulator's `InProcessBackend`, so the tests read the same ``requests.Response``.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional, Union

import pytest
import requests
import requests.adapters
from requests.structures import CaseInsensitiveDict

from segments_orm import BackendRequest, ConnectionFailed
from segments_orm.emulator import EmulatorServer, InProcessBackend

HERE = Path(__file__).parent
# Tests of the HTTP server itself (threads, sockets, hostile clients) stay on sockets.
ON_SOCKETS = (
    HERE / "test_emu_server.py",
    HERE / "hostile",
    # Every test there fetches issued URLs (upload forms, release files) with requests.
    HERE / "test_emu_capability_urls.py",
)
# Tests that fetch issued URLs (presigned uploads, release files) with a bare requests call,
# as any HTTP client would: they need a URL that answers over a socket.
FETCH_URLS = {
    "test_asset_upload_accepts_the_security_token",
    "test_asset_upload_checks_the_issued_fields",
    "test_asset_upload_flow",
    "test_release_is_pending_then_succeeds_and_serves_the_release_file",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # pytest calls this with the whole session's items, not only this directory's: test
    # the path as a string (Path.parents for each of 2,400 items cost 0.3 s a worker).
    sockets = tuple(str(where) for where in ON_SOCKETS)
    here = str(HERE)
    for item in items:
        path = str(item.path)
        if not path.startswith(here):
            continue
        if item.name in FETCH_URLS or any(
            path == where or path.startswith(where + os.sep) for where in sockets
        ):
            item.add_marker(pytest.mark.segments_backend("http"))


# What requests sends by itself, so that both ways the emulator sees the same headers.
_REQUESTS_HEADERS = dict(requests.utils.default_headers())
# What Api.request can send without requests (the tests use no more than this).
_DIRECT = frozenset({"json", "data", "headers", "timeout", "allow_redirects"})


def in_process(backend: InProcessBackend, prepared: requests.PreparedRequest) -> requests.Response:
    """Answer a prepared request through the backend, as a ``requests.Response``."""
    body = prepared.body
    if isinstance(body, str):
        body = body.encode()
    sent = BackendRequest(
        prepared.method or "GET",
        prepared.url or "",
        headers=dict(prepared.headers),
        body=body,
        timeout=30.0,
        follow_redirects=False,
        credential=None,  # the Authorization header, if any, is among the headers
        deadline=float("inf"),
        clock=time.monotonic,
    )
    try:
        answer = backend.send(sent)
    except ConnectionFailed as exc:
        raise requests.ConnectionError(str(exc), request=prepared) from None
    response = requests.Response()
    response.status_code = answer.status_code
    response._content = answer.content
    response.headers = CaseInsensitiveDict(answer.headers)
    response.url = prepared.url or ""
    response.request = prepared
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    return response


class InProcessAdapter(requests.adapters.BaseAdapter):
    """Hand requests' prepared requests to an `InProcessBackend` (no socket)."""

    def __init__(self, backend: InProcessBackend) -> None:
        super().__init__()
        self.backend = backend

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, **_: Any
    ) -> requests.Response:
        return in_process(self.backend, request)

    def close(self) -> None:
        pass


class Api:
    """Raw HTTP against the emulator with one user's key (or none)."""

    def __init__(self, server: Union[EmulatorServer, InProcessBackend], key: Optional[str]) -> None:
        self.url = server.url
        self.key = key
        self.session = requests.Session()
        self.backend = server if isinstance(server, InProcessBackend) else None
        if self.backend is not None:
            self.session.mount(server.url, InProcessAdapter(self.backend))
            self.session.trust_env = False  # no proxy or netrc lookups: there is no network
        if key is not None:
            self.session.headers["Authorization"] = f"APIKey {key}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        url = self.url + path.lstrip("/")
        if self.backend is not None and set(kwargs) <= _DIRECT and not kwargs["allow_redirects"]:
            prepared = self._prepare(method, url, kwargs.get("headers"), kwargs)
            if prepared is not None:
                return in_process(self.backend, prepared)
        return self.session.request(method, url, **kwargs)

    def _prepare(
        self, method: str, url: str, extra: Optional[dict[str, str]], kwargs: dict[str, Any]
    ) -> Optional[requests.PreparedRequest]:
        """Encode a request as requests would, without its Session (most of a call's cost).

        Only the shapes the tests send (a JSON body, bytes, no body); anything else returns
        None and goes through the session.
        """
        headers = CaseInsensitiveDict({**_REQUESTS_HEADERS, **self.session.headers})
        body: Optional[bytes] = None
        if kwargs.get("json") is not None:
            if kwargs.get("data") is not None:
                return None
            try:
                body = json.dumps(kwargs["json"], allow_nan=False).encode()
            except ValueError as error:
                raise requests.exceptions.InvalidJSONError(error) from None
            headers["Content-Type"] = "application/json"
        elif isinstance(kwargs.get("data"), bytes):
            body = kwargs["data"]
        elif kwargs.get("data") is not None:
            return None
        if body is not None or method in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body or b""))
        headers.update(extra or {})
        prepared = requests.PreparedRequest()
        prepared.method = method
        prepared.url = requests.utils.requote_uri(url)
        prepared.headers = headers
        prepared.body = body
        return prepared

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    # Shortcuts for building state; each asserts success so tests fail at the right line.
    def dataset(self, name: str = "flowers", owner: Optional[str] = None, **fields: Any) -> dict:
        path = f"organizations/{owner}/datasets/" if owner else "user/datasets/"
        response = self.post(path, json={"name": name, **fields})
        assert response.status_code == 201, response.text
        return response.json()

    def sample(self, dataset: str, name: str, **fields: Any) -> dict:
        body = {"name": name, "attributes": {"image": {"url": f"https://x/{name}"}}, **fields}
        response = self.post(f"datasets/{dataset}/samples/", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def label(self, sample_uuid: str, status: str = "LABELED", labelset: str = "ground-truth"):
        body = {"label_status": status, "attributes": {"format_version": "0.1", "annotations": []}}
        response = self.put(f"labels/{sample_uuid}/{labelset}/", json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def close(self) -> None:
        self.session.close()


Served = Union[EmulatorServer, InProcessBackend]


@pytest.fixture
def server(segments_emulator: Served) -> Iterator[Served]:
    segments_emulator.emulator.release_delay = 0.05
    yield segments_emulator
    # Unexpected exceptions are answered as JSON 500s; none may happen in any test.
    assert segments_emulator.emulator.stats.internal_errors == 0


@pytest.fixture
def api(server: Served) -> Iterator[Api]:
    client = Api(server, server.api_key)
    yield client
    client.close()


@pytest.fixture
def anonymous(server: Served) -> Iterator[Api]:
    client = Api(server, None)
    yield client
    client.close()


@pytest.fixture
def keyed(server: Served) -> Iterator[Callable[[Optional[str]], Api]]:
    """Give an `Api` sending any key (or none)."""
    made: list[Api] = []

    def make(key: Optional[str]) -> Api:
        client = Api(server, key)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def user_api(server: Served) -> Iterator[Callable[[str], Api]]:
    """Create a user and give an `Api` with their key."""
    made: list[Api] = []

    def make(username: str) -> Api:
        client = Api(server, server.emulator.add_user(username))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def _never_called(environ: Any, start_response: Any) -> list[bytes]:
    raise AssertionError("the application of a bare channel was called")


@pytest.fixture
def channel() -> Iterator[Any]:
    """A waitress channel of the emulator's server on one end of a socket pair, never run.

    For comparing what the server's classes make of a request with what waitress's make.
    """
    from segments_orm.emulator._server import _Channel, _Server, _ServerLimits

    server = _Server(_never_called, "127.0.0.1", 0, _ServerLimits)
    ours, theirs = socket.socketpair()
    try:
        yield _Channel(server, ours, ("127.0.0.1", 50123), server.adj, map={})
    finally:
        ours.close()
        theirs.close()
        server.task_dispatcher.shutdown(timeout=1)
        server.close()
