"""`InProcessBackend`: the emulator called directly, faults mapped onto the failures a
socket gives, URL routing, and the plugin's choice of backend in a user's test suite."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest

import segments_orm as so
from segments_orm.emulator import Faults, InProcessBackend

IMAGE = {"image": {"url": "https://example.com/a.png"}}


def request(url: str, **fields: Any) -> so.BackendRequest:
    options: dict[str, Any] = {
        "headers": {},
        "body": None,
        "timeout": 5.0,
        "follow_redirects": True,
        "credential": None,
        "deadline": float("inf"),
        "clock": time.monotonic,
        **fields,
    }
    return so.BackendRequest("GET", url, **options)


@pytest.fixture
def backend() -> Any:
    with InProcessBackend(release_delay=0.01) as made:
        yield made


def test_a_drop_is_a_lost_connection_that_may_have_reached_the_server(backend: Any) -> None:
    backend.emulator.faults = Faults(drop_rate=1.0)
    with pytest.raises(so.ConnectionFailed) as caught:
        backend.send(request(backend.url + "user"))
    assert (caught.value.kind, caught.value.reached_server) == ("lost", True)


def test_a_drop_after_commit_writes_and_the_sdk_reconciles(backend: Any) -> None:
    client = backend.client(retry=so.RetryPolicy(backoff=0.01))
    backend.emulator.faults = Faults(
        drop_after_commit_rate=1.0, routes=["/user/datasets/"], seed=1
    )
    dataset = client.datasets.create("flowers", task_type=so.TaskType.BBOXES)
    backend.emulator.faults = None
    assert dataset.full_name == "demo/flowers"
    assert [d.name for d in client.datasets.all()] == ["flowers"]  # created once
    assert backend.emulator.stats.faults["drop_after_commit"] >= 1


def test_latency_past_the_read_timeout_is_a_timeout(backend: Any) -> None:
    backend.emulator.faults = Faults(latency=0.3)
    with pytest.raises(so.ConnectionFailed) as caught:
        backend.send(request(backend.url + "user", timeout=(5.0, 0.1)))
    assert (caught.value.kind, caught.value.reached_server) == ("timeout", True)


def test_an_injected_429_is_the_same_answer(backend: Any) -> None:
    backend.emulator.faults = Faults(error_rates={429: 1.0}, retry_after=3)
    answer = backend.send(request(backend.url + "user"))
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "3"


def test_another_host_is_not_served(backend: Any) -> None:
    with pytest.raises(so.ConnectionFailed) as caught:
        backend.send(request("http://example.com/user"))
    assert (caught.value.kind, caught.value.reached_server) == ("connect", False)


def test_clients_for_its_url_use_it_until_it_closes() -> None:
    backend = InProcessBackend()
    client = so.Client(api_key=backend.api_key, api_url=backend.url)
    assert client.users.me().username == "demo"
    assert client.transport.backend is backend
    client.close()  # a client does not close the shared backend
    other = so.Client(api_key=backend.api_key, api_url=backend.url)
    assert other.users.me().username == "demo"
    backend.close()
    late = so.Client(api_key=backend.api_key, api_url=backend.url, retry=so.RetryPolicy.none())
    with pytest.raises(so.NetworkError, match="segments-orm emulator"):
        late.users.me()  # nothing there any more: a refused connection to this machine
    late.close()


def test_the_plugin_serves_in_process_or_over_http_as_asked(tmp_path: Any) -> None:
    (tmp_path / "test_user_suite.py").write_text(
        """
import pytest
import segments_orm as so


def test_in_process(segments_emulator, segments_client, segments_backend):
    assert segments_backend == "inprocess"
    assert not hasattr(segments_emulator, "port")
    assert segments_client.users.me().username == "demo"
    segments_client.datasets.create("flowers", task_type="bboxes")
    assert segments_emulator.emulator.stats.requests == 2


@pytest.mark.segments_backend("http")
def test_over_http(segments_emulator, segments_client, segments_backend):
    assert segments_backend == "http"
    assert segments_emulator.port > 0
    assert segments_client.datasets.all().count() == 0  # a fresh state here too
"""
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--strict-markers", "-p", "no:cacheprovider"]
        + ["--segments-backend=inprocess", "test_user_suite.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
