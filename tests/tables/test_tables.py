"""Querysets to tables: to_dict, values, values_list and to_pandas against the emulator."""

from __future__ import annotations

import datetime as dt
import json
import sys
import weakref
from typing import Any

import pytest

import segments_orm as so


@pytest.fixture(autouse=True, scope="module")
def pd() -> Any:
    """pandas, or the module skipped: imported when a test runs, not at collection.

    Every xdist worker collects this file, and few run it; pandas costs ~0.4 s to import.
    """
    return pytest.importorskip("pandas")


TASK_ATTRIBUTES = {
    "format_version": "0.1",
    "categories": [{"id": 1, "name": "car", "color": [255, 0, 0]}, {"id": 2, "name": "person"}],
}


def _box(ident: int, category: int) -> dict[str, Any]:
    return {"id": ident, "category_id": category, "type": "bbox", "points": [[1, 2], [30, 40]]}


@pytest.fixture
def dataset(segments_client: so.Client) -> Any:
    ds = segments_client.datasets.create(
        "tables", task_type="bboxes", task_attributes=TASK_ATTRIBUTES
    )
    samples = ds.samples.bulk_create(
        [
            {
                "name": f"s{i}.png",
                "attributes": {"image": {"url": f"https://example.com/{i}.png"}},
                "metadata": {"weather": "sun" if i % 2 else "rain", "index": i},
            }
            for i in range(5)
        ]
    )
    samples[0].labels.create(
        "ground-truth",
        {"format_version": "0.1", "annotations": [_box(1, 1), _box(2, 2), _box(3, 1)]},
        label_status="LABELED",
        score=0.5,
    )
    samples[1].labels.create(
        "ground-truth", {"format_version": "0.1", "annotations": []}, label_status="REVIEWED"
    )
    return ds


def test_to_dict_is_json_with_public_fields_only(dataset: Any) -> None:
    sample = dataset.samples.get(name="s0.png")
    data = sample.to_dict()
    json.dumps(data)  # what json.dumps accepts
    assert data["name"] == "s0.png"
    assert data["metadata"] == {"weather": "rain", "index": 0}
    assert data["attributes"] == {"image": {"url": "https://example.com/0.png"}}
    assert isinstance(data["created_at"], str)
    assert dt.datetime.fromisoformat(data["created_at"].replace("Z", "+00:00")).tzinfo
    assert not [key for key in data if key.startswith("_")]
    for internal in ("client", "dirty", "snapshots", "raw", "context", "loaded"):
        assert internal not in data
    data["metadata"]["weather"] = "changed"  # a copy: the object is untouched
    assert sample.metadata["weather"] == "rain"
    assert not sample.has_changes()

    ds = dataset.to_dict()
    json.dumps(ds)
    assert ds["task_type"] == "bboxes" and type(ds["task_type"]) is str
    assert ds["task_attributes"]["categories"][0]["name"] == "car"


def test_values_and_values_list_stream_every_page(dataset: Any) -> None:
    query = dataset.samples.all().page_size(2)  # three pages
    rows = list(query.values("name", "metadata"))
    assert rows == [
        {"name": f"s{i}.png", "metadata": {"weather": "sun" if i % 2 else "rain", "index": i}}
        for i in range(5)
    ]
    assert list(query.values_list("name", flat=True)) == [f"s{i}.png" for i in range(5)]
    pairs = list(query.values_list("name", "priority"))
    assert pairs[0] == ("s0.png", 0) and len(pairs) == 5
    full = next(iter(query.values()))
    assert set(full) == {public for public, _ in so.Sample._table_fields()}
    json.dumps(full)
    # values() rows are to_dict() restricted to the fields
    one = dataset.samples.get(name="s0.png").to_dict()
    assert full == {k: v for k, v in one.items() if k != "extra"}


def test_a_listable_manager_gives_tables_as_its_queryset_does(dataset: Any) -> None:
    # Django habit: dataset.samples.values(...) without .all(); same rows as the queryset.
    assert list(dataset.samples.values("name")) == list(dataset.samples.all().values("name"))
    names = list(dataset.samples.values_list("name", flat=True))
    assert names == [f"s{i}.png" for i in range(5)]
    pytest.importorskip("pandas")
    frame = dataset.samples.to_pandas(["name", "priority"])
    assert list(frame.columns) == ["name", "priority"] and list(frame["name"]) == names


def test_bad_fields_are_refused_before_any_request(dataset: Any, segments_emulator: Any) -> None:
    before = segments_emulator.emulator.stats.requests
    with pytest.raises(so.ValidationError, match="'nme' is not a field.*name"):
        dataset.samples.all().values("nme")
    with pytest.raises(so.ValidationError, match="flat=True needs exactly one field"):
        dataset.samples.all().values_list("name", "uuid", flat=True)
    with pytest.raises(so.ValidationError, match="_client"):
        dataset.samples.all().values_list("_client")
    with pytest.raises(so.ValidationError, match="list of names"):
        dataset.samples.all().to_pandas("name")
    with pytest.raises(so.ValidationError, match="metadata_columns"):
        dataset.samples.all().to_pandas(metadata_columns="weather")
    assert segments_emulator.emulator.stats.requests == before


def test_to_pandas_types_label_and_metadata_columns(dataset: Any, pd: Any) -> None:
    frame = (
        dataset.samples.include_label("ground-truth", full=True)
        .page_size(2)
        .to_pandas(metadata_columns=True)
    )
    assert list(frame["name"]) == [f"s{i}.png" for i in range(5)]
    assert isinstance(frame["created_at"].dtype, pd.DatetimeTZDtype)
    assert str(frame["created_at"].dt.tz) == "UTC"
    assert list(frame["label_status"]) == ["LABELED", "REVIEWED"] + ["UNLABELED"] * 3
    assert all(type(v) is str for v in frame["label_status"])
    assert frame["label_score"][0] == 0.5 and pd.isna(frame["label_score"][1])
    assert set(frame["labelset"]) == {"ground-truth"}
    assert list(frame["annotation_count"]) == [3, 0, 0, 0, 0]
    assert list(frame["count_car"]) == [2, 0, 0, 0, 0]
    assert list(frame["count_person"]) == [1, 0, 0, 0, 0]
    assert list(frame["metadata.weather"]) == ["rain", "sun", "rain", "sun", "rain"]
    assert list(frame["metadata.index"]) == list(range(5))
    assert "metadata" not in frame.columns and "label" not in frame.columns

    chosen = dataset.samples.include_label().to_pandas(
        ["name", "metadata"], metadata_columns=["index"]
    )
    assert list(chosen.columns) == [
        "name",
        "metadata",
        "labelset",
        "label_status",
        "label_score",
        "metadata.index",
    ]
    assert "annotation_count" not in chosen.columns  # a summary has no annotations

    # Enums of another resource: plain strings too.
    frame = dataset.client.datasets.all().to_pandas(["full_name", "task_type", "created_at"])
    assert frame["task_type"].tolist() == ["bboxes"]
    assert type(frame["task_type"][0]) is str
    assert isinstance(frame["created_at"].dtype, pd.DatetimeTZDtype)


def test_to_pandas_of_cached_and_edited_objects_shows_the_edits(dataset: Any, pd: Any) -> None:
    query = dataset.samples.all()
    samples = list(query)
    samples[0].metadata["weather"] = "snow"
    frame = query.to_pandas(["name", "metadata", "created_at"], metadata_columns=["weather"])
    assert frame["metadata.weather"][0] == "snow"
    assert isinstance(frame["created_at"].dtype, pd.DatetimeTZDtype)


def test_to_pandas_holds_one_page_of_objects_at_a_time(dataset: Any) -> None:
    query = dataset.samples.all().page_size(2)
    load = query._load
    alive: list[list[weakref.ref[Any]]] = []
    page_of_load: list[int] = []
    seen_pages: list[int] = []

    def tracking_load(raw: Any) -> Any:
        obj = load(raw)
        if len(page_of_load) % 2 == 0:  # the first object of a new page
            page = len(page_of_load) // 2
            earlier = [r for refs in alive[: max(0, page - 1)] for r in refs]
            # Objects two pages back are gone; the previous page too, once built.
            assert all(r() is None for r in earlier), f"page {page}: earlier objects alive"
            if page >= 1:
                assert all(r() is None for r in alive[page - 1]), "the previous page is alive"
            seen_pages.append(page)
            alive.append([])
        alive[-1].append(weakref.ref(obj))
        page_of_load.append(1)
        return obj

    query._load = tracking_load
    frame = query.to_pandas()
    assert len(frame) == 5
    assert seen_pages == [0, 1, 2]


def test_to_pandas_without_pandas_names_the_extra(
    dataset: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(so.MissingDependencyError, match=r"segments-orm\[pandas\]"):
        dataset.samples.all().to_pandas()
