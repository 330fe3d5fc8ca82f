"""Recorded scenarios: the ORM's traffic for common jobs, replayed from ``cassettes/``.

Each test creates what it needs under fixed names and deletes its dataset at the end, so
it records the same way against a fresh emulator or a real account.
"""

from __future__ import annotations

import pytest

import segments_orm as so
from segments_orm.exceptions import AlreadyExistsError, NotFoundError

TASK_ATTRIBUTES = {
    "format_version": "0.1",
    "categories": [{"name": "cat", "id": 1}, {"name": "dog", "id": 2}],
}


def box(category_id: int = 1) -> dict:
    return {
        "format_version": "0.1",
        "annotations": [
            {"id": 1, "category_id": category_id, "type": "bbox", "points": [[1, 2], [30, 40]]}
        ],
    }


def image(name: str) -> dict:
    return {"image": {"url": f"https://example.com/{name}"}}


def test_dataset_lifecycle(cassette, owner: str) -> None:
    client = cassette.client
    dataset = client.datasets.create(
        "orm-cassette-lifecycle",
        description="Recorded.",
        task_type=so.TaskType.BBOXES,
        task_attributes=TASK_ATTRIBUTES,
    )
    try:
        assert dataset.full_name == f"{owner}/orm-cassette-lifecycle"
        with pytest.raises(AlreadyExistsError):
            client.datasets.create("orm-cassette-lifecycle")
        dataset.update(description="Updated.", enable_ratings=True)
        fetched = client.datasets.get(dataset.full_name)
        assert fetched.description == "Updated."
        assert fetched.enable_ratings is True
        assert [c.name for c in fetched.task_attributes.categories] == ["cat", "dog"]
        assert dataset.full_name in {d.full_name for d in client.datasets.filter(owner=owner)}
    finally:
        client.datasets.get(dataset.full_name, lazy=True).delete()
    with pytest.raises(NotFoundError):
        client.datasets.get(dataset.full_name)


def test_samples_pages_and_labels(cassette, owner: str) -> None:
    client = cassette.client
    dataset = client.datasets.create(
        "orm-cassette-samples", task_type="bboxes", task_attributes=TASK_ATTRIBUTES
    )
    try:
        items = [
            {
                "name": f"s{i:02d}.jpg",
                "attributes": image(f"s{i:02d}.jpg"),
                "metadata": {"weather": "sunny" if i % 2 else "rainy"},
            }
            for i in range(23)
        ]
        created = dataset.samples.bulk_create(items, batch_size=10)
        assert [s.name for s in created] == [item["name"] for item in items]
        # More than one page: iteration carries on to the end.
        assert [s.name for s in dataset.samples.all().page_size(10)] == [
            item["name"] for item in items
        ]
        assert [s.name for s in dataset.samples.all().page_size(5)[11:13]] == [
            "s11.jpg",
            "s12.jpg",
        ]
        sunny = dataset.samples.filter(metadata={"weather": "sunny"}).order_by("-name")
        assert [s.name for s in sunny][:2] == ["s21.jpg", "s19.jpg"]
        first = dataset.samples.all().get(name="s00.jpg")
        label = first.labels.create("ground-truth", box(), label_status="PRELABELED")
        label.attributes.annotations[0].category_id = 2
        label.save()
        again = client.samples.get(first.uuid, labelset="ground-truth")
        assert again.label.attributes.annotations[0].category_id == 2
        labeled = dataset.samples.filter(label_status="PRELABELED").include_label(full=True)
        (only,) = list(labeled)
        assert only.uuid == first.uuid
        assert only.label.label_status == so.LabelStatus.PRELABELED
        first.metadata["checked"] = True
        first.save()
        assert client.samples.get(first.uuid).metadata == {"weather": "rainy", "checked": True}
        assert dataset.samples.filter(name__contains="s1").delete() == 10
        assert dataset.samples.count() == 13
    finally:
        dataset.delete()


def test_labelsets_issues_and_releases(cassette, owner: str) -> None:
    client = cassette.client
    dataset = client.datasets.create(
        "orm-cassette-release", task_type="bboxes", task_attributes=TASK_ATTRIBUTES
    )
    try:
        sample = dataset.samples.create("a.jpg", image("a.jpg"))
        sample.labels.create("ground-truth", box(), label_status="LABELED")
        labelset = dataset.labelsets.create("model-v2", description="predictions")
        assert sorted(ls.name for ls in dataset.labelsets.all()) == ["ground-truth", "model-v2"]
        sample.labels.create("model-v2", box(2), score=0.5)
        assert sample.labels.get("model-v2").score == pytest.approx(0.5)
        labelset.delete()
        issue = sample.issues.create("You forgot the cars.")
        issue.update(status=so.IssueStatus.CLOSED)
        assert dataset.issues.filter(status="CLOSED").get().description == "You forgot the cars."
        release = dataset.releases.create("v0.1", description="first")
        release.wait(timeout=60, poll=0.05, sleep=cassette.sleep)
        assert release.status == so.ReleaseStatus.SUCCEEDED
        content = release.download()
        assert [s["name"] for s in content["dataset"]["samples"]] == ["a.jpg"]
        assert dataset.releases.get("v0.1").description == "first"
    finally:
        dataset.delete()


def test_asset_upload(cassette) -> None:
    asset = cassette.client.assets.upload(b"\x89PNG not really", filename="cat.png")
    assert asset.filename == "cat.png"
    assert asset.download() == b"\x89PNG not really"
