"""Every seed operation through `segments_orm.SegmentsClient`, against the emulator.

A script written for the platform's client must run after changing only its import:
these tests call the facade the way such scripts do and check what comes back (fields,
counts, statuses), the errors they catch, and that the results are ORM objects.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

import segments_orm as so
from segments_orm.emulator import EmulatorServer

IMAGE = {"image": {"url": "https://example.com/violet.jpg"}}
BBOX = {
    "format_version": "0.1",
    "annotations": [
        {"id": 1, "category_id": 1, "type": "bbox", "points": [[12.3, 56.7], [90.1, 34.5]]}
    ],
}
TASK_ATTRIBUTES = {
    "format_version": "0.1",
    "categories": [{"name": "car", "id": 1}, {"name": "bike", "id": 2}],
}
DATASET = "demo/flowers"


def image(name: str) -> dict[str, Any]:
    return {"image": {"url": f"https://example.com/{name}"}}


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[so.SegmentsClient]:
    server.emulator.add_user("john")
    with so.SegmentsClient(server.api_key, server.url) as client:
        yield client


@pytest.fixture
def dataset(client: so.SegmentsClient) -> so.Dataset:
    return client.add_dataset("flowers", "Flowers.", "bboxes", TASK_ATTRIBUTES)


@pytest.fixture
def sample(client: so.SegmentsClient, dataset: so.Dataset) -> so.Sample:
    return client.add_sample(DATASET, "violet.jpg", IMAGE, metadata={"weather": "sunny"})


def test_is_a_client_and_constructing_it_sends_nothing(server: EmulatorServer) -> None:
    before = server.emulator.stats.requests
    client = so.SegmentsClient(server.api_key, server.url)
    assert isinstance(client, so.Client)
    assert server.emulator.stats.requests == before
    assert server.api_key not in repr(client)
    client.close()


# --- users and datasets ---------------------------------------------------------------------


def test_get_user(client: so.SegmentsClient) -> None:
    me = client.get_user()
    assert isinstance(me, so.User)
    assert (me.username, me.email) == ("demo", "demo@example.com")
    assert client.get_user("john").username == "john"
    with pytest.raises(so.NotFoundError):
        client.get_user("nobody")


def test_dataset_lifecycle(client: so.SegmentsClient) -> None:
    created = client.add_dataset(
        "flowers",
        "Flowers.",
        so.TaskType.BBOXES,
        TASK_ATTRIBUTES,
        category="fruit",
        metadata={"team": "a"},
        enable_confirm_on_commit=True,
    )
    assert isinstance(created, so.Dataset)
    assert (created.full_name, created.task_type, created.category) == (DATASET, "bboxes", "fruit")
    assert created.enable_confirm_on_submit is True
    assert created.metadata == {"team": "a"}

    fetched = client.get_dataset(DATASET)
    assert fetched.description == "Flowers."
    assert [c["name"] for c in fetched.task_attributes.to_json()["categories"]] == ["car", "bike"]

    updated = client.update_dataset(DATASET, description="Roses.", public=True, enable_ratings=True)
    assert (updated.description, updated.public, updated.enable_ratings) == ("Roses.", True, True)
    assert updated.task_type == "bboxes"  # untouched fields come back too
    unchanged = client.update_dataset(DATASET)
    assert unchanged.description == "Roses."

    with pytest.raises(so.AlreadyExistsError):
        client.add_dataset("flowers")

    client.delete_dataset(DATASET)
    with pytest.raises(so.NotFoundError):
        client.get_dataset(DATASET)
    with pytest.raises(so.NotFoundError):
        client.delete_dataset(DATASET)


def test_default_dataset_is_segmentation_with_one_category(client: so.SegmentsClient) -> None:
    created = client.add_dataset("plain")
    assert created.task_type == "segmentation-bitmap"
    assert created.category == "other"
    assert created.public is False
    assert created.labeling_inactivity_timeout_seconds == 300


def test_get_datasets_returns_one_page_then_not_found(client: so.SegmentsClient) -> None:
    for name in ("a", "b", "c"):
        client.add_dataset(name)
    assert sorted(d.name for d in client.get_datasets()) == ["a", "b", "c"]
    assert sorted(d.name for d in client.get_datasets("demo")) == ["a", "b", "c"]
    # The platform's paging loop: pages of 2 until the server says "Invalid page.".
    pages = []
    page = 1
    while True:
        try:
            pages.append(client.get_datasets(per_page=2, page=page))
        except so.NotFoundError:
            break
        page += 1
    assert [len(p) for p in pages] == [2, 1]
    assert sorted(d.name for p in pages for d in p) == ["a", "b", "c"]
    assert client.get_datasets("john") == []  # page 1 of nothing is empty, not an error


def test_clone_dataset(client: so.SegmentsClient, sample: so.Sample) -> None:
    client.add_label(sample.uuid, "ground-truth", BBOX)
    clone = client.clone_dataset(DATASET)
    assert clone.full_name == "demo/flowers-clone"
    assert clone.task_type == "bboxes"
    named = client.clone_dataset(DATASET, new_name="copy", new_public=True, clone_labels=True)
    assert (named.full_name, named.public) == ("demo/copy", True)
    copied = client.get_samples("demo/copy", labelset="ground-truth")
    assert [s.name for s in copied] == ["violet.jpg"]
    assert copied[0].label.label_status == "PRELABELED"


# --- collaborators ------------------------------------------------------------------------


def test_collaborators(client: so.SegmentsClient, dataset: so.Dataset) -> None:
    added = client.add_dataset_collaborator(DATASET, "john")
    assert isinstance(added, so.Collaborator)
    assert (added.username, added.role) == ("john", "labeler")
    assert client.get_dataset_collaborator(DATASET, "john").role == "labeler"
    with pytest.raises(so.CollaboratorError):
        client.add_dataset_collaborator(DATASET, "john", so.Role.REVIEWER)
    assert client.update_dataset_collaborator(DATASET, "john", "reviewer").role == "reviewer"
    assert client.get_dataset_collaborator(DATASET, "john").role == "reviewer"
    client.delete_dataset_collaborator(DATASET, "john")
    with pytest.raises(so.NotFoundError):
        client.get_dataset_collaborator(DATASET, "john")
    # Ours maps by status: the API's 400 "... does not exist." is a BadRequestError, which
    # is also a NetworkError, as the platform's client's class for a refused request.
    with pytest.raises(so.BadRequestError, match="nobody"):
        client.add_dataset_collaborator(DATASET, "nobody")


# --- samples --------------------------------------------------------------------------------


def test_add_and_get_sample(client: so.SegmentsClient, dataset: so.Dataset) -> None:
    created = client.add_sample(
        DATASET, "violet.jpg", IMAGE, {"weather": "sunny"}, 2, "john", "demo", "Careful."
    )
    assert isinstance(created, so.Sample)
    assert (created.name, created.priority, created.readme) == ("violet.jpg", 2, "Careful.")
    assert (created.assigned_labeler, created.assigned_reviewer) == ("john", "demo")
    fetched = client.get_sample(created.uuid)
    assert fetched.metadata == {"weather": "sunny"}
    assert fetched.dataset_full_name == DATASET
    assert fetched.attributes.to_json() == IMAGE
    with pytest.raises(so.AlreadyExistsError):
        client.add_sample(DATASET, "violet.jpg", IMAGE)
    with pytest.raises(so.NotFoundError):
        client.get_sample("00000000-0000-0000-0000-000000000000")


def test_get_sample_with_its_label(client: so.SegmentsClient, sample: so.Sample) -> None:
    client.add_label(sample.uuid, "ground-truth", BBOX, so.LabelStatus.LABELED)
    labeled = client.get_sample(sample.uuid, labelset="ground-truth", include_signed_url=True)
    assert labeled.label.label_status == "LABELED"
    assert labeled.label.attributes.to_json()["annotations"][0]["points"] == [
        [12.3, 56.7],
        [90.1, 34.5],
    ]


def test_add_samples(client: so.SegmentsClient, dataset: so.Dataset) -> None:
    batch = [
        {"name": "a.jpg", "attributes": image("a.jpg"), "metadata": {"n": 1}},
        {"name": "b.jpg", "attributes": image("b.jpg"), "priority": 5},
    ]
    created = client.add_samples(DATASET, batch)
    assert [s.name for s in created] == ["a.jpg", "b.jpg"]
    assert created[1].priority == 5
    assert all(s.uuid for s in created)
    # Adding the same names again returns the existing samples unchanged.
    again = client.add_samples(DATASET, batch)
    assert [s.uuid for s in again] == [s.uuid for s in created]
    assert len(client.get_samples(DATASET)) == 2


def test_get_samples_filters_sorts_and_pages(
    client: so.SegmentsClient, dataset: so.Dataset
) -> None:
    uuids = {}
    for index, name in enumerate(["b.jpg", "a.jpg", "c.png"]):
        weather = "sunny" if index < 2 else "rain"
        sample = client.add_sample(DATASET, name, image(name), {"weather": weather}, priority=index)
        uuids[name] = sample.uuid
    client.add_label(uuids["a.jpg"], "ground-truth", BBOX, "LABELED")
    client.add_label(uuids["c.png"], "ground-truth", BBOX, "REVIEWED")

    assert [s.name for s in client.get_samples(DATASET)] == ["a.jpg", "b.jpg", "c.png"]
    by_priority = client.get_samples(DATASET, sort="priority", direction="desc")
    assert [s.name for s in by_priority] == ["c.png", "a.jpg", "b.jpg"]
    assert [s.name for s in client.get_samples(DATASET, name=".jpg")] == ["a.jpg", "b.jpg"]
    assert [s.name for s in client.get_samples(DATASET, metadata="weather:rain")] == ["c.png"]
    assert [s.name for s in client.get_samples(DATASET, metadata=["weather:sunny"])] == [
        "a.jpg",
        "b.jpg",
    ]
    statuses = client.get_samples(
        DATASET, labelset="ground-truth", label_status=[so.LabelStatus.LABELED, "REVIEWED"]
    )
    assert [(s.name, s.label.label_status) for s in statuses] == [
        ("a.jpg", "LABELED"),
        ("c.png", "REVIEWED"),
    ]
    unlabeled = client.get_samples(DATASET, label_status="UNLABELED")
    assert [s.name for s in unlabeled] == ["b.jpg"]
    full = client.get_samples(DATASET, labelset="ground-truth", include_full_label=True, name="a")
    assert full[0].label.attributes.to_json()["annotations"][0]["id"] == 1

    assert [s.name for s in client.get_samples(DATASET, per_page=2, page=2)] == ["c.png"]
    with pytest.raises(so.NotFoundError):
        client.get_samples(DATASET, per_page=2, page=3)


def test_a_loop_of_add_sample_reads_the_dataset_once(
    server: EmulatorServer, client: so.SegmentsClient, dataset: so.Dataset
) -> None:
    before = server.emulator.stats.requests
    for index in range(3):
        client.add_sample(DATASET, f"{index}.jpg", image(f"{index}.jpg"))
    assert server.emulator.stats.requests - before == 1 + 3
    # After a task type change, samples are checked against the new one.
    client.update_dataset(DATASET, task_type="pointcloud-cuboid")
    with pytest.raises(so.ValidationError):
        client.add_sample(DATASET, "3.jpg", image("3.jpg"))
    assert [s.name for s in client.get_samples(DATASET)] == ["0.jpg", "1.jpg", "2.jpg"]


def test_update_sample_sends_an_explicit_none_to_unassign(
    client: so.SegmentsClient, dataset: so.Dataset
) -> None:
    created = client.add_sample(DATASET, "v.jpg", IMAGE, assigned_labeler="john")
    renamed = client.update_sample(created.uuid, name="w.jpg", metadata={"k": 1}, priority=3)
    assert (renamed.name, renamed.metadata, renamed.priority) == ("w.jpg", {"k": 1}, 3)
    assert renamed.assigned_labeler == "john"  # not passed: left alone
    unassigned = client.update_sample(created.uuid, assigned_labeler=None)
    assert unassigned.assigned_labeler is None
    assert client.get_sample(created.uuid).assigned_labeler is None
    reviewed = client.update_sample(created.uuid, assigned_reviewer="john", readme="r")
    assert (reviewed.assigned_reviewer, reviewed.readme) == ("john", "r")
    assert client.update_sample(created.uuid).name == "w.jpg"  # nothing to change


def test_delete_sample_and_samples(client: so.SegmentsClient, dataset: so.Dataset) -> None:
    made = client.add_samples(
        DATASET, [{"name": f"{i}.jpg", "attributes": image(f"{i}.jpg")} for i in range(4)]
    )
    client.delete_sample(made[0].uuid)
    with pytest.raises(so.NotFoundError):
        client.get_sample(made[0].uuid)
    with pytest.raises(so.NotFoundError):
        client.delete_sample(made[0].uuid)
    answer = client.delete_samples(DATASET, [made[0].uuid, made[1].uuid, made[2].uuid])
    assert answer.deleted_count == 2  # the unknown uuid is skipped
    assert [s.name for s in client.get_samples(DATASET)] == ["3.jpg"]
    with pytest.raises(so.NotFoundError):
        client.delete_samples("demo/nothing", [made[3].uuid])


# --- labels ---------------------------------------------------------------------------------


def test_label_lifecycle(client: so.SegmentsClient, sample: so.Sample) -> None:
    with pytest.raises(so.NotFoundError):
        client.get_label(sample.uuid)
    added = client.add_label(sample.uuid, "ground-truth", BBOX, score=0.75)
    assert isinstance(added, so.Label)
    assert (added.label_status, added.score, added.sample_uuid) == ("PRELABELED", 0.75, sample.uuid)
    fetched = client.get_label(sample.uuid)
    assert fetched.attributes.to_json()["annotations"][0]["category_id"] == 1

    reviewed = client.update_label(sample.uuid, "ground-truth", label_status="REVIEWED")
    assert reviewed.label_status == "REVIEWED"
    moved = {**BBOX, "annotations": [{**BBOX["annotations"][0], "points": [[1, 2], [3, 4]]}]}
    edited = client.update_label(sample.uuid, "ground-truth", attributes=moved)
    assert edited.label_status == "REVIEWED"  # an edit does not reset the status
    assert edited.attributes.to_json()["annotations"][0]["points"] == [[1, 2], [3, 4]]
    assert client.update_label(sample.uuid, "ground-truth").label_status == "REVIEWED"

    replaced = client.add_label(sample.uuid, "ground-truth", BBOX, so.LabelStatus.LABELED)
    assert replaced.label_status == "LABELED"
    client.delete_label(sample.uuid, "ground-truth")
    with pytest.raises(so.NotFoundError):
        client.get_label(sample.uuid, "ground-truth")


def test_labels_in_another_labelset(client: so.SegmentsClient, sample: so.Sample) -> None:
    client.add_labelset(DATASET, "model")
    client.add_label(sample.uuid, "model", BBOX, score=0.5)
    assert client.get_label(sample.uuid, "model").score == 0.5
    with pytest.raises(so.NotFoundError):
        client.get_label(sample.uuid)  # ground-truth is still unlabeled


# --- labelsets, issues, releases ----------------------------------------------------------


def test_labelsets(client: so.SegmentsClient, dataset: so.Dataset) -> None:
    assert [ls.name for ls in client.get_labelsets(DATASET)] == ["ground-truth"]
    created = client.add_labelset(DATASET, "model", "Predictions.")
    assert isinstance(created, so.Labelset)
    assert (created.name, created.description) == ("model", "Predictions.")
    assert client.get_labelset(DATASET, "model").is_groundtruth is False
    assert sorted(ls.name for ls in client.get_labelsets(DATASET)) == ["ground-truth", "model"]
    with pytest.raises(so.AlreadyExistsError):
        client.add_labelset(DATASET, "model")
    client.delete_labelset(DATASET, "model")
    with pytest.raises(so.NotFoundError):
        client.get_labelset(DATASET, "model")
    with pytest.raises(so.NotFoundError):
        client.delete_labelset(DATASET, "model")


def test_issues(client: so.SegmentsClient, sample: so.Sample) -> None:
    assert client.get_issues(DATASET) == []
    anchor = {"type": "location", "frame": 0, "location": {"type": "2d", "x": 1.5, "y": 2.5}}
    opened = client.add_issue(sample.uuid, "Missing the stem.", anchor=anchor)
    assert isinstance(opened, so.Issue)
    assert (opened.status, opened.sample_uuid) == ("OPEN", sample.uuid)
    closed = client.add_issue(sample.uuid, "Too dark.", so.IssueStatus.CLOSED)
    listed = client.get_issues(DATASET)
    assert sorted(i.description for i in listed) == ["Missing the stem.", "Too dark."]

    updated = client.update_issue(opened.uuid, description="Stem.", status="CLOSED")
    assert (updated.uuid, updated.description, updated.status) == (opened.uuid, "Stem.", "CLOSED")
    assert {i.uuid: i.status for i in client.get_issues(DATASET)}[opened.uuid] == "CLOSED"

    client.delete_issue(closed.uuid)
    assert [i.uuid for i in client.get_issues(DATASET)] == [opened.uuid]
    with pytest.raises(so.NotFoundError):
        client.delete_issue(closed.uuid)
    with pytest.raises(so.NotFoundError):
        client.update_issue(closed.uuid, status="OPEN")


def test_releases(client: so.SegmentsClient, sample: so.Sample) -> None:
    client.add_label(sample.uuid, "ground-truth", BBOX, "LABELED")
    assert client.get_releases(DATASET) == []
    release = client.add_release(DATASET, "v0.1", "First.")
    assert isinstance(release, so.Release)
    assert (release.name, release.description, release.status) == ("v0.1", "First.", "PENDING")
    release.wait(timeout=30, poll=0.02)  # an ORM object: it has the ORM's methods
    assert client.get_release(DATASET, "v0.1").status == "SUCCEEDED"
    assert [r.name for r in client.get_releases(DATASET)] == ["v0.1"]
    assert release.download()["dataset"]["samples"][0]["name"] == "violet.jpg"
    with pytest.raises(so.AlreadyExistsError):
        client.add_release(DATASET, "v0.1")
    client.delete_release(DATASET, "v0.1")
    with pytest.raises(so.NotFoundError):
        client.get_release(DATASET, "v0.1")


# --- work units and assets ----------------------------------------------------------------


def test_get_workunits(client: so.SegmentsClient, sample: so.Sample) -> None:
    client.add_label(sample.uuid, "ground-truth", BBOX, "LABELED")
    client.update_label(sample.uuid, "ground-truth", label_status="REVIEWED")
    newest_first = client.get_workunits(DATASET)
    assert len(newest_first) >= 1
    assert all(isinstance(w, so.Workunit) for w in newest_first)
    assert all(w.sample_uuid == sample.uuid for w in newest_first)
    oldest_first = client.get_workunits(DATASET, direction="asc")
    assert [w.uuid for w in oldest_first] == [w.uuid for w in reversed(newest_first)]
    windowed = client.get_workunits(DATASET, start="2000-01-01T00:00:00", end="2000-01-02T00:00:00")
    assert windowed == []
    assert len(client.get_workunits(DATASET, per_page=1, page=1)) == 1
    with_metrics = client.get_workunits(DATASET, include_session_time_metrics=True)
    assert [w.uuid for w in with_metrics] == [w.uuid for w in newest_first]


def test_upload_asset(client: so.SegmentsClient) -> None:
    content = b"\x89PNG\r\n\x1a\n not really"
    asset = client.upload_asset(io.BytesIO(content), "violet.png")
    assert isinstance(asset, so.Asset)
    assert asset.filename == "violet.png"
    assert asset.url
    assert asset.url.endswith(".png")
    assert asset.download() == content
    default_name = client.upload_asset(io.BytesIO(content))
    assert default_name.filename == "label.png"  # the platform's default filename


# --- bad input: a clear error naming the argument, before any request -----------------------
# (get_samples passes its values to the server as the platform's client does, so only its
# include_full_label check is here; tests/contract/test_platform_suites.py covers the rest.)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda c: c.get_samples(DATASET, include_full_label=True), "include_full_label"),
        (lambda c: c.get_datasets(page="2"), "page"),
        (lambda c: c.get_workunits(DATASET, start="yesterday"), "start"),
        (lambda c: c.update_issue("some-uuid"), "update_issue"),
        (lambda c: c.get_dataset("flowers"), "flowers"),
        (lambda c: c.add_dataset_collaborator(DATASET, "john", role="boss"), "role"),
    ],
)
def test_bad_arguments_fail_before_any_request(
    server: EmulatorServer, client: so.SegmentsClient, call: Any, argument: str
) -> None:
    before = server.emulator.stats.requests
    with pytest.raises(so.ValidationError, match=argument):
        call(client)
    assert server.emulator.stats.requests == before
