"""Fixtures for the emulator's own tests: one server per session, a fresh state per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Callable, Optional

import pytest
import requests

from segments_orm.emulator import EmulatorServer


class Api:
    """Raw HTTP against the emulator with one user's key (or none)."""

    def __init__(self, url: str, key: Optional[str]) -> None:
        self.url = url
        self.key = key
        self.session = requests.Session()
        if key is not None:
            self.session.headers["Authorization"] = f"APIKey {key}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.url + path.lstrip("/"), **kwargs)

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


@pytest.fixture(scope="session")
def _emulator_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(release_delay=0.05) as server:
        yield server


@pytest.fixture
def server(_emulator_server: EmulatorServer) -> Iterator[EmulatorServer]:
    _emulator_server.emulator.reset()
    yield _emulator_server
    # Unexpected exceptions are answered as JSON 500s; none may happen in any test.
    assert _emulator_server.emulator.stats.internal_errors == 0


@pytest.fixture
def api(server: EmulatorServer) -> Iterator[Api]:
    client = Api(server.url, server.api_key)
    yield client
    client.close()


@pytest.fixture
def anonymous(server: EmulatorServer) -> Iterator[Api]:
    client = Api(server.url, None)
    yield client
    client.close()


@pytest.fixture
def keyed(server: EmulatorServer) -> Iterator[Callable[[Optional[str]], Api]]:
    """Give an `Api` sending any key (or none)."""
    made: list[Api] = []

    def make(key: Optional[str]) -> Api:
        client = Api(server.url, key)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def user_api(server: EmulatorServer) -> Iterator[Callable[[str], Api]]:
    """Create a user and give an `Api` with their key."""
    made: list[Api] = []

    def make(username: str) -> Api:
        client = Api(server.url, server.emulator.add_user(username))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
