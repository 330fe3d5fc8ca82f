"""A sample page spliced from stored text parses as the page built from decoded documents."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Optional

import pytest

from segments_orm.emulator._app import JsonAnswer, json_response
from segments_orm.emulator._http import JsonText
from segments_orm.emulator._store import dump
from segments_orm.emulator._views import label_json, label_text, sample_json, sample_text


def _row(**columns: Any) -> sqlite3.Row:
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    names = ", ".join(f"? AS {name}" for name in columns)
    row: sqlite3.Row = connection.execute(f"SELECT {names}", tuple(columns.values())).fetchone()
    connection.close()
    return row


_DOCS = [
    {},
    {"attributes": {"image": {"url": "https://x/é.jpg"}}, "metadata": {"k": [1, 2.5, None]}},
    {"priority": 1e300, "readme": 'line\nbreak "quoted" \u2028', "created_by": "demo"},
    # A document holding a key the answer sets as well: the answer's own value wins.
    {"created_at": "stale", "uuid": "stale", "label": "stale", "attributes": {}},
]


def _sample_row(doc: Any) -> sqlite3.Row:
    text = doc if isinstance(doc, str) else dump(doc)
    return _row(
        uuid="u-1",
        name='naïve "one".jpg',
        created_at="2026-01-01T00:00:00.000000Z",
        updated_at="2026-01-02T00:00:00.000000Z",
        doc=text,
    )


def _label_row(doc: Any) -> sqlite3.Row:
    text = doc if isinstance(doc, str) else dump(doc)
    return _row(sample_uuid="u-1", labelset="ground/truth", label_status="LABELED", doc=text)


def _same(text: str, value: Any) -> None:
    parsed = json.loads(text)
    assert parsed == value
    # The same members in the same order, as a client iterating the object sees them.
    assert list(parsed) == list(value)


@pytest.mark.parametrize("doc", _DOCS)
@pytest.mark.parametrize("label", [None, {"label_status": "LABELED", "score": 0.5}])
def test_a_sample_text_parses_as_its_json(doc: dict[str, Any], label: Optional[dict]) -> None:
    row = _sample_row(doc)
    text = sample_text(row, json.dumps("demo/ds"), json.dumps(label))
    _same(text, sample_json(row, "demo/ds", label))


@pytest.mark.parametrize("doc", _DOCS)
def test_a_label_text_parses_as_its_json(doc: dict[str, Any]) -> None:
    row = _label_row(doc)
    _same(label_text(row, "bboxes"), label_json(row, "bboxes"))


@pytest.mark.parametrize("doc", ['  {"a": 1} ', "[1]"])
def test_a_document_not_stored_as_a_plain_object_is_decoded(doc: str) -> None:
    row = _sample_row(doc)
    if doc.strip().startswith("{"):
        _same(sample_text(row, '"demo/ds"', "null"), sample_json(row, "demo/ds", None))
    else:
        with pytest.raises(TypeError):  # as the decoding path itself fails on it
            sample_json(row, "demo/ds", None)
        with pytest.raises(TypeError):
            sample_text(row, '"demo/ds"', "null")


def test_a_json_text_answer_is_sent_as_it_is() -> None:
    answer = json_response(200, JsonText('[{"a": 1}]'))
    assert isinstance(answer, JsonAnswer)
    assert answer._body == b'[{"a": 1}]'


def test_a_label_write_answers_the_label_it_stored(api: Any) -> None:
    dataset = api.dataset("spliced", task_type="bboxes")["full_name"]
    sample = api.sample(dataset, "a.jpg")["uuid"]
    attributes = {
        "format_version": "0.1",
        "annotations": [{"id": 1, "category_id": 2, "type": "bbox", "points": [[1.5, 2], [3, 4]]}],
    }
    first = api.put(
        f"labels/{sample}/ground-truth/",
        json={"label_status": "PRELABELED", "attributes": attributes, "score": 0.5},
    )
    assert first.status_code == 201
    read = api.get(f"labels/{sample}/ground-truth/").json()
    assert first.json() == read
    assert list(first.json()) == list(read)
    # A replacement keeps the creation fields of the label it replaces.
    second = api.put(f"labels/{sample}/ground-truth/", json={"attributes": {"annotations": []}})
    assert second.status_code == 201
    assert second.json()["created_at"] == read["created_at"]
    assert second.json()["created_by"] == read["created_by"] == "demo"
    assert second.json()["score"] is None
    assert second.json() == api.get(f"labels/{sample}/ground-truth/").json()
    patched = api.patch(f"labels/{sample}/ground-truth/", json={"score": 1})
    assert patched.status_code == 200
    assert patched.json() == api.get(f"labels/{sample}/ground-truth/").json()


def test_a_page_with_label_summaries_gives_each_labels_fields(api: Any) -> None:
    dataset = api.dataset("summaries", task_type="bboxes")["full_name"]
    uuids = [api.sample(dataset, f"s{index}.jpg")["uuid"] for index in range(3)]
    empty = {"format_version": "0.1", "annotations": []}
    first = api.put(f"labels/{uuids[0]}/ground-truth/", json={"attributes": empty, "score": 1e300})
    assert first.status_code == 201, first.text
    third = api.put(
        f"labels/{uuids[2]}/ground-truth/",
        json={"label_status": "REVIEWED", "attributes": empty, "score": 2},
    )
    assert third.status_code == 201, third.text
    page = api.get(f"datasets/{dataset}/samples/", params={"labelset": "ground-truth"}).json()
    by_uuid = {sample["uuid"]: sample["label"] for sample in page}
    assert by_uuid[uuids[1]] is None
    for sample_uuid in (uuids[0], uuids[2]):
        label = api.get(f"labels/{sample_uuid}/ground-truth/").json()
        wanted = ["label_status", "score", "updated_at", "created_by", "reviewed_by"]
        assert by_uuid[sample_uuid] == {key: label[key] for key in wanted}
        assert list(by_uuid[sample_uuid]) == wanted
    assert by_uuid[uuids[0]]["score"] == 1e300
    assert by_uuid[uuids[2]]["score"] == 2
    assert by_uuid[uuids[2]]["reviewed_by"] == "demo"
    # Without a labelset, no label; with full labels, each one whole.
    plain = api.get(f"datasets/{dataset}/samples/").json()
    assert all(sample["label"] is None for sample in plain)
    full = api.get(
        f"datasets/{dataset}/samples/",
        params={"labelset": "ground-truth", "include_full_label": "1"},
    ).json()
    for sample in full:
        if sample["uuid"] != uuids[1]:
            assert sample["label"] == api.get(f"labels/{sample['uuid']}/ground-truth/").json()
