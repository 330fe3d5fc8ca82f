"""The fault soak: a whole workload under injected 429s, 503s, dropped connections and
latency, then the emulator's state compared with the expected state, exactly.

Default size (CI): 500 samples, 1-10 ms latency. ``--soak-full`` (or
``SEGMENTS_SOAK_FULL=1``): 5,000 samples, 50-500 ms latency, as in issue 8.

The figures (requests, faults, retries, objects verified) are printed at the end (``-s``)
and attached to the test report as properties.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import threading
from typing import Any

import pytest

import segments_orm as so
from segments_orm.emulator import EmulatorServer, Faults

CATEGORIES = [{"id": 1, "name": "flower"}, {"id": 2, "name": "leaf"}]


def box_label(index: int) -> dict[str, Any]:
    """A label unique to sample ``index``: the box's corner encodes it."""
    x = float(index % 1000)
    y = float(index // 1000)
    return {
        "format_version": "0.1",
        "annotations": [
            {
                "id": 1,
                "category_id": 1 + index % 2,
                "type": "bbox",
                "points": [[x, y], [x + 5, y + 7]],
            }
        ],
    }


class RetryCounter:
    """Counts the transport's reported waits: retries and shared-gate waits."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.retries = 0
        self.gate_waits = 0
        self.by_reason: dict[str, int] = {}

    def __call__(self, seconds: float, reason: str) -> None:
        with self.lock:
            if reason.startswith("Retrying"):
                self.retries += 1
                cause = reason.rsplit("after ", 1)[-1]
                self.by_reason[cause] = self.by_reason.get(cause, 0) + 1
            else:
                self.gate_waits += 1


def test_workload_survives_faults_and_state_is_exact(
    soak_full: bool,
    emulator_server: EmulatorServer,
    caplog: pytest.LogCaptureFixture,
    record_property: Any,
    no_leaked_threads: None,
) -> None:
    scale = 1 if soak_full else 10
    n_samples = 5000 // scale
    n_updates = 1000 // scale
    n_deletes = 500 // scale
    # By default the latency is fifty times shorter than the full soak's, not ten: it only
    # has to keep the eight workers' requests overlapping (so 429s close the gate on work
    # in flight), and sleeping it out was most of the soak's time.
    latency = (0.05, 0.5) if soak_full else (0.001, 0.01)
    server = emulator_server
    server.emulator.release_delay = 0.2
    retry = so.RetryPolicy(
        max_attempts=12,
        backoff=0.02,
        max_backoff=0.5,
        # The faults announce Retry-After: 1 s; the soak caps it so 10% of 429s stay
        # affordable (every 429 closes the client's shared gate for that long, and the
        # workers sleep through each closing).
        max_retry_after=0.2 if soak_full else 0.01,
        total=300,
    )
    counter = RetryCounter()
    caplog.set_level(logging.INFO, logger="segments_orm")
    # Faults on every route (the API, the release file), seeded for a reproducible mix.
    server.emulator.faults = Faults(
        latency=latency,
        error_rates={429: 0.10, 503: 0.05},
        drop_rate=0.02,
        retry_after=1,
        seed=8,
    )
    with so.Client(
        api_key=server.api_key, api_url=server.url, retry=retry, max_workers=8
    ) as client:
        client.transport.add_wait_listener(counter)
        dataset = client.datasets.create(
            "soak",
            task_type=so.TaskType.BBOXES,
            task_attributes={"format_version": "0.1", "categories": CATEGORIES},
        )
        items = [
            {
                "name": f"img-{i:05d}.png",
                "attributes": {"image": {"url": f"https://example.com/{i}.png"}},
                "metadata": {"index": i},
            }
            for i in range(n_samples)
        ]
        samples = dataset.samples.bulk_create(items, batch_size=max(10, n_samples // 50))
        assert [s.name for s in samples] == [item["name"] for item in items]

        labels = dataset.labels.bulk_set(
            [(s, box_label(i)) for i, s in enumerate(samples)],
            label_status=so.LabelStatus.LABELED,
        )
        assert len(labels) == n_samples

        def update(index: int) -> None:
            sample = samples[index]
            sample.metadata["updated"] = True
            sample.metadata["round"] = 1
            sample.save()

        with concurrent.futures.ThreadPoolExecutor(8, thread_name_prefix="soak") as pool:
            list(pool.map(update, range(n_updates)))

        doomed = samples[n_samples - n_deletes :]
        assert dataset.samples.delete_many([s.uuid for s in doomed]) == n_deletes

        release = dataset.releases.create("v1").wait(timeout=60, poll=0.05)
        assert release.status == so.ReleaseStatus.SUCCEEDED
        content = release.download()
        requests_sent = client.transport.requests_sent
        client.transport.remove_wait_listener(counter)

    stats = server.emulator.stats
    server.emulator.faults = None

    # --- the expected state, compared exactly ------------------------------------------
    kept = {f"img-{i:05d}.png": i for i in range(n_samples - n_deletes)}
    with server.emulator.store.transaction() as tx:
        datasets = tx.all("SELECT * FROM datasets WHERE owner = 'demo'")
        assert [d["name"] for d in datasets] == ["soak"]  # reconciled, never duplicated
        dataset_id = datasets[0]["id"]
        rows = tx.all("SELECT * FROM samples WHERE dataset_id = ?", (dataset_id,))
        label_rows = tx.all("SELECT * FROM labels WHERE dataset_id = ?", (dataset_id,))
        releases = tx.all("SELECT * FROM releases WHERE dataset_id = ?", (dataset_id,))
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names)) == len(kept)  # none lost, none duplicated
    assert set(names) == set(kept)
    for row in rows:
        index = kept[row["name"]]
        metadata = json.loads(row["doc"])["metadata"]
        if index < n_updates:
            assert metadata == {"index": index, "updated": True, "round": 1}, row["name"]
        else:
            assert metadata == {"index": index}, row["name"]
    uuid_to_index = {r["uuid"]: kept[r["name"]] for r in rows}
    assert len(label_rows) == len(kept)
    assert {(r["sample_uuid"], r["labelset"]) for r in label_rows} == {
        (u, "ground-truth") for u in uuid_to_index
    }
    assert all(r["label_status"] == "LABELED" for r in label_rows)
    assert [r["name"] for r in releases] == ["v1"]

    # The release file holds exactly the kept samples, each with its own label.
    released = content["dataset"]["samples"]
    assert sorted(s["name"] for s in released) == sorted(kept)
    for entry in released:
        index = kept[entry["name"]]
        label = entry["labels"]["ground-truth"]
        assert label["label_status"] == "LABELED"
        assert label["attributes"]["annotations"] == box_label(index)["annotations"]
        expected_meta = {"index": index}
        if index < n_updates:
            expected_meta.update(updated=True, round=1)
        assert entry["metadata"] == expected_meta

    # --- the figures -------------------------------------------------------------------
    faults = stats.faults
    injected = sum(v for k, v in faults.items() if k != "latency")
    retry_logs = sum(1 for r in caplog.records if r.getMessage().startswith("Retrying"))
    figures = {
        "samples": n_samples,
        "requests_sent_by_client": requests_sent,
        "requests_received_by_emulator": stats.requests,
        "faults_injected": injected,
        "faults_by_kind": {k: v for k, v in faults.items() if k != "latency"},
        "retries": counter.retries,
        "retries_by_cause": counter.by_reason,
        "gate_waits": counter.gate_waits,
        "retry_log_records": retry_logs,
        "objects_verified": len(rows) + len(label_rows) + len(released) + len(releases) + 1,
    }
    for key, value in figures.items():
        record_property(key, value)
    print(f"\nfault soak figures: {json.dumps(figures, sort_keys=True)}")
    # The faults did happen, and every one was survived by a retry or a reconcile.
    assert faults.get("429", 0) > 0
    assert faults.get("503", 0) > 0
    assert faults.get("drop", 0) > 0
    assert counter.retries >= faults.get("429", 0) + faults.get("503", 0)
    assert retry_logs == counter.retries  # every retry was logged, none silent
    assert stats.internal_errors == 0
