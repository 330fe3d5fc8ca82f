"""Labelsets, collaborators, issues, releases and assets, end to end over real HTTP."""

from __future__ import annotations

import time
import uuid
from urllib.parse import quote

import pytest
import requests


@pytest.fixture
def flowers(api):
    api.dataset("flowers", task_type="vector")
    return "demo/flowers"


def wait_for_release(api, dataset, name, timeout=30.0):
    """Poll as the platform's docs recommend, until the release leaves PENDING."""
    deadline = time.monotonic() + timeout
    while True:
        release = api.get(f"datasets/{dataset}/releases/{quote(name, safe='')}/").json()
        if release["status"] != "PENDING" or time.monotonic() > deadline:
            return release
        time.sleep(0.02)


# --- labelsets --------------------------------------------------------------------------


def test_labelset_lifecycle(api, flowers):
    # segments-ai sends attributes as the legacy string "{}" (WIRE.md 3.7).
    response = api.post(
        f"datasets/{flowers}/labelsets/",
        json={"name": "preds", "description": "model", "attributes": "{}"},
    )
    assert response.status_code == 201
    assert response.json()["name"] == "preds"
    assert response.json()["is_groundtruth"] is False
    listed = api.get(f"datasets/{flowers}/labelsets/").json()
    assert [(ls["name"], ls["description"]) for ls in listed] == [
        ("ground-truth", ""),
        ("preds", "model"),
    ]
    assert api.get(f"datasets/{flowers}/labelsets/preds/").json()["description"] == "model"
    duplicate = api.post(f"datasets/{flowers}/labelsets/", json={"name": "preds"})
    assert duplicate.status_code == 400
    assert duplicate.json() == {"detail": "Labelset with this name already exists."}
    assert api.delete(f"datasets/{flowers}/labelsets/preds/").status_code == 204
    assert api.get(f"datasets/{flowers}/labelsets/preds/").status_code == 404
    assert api.delete(f"datasets/{flowers}/labelsets/preds/").status_code == 404


def test_deleting_a_labelset_deletes_its_labels(api, flowers):
    sample = api.sample(flowers, "a.jpg")
    api.post(f"datasets/{flowers}/labelsets/", json={"name": "preds"})
    api.label(sample["uuid"], labelset="preds")
    api.delete(f"datasets/{flowers}/labelsets/preds/")
    api.post(f"datasets/{flowers}/labelsets/", json={"name": "preds"})
    assert api.get(f"labels/{sample['uuid']}/preds/").status_code == 404


def test_ground_truth_cannot_be_deleted(api, flowers):
    assert api.delete(f"datasets/{flowers}/labelsets/ground-truth/").status_code == 400


def test_labelset_errors(api, flowers):
    assert api.get("datasets/demo/nope/labelsets/").status_code == 404
    assert api.post(f"datasets/{flowers}/labelsets/", json={}).json() == {
        "name": ["This field is required."]
    }
    assert api.post(f"datasets/{flowers}/labelsets/", json={"name": 3}).status_code == 400


NASTY_NAMES = ["a/b", "x#y", "what?", "k&v=1", "with space", "naïve-ñ-日本", "50%", "+plus+"]


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_percent_encoded_labelset_names_round_trip(api, flowers, name):
    created = api.post(f"datasets/{flowers}/labelsets/", json={"name": name}).json()
    assert created["name"] == name
    encoded = quote(name, safe="")
    assert api.get(f"datasets/{flowers}/labelsets/{encoded}/").json()["name"] == name
    sample = api.sample(flowers, "a.jpg")
    body = {"label_status": "LABELED", "attributes": {"annotations": []}}
    put = api.put(f"labels/{sample['uuid']}/{encoded}/", json=body)
    assert put.status_code == 201, put.text
    assert put.json()["labelset"] == name
    assert api.get(f"labels/{sample['uuid']}/{encoded}").json()["labelset"] == name
    query = api.get(f"datasets/{flowers}/samples/?labelset={quote(name, safe='')}").json()
    assert query[0]["label"]["label_status"] == "LABELED"
    assert api.delete(f"datasets/{flowers}/labelsets/{encoded}/").status_code == 204


def test_unencoded_slash_in_a_labelset_still_finds_it(api, flowers):
    # segments-ai pastes names into paths raw (WIRE.md 1.1): "a/b" arrives as two segments.
    api.post(f"datasets/{flowers}/labelsets/", json={"name": "a/b"})
    assert api.get(f"datasets/{flowers}/labelsets/a/b/").json()["name"] == "a/b"


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_percent_encoded_release_names_round_trip(api, flowers, name):
    created = api.post(f"datasets/{flowers}/releases/", json={"name": name})
    assert created.status_code == 201
    assert created.json()["name"] == name
    assert wait_for_release(api, flowers, name)["name"] == name
    assert api.delete(f"datasets/{flowers}/releases/{quote(name, safe='')}/").status_code == 204


# --- collaborators ----------------------------------------------------------------------


def test_collaborator_lifecycle(api, user_api, flowers):
    user_api("john")
    added = api.post(
        f"datasets/{flowers}/collaborators/", json={"user": "john", "role": "reviewer"}
    )
    assert added.status_code == 201
    body = added.json()
    assert body["role"] == "reviewer"
    assert {"username", "created_at", "is_organization"} <= set(body["user"])
    assert body["user"]["username"] == "john"
    assert api.get(f"datasets/{flowers}/collaborators/john").json()["role"] == "reviewer"
    patched = api.patch(f"datasets/{flowers}/collaborators/john", json={"role": "manager"})
    assert patched.json()["role"] == "manager"
    assert api.get(f"datasets/{flowers}").json()["collaborators_count"] == 1
    assert api.delete(f"datasets/{flowers}/collaborators/john").status_code == 204
    assert api.get(f"datasets/{flowers}/collaborators/john").status_code == 404


def test_collaborator_default_role_is_labeler(api, user_api, flowers):
    user_api("john")
    body = api.post(f"datasets/{flowers}/collaborators/", json={"user": "john"}).json()
    assert body["role"] == "labeler"


def test_collaborator_errors(server, api, user_api, flowers):
    user_api("john")
    base = f"datasets/{flowers}/collaborators/"
    api.post(base, json={"user": "john"})
    again = api.post(base, json={"user": "john", "role": "admin"})
    assert again.status_code == 400
    assert again.json() == {"detail": "john is already a collaborator."}
    ghost = api.post(base, json={"user": "ghost"})
    assert ghost.status_code == 400
    assert "does not exist" in ghost.json()["user"][0]
    assert api.post(base, json={"user": "demo"}).json() == {
        "detail": "demo cannot be added as collaborator."
    }
    assert api.post(base, json={"user": "john", "role": "boss"}).status_code == 400
    assert api.patch(base + "john", json={"role": "boss"}).status_code == 400
    assert api.get(base + "ghost").status_code == 404
    assert api.patch(base + "ghost", json={"role": "admin"}).status_code == 404
    assert api.delete(base + "ghost").status_code == 404


# --- issues -----------------------------------------------------------------------------


def test_issue_lifecycle(api, flowers):
    sample = api.sample(flowers, "a.jpg")
    anchor = {
        "type": "location",
        "frame": 0,
        "sensor": "Lidar",
        "location": {"type": "2d", "x": 1.2, "y": 3.5},
    }
    created = api.post(
        f"samples/{sample['uuid']}/issues/",
        json={"description": "You forgot the car.", "status": "OPEN", "anchor": anchor},
    )
    assert created.status_code == 201
    issue = created.json()
    assert {
        "uuid",
        "description",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "status",
        "comments",
        "sample_uuid",
        "sample_name",
    } <= set(issue)
    assert (issue["sample_name"], issue["comments"], issue["anchor"]) == ("a.jpg", [], anchor)
    listed = api.get(f"datasets/{flowers}/issues/").json()
    assert [i["uuid"] for i in listed] == [issue["uuid"]]
    updated = api.patch(f"issues/{issue['uuid']}/", json={"status": "CLOSED"}).json()
    assert (updated["status"], updated["description"]) == ("CLOSED", "You forgot the car.")
    assert api.delete(f"issues/{issue['uuid']}/").status_code == 204
    assert api.get(f"datasets/{flowers}/issues/").json() == []
    assert api.patch(f"issues/{issue['uuid']}/", json={}).status_code == 404


def test_issue_errors(api, flowers):
    sample = api.sample(flowers, "a.jpg")
    base = f"samples/{sample['uuid']}/issues/"
    assert api.post(base, json={}).json() == {"description": ["This field is required."]}
    assert api.post(base, json={"description": "x", "status": "MAYBE"}).status_code == 400
    assert api.post(base, json={"description": "x", "anchor": {"type": "?"}}).status_code == 400
    assert api.post(f"samples/{uuid.uuid4()}/issues/", json={"description": "x"}).status_code == 404
    assert api.get("datasets/demo/nope/issues/").status_code == 404
    assert api.delete(f"issues/{uuid.uuid4()}/").status_code == 404


# --- releases ---------------------------------------------------------------------------


def test_release_is_pending_then_succeeds_and_serves_the_release_file(api, anonymous, flowers):
    sample = api.sample(flowers, "violet.jpg", metadata={"k": "v"})
    api.label(sample["uuid"], "LABELED")
    api.post(f"datasets/{flowers}/labelsets/", json={"name": "preds"})
    created = api.post(f"datasets/{flowers}/releases/", json={"name": "v1.0", "description": "d"})
    assert created.status_code == 201
    release = created.json()
    assert release["status"] == "PENDING"
    assert release["attributes"] == {"url": None}
    assert (release["release_type"], release["samples_count"]) == ("JSON", 1)
    # Written after the snapshot: must not appear in the release.
    api.sample(flowers, "late.jpg")
    done = wait_for_release(api, flowers, "v1.0")
    assert done["status"] == "SUCCEEDED"
    assert done["uuid"] == release["uuid"]
    url = done["attributes"]["url"]
    assert url.startswith(api.url)
    content = requests.get(url, timeout=10).json()  # no auth, like a presigned URL
    assert content["name"] == "v1.0"
    assert content["description"] == "d"
    dataset = content["dataset"]
    assert (dataset["name"], dataset["owner"], dataset["task_type"]) == (
        "flowers",
        "demo",
        "vector",
    )
    assert dataset["task_attributes"]["categories"]
    assert [ls["name"] for ls in dataset["labelsets"]] == ["ground-truth", "preds"]
    assert [s["name"] for s in dataset["samples"]] == ["violet.jpg"]
    only = dataset["samples"][0]
    assert only["metadata"] == {"k": "v"}
    assert only["attributes"] == sample["attributes"]
    assert only["labels"]["ground-truth"]["label_status"] == "LABELED"
    assert only["labels"]["preds"] is None
    listed = api.get(f"datasets/{flowers}/releases/").json()
    assert [(r["name"], r["status"]) for r in listed] == [("v1.0", "SUCCEEDED")]


def test_pointcloud_segmentation_release_fails(api):
    api.dataset("pc", task_type="pointcloud-segmentation")
    api.post("datasets/demo/pc/releases/", json={"name": "v1"})
    done = wait_for_release(api, "demo/pc", "v1")
    assert done["status"] == "FAILED"
    assert done["attributes"]["url"] is None


def test_release_errors(api, flowers):
    api.post(f"datasets/{flowers}/releases/", json={"name": "v1"})
    again = api.post(f"datasets/{flowers}/releases/", json={"name": "v1"})
    assert again.status_code == 400
    assert again.json() == {"detail": "Release with this name already exists."}
    assert api.post(f"datasets/{flowers}/releases/", json={}).status_code == 400
    assert api.get(f"datasets/{flowers}/releases/nope/").status_code == 404
    assert api.delete(f"datasets/{flowers}/releases/nope/").status_code == 404
    assert api.get("datasets/demo/nope/releases/").status_code == 404
    assert api.get(f"_emulator/releases/{uuid.uuid4()}.json").status_code == 404


def test_pending_release_file_is_not_served_yet(server, api, flowers):
    server.emulator.release_delay = 3600
    release = api.post(f"datasets/{flowers}/releases/", json={"name": "v1"}).json()
    assert api.get(f"datasets/{flowers}/releases/v1/").json()["status"] == "PENDING"
    assert api.get(f"_emulator/releases/{release['uuid']}.json").status_code == 404


# --- assets -----------------------------------------------------------------------------

AWS_FIELDS = [
    "acl",
    "Content-Type",
    "key",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "policy",
    "x-amz-signature",
]


def test_asset_upload_flow(api, anonymous):
    created = api.post("assets/", json={"filename": "violet.jpg"})
    assert created.status_code == 201
    file = created.json()
    assert {"uuid", "filename", "url", "created_at", "presignedPostFields"} <= set(file)
    presigned = file["presignedPostFields"]
    fields = presigned["fields"]
    assert set(AWS_FIELDS) <= set(fields)
    assert "x-amz-security-token" in fields
    assert fields["Content-Type"] == "image/jpeg"
    assert fields["key"].startswith("assets/demo/")
    assert fields["key"].endswith(".jpg")
    assert presigned["url"].startswith(api.url)
    # Like segments-ai: only the eight fields, then the file; no auth (WIRE.md 12).
    data = {name: fields[name] for name in AWS_FIELDS}
    upload = requests.post(
        presigned["url"], data=data, files={"file": ("file", b"\xff\xd8jpeg-bytes")}, timeout=10
    )
    assert upload.status_code == 204
    assert upload.content == b""
    served = requests.get(file["url"], timeout=10)
    assert served.status_code == 200
    assert served.content == b"\xff\xd8jpeg-bytes"
    assert served.headers["Content-Type"] == "image/jpeg"


def test_asset_upload_accepts_the_security_token(api):
    file = api.post("assets/", json={"filename": "x.png"}).json()
    fields = file["presignedPostFields"]["fields"]
    upload = requests.post(
        file["presignedPostFields"]["url"], data=fields, files={"file": b"png"}, timeout=10
    )
    assert upload.status_code == 204
    assert requests.get(file["url"], timeout=10).headers["Content-Type"] == "image/png"


def test_asset_upload_checks_the_issued_fields(api):
    file = api.post("assets/", json={"filename": "x.png"}).json()
    fields = dict(file["presignedPostFields"]["fields"])
    url = file["presignedPostFields"]["url"]
    for name, value in [
        ("x-amz-signature", "forged"),
        ("Content-Type", "text/html"),
        ("x-amz-security-token", "stolen"),
        ("key", "assets/demo/other.png"),
    ]:
        tampered = {**fields, name: value}
        response = requests.post(url, data=tampered, files={"file": b"x"}, timeout=10)
        assert response.status_code == 403, name
        assert "detail" in response.json()
    missing = {k: v for k, v in fields.items() if k != "policy"}
    assert requests.post(url, data=missing, files={"file": b"x"}, timeout=10).status_code == 403
    no_file = requests.post(url, data=fields, timeout=10)
    assert no_file.status_code == 400
    assert requests.get(file["url"], timeout=10).status_code == 404  # nothing stored


def test_asset_errors(api, anonymous):
    assert api.post("assets/", json={}).json() == {"filename": ["This field is required."]}
    assert anonymous.post("assets/", json={"filename": "x"}).status_code == 401
    unknown = api.post("assets/", json={"filename": "data.unknownext"}).json()
    assert unknown["presignedPostFields"]["fields"]["Content-Type"] == "application/octet-stream"
    assert api.get("_emulator/s3/assets/demo/none.png").status_code == 404
