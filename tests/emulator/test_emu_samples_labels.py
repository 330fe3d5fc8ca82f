"""Samples, labels and workunits over real HTTP."""

from __future__ import annotations

import gzip
import json
import uuid

import pytest

REQUIRED_SAMPLE_FIELDS = {"uuid", "name", "metadata", "created_at", "created_by", "priority"}
REQUIRED_LABEL_FIELDS = {
    "sample_uuid",
    "label_type",
    "label_status",
    "labelset",
    "created_at",
    "created_by",
    "updated_at",
}


@pytest.fixture
def flowers(api):
    api.dataset("flowers", task_type="vector")
    return "demo/flowers"


def test_add_and_get_sample(api, flowers):
    sample = api.sample(flowers, "a.jpg", metadata={"w": "sunny"}, priority=3, readme="r")
    assert set(sample) >= REQUIRED_SAMPLE_FIELDS
    assert sample["dataset_full_name"] == flowers
    assert sample["created_by"] == "demo"
    assert (sample["priority"], sample["readme"]) == (3, "r")
    fetched = api.get(f"samples/{sample['uuid']}/").json()
    assert fetched == sample
    assert fetched["label"] is None


def test_gzip_body_is_decoded(api, flowers):
    body = {"name": "gz.jpg", "attributes": {"image": {"url": "u"}}, "priority": 0, "readme": ""}
    response = api.post(
        f"datasets/{flowers}/samples/",
        data=gzip.compress(json.dumps(body).encode()),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert response.status_code == 201
    assert response.json()["name"] == "gz.jpg"


def test_duplicate_sample_name_is_400_already_exists(api, flowers):
    api.sample(flowers, "a.jpg")
    response = api.post(
        f"datasets/{flowers}/samples/", json={"name": "a.jpg", "attributes": {"image": {}}}
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Sample with this name already exists."}


def test_sample_attributes_must_fit_the_task_type(api, flowers):
    response = api.post(
        f"datasets/{flowers}/samples/", json={"name": "a", "attributes": {"pcd": {"url": "u"}}}
    )
    assert response.status_code == 400
    assert "attributes" in response.json()


def test_unknown_assignee_is_400(api, flowers):
    body = {"name": "a", "attributes": {"image": {"url": "u"}}, "assigned_labeler": "ghost"}
    response = api.post(f"datasets/{flowers}/samples/", json=body)
    assert response.status_code == 400
    assert "assigned_labeler" in response.json()


def test_add_sample_to_missing_dataset_is_404(api):
    body = {"name": "a", "attributes": {"image": {"url": "u"}}}
    assert api.post("datasets/demo/nope/samples/", json=body).status_code == 404


def test_bulk_create_returns_existing_samples_unchanged(api, flowers):
    existing = api.sample(flowers, "a.jpg", metadata={"old": True})
    items = [
        {"name": "a.jpg", "attributes": {"image": {"url": "new"}}, "metadata": {"new": True}},
        {"name": "b.jpg", "attributes": {"image": {"url": "b"}}, "priority": 2},
        {"name": "b.jpg", "attributes": {"image": {"url": "again"}}},
    ]
    response = api.post(
        f"datasets/{flowers}/samples_bulk/",
        data=gzip.compress(json.dumps(items).encode()),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert response.status_code == 201
    created = response.json()
    assert [s["name"] for s in created] == ["a.jpg", "b.jpg", "b.jpg"]
    assert created[0] == existing
    assert created[1] == created[2]
    assert created[1]["priority"] == 2
    assert api.get(f"datasets/{flowers}/").json()["samples_count"] == 2


def test_bulk_create_is_all_or_nothing(api, flowers):
    items = [
        {"name": "ok.jpg", "attributes": {"image": {"url": "u"}}},
        {"name": "bad.jpg"},
    ]
    response = api.post(f"datasets/{flowers}/samples_bulk/", json=items)
    assert response.status_code == 400
    assert response.json() == [{}, {"attributes": ["This field is required."]}]
    assert api.get(f"datasets/{flowers}/samples/").json() == []


def test_bulk_create_needs_a_list(api, flowers):
    response = api.post(f"datasets/{flowers}/samples_bulk/", json={"name": "a"})
    assert response.status_code == 400


def test_update_sample(api, flowers):
    api.sample(flowers, "taken.jpg")
    sample = api.sample(flowers, "a.jpg", assigned_labeler="demo")
    body = {"name": "n.jpg", "metadata": {"a": 1}, "priority": 1, "assigned_labeler": None}
    response = api.patch(
        f"samples/{sample['uuid']}/",
        data=gzip.compress(json.dumps(body).encode()),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    updated = response.json()
    assert (updated["name"], updated["metadata"], updated["priority"]) == ("n.jpg", {"a": 1}, 1)
    assert updated["assigned_labeler"] is None
    assert updated["created_at"] == sample["created_at"]
    conflict = api.patch(f"samples/{sample['uuid']}/", json={"name": "taken.jpg"})
    assert conflict.status_code == 400
    assert conflict.json() == {"detail": "Sample with this name already exists."}


def test_sample_404s(api):
    missing = str(uuid.uuid4())
    assert api.get(f"samples/{missing}/").status_code == 404
    assert api.patch(f"samples/{missing}/", json={}).status_code == 404
    assert api.delete(f"samples/{missing}/").status_code == 404


def test_delete_sample(api, flowers):
    sample = api.sample(flowers, "a.jpg")
    assert api.delete(f"samples/{sample['uuid']}/").status_code == 204
    assert api.get(f"samples/{sample['uuid']}/").status_code == 404
    assert api.get(f"datasets/{flowers}/").json()["samples_count"] == 0


def test_bulk_delete_skips_unknown_uuids(api, flowers):
    samples = [api.sample(flowers, f"{i}.jpg") for i in range(3)]
    uuids = [samples[0]["uuid"], samples[1]["uuid"], str(uuid.uuid4())]
    response = api.delete(f"datasets/{flowers}/samples_bulk/", json={"uuids": uuids})
    assert response.status_code == 200
    assert response.json() == {"deleted_count": 2}
    remaining = api.get(f"datasets/{flowers}/samples/").json()
    assert [s["uuid"] for s in remaining] == [samples[2]["uuid"]]


def test_bulk_delete_only_touches_its_dataset(api, flowers):
    api.dataset("other")
    other = api.sample("demo/other", "x.jpg")
    response = api.delete(f"datasets/{flowers}/samples_bulk/", json={"uuids": [other["uuid"]]})
    assert response.json() == {"deleted_count": 0}
    assert api.get(f"samples/{other['uuid']}/").status_code == 200


def test_bulk_delete_limits(api, flowers):
    too_many = [str(uuid.uuid4()) for _ in range(1001)]
    response = api.delete(f"datasets/{flowers}/samples_bulk/", json={"uuids": too_many})
    assert response.status_code == 400
    assert "uuids" in response.json()
    ok = api.delete(f"datasets/{flowers}/samples_bulk/", json={"uuids": too_many[:1000]})
    assert ok.json() == {"deleted_count": 0}
    assert api.delete(f"datasets/{flowers}/samples_bulk/", json={"uuids": []}).status_code == 400
    assert api.delete("datasets/demo/nope/samples_bulk/", json={"uuids": ["x"]}).status_code == 404


@pytest.fixture
def garden(api, flowers):
    """Five samples with varied names, metadata, priorities and labels."""
    made = {}
    for name, metadata, priority in [
        ("rose.jpg", {"color": "red", "n": 3}, 5),
        ("tulip.jpg", {"color": "red", "n": 1}, 1),
        ("violet.jpg", {"color": "blue", "n": 2}, 3),
        ("daisy.png", {"color": "white", "wild": True}, 2),
        ("Rosemary.jpg", {"color": "green"}, 4),
    ]:
        made[name] = api.sample(flowers, name, metadata=metadata, priority=priority)
    api.label(made["rose.jpg"]["uuid"], "LABELED")
    api.label(made["tulip.jpg"]["uuid"], "REVIEWED")
    api.post(f"datasets/{flowers}/labelsets/", json={"name": "preds"})
    api.label(made["violet.jpg"]["uuid"], "PRELABELED", labelset="preds")
    return made


def names(response):
    assert response.status_code == 200, response.text
    return [s["name"] for s in response.json()]


def test_list_default_sorts_by_name(api, garden):
    assert names(api.get("datasets/demo/flowers/samples/")) == sorted(garden)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name__contains=rose", ["rose.jpg"]),  # case-sensitive: not Rosemary
        ("name__contains=.jpg&sort=-name", ["violet.jpg", "tulip.jpg", "rose.jpg", "Rosemary.jpg"]),
        ("filters=color:red", ["rose.jpg", "tulip.jpg"]),
        ("filters=color:red,n:3", ["rose.jpg"]),
        ("filters=wild:true", ["daisy.png"]),
        ("label_status=LABELED,REVIEWED", ["rose.jpg", "tulip.jpg"]),
        ("label_status=UNLABELED", ["Rosemary.jpg", "daisy.png", "violet.jpg"]),
        ("label_status=labeled", ["rose.jpg"]),
        ("labelset=preds&label_status=PRELABELED", ["violet.jpg"]),
        (
            "labelset=preds&label_status=UNLABELED&sort=name",
            ["Rosemary.jpg", "daisy.png", "rose.jpg", "tulip.jpg"],
        ),
        ("sort=priority", ["tulip.jpg", "daisy.png", "violet.jpg", "Rosemary.jpg", "rose.jpg"]),
        ("sort=-priority", ["rose.jpg", "Rosemary.jpg", "violet.jpg", "daisy.png", "tulip.jpg"]),
        ("sort=created_at", ["rose.jpg", "tulip.jpg", "violet.jpg", "daisy.png", "Rosemary.jpg"]),
        ("sort=-created_at", ["Rosemary.jpg", "daisy.png", "violet.jpg", "tulip.jpg", "rose.jpg"]),
        ("sort=-gt_label__updated_at&label_status=LABELED,REVIEWED", ["tulip.jpg", "rose.jpg"]),
    ],
)
def test_list_filters_and_sorts(api, garden, query, expected):
    assert (
        names(api.get(f"datasets/demo/flowers/samples/?per_page=1000&page=1&{query}")) == expected
    )


def test_list_accepts_percent_encoded_and_raw_values(api, flowers):
    api.sample(flowers, "a b&c+d.jpg", metadata={"k": "v w"})
    api.sample(flowers, "plain.jpg")
    encoded = "name__contains=a%20b%26c%2Bd&filters=k%3Av%20w"
    assert names(api.get(f"datasets/{flowers}/samples/?{encoded}")) == ["a b&c+d.jpg"]
    # segments-ai pastes values raw; '+' then means a space, like any query string.
    assert names(api.get(f"datasets/{flowers}/samples/?name__contains=a b")) == ["a b&c+d.jpg"]


def test_list_with_labelset_gives_summaries_or_full_labels(api, garden):
    rows = api.get("datasets/demo/flowers/samples/?labelset=ground-truth&sort=name").json()
    by_name = {row["name"]: row for row in rows}
    assert by_name["rose.jpg"]["label"]["label_status"] == "LABELED"
    assert set(by_name["rose.jpg"]["label"]) == {
        "label_status",
        "score",
        "updated_at",
        "created_by",
        "reviewed_by",
    }
    assert by_name["daisy.png"]["label"] is None
    full = api.get(
        "datasets/demo/flowers/samples/?labelset=ground-truth&include_full_label=1"
    ).json()
    label = {row["name"]: row for row in full}["rose.jpg"]["label"]
    assert set(label) >= REQUIRED_LABEL_FIELDS
    assert label["attributes"]["annotations"] == []


def test_list_errors(api, garden):
    base = "datasets/demo/flowers/samples/"
    assert api.get(base + "?label_status=DONE").json() == {
        "label_status": ['"DONE" is not a valid choice.']
    }
    assert api.get("datasets/demo/nope/samples/").status_code == 404


@pytest.mark.parametrize(
    ("count", "per_page", "page", "status", "expected"),
    [
        (0, 5, 1, 200, 0),
        (0, 5, 2, 404, None),
        (6, 3, 2, 200, 3),
        (6, 3, 3, 404, None),
        (7, 3, 3, 200, 1),
    ],
)
def test_sample_pagination_edges(api, flowers, count, per_page, page, status, expected):
    if count:
        items = [{"name": f"{i:02}", "attributes": {"image": {"url": "u"}}} for i in range(count)]
        api.post(f"datasets/{flowers}/samples_bulk/", json=items)
    response = api.get(f"datasets/{flowers}/samples/?per_page={per_page}&page={page}")
    assert response.status_code == status
    if expected is None:
        assert response.json() == {"detail": "Invalid page."}
    else:
        assert len(response.json()) == expected


def test_get_sample_with_labelset_and_the_malformed_signed_url_query(api, flowers):
    sample = api.sample(flowers, "a.jpg")
    api.label(sample["uuid"], "LABELED")
    plain = api.get(f"samples/{sample['uuid']}/?labelset=ground-truth").json()
    assert plain["label"]["label_status"] == "LABELED"
    quirk = api.get(f"samples/{sample['uuid']}/?labelset=ground-truth?include_signed_urls=1")
    assert quirk.status_code == 200
    assert quirk.json()["label"]["label_status"] == "LABELED"
    assert quirk.json()["attributes"]["image"]["signed_url"] == "https://x/a.jpg"
    signed = api.get(f"samples/{sample['uuid']}/?include_signed_urls=1")
    assert signed.status_code == 200
    assert signed.json()["attributes"]["image"]["signed_url"] == "https://x/a.jpg"
    assert "signed_url" not in plain["attributes"]["image"]


# --- labels -----------------------------------------------------------------------------


def test_put_creates_then_replaces(api, flowers):
    sample = api.sample(flowers, "a.jpg")
    path = f"labels/{sample['uuid']}/ground-truth/"
    attributes = {
        "format_version": "0.1",
        "annotations": [{"id": 1, "category_id": 1, "type": "bbox", "points": [[1, 2], [3, 4]]}],
    }
    first = api.put(
        path, json={"label_status": "PRELABELED", "attributes": attributes, "score": 0.5}
    )
    assert first.status_code == 201
    label = first.json()
    assert set(label) >= REQUIRED_LABEL_FIELDS
    assert (label["label_type"], label["labelset"], label["score"]) == (
        "vector",
        "ground-truth",
        0.5,
    )
    second = api.put(path, json={"attributes": {"annotations": []}}).json()
    assert second["label_status"] == "PRELABELED"
    assert second["score"] is None  # replaced, not merged
    assert second["attributes"] == {"annotations": []}
    assert second["created_at"] == label["created_at"]
    assert api.get(path).json() == second


def test_patch_merges(api, flowers):
    sample = api.sample(flowers, "a.jpg")
    path = f"labels/{sample['uuid']}/ground-truth/"
    api.put(path, json={"label_status": "LABELED", "attributes": {"annotations": []}, "score": 0.9})
    patched = api.patch(path, json={"label_status": "REVIEWED"})
    assert patched.status_code == 200
    body = patched.json()
    assert (body["label_status"], body["score"]) == ("REVIEWED", 0.9)
    assert body["attributes"] == {"annotations": []}
    assert body["reviewed_by"] == "demo"


def test_label_404s(api, flowers):
    sample = api.sample(flowers, "a.jpg")
    missing = f"labels/{sample['uuid']}/ground-truth/"
    assert api.get(missing).status_code == 404
    assert api.patch(missing, json={"label_status": "LABELED"}).status_code == 404
    assert api.delete(missing).status_code == 404
    body = {"attributes": {"annotations": []}}
    assert api.put(f"labels/{sample['uuid']}/nope/", json=body).status_code == 404
    assert api.put(f"labels/{uuid.uuid4()}/ground-truth/", json=body).status_code == 404
    assert api.get(f"labels/{sample['uuid']}").status_code == 404  # no labelset segment


def test_delete_label(api, flowers):
    sample = api.sample(flowers, "a.jpg")
    api.label(sample["uuid"])
    assert api.delete(f"labels/{sample['uuid']}/ground-truth/").status_code == 204
    assert api.get(f"labels/{sample['uuid']}/ground-truth/").status_code == 404


def test_labels_in_two_labelsets_are_independent(api, flowers):
    sample = api.sample(flowers, "a.jpg")
    api.post(f"datasets/{flowers}/labelsets/", json={"name": "preds"})
    api.label(sample["uuid"], "LABELED")
    api.label(sample["uuid"], "PRELABELED", labelset="preds")
    assert api.get(f"labels/{sample['uuid']}/preds/").json()["label_status"] == "PRELABELED"
    assert api.get(f"labels/{sample['uuid']}/ground-truth").json()["label_status"] == "LABELED"


def test_label_rejects_bad_input(api, flowers):
    sample = api.sample(flowers, "a.jpg")
    path = f"labels/{sample['uuid']}/ground-truth/"
    assert api.put(path, json={"label_status": "LABELED"}).json() == {
        "attributes": ["This field is required."]
    }
    for body in (
        {"attributes": {}, "label_status": "DONE"},
        {"attributes": {}, "label_status": "UNLABELED"},
        {"attributes": "x"},
        {"attributes": {"annotations": {}}},
        {"attributes": {}, "score": "high"},
    ):
        response = api.put(path, json=body)
        assert response.status_code == 400, body
    assert api.get(path).status_code == 404


# --- workunits --------------------------------------------------------------------------


def test_each_label_write_records_a_workunit(api, user_api, flowers):
    sample = api.sample(flowers, "a.jpg")
    api.post(f"datasets/{flowers}/collaborators/", json={"user": "john", "role": "reviewer"})
    john = user_api("john")
    api.post(f"datasets/{flowers}/collaborators/", json={"user": "john", "role": "reviewer"})
    api.label(sample["uuid"], "LABELED")
    john.patch(f"labels/{sample['uuid']}/ground-truth/", json={"label_status": "REVIEWED"})
    response = api.get(f"datasets/{flowers}/workunits/?per_page=1000&page=1&sort=-created_at")
    assert response.status_code == 200
    units = response.json()
    assert [(u["created_by"], u["work_type"], u["next_label_status"]) for u in units] == [
        ("john", "reviewing", "REVIEWED"),
        ("demo", "labeling", "LABELED"),
    ]
    for unit in units:
        assert {"created_at", "time", "inactive_time", "sample_uuid", "sample_name"} <= set(unit)
        assert unit["sample_name"] == "a.jpg"
        assert "session_time_metrics" not in unit
    ascending = api.get(f"datasets/{flowers}/workunits/?sort=created_at").json()
    assert [u["uuid"] for u in ascending] == [u["uuid"] for u in reversed(units)]


def test_workunit_filters_and_pages(api, flowers):
    sample = api.sample(flowers, "a.jpg")
    for _ in range(3):
        api.label(sample["uuid"])
    base = f"datasets/{flowers}/workunits/"
    assert len(api.get(base + "?start=2000-01-01T00:00:00&end=2999-01-01T00:00:00").json()) == 3
    assert api.get(base + "?start=2999-01-01T00:00:00").json() == []
    assert len(api.get(base + "?start=2000-01-01 00:00:00").json()) == 3
    assert len(api.get(base + "?start=2000-01-01T00:00:00+01:00").json()) == 3  # raw '+'
    assert len(api.get(base + "?end=2999-01-01T00:00:00Z").json()) == 3
    assert api.get(base + "?end=2000-01-01T00:00:00").json() == []
    metrics = api.get(base + "?include_session_time_metrics=true").json()
    assert all(isinstance(u["session_time_metrics"], dict) for u in metrics)
    assert len(api.get(base + "?per_page=2&page=2").json()) == 1
    assert api.get(base + "?per_page=2&page=3").json() == {"detail": "Invalid page."}
    assert api.get(base + "?start=yesterday").json() == {
        "start": ["Datetime has wrong format. Use YYYY-MM-DDTHH:MM:SS."]
    }
    assert api.get("datasets/demo/nope/workunits/").status_code == 404
