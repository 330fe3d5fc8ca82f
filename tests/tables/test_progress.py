"""Progress of bulk work: tqdm.auto bars that stay on screen, or a callback for loggers."""

from __future__ import annotations

from typing import Any

import pytest

import segments_orm as so
from segments_orm import _concurrency


def _samples(count: int) -> list[dict[str, Any]]:
    return [
        {"name": f"p{i}.png", "attributes": {"image": {"url": f"https://e.com/{i}.png"}}}
        for i in range(count)
    ]


def test_bulk_calls_report_to_a_callback(segments_client: so.Client) -> None:
    ds = segments_client.datasets.create("progress", task_type="bboxes")
    calls: list[tuple[int, int]] = []
    created = ds.samples.bulk_create(
        _samples(7), batch_size=3, progress=lambda done, total: calls.append((done, total))
    )
    assert len(created) == 7
    assert sorted(calls) == calls and calls[-1] == (7, 7) and len(calls) == 3  # per batch
    label = {"format_version": "0.1", "annotations": []}
    calls.clear()
    ds.labels.bulk_set([(s, label) for s in created], progress=lambda d, t: calls.append((d, t)))
    assert calls == [(i, 7) for i in range(1, 8)]


def test_bars_come_from_tqdm_auto_and_stay_on_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    auto = pytest.importorskip("tqdm.auto")
    made: list[dict[str, Any]] = []

    class Recording:
        def __init__(self, **kwargs: Any) -> None:
            made.append(kwargs)

        def update(self, steps: int) -> None:
            pass

        def close(self) -> None:
            pass

    monkeypatch.setattr(auto, "tqdm", Recording)
    _concurrency.run_bulk(lambda x: x, [1, 2], max_workers=2, progress=True)
    assert made and made[0]["leave"] is True
    made.clear()
    _concurrency.run_bulk(lambda x: x, [1, 2], max_workers=2, progress=False)
    assert made == []
