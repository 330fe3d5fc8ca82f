"""upload_many (concurrent, each content once, journaled) and interrupting bulk calls."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import segments_orm as so
from pipeline_support import BBOX, image


def _files(folder: Path, count: int, *, duplicates: int = 0) -> list[Path]:
    paths = []
    for i in range(count):
        path = folder / f"{i:03}.jpg"
        path.write_bytes(f"image {i % (count - duplicates)}".encode())
        paths.append(path)
    return paths



def test_upload_many_uploads_each_content_once(
    client: so.Client, tmp_path: Path, sent: Any
) -> None:
    paths = _files(tmp_path, 12, duplicates=2)  # 010 and 011 repeat 000 and 001
    counter = sent()
    result = client.assets.upload_many(paths)
    assert result.outcomes == ["uploaded"] * 10 + ["reused"] * 2
    assert result.reasons == {10: "same content as [0]", 11: "same content as [1]"}
    assert result[10].url == result[0].url
    assert counter.count == 20  # two requests per distinct file
    for path, asset in zip(paths, result):
        assert asset.download() == path.read_bytes()


def test_upload_many_checks_every_file_first(client: so.Client, tmp_path: Path, sent: Any) -> None:
    paths: list[Any] = _files(tmp_path, 3)
    paths.insert(2, tmp_path / "missing.jpg")
    paths.append(12)
    counter = sent()
    with pytest.raises(so.ValidationError) as caught:
        client.assets.upload_many(paths)
    assert counter.count == 0
    assert caught.value.errors[0].startswith("[2].file: cannot read")
    assert caught.value.errors[1].startswith("[4].file: expected a path, bytes")


def test_the_journal_uploads_nothing_twice_across_runs(
    client: so.Client, tmp_path: Path, sent: Any, segments_emulator: Any
) -> None:
    paths = _files(tmp_path, 6)
    journal = tmp_path / "uploads.jsonl"
    first = client.assets.upload_many(paths[:4], journal=journal)
    assert first.counts() == {"uploaded": 4}
    with journal.open("a") as out:  # a crash in the middle of writing a line
        out.write('{"api": "trunc')
    counter = sent()
    second = client.assets.upload_many(paths, journal=journal)
    assert second.outcomes == ["reused"] * 4 + ["uploaded"] * 2
    assert counter.count == 4
    assert [a.url for a in second[:4]] == [a.url for a in first]
    assert second.reasons[0] == "uploaded before (journal)"
    lines = [json.loads(x) for x in journal.read_text().splitlines()[:4]]
    assert all(set(x) == {"api", "sha256", "asset"} for x in lines)
    assert segments_emulator.api_key not in journal.read_text()


# -- interrupts ----------------------------------------------------------------------------


def _interrupt_after(count: int) -> Any:
    calls = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == count:
            raise KeyboardInterrupt

    return progress


def test_ctrl_c_in_bulk_create_keeps_the_partial_result(
    client: so.Client, dataset: so.Dataset
) -> None:
    dataset.ensure_loaded()
    items = [{"name": f"{i}.jpg", "attributes": image(f"{i}.jpg")} for i in range(200)]
    client.max_workers = 1  # one batch at a time: the interrupt lands between batches
    started = time.monotonic()
    with pytest.raises(so.BulkInterrupted) as caught:
        dataset.samples.bulk_create(items, batch_size=10, progress=_interrupt_after(2))
    assert time.monotonic() - started < 30  # (a generous bound, not a timing assertion)
    assert isinstance(caught.value, KeyboardInterrupt)
    partial = caught.value.results
    assert partial.counts() == {"created": 20, "not sent": 180}
    stored = sorted(s.name for s in dataset.samples.all())
    assert stored == sorted(s.name for s in partial if s is not None)


def test_ctrl_c_in_bulk_set_and_upload_many(
    client: so.Client, dataset: so.Dataset, tmp_path: Path, sent: Any
) -> None:
    samples = dataset.samples.bulk_create(
        [{"name": f"{i}.jpg", "attributes": image(f"{i}.jpg")} for i in range(30)]
    )
    client.max_workers = 1
    with pytest.raises(so.BulkInterrupted) as caught:
        dataset.labels.bulk_set([(s, BBOX) for s in samples], progress=_interrupt_after(3))
    assert caught.value.results.counts() == {"created": 3, "not sent": 27}
    counter = sent()
    with pytest.raises(so.BulkInterrupted) as uploads:
        client.assets.upload_many(_files(tmp_path, 10), progress=_interrupt_after(4))
    assert uploads.value.results.counts() == {"uploaded": 4, "not sent": 6}
    assert counter.count == 8  # nothing sent after the interrupt


def test_an_interrupt_on_the_main_thread_stops_the_workers(
    client: so.Client, dataset: so.Dataset, segments_emulator: Any
) -> None:
    """A real Ctrl-C arrives on the main thread while the workers wait on the network."""
    from segments_orm.emulator import Faults

    dataset.ensure_loaded()
    latency = 0.1  # per batch: the interrupt comes after a few of the twenty batches
    segments_emulator.emulator.faults = Faults(
        latency=latency, routes=["/datasets/*/samples_bulk/"]
    )
    client.max_workers = 2
    items = [{"name": f"{i}.jpg", "attributes": image(f"{i}.jpg")} for i in range(100)]
    main = threading.get_ident()
    timer = threading.Timer(2.5 * latency, lambda: _raise_in(main))
    timer.start()
    try:
        with pytest.raises(so.BulkInterrupted) as caught:
            dataset.samples.bulk_create(items, batch_size=5)
    finally:
        timer.cancel()
        segments_emulator.emulator.faults = None
    counts = caught.value.results.counts()
    assert counts["not sent"] >= 50, counts
    assert counts.get("in flight", 0) <= 10  # at most one batch per worker
    time.sleep(2.5 * latency)  # anything still in flight has landed by now
    stored = dataset.samples.count()
    assert counts.get("created", 0) <= stored <= counts.get("created", 0) + counts["in flight"]


def _raise_in(thread_id: int) -> None:
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(KeyboardInterrupt)
    )
