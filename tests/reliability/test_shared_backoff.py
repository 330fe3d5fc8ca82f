"""Many workers against the emulator's per-key rate limit: one 429 pauses every worker of
the client (the shared gate), so 429s stay few, and every wait is reported."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import attrs
import pytest

import segments_orm as so
from segments_orm._requests_backend import RequestsBackend
from segments_orm.emulator import EmulatorServer, Faults

WORKERS = 16
# Each test writes only as many labels as its check needs: the emulator's Retry-After is
# at least 1 s, so every extra window of the rate limit (or injected 429) is a second of
# sleep holding a test worker.
LABEL = {"format_version": "0.1", "annotations": []}


class Recorder:
    """A backend that records when each request started and ended, and its status."""

    def __init__(self, inner: so.Backend) -> None:
        self.inner = inner
        self.lock = threading.Lock()
        self.log: list[tuple[float, float, int, str]] = []

    def close(self) -> None:
        self.inner.close()

    def send(self, request: so.BackendRequest) -> so.BackendResponse:
        started = time.monotonic()
        response = self.inner.send(request)
        with self.lock:
            self.log.append(
                (
                    started,
                    time.monotonic(),
                    response.status_code,
                    response.headers.get("Retry-After", ""),
                )
            )
        return response


@pytest.fixture
def world(emulator_server: EmulatorServer) -> Any:
    # Setting up is recorded too: it has no 429, so the checks below never look at it.
    recorder = Recorder(RequestsBackend(WORKERS + 2))
    client = so.Client(
        backend=recorder,
        api_key=emulator_server.api_key,
        api_url=emulator_server.url,
        max_workers=WORKERS,
        retry=so.RetryPolicy(max_attempts=20, backoff=0.05, total=120),
    )
    dataset = client.datasets.create("flowers", task_type=so.TaskType.BBOXES)
    samples = dataset.samples.bulk_create(
        [{"name": f"{i}.png", "attributes": {"image": {"url": "https://x"}}} for i in range(150)]
    )
    yield client, dataset, samples, recorder
    client.close()
    recorder.close()


def test_one_429_pauses_every_worker(
    emulator_server: EmulatorServer,
    world: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, dataset, samples, recorder = world
    waits: list[tuple[float, str]] = []
    client.transport.add_wait_listener(lambda seconds, reason: waits.append((seconds, reason)))
    caplog.set_level(logging.INFO, logger="segments_orm")
    emulator_server.emulator.rate_limit = (30, 1.0)  # 30 requests per second per key
    # 75 writes are two and a half windows: at least two 429 episodes, so the gate is seen
    # closing, opening and closing again.
    samples = samples[:75]

    written = dataset.labels.bulk_set([(s, LABEL) for s in samples])

    emulator_server.emulator.rate_limit = None
    assert len(written) == len(samples)  # every label written despite the limit
    throttled = [entry for entry in recorder.log if entry[2] == 429]
    rate_limited = emulator_server.emulator.stats.rate_limited
    assert throttled
    assert len(throttled) == rate_limited

    # The gate: after a 429 with Retry-After R arrives, no worker *starts* a request for R
    # seconds (a request already past the gate check when it closed may start just after).
    # The slack covers the moment between the answer and the gate closing, on a loaded
    # two-core machine running the emulator in the same process.
    slack = 0.25
    for _, answered, _, retry_after in throttled:
        pause = float(retry_after)
        early = [
            round(started - answered, 3)
            for started, _, _, _ in recorder.log
            if answered + slack < started < answered + pause - slack
        ]
        assert not early, f"requests started {early} s into a {pause} s pause after a 429"

    # 429s are bounded by the gate openings: each opening lets at most the requests that
    # were in flight hit the limit, never every worker over and over.
    episodes = 1
    ordered = sorted(t[1] for t in throttled)
    for previous, current in zip(ordered, ordered[1:]):
        if current - previous > 0.5:
            episodes += 1
    assert episodes >= 2, episodes
    assert rate_limited <= WORKERS * episodes, (rate_limited, episodes)

    # Every wait was reported: to the listener (the progress bar) and to the log.
    assert waits
    gate_waits = [w for w in waits if w[1].startswith("Rate limited by the API (429)")]
    retries = [w for w in waits if w[1].startswith("Retrying") and "HTTP 429" in w[1]]
    assert len(retries) == rate_limited  # each 429 was retried once, after a reported wait
    assert gate_waits  # workers that did not get the 429 waited on the gate, and said so
    logged = [r for r in caplog.records if r.name == "segments_orm" and "waiting" in r.getMessage()]
    assert len(logged) == len(waits)
    assert all(r.levelno >= logging.INFO for r in logged)


def test_workers_do_not_start_requests_while_the_gate_is_closed(
    emulator_server: EmulatorServer, world: Any
) -> None:
    # Isolated 429s (injected, not load-driven): without the shared gate the other 15
    # workers would go on sending during every pause; with it, none starts a request.
    client, dataset, samples, recorder = world
    pause = 0.6
    client.transport.retry = so.RetryPolicy(
        max_attempts=20, backoff=0.05, max_retry_after=pause, total=120
    )
    # With this seed the draws answer 429 to the 16th and the 42nd request: two pauses (each
    # one 0.6 s of sleep), both with over a hundred requests still to send, so a worker
    # that ignored the gate would be seen starting one.
    emulator_server.emulator.faults = Faults(error_rates={429: 0.02}, retry_after=1, seed=52)

    written = dataset.labels.bulk_set([(s, LABEL) for s in samples])

    emulator_server.emulator.faults = None
    assert len(written) == len(samples)
    throttled = [entry for entry in recorder.log if entry[2] == 429]
    assert len(throttled) == 2
    slack = 0.15
    for _, answered, _, _ in throttled:
        early = [
            round(started - answered, 3)
            for started, _, _, _ in recorder.log
            if answered + slack < started < answered + pause - slack
        ]
        assert not early, f"requests started {early} s into a {pause} s pause after a 429"


def test_a_wait_past_the_budget_fails_fast_instead_of_sleeping(
    emulator_server: EmulatorServer,
) -> None:
    emulator_server.emulator.rate_limit = (1, 30.0)  # Retry-After: up to 30 s
    budget = so.RetryPolicy(max_attempts=5, total=2.0)
    with so.Client(
        api_key=emulator_server.api_key, api_url=emulator_server.url, retry=budget
    ) as short:
        short.ping()  # uses the one request of the window
        started = time.monotonic()
        with pytest.raises(so.APILimitError):
            short.ping()
        assert time.monotonic() - started < 2.0 + 3.0  # never the 30 s sleep
    emulator_server.emulator.rate_limit = None


def test_long_waits_are_logged_as_warnings(caplog: pytest.LogCaptureFixture) -> None:
    # A wait of 5 s or more must be visible in a notebook, where INFO is hidden.
    from segments_orm._transport import Transport
    from segments_orm._urls import ApiUrl

    transport = Transport("sk-x", ApiUrl("http://127.0.0.1:9/"))
    seen: list[float] = []
    transport.add_wait_listener(lambda seconds, reason: seen.append(seconds))
    caplog.set_level(logging.INFO, logger="segments_orm")
    transport._report_wait(6.0, "Rate limited by the API (429), every request of this client")
    transport._report_wait(0.5, "Retrying GET x (attempt 2 of 5) after HTTP 503")
    transport.close()
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.INFO]
    assert seen == [6.0, 0.5]


def test_the_progress_bar_shows_the_waits(
    emulator_server: EmulatorServer, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from segments_orm import _concurrency

    client, dataset, samples, _ = world
    notes: list[str] = []
    monkeypatch.setattr(_concurrency.Progress, "note", lambda self, text: notes.append(text))
    # A quarter-second window, and Retry-After (1 s) capped to it: the bar has waits to
    # show after one second less of sleep.
    client.transport.retry = attrs.evolve(client.transport.retry, max_retry_after=0.25)
    emulator_server.emulator.rate_limit = (10, 0.25)
    dataset.labels.bulk_set([(s, LABEL) for s in samples[:20]], progress=True)
    emulator_server.emulator.rate_limit = None
    assert emulator_server.emulator.stats.rate_limited > 0
    assert any(note.startswith("waiting ") for note in notes), notes[:3]
    # The bar's listener is removed once the bulk call is over.
    assert not client.transport._wait_listeners
