"""Walk every operation of the seed reference through the ORM, against the emulator.

Each test follows one part of ``SEED-client-reference.txt`` (users, datasets,
collaborators, samples, labels, labelsets, issues, releases, workunits, assets) the way a
user scripts it with segments-orm, and asserts what comes back: fields, counts, statuses,
typed attributes, and the errors a user catches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

import segments_orm as so
from segments_orm.emulator import EmulatorServer, Faults
from segments_orm.emulator._faults import Decision
from segments_orm.exceptions import (
    AlreadyExistsError,
    AuthorizationError,
    BadRequestError,
    CollaboratorError,
    NotFoundError,
    ValidationError,
)
from segments_orm.types import TaskAttributes

TASK_ATTRIBUTES = {
    "format_version": "0.1",
    "categories": [{"name": "cat", "id": 1}, {"name": "dog", "id": 2}],
}
BOX = {
    "format_version": "0.1",
    "annotations": [{"id": 1, "category_id": 1, "type": "bbox", "points": [[1, 2], [30, 40]]}],
}


def image(name: str) -> dict:
    return {"image": {"url": f"https://example.com/{name}"}}


@pytest.fixture
def server(segments_emulator: EmulatorServer) -> EmulatorServer:
    segments_emulator.emulator.release_delay = 0.01
    return segments_emulator


@pytest.fixture
def client(server: EmulatorServer, segments_client: so.Client) -> so.Client:
    return segments_client


@pytest.fixture
def other_client(server: EmulatorServer) -> Iterator:
    """Make a client for another user: ``other_client("john")``."""
    made: list[so.Client] = []

    def make(username: str) -> so.Client:
        key = server.emulator.add_user(username)
        made.append(so.Client(api_key=key, api_url=server.url))
        return made[-1]

    yield make
    for each in made:
        each.close()


@pytest.fixture
def dataset(client: so.Client) -> so.Dataset:
    return client.datasets.create(
        "flowers", description="Flowers.", task_type="bboxes", task_attributes=TASK_ATTRIBUTES
    )


def requests_served(server: EmulatorServer) -> int:
    return server.emulator.stats.requests


# -- users -------------------------------------------------------------------------------


def test_users(client: so.Client, other_client) -> None:
    me = client.users.me()
    assert me.username == "demo"
    assert me.is_organization is False
    assert me.created_at.tzinfo is not None
    other_client("john")
    john = client.users.get("john")
    assert john.username == "john"
    assert client.users.get() == me
    with pytest.raises(NotFoundError):
        client.users.get("nobody")


# -- datasets ----------------------------------------------------------------------------


def test_dataset_create_get_list(client: so.Client, dataset: so.Dataset) -> None:
    assert dataset.full_name == "demo/flowers"
    assert dataset.task_type == so.TaskType.BBOXES
    assert dataset.description == "Flowers."
    assert isinstance(dataset.task_attributes, TaskAttributes)
    assert [c.name for c in dataset.task_attributes.categories] == ["cat", "dog"]
    assert dataset.category_ids() == frozenset({1, 2})
    fetched = client.datasets.get("demo/flowers")
    assert fetched == dataset
    assert fetched.samples_count == 0
    assert fetched.owner.username == "demo"
    client.datasets.create("roses", task_type=so.TaskType.VECTOR, public=True)
    assert sorted(d.name for d in client.datasets) == ["flowers", "roses"]
    assert sorted(d.name for d in client.datasets.filter(owner="demo")) == ["flowers", "roses"]
    assert client.datasets.count() == 2
    with pytest.raises(AlreadyExistsError):
        client.datasets.create("flowers")
    with pytest.raises(NotFoundError):
        client.datasets.get("demo/nope")


def test_dataset_in_an_organization(client: so.Client, server: EmulatorServer) -> None:
    server.emulator.add_organization("acme")
    server.emulator.add_member("acme", "demo", role="admin")
    made = client.datasets.create("shared", organization="acme", task_type="bboxes")
    assert made.full_name == "acme/shared"
    assert [d.full_name for d in client.datasets.filter(owner="acme")] == ["acme/shared"]


def test_dataset_update_save_refresh(client: so.Client, dataset: so.Dataset) -> None:
    dataset.update(description="Roses too.", enable_ratings=True)
    dataset.metadata["robot"] = 3
    dataset.save()
    fresh = client.datasets.get("demo/flowers")
    assert fresh.description == "Roses too."
    assert fresh.enable_ratings is True
    assert fresh.metadata == {"robot": 3}
    dataset.description = "local"
    dataset.refresh()
    assert dataset.description == "Roses too."


def test_dataset_clone_and_delete(client: so.Client, dataset: so.Dataset) -> None:
    sample = dataset.samples.create("a.jpg", image("a.jpg"))
    sample.labels.create("ground-truth", BOX, label_status=so.LabelStatus.LABELED)
    clone = dataset.clone(new_name="flowers-copy", clone_labels=True)
    assert clone.full_name == "demo/flowers-copy"
    assert clone.cloned_from is not None
    (copied,) = clone.samples.all()
    assert copied.name == "a.jpg"
    assert copied.uuid != sample.uuid
    assert copied.labels.get().label_status == so.LabelStatus.LABELED
    plain = dataset.clone()
    assert plain.name == "flowers-clone"
    clone.delete()
    client.datasets.get("demo/flowers", lazy=True).delete()
    with pytest.raises(NotFoundError):
        client.datasets.get("demo/flowers-copy")
    assert [d.name for d in client.datasets] == ["flowers-clone"]


# -- collaborators -----------------------------------------------------------------------


def test_collaborators(client: so.Client, dataset: so.Dataset, other_client) -> None:
    john = other_client("john")
    added = dataset.collaborators.add("john", role=so.Role.REVIEWER)
    assert added.username == "john"
    assert added.role == so.Role.REVIEWER
    assert dataset.collaborators.get("john").role == so.Role.REVIEWER
    updated = dataset.collaborators.update("john", role=so.Role.LABELER)
    assert updated.role == so.Role.LABELER
    # John, a labeler, sees the dataset but may not delete it.
    theirs = john.datasets.get("demo/flowers")
    assert theirs.role == "labeler"
    with pytest.raises(AuthorizationError) as raised:
        theirs.delete()
    assert raised.value.status_code == 403
    with pytest.raises(CollaboratorError):
        dataset.collaborators.add("john")
    with pytest.raises(BadRequestError) as unknown:  # a 400, not a 404 (WIRE.md 15.4)
        dataset.collaborators.add("ghost")
    assert isinstance(unknown.value, ValidationError)
    collaborator = dataset.collaborators.get("john")
    collaborator.role = so.Role.MANAGER
    collaborator.save()
    assert dataset.collaborators.get("john").role == so.Role.MANAGER
    dataset.collaborators.remove("john")
    with pytest.raises(NotFoundError):
        dataset.collaborators.get("john")
    # Not a collaborator any more: the private dataset is invisible to John.
    with pytest.raises(NotFoundError):
        john.datasets.get("demo/flowers")


# -- samples -----------------------------------------------------------------------------


def test_sample_create_get_update_delete(client: so.Client, dataset: so.Dataset) -> None:
    sample = dataset.samples.create(
        "a.jpg", image("a.jpg"), metadata={"weather": "sunny"}, priority=3
    )
    assert sample.name == "a.jpg"
    assert sample.priority == 3
    assert sample.metadata == {"weather": "sunny"}
    assert sample.attributes.image.url == "https://example.com/a.jpg"  # typed
    assert sample.dataset is dataset
    fetched = client.samples.get(sample.uuid)
    assert fetched == sample
    assert fetched.dataset.full_name == "demo/flowers"
    signed = client.samples.get(sample.uuid, signed_urls=True)
    assert signed.attributes.image.url == "https://example.com/a.jpg"
    with pytest.raises(AlreadyExistsError):
        dataset.samples.create("a.jpg", image("a.jpg"))
    fetched.metadata["weather"] = "rainy"
    fetched.assigned_labeler = "demo"
    fetched.save()
    again = dataset.samples.get(sample.uuid)
    assert again.metadata == {"weather": "rainy"}
    assert again.assigned_labeler == "demo"
    again.assigned_labeler = None
    again.save()
    assert client.samples.get(sample.uuid).assigned_labeler is None
    again.delete()
    with pytest.raises(NotFoundError):
        client.samples.get(sample.uuid)


def test_sample_pagination_filters_and_ordering(dataset: so.Dataset) -> None:
    items = [
        {
            "name": f"s{i:02d}.jpg",
            "attributes": image(f"s{i:02d}.jpg"),
            "metadata": {"weather": "sunny" if i % 2 else "rainy"},
            "priority": i,
        }
        for i in range(25)
    ]
    created = dataset.samples.bulk_create(items, batch_size=10)
    assert [s.name for s in created] == [item["name"] for item in items]
    assert dataset.samples.count() == 25
    # A dataset larger than one page: iteration reaches the end.
    paged = dataset.samples.all().page_size(10)
    assert [s.name for s in paged] == [f"s{i:02d}.jpg" for i in range(25)]
    assert [s.name for s in paged[12:14]] == ["s12.jpg", "s13.jpg"]
    newest = dataset.samples.order_by("-priority").page_size(7)
    assert [s.priority for s in newest][:3] == [24, 23, 22]
    assert len(list(newest)) == 25
    sunny = dataset.samples.filter(metadata={"weather": "sunny"}).page_size(5)
    assert sunny.count() == 12
    assert all(s.metadata["weather"] == "sunny" for s in sunny)
    assert dataset.samples.filter(name__contains="s1").count() == 10
    assert dataset.samples.all().get(name="s07.jpg").priority == 7
    assert dataset.samples.filter(name__contains="zzz").exists() is False
    assert dataset.samples.first().name == "s00.jpg"
    # Bulk create again: existing names come back unchanged, nothing is duplicated.
    again = dataset.samples.bulk_create(items[:3])
    assert [s.uuid for s in again] == [s.uuid for s in created[:3]]
    assert dataset.samples.count() == 25
    deleted = dataset.samples.filter(name__contains="s2").delete()
    assert deleted == 5
    assert dataset.samples.count() == 20


def test_sample_label_status_filter_and_included_labels(dataset: so.Dataset) -> None:
    first, second, third = (
        dataset.samples.create(name, image(name)) for name in ("a.jpg", "b.jpg", "c.jpg")
    )
    first.labels.create("ground-truth", BOX, label_status=so.LabelStatus.LABELED)
    second.labels.create("ground-truth", BOX, label_status="REVIEWED")
    labeled = dataset.samples.filter(label_status=[so.LabelStatus.LABELED, "REVIEWED"])
    assert sorted(s.name for s in labeled) == ["a.jpg", "b.jpg"]
    unlabeled = dataset.samples.filter(label_status="UNLABELED")
    assert [s.name for s in unlabeled] == ["c.jpg"]
    summaries = {s.name: s.label for s in dataset.samples.include_label("ground-truth")}
    assert summaries["a.jpg"].label_status == so.LabelStatus.LABELED
    full = dataset.samples.filter(name="a.jpg").include_label("ground-truth", full=True).get()
    assert full.label.attributes.annotations[0].points == [[1, 2], [30, 40]]
    with_label = dataset.samples.all().get(name="b.jpg")
    assert with_label.uuid == second.uuid
    assert third.uuid not in {s.uuid for s in labeled}


# -- labels ------------------------------------------------------------------------------


def test_labels(client: so.Client, dataset: so.Dataset) -> None:
    sample = dataset.samples.create("a.jpg", image("a.jpg"))
    with pytest.raises(NotFoundError):
        sample.labels.get()
    label = sample.labels.create("ground-truth", BOX, label_status=so.LabelStatus.PRELABELED)
    assert label.label_status == so.LabelStatus.PRELABELED
    assert label.attributes.annotations[0].category_id == 1
    # Edit in place, then save: a PATCH that keeps the status.
    label.attributes.annotations[0].category_id = 2
    label.save()
    fetched = client.samples.get(sample.uuid).labels.get("ground-truth")
    assert fetched.attributes.annotations[0].category_id == 2
    assert fetched.label_status == so.LabelStatus.PRELABELED
    fetched.update(label_status=so.LabelStatus.REVIEWED)
    assert sample.labels.get().label_status == so.LabelStatus.REVIEWED
    assert sample.labels.get().sample is sample
    # Labels in bulk, one PUT per sample.
    others = dataset.samples.bulk_create(
        [{"name": f"n{i}.jpg", "attributes": image(f"n{i}.jpg")} for i in range(3)]
    )
    written = dataset.labels.bulk_set([(s, BOX) for s in others], label_status="LABELED")
    assert [lb.sample_uuid for lb in written] == [s.uuid for s in others]
    assert dataset.samples.filter(label_status="LABELED").count() == 3
    sample.labels.delete("ground-truth")
    with pytest.raises(NotFoundError):
        sample.labels.get()


def test_label_attributes_are_checked_before_sending(
    server: EmulatorServer, dataset: so.Dataset
) -> None:
    sample = dataset.samples.create("a.jpg", image("a.jpg"))
    before = requests_served(server)
    bad_category = {
        "format_version": "0.1",
        "annotations": [{"id": 1, "category_id": 9, "type": "bbox", "points": [[1, 2], [3, 4]]}],
    }
    with pytest.raises(ValidationError, match="category_id"):
        sample.labels.create("ground-truth", bad_category)
    one_point = {
        "format_version": "0.1",
        "annotations": [{"id": 1, "category_id": 1, "type": "bbox", "points": [[1, 2]]}],
    }
    with pytest.raises(ValidationError, match="points"):
        sample.labels.create("ground-truth", one_point)
    with pytest.raises(ValidationError):
        dataset.samples.create("b.jpg", {"image": {}})
    with pytest.raises(ValidationError):
        dataset.samples.filter(label_status="DONE")
    with pytest.raises(ValidationError):
        dataset.update(task_type="not-a-task")
    assert requests_served(server) == before


# -- labelsets ---------------------------------------------------------------------------


def test_labelsets(dataset: so.Dataset) -> None:
    assert [ls.name for ls in dataset.labelsets.all()] == ["ground-truth"]
    made = dataset.labelsets.create("model-v2", description="predictions")
    assert made.name == "model-v2"
    assert made.is_groundtruth is False
    assert dataset.labelsets.get("model-v2").description == "predictions"
    assert [ls.name for ls in dataset.labelsets.filter(is_groundtruth=False)] == ["model-v2"]
    with pytest.raises(AlreadyExistsError):
        dataset.labelsets.create("model-v2")
    sample = dataset.samples.create("a.jpg", image("a.jpg"))
    sample.labels.create("model-v2", BOX, score=0.9)
    assert sample.labels.get("model-v2").score == pytest.approx(0.9)
    made.delete()
    with pytest.raises(NotFoundError):
        dataset.labelsets.get("model-v2")
    assert dataset.labelsets.count() == 1


# -- issues ------------------------------------------------------------------------------


def test_issues(dataset: so.Dataset) -> None:
    sample = dataset.samples.create("a.jpg", image("a.jpg"))
    other = dataset.samples.create("b.jpg", image("b.jpg"))
    issue = sample.issues.create("You forgot the cars.")
    assert issue.status == so.IssueStatus.OPEN
    assert issue.sample_uuid == sample.uuid
    other.issues.create("Blurry.", status=so.IssueStatus.CLOSED)
    assert dataset.issues.count() == 2
    assert [i.description for i in sample.issues.all()] == ["You forgot the cars."]
    assert [i.description for i in dataset.issues.filter(status="OPEN")] == ["You forgot the cars."]
    issue.status = so.IssueStatus.CLOSED
    issue.description = "Fixed."
    issue.save()
    fresh = dataset.issues.get(uuid=issue.uuid)
    assert fresh.status == so.IssueStatus.CLOSED
    assert fresh.description == "Fixed."
    assert dataset.issues.filter(status="OPEN").exists() is False
    stale = sample.issues.all()[0]
    issue.update(description="Fixed, twice.")
    assert stale.refresh().description == "Fixed, twice."
    issue.delete()
    assert [i.description for i in dataset.issues.all()] == ["Blurry."]


# -- releases ----------------------------------------------------------------------------


def test_releases(dataset: so.Dataset) -> None:
    sample = dataset.samples.create("a.jpg", image("a.jpg"))
    sample.labels.create("ground-truth", BOX, label_status="LABELED")
    release = dataset.releases.create("v0.1", description="first")
    assert release.status == so.ReleaseStatus.PENDING
    assert release.wait(timeout=30, poll=0.02) is release
    assert release.status == so.ReleaseStatus.SUCCEEDED
    content = release.download()
    assert content["dataset"]["samples"][0]["name"] == "a.jpg"
    got = dataset.releases.get("v0.1")
    assert got == release
    assert got.description == "first"
    assert [r.name for r in dataset.releases.all()] == ["v0.1"]
    with pytest.raises(AlreadyExistsError):
        dataset.releases.create("v0.1")
    got.delete()
    with pytest.raises(NotFoundError):
        dataset.releases.get("v0.1")


def test_release_download_to_a_file(dataset: so.Dataset, tmp_path) -> None:
    release = dataset.releases.create("v1").wait(timeout=30, poll=0.02)
    path = release.download(tmp_path / "release.json")
    assert path.read_bytes().startswith(b"{")


# -- workunits ---------------------------------------------------------------------------


def test_workunits(dataset: so.Dataset) -> None:
    samples = dataset.samples.bulk_create(
        [{"name": f"w{i}.jpg", "attributes": image(f"w{i}.jpg")} for i in range(3)]
    )
    for sample in samples:
        sample.labels.create("ground-truth", BOX, label_status="LABELED")
    units = list(dataset.workunits.all())
    assert len(units) == 3
    assert {u.sample_uuid for u in units} == {s.uuid for s in samples}
    assert all(u.created_by == "demo" for u in units)
    oldest_first = [u.created_at for u in dataset.workunits.order_by("created_at")]
    assert oldest_first == sorted(oldest_first)
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    assert dataset.workunits.filter(start=future).count() == 0
    assert dataset.workunits.filter(end=future).count() == 3
    with pytest.raises(ValidationError):
        dataset.workunits.filter(start="yesterday")
    (timed, *_) = dataset.workunits.with_session_time_metrics()
    assert isinstance(timed.session_time_metrics, dict)


# -- assets ------------------------------------------------------------------------------


def test_asset_upload(client: so.Client, dataset: so.Dataset, tmp_path) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(b"\x89PNG fake image bytes")
    asset = client.assets.upload(path)
    assert asset.filename == "cat.png"
    assert asset.url.startswith("http")
    assert asset.download() == b"\x89PNG fake image bytes"
    from_bytes = client.assets.upload(b"raw", filename="raw.bin")
    assert from_bytes.download() == b"raw"
    sample = dataset.samples.create("cat.png", {"image": {"url": asset.url}})
    assert sample.attributes.image.url == asset.url
    with pytest.raises(ValidationError):
        client.assets.upload(b"no name")


# -- creates whose answer is lost ----------------------------------------------------------


class DropFirstAnswer(Faults):
    """Commit the first request to the routes, then hang up before answering it."""

    def __init__(self, routes: list) -> None:
        super().__init__(routes=routes)
        self.dropped = 0

    def decide(self, path: str) -> Decision:
        if self.applies_to(path) and self.dropped == 0:
            self.dropped += 1
            return Decision(0.0, "drop_after_commit", None)
        return Decision(0.0, None, None)


@pytest.mark.parametrize(
    ("route", "create", "listing"),
    [
        (
            "/datasets/*/*/samples/",
            lambda ds: ds.samples.create("a.jpg", image("a.jpg")),
            lambda ds: [s.name for s in ds.samples.all()],
        ),
        (
            "/datasets/*/*/labelsets/",
            lambda ds: ds.labelsets.create("model-v2"),
            lambda ds: sorted(ls.name for ls in ds.labelsets.all()),
        ),
        (
            "/datasets/*/*/releases/",
            lambda ds: ds.releases.create("v1"),
            lambda ds: [r.name for r in ds.releases.all()],
        ),
    ],
    ids=["sample", "labelset", "release"],
)
def test_a_create_whose_answer_was_lost_returns_the_committed_object(
    server: EmulatorServer, dataset: so.Dataset, route: str, create, listing
) -> None:
    before = listing(dataset)
    faults = DropFirstAnswer([route])
    server.emulator.faults = faults
    made = create(dataset)  # no AlreadyExistsError, no duplicate
    server.emulator.faults = None
    assert faults.dropped == 1
    assert server.emulator.stats.faults == {"drop_after_commit": 1}
    assert made.name in listing(dataset)
    assert len(listing(dataset)) == len(before) + 1
