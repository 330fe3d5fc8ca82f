"""Datasets: create, read, list, update, delete, clone; and their pagination."""

from __future__ import annotations

import pytest

REQUIRED_DATASET_FIELDS = {
    "name",
    "full_name",
    "description",
    "category",
    "public",
    "archived",
    "owner",
    "created_at",
    "enable_ratings",
    "enable_skip_labeling",
    "enable_skip_reviewing",
    "enable_save_button",
    "enable_label_status_verified",
    "enable_same_dimensions_track_constraint",
    "enable_3d_region_of_interest",
    "enable_interpolation",
    "use_timestamps_for_interpolation",
    "enable_object_linking",
    "task_type",
    "label_stats",
    "metadata",
}


def test_create_dataset_has_every_required_field(api):
    body = api.dataset("flowers", task_type="bboxes", description="d", metadata={"a": 1})
    assert set(body) >= REQUIRED_DATASET_FIELDS
    assert body["full_name"] == "demo/flowers"
    assert body["owner"]["username"] == "demo"
    assert body["task_type"] == "bboxes"
    assert body["metadata"] == {"a": 1}
    assert body["enable_object_link_category_restrictions"] is False
    assert body["enable_extrapolation"] is False
    assert body["samples_count"] == 0
    assert body["labelsets"] == [
        {
            "name": "ground-truth",
            "description": "",
            "is_groundtruth": True,
            "created_at": body["labelsets"][0]["created_at"],
        }
    ]
    assert body["task_attributes"]["categories"] == [{"name": "object", "id": 1}]


def test_create_dataset_accepts_the_full_segments_ai_body(api):
    body = {
        "name": "full",
        "description": "",
        "task_type": "segmentation-bitmap",
        "task_attributes": {"format_version": "0.1", "categories": [{"name": "o", "id": 1}]},
        "category": "other",
        "public": False,
        "readme": "",
        "labeling_inactivity_timeout_seconds": 300,
        "enable_skip_labeling": True,
        "enable_skip_reviewing": False,
        "enable_ratings": False,
        "enable_interpolation": True,
        "enable_same_dimensions_track_constraint": False,
        "enable_save_button": False,
        "enable_label_status_verified": False,
        "enable_3d_cuboid_rotation": False,
        "enable_3d_region_of_interest": False,
        "enable_confirm_on_submit": False,
        "archived": False,
        "data_type": "IMAGE",
    }
    response = api.post("user/datasets/", json=body)
    assert response.status_code == 201, response.text


def test_duplicate_dataset_name_is_400_already_exists(api):
    api.dataset("flowers")
    response = api.post("user/datasets/", json={"name": "flowers"})
    assert response.status_code == 400
    assert response.json() == {"detail": "Dataset with this name already exists."}


def test_same_name_under_another_owner_is_fine(api, user_api):
    api.dataset("flowers")
    user_api("john").dataset("flowers")


def test_get_missing_dataset_is_404(api):
    assert api.get("datasets/demo/nope/").json() == {"detail": "Not found."}
    assert api.get("datasets/demo/nope/").status_code == 404


def test_update_dataset(api):
    api.dataset("flowers")
    response = api.patch(
        "datasets/demo/flowers/",
        json={"description": "new", "public": True, "enable_ratings": True, "metadata": {"k": 2}},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["description"], body["public"], body["enable_ratings"]) == ("new", True, True)
    assert body["metadata"] == {"k": 2}
    assert api.get("datasets/demo/flowers").json()["description"] == "new"


def test_empty_update_changes_nothing(api):
    before = api.dataset("flowers")
    after = api.patch("datasets/demo/flowers/", json={}).json()
    assert after == before


def test_name_cannot_change(api):
    api.dataset("flowers")
    assert api.patch("datasets/demo/flowers/", json={"name": "x"}).json()["name"] == "flowers"


def test_update_missing_dataset_is_404(api):
    assert api.patch("datasets/demo/nope/", json={}).status_code == 404


def test_delete_dataset_removes_everything_under_it(api, server):
    api.dataset("flowers")
    sample = api.sample("demo/flowers", "a.jpg")
    api.label(sample["uuid"])
    api.post(f"samples/{sample['uuid']}/issues/", json={"description": "x"})
    api.post("datasets/demo/flowers/releases/", json={"name": "v1"})
    assert api.delete("datasets/demo/flowers/").status_code == 204
    assert api.get("datasets/demo/flowers/").status_code == 404
    assert api.get(f"samples/{sample['uuid']}/").status_code == 404
    assert api.get(f"labels/{sample['uuid']}/ground-truth/").status_code == 404
    with server.emulator.store.transaction() as tx:
        for table in ("samples", "labels", "issues", "releases", "workunits", "labelsets"):
            assert tx.scalar(f"SELECT COUNT(*) FROM {table}") == 0, table
    # The name is free again.
    api.dataset("flowers")


def test_delete_missing_dataset_is_404(api):
    assert api.delete("datasets/demo/nope/").status_code == 404


def test_list_my_datasets_includes_collaborations_and_org_datasets(server, api, user_api):
    john = user_api("john")
    john.dataset("johns")
    john.post("datasets/john/johns/collaborators/", json={"user": "demo", "role": "labeler"})
    john.dataset("private-other")
    server.emulator.add_organization("acme")
    server.emulator.add_member("acme", "demo", "labeler")
    server.emulator.add_member("acme", "john", "admin")
    john.dataset("orgs", owner="acme")
    api.dataset("mine")
    names = [d["full_name"] for d in api.get("user/datasets/").json()]
    assert sorted(names) == ["acme/orgs", "demo/mine", "john/johns"]


def test_list_user_datasets_shows_only_visible_ones(api, user_api):
    john = user_api("john")
    john.dataset("private")
    john.dataset("open", public=True)
    names = [d["name"] for d in api.get("users/john/datasets/").json()]
    assert names == ["open"]
    assert api.get("users/nobody/datasets/").status_code == 404


@pytest.mark.parametrize(
    ("count", "per_page", "page", "expected"),
    [
        (0, 10, 1, 0),  # an empty collection: page 1 is an empty list, not an error
        (4, 2, 2, 2),  # an exact multiple: the last page is full
        (5, 2, 3, 1),  # a short last page
        (3, 1000, 1, 3),
    ],
)
def test_dataset_pagination(api, count, per_page, page, expected):
    for index in range(count):
        api.dataset(f"d{index}")
    response = api.get(f"user/datasets/?per_page={per_page}&page={page}")
    assert response.status_code == 200
    assert len(response.json()) == expected


@pytest.mark.parametrize(("count", "per_page", "page"), [(0, 10, 2), (4, 2, 3), (1, 1, 99)])
def test_page_past_the_end_is_404_invalid_page(api, count, per_page, page):
    for index in range(count):
        api.dataset(f"d{index}")
    response = api.get(f"user/datasets/?per_page={per_page}&page={page}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_pages_cover_everything_once(api):
    for index in range(7):
        api.dataset(f"d{index}")
    seen = []
    for page in (1, 2, 3):
        seen += [d["name"] for d in api.get(f"user/datasets/?per_page=3&page={page}").json()]
    assert seen == [f"d{index}" for index in range(7)]


def test_org_dataset_creation_needs_org_admin(server, api, user_api):
    server.emulator.add_organization("acme")
    assert api.post("organizations/acme/datasets/", json={"name": "x"}).status_code == 403
    server.emulator.add_member("acme", "demo", "labeler")
    assert api.post("organizations/acme/datasets/", json={"name": "x"}).status_code == 403
    server.emulator.add_member("acme", "demo", "admin")
    body = api.dataset("x", owner="acme")
    assert body["full_name"] == "acme/x"
    assert api.post("organizations/nope/datasets/", json={"name": "x"}).status_code == 404
    user_api("john")
    assert api.post("organizations/john/datasets/", json={"name": "x"}).status_code == 403


def test_clone_without_labels(api):
    api.dataset("flowers", task_type="vector", public=True)
    sample = api.sample("demo/flowers", "a.jpg", metadata={"k": "v"})
    api.label(sample["uuid"])
    api.post("datasets/demo/flowers/labelsets/", json={"name": "preds"})
    response = api.post("datasets/demo/flowers/clone/", json={"clone_labels": False})
    assert response.status_code == 201
    clone = response.json()
    assert clone["full_name"] == "demo/flowers-clone"
    assert clone["cloned_from"] == "demo/flowers"
    assert clone["task_type"] == "vector"
    assert clone["public"] is False
    assert clone["samples_count"] == 1
    assert [ls["name"] for ls in clone["labelsets"]] == ["ground-truth", "preds"]
    samples = api.get("datasets/demo/flowers-clone/samples/").json()
    assert samples[0]["name"] == "a.jpg"
    assert samples[0]["uuid"] != sample["uuid"]
    assert samples[0]["metadata"] == {"k": "v"}
    assert api.get(f"labels/{samples[0]['uuid']}/ground-truth/").status_code == 404


def test_clone_with_labels_and_options(server, api):
    server.emulator.add_organization("acme")
    server.emulator.add_member("acme", "demo", "admin")
    api.dataset("flowers", task_type="vector")
    sample = api.sample("demo/flowers", "a.jpg")
    api.label(sample["uuid"], "REVIEWED")
    body = {
        "name": "x",
        "task_type": "bboxes",
        "public": True,
        "owner": "acme",
        "clone_labels": True,
    }
    clone = api.post("datasets/demo/flowers/clone/", json=body).json()
    assert (clone["full_name"], clone["task_type"], clone["public"]) == ("acme/x", "bboxes", True)
    assert clone["label_stats"]["REVIEWED"] == 1
    copied = api.get("datasets/acme/x/samples/").json()[0]
    label = api.get(f"labels/{copied['uuid']}/ground-truth/").json()
    assert label["label_status"] == "REVIEWED"
    assert label["label_type"] == "bboxes"


def test_clone_errors(api, user_api):
    assert api.post("datasets/demo/nope/clone/", json={}).status_code == 404
    api.dataset("flowers")
    api.dataset("flowers-clone")
    assert api.post("datasets/demo/flowers/clone/", json={}).json() == {
        "detail": "Dataset with this name already exists."
    }
    user_api("john")
    response = api.post("datasets/demo/flowers/clone/", json={"name": "y", "owner": "john"})
    assert response.status_code == 403


def test_label_stats_follow_label_writes(api):
    api.dataset("flowers")
    samples = [api.sample("demo/flowers", f"{i}.jpg") for i in range(4)]
    api.label(samples[0]["uuid"], "LABELED")
    api.label(samples[1]["uuid"], "LABELED")
    api.label(samples[2]["uuid"], "REVIEWED")
    api.label(samples[3]["uuid"], "SKIPPED", labelset="ground-truth")
    api.delete(f"labels/{samples[3]['uuid']}/ground-truth/")
    stats = api.get("datasets/demo/flowers/").json()["label_stats"]
    assert stats["LABELED"] == 2
    assert stats["REVIEWED"] == 1
    assert stats["SKIPPED"] == 0
    assert stats["UNLABELED"] == 1
    assert stats["TOTAL"] == 4
