"""Shells, the client's shared dataset copies, nested users, and partial bulk deletes."""

from __future__ import annotations

import pytest
from http_fakes import SECRET_KEY
from orm_fakes import FakeApi, dataset_json, label_json, sample_json

import segments_orm as so
from segments_orm import Client
from segments_orm import BulkError
from segments_orm.exceptions import AuthenticationError, ValidationError

BBOX_CAT_2 = {
    "format_version": "0.1",
    "annotations": [{"id": 1, "category_id": 2, "type": "bbox", "points": [[1, 2], [3, 4]]}],
}


def test_a_sample_shell_asks_once_which_dataset_it_is_in(api: FakeApi, client: Client) -> None:
    api.on("GET", "samples/uuid-a.jpg/", sample_json())
    shell = client.samples.get("uuid-a.jpg", lazy=True)
    assert api.calls == []
    assert shell.dataset.full_name == "jane/flowers"
    assert shell.dataset is client.samples.get("uuid-a.jpg", lazy=True).dataset
    assert len(api.requests_to("GET", "samples/uuid-a.jpg/")) == 2  # once per shell


def test_the_shared_dataset_copy_is_dropped_when_the_dataset_changes(
    api: FakeApi, client: Client
) -> None:
    one_category = dataset_json(
        task_attributes={"format_version": "0.1", "categories": [{"id": 1, "name": "cat"}]}
    )
    api.on("GET", "datasets/jane/flowers/", one_category)
    api.on("GET", "samples/uuid-a.jpg/", sample_json())
    api.on("PUT", "labels/uuid-a.jpg/ground-truth/", label_json())
    sample = client.samples.get("uuid-a.jpg")
    with pytest.raises(ValidationError, match="2 is not a category"):
        sample.labels.create("ground-truth", BBOX_CAT_2)

    dataset = client.datasets.get("jane/flowers")
    two_categories = dataset_json()  # cat and dog
    api.on("PATCH", "datasets/jane/flowers/", two_categories)
    api.on("GET", "datasets/jane/flowers/", two_categories)
    dataset.task_attributes.categories.append(so.types.TaskCategory(id=2, name="dog"))
    dataset.save()
    # A sample fetched on its own now checks against the changed dataset.
    client.samples.get("uuid-a.jpg").labels.create("ground-truth", BBOX_CAT_2)
    assert len(api.requests_to("PUT", "labels/uuid-a.jpg/ground-truth/")) == 1


def test_a_collaborators_user_is_bound_to_the_client(api: FakeApi, client: Client) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    api.on(
        "GET",
        "datasets/jane/flowers/collaborators/john",
        {"user": {"username": "john", "created_at": "2024-01-01T00:00:00Z"}, "role": "reviewer"},
    )
    api.on("GET", "users/john/datasets/", [])
    collaborator = client.datasets.get("jane/flowers").collaborators.get("john")
    assert collaborator.username == "john"
    assert list(collaborator.user.datasets) == []
    assert collaborator.user.client is client


def test_a_bulk_delete_that_fails_midway_says_what_was_deleted(
    api: FakeApi, client: Client
) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    answers = iter([(200, {"deleted_count": 1000}), (500, {"detail": "boom"})])
    api.on("DELETE", "datasets/jane/flowers/samples_bulk/", handler=lambda call: next(answers))
    dataset = client.datasets.get("jane/flowers")
    uuids = [f"u{i}" for i in range(1500)]
    with pytest.raises(BulkError, match="Deleted 1000 samples") as caught:
        dataset.samples.delete_many(uuids)
    assert caught.value.deleted_count == 1000
    assert caught.value.pending_uuids == uuids[1000:]


@pytest.mark.parametrize("bad", [None, 5, "one-uuid"])
def test_bulk_calls_refuse_what_is_not_a_list(api: FakeApi, client: Client, bad: object) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    dataset = client.datasets.get("jane/flowers")
    api.reset_calls()
    with pytest.raises(ValidationError, match="uuids"):
        dataset.samples.delete_many(bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="items"):
        dataset.labels.bulk_set(bad)  # type: ignore[arg-type]
    assert api.calls == []


def test_samples_get_takes_lookups_like_django(api: FakeApi, client: Client) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    api.on("GET", "datasets/jane/flowers/samples/", [sample_json("a.jpg"), sample_json("ab.jpg")])
    dataset = client.datasets.get("jane/flowers")
    assert dataset.samples.get(name="a.jpg").name == "a.jpg"


def test_a_key_that_is_not_ascii_is_refused_without_echoing_it() -> None:
    with pytest.raises(AuthenticationError, match="not ASCII") as caught:
        Client(api_key="abc\u2019" + SECRET_KEY, api_url="https://api.example/")
    assert SECRET_KEY not in str(caught.value)


@pytest.mark.parametrize("url", ["http://[::1", "https://host:99999/"])
def test_a_malformed_api_url_is_a_validation_error(url: str) -> None:
    with pytest.raises(ValidationError, match="api_url"):
        Client(api_key=SECRET_KEY, api_url=url)


def test_the_key_is_not_in_the_transports_attributes(client: Client) -> None:
    assert SECRET_KEY not in repr(vars(client.transport))
