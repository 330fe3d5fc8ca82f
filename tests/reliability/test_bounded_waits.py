"""Every wait is bounded: a hung server makes each call raise `TimeoutError` within a
bound computed from the timeout and the retry policy; `Release.wait` honours its deadline;
no thread outlives the client.

The bounds are generous ceilings computed from the configuration, never performance
claims: a call must not hang, and it must not give up before its timeout either.
"""

from __future__ import annotations

import concurrent.futures
import socket
import time
from typing import Any, Callable

import pytest
from hung_servers import HungServer

import segments_orm as so
from segments_orm.emulator import EmulatorServer, Faults

# Short timeouts, so the hung calls are quick to time out: what is checked is that each
# call ends within the bound its configuration implies, and not before its read timeout.
CONNECT, READ = 0.15, 0.15
POLICY = so.RetryPolicy(max_attempts=2, backoff=0.05, max_backoff=0.05, jitter=0.0, total=30)
# One request: every attempt may use its whole connect and read timeouts, plus the waits.
PER_REQUEST = POLICY.max_attempts * (CONNECT + READ) + (POLICY.max_attempts - 1) * 0.05
# A call chains at most this many requests (a reconciled create: POST, look up the user,
# look up the object, POST again).
MAX_CHAIN = 4
BOUND = MAX_CHAIN * PER_REQUEST
MARGIN = 3.0  # scheduling slack on a loaded 2-core CI machine


def client_for(url: str, key: str = "sk-bounded-0123456789") -> so.Client:
    return so.Client(api_key=key, api_url=url, timeout=(CONNECT, READ), retry=POLICY)


IMAGE = {"image": {"url": "https://example.com/a.png"}}
LABEL = {"format_version": "0.1", "annotations": []}

CALLS: dict[str, Callable[[so.Client], Any]] = {
    "ping": lambda c: c.ping(),
    "users.me": lambda c: c.users.me(),
    "datasets.get": lambda c: c.datasets.get("demo/flowers"),
    "datasets.create": lambda c: c.datasets.create("flowers"),
    "datasets list": lambda c: list(c.datasets),
    "samples.filter": lambda c: (
        c.datasets.get("demo/flowers", lazy=True).samples.filter(name="a.png").first()
    ),
    "samples.create": lambda c: c.datasets.get("demo/flowers", lazy=True).samples.create(
        "a.png", IMAGE
    ),
    "samples.bulk_create": lambda c: c.datasets.get("demo/flowers", lazy=True).samples.bulk_create(
        [{"name": "a.png", "attributes": IMAGE}]
    ),
    "samples.delete_many": lambda c: c.datasets.get("demo/flowers", lazy=True).samples.delete_many(
        ["0b7e6f1e-0000-4000-8000-000000000000"]
    ),
    "labels.bulk_set": lambda c: c.datasets.get("demo/flowers", lazy=True).labels.bulk_set(
        [("0b7e6f1e-0000-4000-8000-000000000000", LABEL)]
    ),
    "client.samples.get": lambda c: c.samples.get("0b7e6f1e-0000-4000-8000-000000000000"),
    "sample.delete": lambda c: c.samples.get(
        "0b7e6f1e-0000-4000-8000-000000000000", lazy=True
    ).delete(),
    "releases.create": lambda c: c.datasets.get("demo/flowers", lazy=True).releases.create("v1"),
    "labelsets.create": lambda c: c.datasets.get("demo/flowers", lazy=True).labelsets.create("m"),
    "assets.upload": lambda c: c.assets.upload(b"\x89PNG", filename="a.png"),
    "download": lambda c: c.transport.download(str(c.api_url.root) + "files/release.json"),
}


@pytest.mark.parametrize("mode", ["silent", "headers"])
def test_every_call_to_a_hung_server_times_out_within_the_bound(
    no_leaked_threads: None, mode: str
) -> None:
    # The calls run at once, each timing itself: the bound is per call, and waiting for
    # them one after the other would only add their timeouts up.
    with HungServer(mode) as hung:
        client = client_for(hung.url)

        def timed(name: str) -> float:
            started = time.monotonic()
            with pytest.raises(so.TimeoutError):
                CALLS[name](client)
            return time.monotonic() - started

        try:
            with concurrent.futures.ThreadPoolExecutor(len(CALLS)) as pool:
                elapsed = dict(zip(CALLS, pool.map(timed, CALLS)))
        finally:
            client.close()
        for name, seconds in elapsed.items():
            assert seconds <= BOUND + MARGIN, (name, seconds, BOUND)
            assert seconds >= READ * 0.9, (name, seconds)  # it did wait for the answer
        assert hung.requests_seen  # the requests did reach the hung server


def test_bulk_workers_time_out_and_stop(
    emulator_server: EmulatorServer, no_leaked_threads: None
) -> None:
    # A server that answers some routes far slower than the read timeout: the bulk pool's
    # threads all give up within the bound, report per item, and are gone afterwards.
    with so.Client(api_key=emulator_server.api_key, api_url=emulator_server.url) as setup:
        dataset = setup.datasets.create("flowers", task_type=so.TaskType.BBOXES)
        samples = dataset.samples.bulk_create(
            [{"name": f"{i}.png", "attributes": IMAGE} for i in range(6)]
        )
    emulator_server.emulator.faults = Faults(
        latency=0.75, routes=["/labels/*", "/datasets/*/*/samples_bulk/"]
    )
    client = client_for(emulator_server.url, emulator_server.api_key)
    try:
        shell = client.datasets.get("demo/flowers")
        started = time.monotonic()
        with pytest.raises(so.BulkError) as caught:
            shell.labels.bulk_set([(s.uuid, LABEL) for s in samples])
        # Six items on up to eight workers run at once: one request's bound, not six.
        assert time.monotonic() - started <= PER_REQUEST + MARGIN
        assert len(caught.value.errors) == 6
        assert all(isinstance(e, so.TimeoutError) for e in caught.value.errors.values())
        with pytest.raises(so.BulkError) as caught:
            shell.samples.bulk_create([{"name": "x.png", "attributes": IMAGE}])
        assert all(isinstance(e, so.TimeoutError) for e in caught.value.errors.values())
    finally:
        client.close()
    emulator_server.emulator.faults = None


def test_release_wait_honours_its_deadline(
    emulator_server: EmulatorServer, no_leaked_threads: None
) -> None:
    emulator_server.emulator.release_delay = 3600  # never built during the test
    # And every poll is slow (but within the read timeout of the default client).
    emulator_server.emulator.faults = Faults(latency=0.2, routes=["/datasets/*/*/releases/*"])
    with so.Client(api_key=emulator_server.api_key, api_url=emulator_server.url) as client:
        dataset = client.datasets.create("flowers", task_type=so.TaskType.BBOXES)
        release = dataset.releases.create("v1")
        deadline = 0.5
        started = time.monotonic()
        with pytest.raises(so.TimeoutError, match="still PENDING"):
            release.wait(timeout=deadline, poll=0.1)
        elapsed = time.monotonic() - started
    # Not before the deadline; past it by at most the last poll's request.
    assert elapsed >= deadline * 0.95
    assert elapsed <= deadline + 0.2 + MARGIN
    emulator_server.emulator.faults = None


def test_release_wait_with_zero_timeout_does_not_poll(emulator_server: EmulatorServer) -> None:
    emulator_server.emulator.release_delay = 3600
    with so.Client(api_key=emulator_server.api_key, api_url=emulator_server.url) as client:
        dataset = client.datasets.create("flowers", task_type=so.TaskType.BBOXES)
        release = dataset.releases.create("v1")
        before = client.transport.requests_sent
        with pytest.raises(so.TimeoutError):
            release.wait(timeout=0)
        assert client.transport.requests_sent == before


def test_closing_a_client_leaves_no_thread(
    emulator_server: EmulatorServer, no_leaked_threads: None
) -> None:
    # A full bulk cycle, then close: the worker pool and the connections are gone.
    client = so.Client(api_key=emulator_server.api_key, api_url=emulator_server.url, max_workers=4)
    dataset = client.datasets.create("flowers", task_type=so.TaskType.BBOXES)
    samples = dataset.samples.bulk_create(
        [{"name": f"{i}.png", "attributes": IMAGE} for i in range(20)], batch_size=5
    )
    dataset.labels.bulk_set([(s, LABEL) for s in samples])
    client.close()
    with pytest.raises(so.NetworkError, match="closed"):
        client.ping()


def test_a_closed_local_port_fails_on_the_first_attempt() -> None:
    # A real refused connection, with the default retry policy: one attempt, not five.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with so.Client(api_key="sk-test-123", api_url=f"http://127.0.0.1:{port}/") as client:
        with pytest.raises(so.NetworkError, match="segments-orm emulator"):
            client.users.me()
        assert client.transport.requests_sent == 1
