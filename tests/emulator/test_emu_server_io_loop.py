"""The server's I/O thread: it wakes for what it must do, not in a loop while workers write.

Counted, not timed: the number of passes of the server's poll loop per request served, with
eight keep-alive clients at once (as ``bulk_set`` runs them). Before the channel stopped
reporting itself writable while its worker was still sending, the loop spun about twenty
to thirty times a request, taking the interpreter lock from the workers it waited for.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from segments_orm.emulator import EmulatorServer, Faults, _server

CLIENTS = 8
REQUESTS_EACH = 30


def test_the_poll_loop_runs_a_few_times_per_request_not_in_a_spin(monkeypatch):
    passes = [0]
    real_poll = _server._Server._poll_once

    def counted(*args, **kwargs):
        passes[0] += 1
        return real_poll(*args, **kwargs)

    monkeypatch.setattr(_server._Server, "_poll_once", counted)
    with EmulatorServer(faults=Faults(latency=0.002)) as server:
        key = server.api_key
        body = {"label_status": "PRELABELED", "attributes": {"annotations": []}}
        with requests.Session() as setup:
            setup.headers["Authorization"] = f"APIKey {key}"
            made = setup.post(
                f"{server.url}user/datasets/",
                json={"name": "loop", "task_type": "vector"},
                timeout=30,
            )
            assert made.status_code == 201, made.text
            uuids = []
            for index in range(CLIENTS):
                sample = setup.post(
                    f"{server.url}datasets/demo/loop/samples/",
                    json={"name": f"s{index}", "attributes": {"image": {"url": "x"}}},
                    timeout=30,
                )
                assert sample.status_code == 201, sample.text
                uuids.append(sample.json()["uuid"])
        barrier = threading.Barrier(CLIENTS)

        def work(sample_uuid: str) -> None:
            with requests.Session() as session:
                session.headers["Authorization"] = f"APIKey {key}"
                session.get(f"{server.url}user", timeout=30).raise_for_status()  # connected
                barrier.wait(timeout=30)
                for _ in range(REQUESTS_EACH):
                    answer = session.put(
                        f"{server.url}labels/{sample_uuid}/ground-truth/", json=body, timeout=30
                    )
                    assert answer.status_code in (200, 201), answer.text
                    assert answer.json()["label_status"] == "PRELABELED"

        before_requests = server.emulator.stats.requests
        before_passes = passes[0]
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(work, uuids))
        served = server.emulator.stats.requests - before_requests
        per_request = (passes[0] - before_passes) / served
    assert served == CLIENTS * (REQUESTS_EACH + 1)
    # About one a request, to read it: the poll watches a busy channel already, so a worker
    # done with its task seldom wakes the loop (only when the next request came first);
    # the poll timeout (a tenth of a second) and the maintenance add a few.
    assert per_request < 2, f"{per_request:.1f} passes of the poll loop per request"


def test_a_small_answer_leaves_in_one_send(monkeypatch):

    sends: list[int] = []
    real_send = _server._Channel.send

    def counted(self, data, do_close=True):
        sent = real_send(self, data, do_close=do_close)
        sends.append(sent)
        return sent

    monkeypatch.setattr(_server._Channel, "send", counted)
    with EmulatorServer() as server, requests.Session() as session:
        session.headers["Authorization"] = f"APIKey {server.api_key}"
        for _ in range(10):
            answer = session.get(f"{server.url}user", timeout=30)
            assert answer.json()["username"] == "demo"
            assert answer.headers["Content-Length"] == str(len(answer.content))
        missing = session.get(f"{server.url}datasets/demo/nothing-here/", timeout=30)
        assert missing.status_code == 404
        assert missing.json() == {"detail": "Not found."}
        empty = session.head(f"{server.url}user", timeout=30)
        assert empty.status_code == 200
        assert empty.content == b""
        # A worker counts its send after the client may have read it: let the last one land.
        deadline = time.monotonic() + 5
        while len(sends) < 12 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
    # The header and the body together, once per answer (the HEAD answer has no body).
    assert len(sends) == 12, str(sends)
