"""The platform's own client (segments-ai 1.33.0) runs every seed operation on the emulator.

Each call returns a pydantic-validated object, so a missing or mistyped field in any
emulator response fails here; the error cases must raise the documented exception classes.
"""

from __future__ import annotations

import io
import time

import pytest
from segments.exceptions import (
    AlreadyExistsError,
    AuthenticationError,
    AuthorizationError,
    CollaboratorError,
    NetworkError,
    NotFoundError,
)
from segments.typing import (
    Collaborator,
    Dataset,
    DeleteSamplesResponse,
    File,
    Issue,
    Label,
    Labelset,
    LabelSummary,
    Release,
    Sample,
    User,
    Workunit,
)

import segments

IMAGE = {"image": {"url": "https://example.com/violet.jpg"}}
BBOX = {
    "format_version": "0.1",
    "annotations": [
        {"id": 1, "category_id": 1, "type": "bbox", "points": [[12.3, 56.7], [90.1, 34.5]]}
    ],
}
TASK_ATTRIBUTES = {
    "format_version": "0.1",
    "categories": [
        {
            "name": "car",
            "id": 1,
            "color": [0, 0, 0, 0],
            "attributes": [
                {
                    "name": "color",
                    "input_type": "select",
                    "values": ["green", "red"],
                    "default_value": "red",
                },
                {"name": "wheels", "input_type": "number", "min": 1, "max": 20, "step": 1},
                {"name": "is_electric", "input_type": "checkbox", "default_value": False},
            ],
            "link_category_restrictions": [2],
        }
    ],
}


@pytest.fixture
def dataset(client):
    return client.add_dataset("flowers", "Flowers.", "vector", task_attributes=TASK_ATTRIBUTES)


@pytest.fixture
def sample(client, dataset):
    return client.add_sample(dataset.full_name, "violet.jpg", IMAGE, metadata={"w": "sunny"})


def wait_for(client, dataset_identifier, name):
    deadline = time.monotonic() + 30
    release = client.get_release(dataset_identifier, name)
    while release.status == "PENDING" and time.monotonic() < deadline:
        time.sleep(0.02)
        release = client.get_release(dataset_identifier, name)
    return release


# --- construction and users -------------------------------------------------------------


def test_construction_calls_api_status(server):
    before = server.emulator.stats.requests
    client = segments.SegmentsClient(api_key=server.api_key, api_url=server.url)
    client.close()
    assert server.emulator.stats.requests == before + 1


def test_bad_key_fails_at_construction(server):
    with pytest.raises(AuthenticationError):
        segments.SegmentsClient(api_key="wrong-key", api_url=server.url)


def test_get_user_both_forms(server, client):
    server.emulator.add_user("john")
    me = client.get_user()
    assert isinstance(me, User)
    assert (me.username, me.is_organization, me.email) == ("demo", False, "demo@example.com")
    john = client.get_user("john")
    assert isinstance(john, User)
    assert john.username == "john"
    with pytest.raises(NotFoundError):
        client.get_user("nobody")


# --- datasets ---------------------------------------------------------------------------


def test_add_and_get_dataset(client, dataset):
    assert isinstance(dataset, Dataset)
    assert (dataset.name, dataset.full_name, dataset.task_type) == (
        "flowers",
        "demo/flowers",
        "vector",
    )
    assert dataset.description == "Flowers."
    assert dataset.owner.username == "demo"
    assert dataset.task_attributes.categories[0].name == "car"
    fetched = client.get_dataset("demo/flowers")
    assert fetched.full_name == "demo/flowers"
    assert [ls.name for ls in fetched.labelsets] == ["ground-truth"]
    assert fetched.samples_count == 0


def test_add_dataset_with_every_option(client):
    dataset = client.add_dataset(
        "everything",
        description="d",
        task_type="pointcloud-cuboid",
        category="street_scenery",
        public=True,
        readme="# hi",
        metadata={"robot": 3},
        labeling_inactivity_timeout_seconds=100,
        enable_skip_labeling=False,
        enable_skip_reviewing=True,
        enable_ratings=True,
        enable_interpolation=False,
        enable_same_dimensions_track_constraint=True,
        enable_save_button=True,
        enable_label_status_verified=True,
        enable_3d_cuboid_rotation=True,
        enable_confirm_on_commit=True,
        archived=True,
        enable_3d_region_of_interest=True,
        region_of_interest={"x": 1},
        enable_object_linking=True,
        enable_object_link_category_restrictions=True,
        enable_extrapolation=True,
    )
    assert (dataset.category, dataset.public, dataset.readme) == ("street_scenery", True, "# hi")
    assert dataset.metadata == {"robot": 3}
    assert dataset.labeling_inactivity_timeout_seconds == 100
    assert dataset.enable_skip_labeling is False
    assert dataset.enable_skip_reviewing is True
    assert dataset.enable_confirm_on_submit is True
    assert dataset.archived is True
    assert dataset.enable_object_linking is True
    assert dataset.enable_extrapolation is True
    assert dataset.region_of_interest == {"x": 1}


def test_add_dataset_in_organization(server, client):
    server.emulator.add_organization("acme")
    server.emulator.add_member("acme", "demo", "admin")
    dataset = client.add_dataset("org-data", organization="acme")
    assert dataset.full_name == "acme/org-data"
    assert [d.full_name for d in client.get_datasets("acme")] == ["acme/org-data"]


def test_get_datasets_with_pages(client):
    for index in range(3):
        client.add_dataset(f"d{index}")
    assert [d.name for d in client.get_datasets()] == ["d0", "d1", "d2"]
    assert [d.name for d in client.get_datasets(per_page=2, page=2)] == ["d2"]
    assert [d.name for d in client.get_datasets("demo", per_page=2, page=1)] == ["d0", "d1"]
    with pytest.raises(NotFoundError):
        client.get_datasets(per_page=2, page=3)


def test_update_dataset(client, dataset):
    updated = client.update_dataset(
        "demo/flowers",
        description="New.",
        category="garden",
        public=True,
        metadata={"k": 1},
        enable_ratings=True,
        use_timestamps_for_interpolation=False,
    )
    assert isinstance(updated, Dataset)
    assert (updated.description, updated.category, updated.public) == ("New.", "garden", True)
    assert updated.metadata == {"k": 1}
    assert updated.enable_ratings is True
    assert updated.use_timestamps_for_interpolation is False
    assert client.update_dataset("demo/flowers").description == "New."


def test_delete_dataset(client, dataset):
    assert client.delete_dataset("demo/flowers") is None
    with pytest.raises(NotFoundError):
        client.get_dataset("demo/flowers")
    with pytest.raises(NotFoundError):
        client.delete_dataset("demo/flowers")


def test_clone_dataset(server, client, dataset, sample):
    client.add_label(sample.uuid, "ground-truth", BBOX, label_status="LABELED")
    plain = client.clone_dataset("demo/flowers")
    assert isinstance(plain, Dataset)
    assert (plain.full_name, plain.task_type, plain.cloned_from) == (
        "demo/flowers-clone",
        "vector",
        "demo/flowers",
    )
    assert client.get_samples(plain.full_name, labelset="ground-truth")[0].label is None
    server.emulator.add_organization("acme")
    server.emulator.add_member("acme", "demo", "admin")
    full = client.clone_dataset(
        "demo/flowers",
        new_name="boxes",
        new_task_type="bboxes",
        new_public=True,
        organization="acme",
        clone_labels=True,
    )
    assert (full.full_name, full.task_type, full.public) == ("acme/boxes", "bboxes", True)
    cloned = client.get_samples("acme/boxes", labelset="ground-truth")[0]
    assert cloned.label.label_status == "LABELED"


def test_dataset_errors(client, dataset):
    with pytest.raises(AlreadyExistsError):
        client.add_dataset("flowers")
    with pytest.raises(NotFoundError):
        client.get_dataset("demo/nope")
    with pytest.raises(NotFoundError):
        client.update_dataset("demo/nope", description="x")
    with pytest.raises(NotFoundError):
        client.clone_dataset("demo/nope")


def test_private_dataset_of_someone_else_is_not_found(server, client):
    key = server.emulator.add_user("john")
    john = segments.SegmentsClient(api_key=key, api_url=server.url)
    try:
        john.add_dataset("secret")
        with pytest.raises(NotFoundError):
            client.get_dataset("john/secret")
        john.add_dataset_collaborator("john/secret", "demo", "labeler")
        assert client.get_dataset("john/secret").role == "labeler"
        with pytest.raises(AuthorizationError):
            client.delete_dataset("john/secret")
    finally:
        john.close()


# --- collaborators ----------------------------------------------------------------------


def test_collaborators(server, client, dataset):
    server.emulator.add_user("john")
    added = client.add_dataset_collaborator("demo/flowers", "john", "reviewer")
    assert isinstance(added, Collaborator)
    assert (added.user.username, added.role) == ("john", "reviewer")
    fetched = client.get_dataset_collaborator("demo/flowers", "john")
    assert (fetched.user.username, fetched.role) == ("john", "reviewer")
    updated = client.update_dataset_collaborator("demo/flowers", "john", "admin")
    assert updated.role == "admin"
    assert client.delete_dataset_collaborator("demo/flowers", "john") is None
    with pytest.raises(NotFoundError):
        client.get_dataset_collaborator("demo/flowers", "john")
    with pytest.raises(NotFoundError):
        client.delete_dataset_collaborator("demo/flowers", "john")


def test_existing_collaborator_is_a_collaborator_error(server, client, dataset):
    server.emulator.add_user("john")
    client.add_dataset_collaborator("demo/flowers", "john")
    with pytest.raises(CollaboratorError):
        client.add_dataset_collaborator("demo/flowers", "john", "admin")


# --- samples ----------------------------------------------------------------------------


def test_add_and_get_sample(client, sample):
    assert isinstance(sample, Sample)
    assert (sample.name, sample.metadata, sample.created_by) == (
        "violet.jpg",
        {"w": "sunny"},
        "demo",
    )
    assert sample.attributes.image.url == IMAGE["image"]["url"]
    assert sample.dataset_full_name == "demo/flowers"
    fetched = client.get_sample(sample.uuid)
    assert fetched.uuid == sample.uuid
    assert fetched.label is None


def test_add_sample_with_options_and_duplicate(server, client, dataset):
    server.emulator.add_user("john")
    made = client.add_sample(
        "demo/flowers",
        "a.jpg",
        IMAGE,
        metadata={"k": 1},
        priority=5,
        assigned_labeler="john",
        assigned_reviewer="demo",
        readme="r",
        enable_compression=False,
    )
    assert (made.priority, made.assigned_labeler, made.assigned_reviewer) == (5, "john", "demo")
    with pytest.raises(AlreadyExistsError):
        client.add_sample("demo/flowers", "a.jpg", IMAGE)


def test_add_samples(client, dataset, sample):
    made = client.add_samples(
        "demo/flowers",
        [
            {"name": "violet.jpg", "attributes": IMAGE},
            {"name": "rose.jpg", "attributes": IMAGE, "metadata": {"c": "red"}, "priority": 2},
        ],
    )
    assert all(isinstance(s, Sample) for s in made)
    assert made[0].uuid == sample.uuid  # existing samples come back unchanged
    assert (made[1].name, made[1].metadata, made[1].priority) == ("rose.jpg", {"c": "red"}, 2)


def test_update_sample(client, sample):
    updated = client.update_sample(
        sample.uuid,
        name="renamed.jpg",
        attributes={"image": {"url": "https://example.com/other.jpg"}},
        metadata={"w": "rainy"},
        priority=3,
        assigned_labeler="demo",
        assigned_reviewer=None,
        readme="notes",
    )
    assert isinstance(updated, Sample)
    assert (updated.name, updated.metadata, updated.priority) == ("renamed.jpg", {"w": "rainy"}, 3)
    assert updated.attributes.image.url == "https://example.com/other.jpg"
    assert updated.assigned_labeler == "demo"
    unassigned = client.update_sample(sample.uuid, assigned_labeler=None)
    assert unassigned.assigned_labeler is None


def test_delete_sample_and_samples(client, dataset, sample):
    others = client.add_samples(
        "demo/flowers", [{"name": f"{i}.jpg", "attributes": IMAGE} for i in range(3)]
    )
    assert client.delete_sample(sample.uuid) is None
    with pytest.raises(NotFoundError):
        client.get_sample(sample.uuid)
    response = client.delete_samples(
        "demo/flowers", [others[0].uuid, others[1].uuid, "00000000-0000-0000-0000-000000000000"]
    )
    assert isinstance(response, DeleteSamplesResponse)
    assert response.deleted_count == 2
    assert [s.name for s in client.get_samples("demo/flowers")] == ["2.jpg"]
    with pytest.raises(NotFoundError):
        client.delete_samples("demo/nope", [others[2].uuid])


def test_sample_errors(client, dataset):
    with pytest.raises(NotFoundError):
        client.get_sample("00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFoundError):
        client.add_sample("demo/nope", "a.jpg", IMAGE)
    with pytest.raises(NotFoundError):
        client.update_sample("00000000-0000-0000-0000-000000000000", name="x")
    with pytest.raises(NotFoundError):
        client.delete_sample("00000000-0000-0000-0000-000000000000")


@pytest.fixture
def garden(client, dataset):
    samples = client.add_samples(
        "demo/flowers",
        [
            {
                "name": "rose.jpg",
                "attributes": IMAGE,
                "metadata": {"c": "red", "n": 1},
                "priority": 3,
            },
            {
                "name": "tulip.jpg",
                "attributes": IMAGE,
                "metadata": {"c": "red", "n": 2},
                "priority": 1,
            },
            {"name": "violet.jpg", "attributes": IMAGE, "metadata": {"c": "blue"}, "priority": 2},
        ],
    )
    by_name = {s.name: s for s in samples}
    client.add_label(by_name["rose.jpg"].uuid, "ground-truth", BBOX, label_status="LABELED")
    client.add_label(by_name["tulip.jpg"].uuid, "ground-truth", BBOX, label_status="REVIEWED")
    return by_name


def names(samples):
    assert all(isinstance(s, Sample) for s in samples)
    return [s.name for s in samples]


def test_get_samples_with_every_filter(client, garden):
    assert names(client.get_samples("demo/flowers")) == ["rose.jpg", "tulip.jpg", "violet.jpg"]
    assert names(client.get_samples("demo/flowers", name="ip")) == ["tulip.jpg"]
    assert names(client.get_samples("demo/flowers", metadata="c:red")) == ["rose.jpg", "tulip.jpg"]
    assert names(client.get_samples("demo/flowers", metadata=["c:red", "n:2"])) == ["tulip.jpg"]
    assert names(client.get_samples("demo/flowers", label_status="LABELED")) == ["rose.jpg"]
    assert names(client.get_samples("demo/flowers", label_status=["LABELED", "REVIEWED"])) == [
        "rose.jpg",
        "tulip.jpg",
    ]
    assert names(client.get_samples("demo/flowers", label_status="UNLABELED")) == ["violet.jpg"]
    assert names(client.get_samples("demo/flowers", sort="priority", direction="desc")) == [
        "rose.jpg",
        "violet.jpg",
        "tulip.jpg",
    ]
    assert names(client.get_samples("demo/flowers", sort="created_at", direction="desc")) == [
        "violet.jpg",
        "tulip.jpg",
        "rose.jpg",
    ]
    assert names(
        client.get_samples("demo/flowers", sort="gt_label__updated_at", label_status=["LABELED"])
    ) == ["rose.jpg"]
    assert names(client.get_samples("demo/flowers", per_page=2, page=2)) == ["violet.jpg"]
    with pytest.raises(NotFoundError):
        client.get_samples("demo/flowers", per_page=2, page=3)


def test_get_samples_with_labelset_summary_and_full_label(client, garden):
    summaries = client.get_samples("demo/flowers", labelset="ground-truth")
    by_name = {s.name: s for s in summaries}
    assert isinstance(by_name["rose.jpg"].label, LabelSummary)
    assert by_name["rose.jpg"].label.label_status == "LABELED"
    assert by_name["violet.jpg"].label is None
    full = client.get_samples("demo/flowers", labelset="ground-truth", include_full_label=True)
    label = {s.name: s for s in full}["tulip.jpg"].label
    assert isinstance(label, Label)
    assert label.attributes.annotations[0].type == "bbox"


def test_get_sample_with_labelset_and_signed_url(client, garden):
    rose = garden["rose.jpg"]
    with_label = client.get_sample(rose.uuid, labelset="ground-truth")
    assert with_label.label.label_status == "LABELED"
    # segments-ai builds "?labelset=ground-truth?include_signed_urls=1" (WIRE.md 3.5).
    quirky = client.get_sample(rose.uuid, labelset="ground-truth", include_signed_url=True)
    assert quirky.label.label_status == "LABELED"
    assert client.get_sample(rose.uuid, include_signed_url=True).uuid == rose.uuid


# --- labels -----------------------------------------------------------------------------


def test_labels(client, sample):
    added = client.add_label(sample.uuid, "ground-truth", BBOX, label_status="LABELED", score=0.9)
    assert isinstance(added, Label)
    assert (added.label_status, added.score, added.labelset) == ("LABELED", 0.9, "ground-truth")
    assert added.label_type == "vector"
    assert added.attributes.annotations[0].points == [[12.3, 56.7], [90.1, 34.5]]
    fetched = client.get_label(sample.uuid)
    assert fetched.label_status == "LABELED"
    updated = client.update_label(sample.uuid, "ground-truth", label_status="REVIEWED")
    assert (updated.label_status, updated.score) == ("REVIEWED", 0.9)
    replaced = client.update_label(
        sample.uuid, "ground-truth", attributes={"format_version": "0.1", "annotations": []}
    )
    assert replaced.attributes.annotations == []
    assert client.delete_label(sample.uuid, "ground-truth") is None
    with pytest.raises(NotFoundError):
        client.get_label(sample.uuid)
    assert client.get_dataset("demo/flowers").label_stats.UNLABELED == 1


def test_label_errors(client, sample):
    with pytest.raises(NotFoundError):
        client.get_label(sample.uuid, "ground-truth")
    with pytest.raises(NotFoundError):
        client.add_label("00000000-0000-0000-0000-000000000000", "ground-truth", BBOX)
    with pytest.raises(NotFoundError):
        client.add_label(sample.uuid, "no-such-labelset", BBOX)
    with pytest.raises(NotFoundError):
        client.update_label(sample.uuid, "ground-truth", label_status="LABELED")
    with pytest.raises(NotFoundError):
        client.delete_label(sample.uuid, "ground-truth")


def test_get_label_with_ego_transform(client):
    client.add_dataset("pc", task_type="pointcloud-cuboid")
    attributes = {
        "pcd": {"url": "https://example.com/a.pcd", "type": "kitti"},
        "ego_pose": {
            "position": {"x": 0, "y": 0, "z": 0},
            "heading": {"qx": 0, "qy": 0, "qz": 0, "qw": 1},
        },
    }
    sample = client.add_sample("demo/pc", "frame.pcd", attributes)
    cuboid = {
        "format_version": "0.1",
        "annotations": [
            {
                "id": 1,
                "category_id": 1,
                "type": "cuboid",
                "position": {"x": 0.0, "y": 0.2, "z": 0.5},
                "dimensions": {"x": 1.2, "y": 1, "z": 1},
                "yaw": 1.63,
            }
        ],
    }
    client.add_label(sample.uuid, "ground-truth", cuboid)
    label = client.get_label(sample.uuid, transform_to_ego_coordinates=True)
    assert label.attributes.annotations[0].type == "cuboid"


# --- labelsets --------------------------------------------------------------------------


def test_labelsets(client, dataset):
    added = client.add_labelset("demo/flowers", "preds", "Model output.")
    assert isinstance(added, Labelset)
    assert (added.name, added.description, added.is_groundtruth) == (
        "preds",
        "Model output.",
        False,
    )
    all_sets = client.get_labelsets("demo/flowers")
    assert [ls.name for ls in all_sets] == ["ground-truth", "preds"]
    assert all_sets[0].is_groundtruth is True
    assert client.get_labelset("demo/flowers", "preds").description == "Model output."
    with pytest.raises(AlreadyExistsError):
        client.add_labelset("demo/flowers", "preds")
    assert client.delete_labelset("demo/flowers", "preds") is None
    with pytest.raises(NotFoundError):
        client.get_labelset("demo/flowers", "preds")
    with pytest.raises(NotFoundError):
        client.delete_labelset("demo/flowers", "preds")
    with pytest.raises(NotFoundError):
        client.get_labelsets("demo/nope")


# --- issues -----------------------------------------------------------------------------


def test_issues(client, dataset, sample):
    anchor = {
        "type": "location",
        "frame": 0,
        "sensor": "Lidar",
        "location": {"type": "2d", "x": 1.2, "y": 3.5},
    }
    added = client.add_issue(sample.uuid, "You forgot the car.", anchor=anchor)
    assert isinstance(added, Issue)
    assert (added.description, added.status, added.sample_name) == (
        "You forgot the car.",
        "OPEN",
        "violet.jpg",
    )
    assert added.anchor.location.x == 1.2
    assert added.comments == []
    plain = client.add_issue(sample.uuid, "Second.", status="CLOSED")
    assert plain.status == "CLOSED"
    listed = client.get_issues("demo/flowers")
    assert [i.uuid for i in listed] == [added.uuid, plain.uuid]
    updated = client.update_issue(added.uuid, description="Fixed?", status="CLOSED")
    assert (updated.description, updated.status) == ("Fixed?", "CLOSED")
    assert client.delete_issue(added.uuid) is None
    with pytest.raises(NotFoundError):
        client.delete_issue(added.uuid)
    with pytest.raises(NotFoundError):
        client.update_issue(added.uuid, description="x")
    with pytest.raises(NotFoundError):
        client.add_issue("00000000-0000-0000-0000-000000000000", "x")
    with pytest.raises(NotFoundError):
        client.get_issues("demo/nope")


# --- releases ---------------------------------------------------------------------------


def test_releases(client, dataset, sample):
    client.add_label(sample.uuid, "ground-truth", BBOX, label_status="LABELED")
    added = client.add_release("demo/flowers", "v0.1", "First.")
    assert isinstance(added, Release)
    assert (added.status, added.attributes.url, added.release_type) == ("PENDING", None, "JSON")
    done = wait_for(client, "demo/flowers", "v0.1")
    assert done.status == "SUCCEEDED"
    assert done.samples_count == 1
    assert done.attributes.url
    assert [r.name for r in client.get_releases("demo/flowers")] == ["v0.1"]
    content = segments.utils.load_release(done)
    assert content["dataset"]["samples"][0]["labels"]["ground-truth"]["label_status"] == "LABELED"
    with pytest.raises(AlreadyExistsError):
        client.add_release("demo/flowers", "v0.1")
    assert client.delete_release("demo/flowers", "v0.1") is None
    with pytest.raises(NotFoundError):
        client.get_release("demo/flowers", "v0.1")
    with pytest.raises(NotFoundError):
        client.delete_release("demo/flowers", "v0.1")
    with pytest.raises(NotFoundError):
        client.get_releases("demo/nope")


def test_release_loads_as_segments_dataset(client, dataset, sample, tmp_path, monkeypatch):
    # SegmentsDataset writes ./segments/<owner>_<name>/<release>/: keep it out of the tree.
    monkeypatch.chdir(tmp_path)
    client.add_label(sample.uuid, "ground-truth", BBOX, label_status="LABELED")
    client.add_release("demo/flowers", "v1")
    release = wait_for(client, "demo/flowers", "v1")
    loaded = segments.SegmentsDataset(release, labelset="ground-truth", preload=False)
    assert len(loaded) == 1
    assert loaded.samples[0]["name"] == "violet.jpg"


def test_invalid_dataset_identifier_is_a_network_error(client):
    with pytest.raises(NetworkError):
        client.add_release("abcde", "v1")


# --- workunits --------------------------------------------------------------------------


def test_workunits(client, sample):
    client.add_label(sample.uuid, "ground-truth", BBOX, label_status="LABELED")
    client.update_label(sample.uuid, "ground-truth", label_status="REVIEWED")
    units = client.get_workunits("demo/flowers")
    assert all(isinstance(u, Workunit) for u in units)
    assert [u.next_label_status for u in units] == ["REVIEWED", "LABELED"]
    assert units[0].sample_name == "violet.jpg"
    ascending = client.get_workunits("demo/flowers", direction="asc", per_page=1, page=2)
    assert [u.next_label_status for u in ascending] == ["REVIEWED"]
    ranged = client.get_workunits(
        "demo/flowers",
        start="2000-01-01T00:00:00",
        end="2999-01-01T00:00:00",
        include_session_time_metrics=True,
    )
    assert len(ranged) == 2
    assert ranged[0].session_time_metrics is not None
    with pytest.raises(NotFoundError):
        client.get_workunits("demo/nope")


# --- assets -----------------------------------------------------------------------------


def test_upload_asset(client):
    payload = b"\x89PNG\r\n\x1a\nnot-really-a-png"
    asset = client.upload_asset(io.BytesIO(payload), "violet.png")
    assert isinstance(asset, File)
    assert asset.filename == "violet.png"
    assert asset.presignedPostFields.fields["key"].endswith(".png")
    import requests

    served = requests.get(asset.url, timeout=10)
    assert served.status_code == 200
    assert served.content == payload
    assert served.headers["Content-Type"] == "image/png"
    # The uploaded URL works as a sample attribute, as in the platform's tutorials.
    client.add_dataset("assets")
    sample = client.add_sample("demo/assets", "uploaded", {"image": {"url": asset.url}})
    assert sample.attributes.image.url == asset.url
