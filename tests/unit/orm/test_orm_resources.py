"""Resources: dirty tracking, save/update/refresh, identity, reprs, lazy shells, labels."""

from __future__ import annotations

import pytest
from orm_fakes import FakeApi, dataset_json, label_json, sample_json

from segments_orm import Client
from segments_orm.exceptions import NotFoundError, ValidationError


@pytest.fixture
def dataset(api: FakeApi, client: Client):
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    loaded = client.datasets.get("jane/flowers")
    api.reset_calls()
    return loaded


@pytest.fixture
def sample(api: FakeApi, client: Client):
    api.on("GET", "samples/uuid-a.jpg/", sample_json())
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    loaded = client.samples.get("uuid-a.jpg")
    api.reset_calls()
    return loaded


def echo_patch(api: FakeApi, path: str, base: dict) -> None:
    """Answer a PATCH with ``base`` updated by the body, as the server would."""

    def handler(call):
        return 200, {**base, **call.body}

    api.on("PATCH", path, handler=handler)


# -- dirty tracking ----------------------------------------------------------------------


def test_a_save_without_changes_sends_nothing(api: FakeApi, sample) -> None:
    sample.metadata  # reading a mutable field is not a change  # noqa: B018
    assert not sample.has_changes()
    assert sample.save() is sample
    assert api.calls == []


def test_assignment_marks_the_field_dirty_and_patch_carries_only_it(api: FakeApi, sample) -> None:
    echo_patch(api, "samples/uuid-a.jpg/", sample_json())
    sample.priority = 5
    assert sample.has_changes()
    sample.save()
    (patch,) = api.requests_to("PATCH", "samples/uuid-a.jpg/")
    assert patch.body == {"priority": 5}
    assert sample.priority == 5
    assert not sample.has_changes()


def test_in_place_edit_of_metadata_is_saved(api: FakeApi, sample) -> None:
    echo_patch(api, "samples/uuid-a.jpg/", sample_json())
    sample.metadata["robot"] = 3
    assert sample.has_changes()
    sample.save()
    (patch,) = api.requests_to("PATCH", "samples/uuid-a.jpg/")
    assert patch.body == {"metadata": {"weather": "sunny", "robot": 3}}
    assert patch.headers["Content-Encoding"] == "gzip"  # as the platform does for samples


def test_explicit_none_on_assigned_labeler_is_sent_as_null(api: FakeApi, client: Client) -> None:
    api.on("GET", "samples/uuid-a.jpg/", sample_json(assigned_labeler="john"))
    sample = client.samples.get("uuid-a.jpg")
    echo_patch(api, "samples/uuid-a.jpg/", sample_json())
    sample.assigned_labeler = None
    sample.save()
    (patch,) = api.requests_to("PATCH", "samples/uuid-a.jpg/")
    assert patch.body == {"assigned_labeler": None}


def test_patch_uses_wire_names(api: FakeApi, dataset) -> None:
    echo_patch(api, "datasets/jane/flowers/", dataset_json())
    dataset.update(description="Flowers", enable_ratings=True)
    (patch,) = api.requests_to("PATCH", "datasets/jane/flowers/")
    assert patch.body == {"description": "Flowers", "enable_ratings": True}
    assert dataset.description == "Flowers"


def test_in_place_edit_of_label_attributes_is_saved_as_a_patch(api: FakeApi, sample) -> None:
    api.on("GET", "labels/uuid-a.jpg/ground-truth/", label_json())
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    label = sample.labels.get("ground-truth")
    echo_patch(api, "labels/uuid-a.jpg/ground-truth/", label_json())
    label.attributes.annotations[0].category_id = 2
    assert label.has_changes()
    label.save()
    (patch,) = api.requests_to("PATCH", "labels/uuid-a.jpg/ground-truth/")
    assert set(patch.body) == {"attributes"}  # never label_status (WIRE.md 15.15)
    assert patch.body["attributes"]["annotations"][0]["category_id"] == 2
    assert api.requests_to("PUT", "labels/uuid-a.jpg/ground-truth/") == []


def test_a_new_label_is_put(api: FakeApi, client: Client, sample) -> None:
    from segments_orm.resources.label import Label

    api.on("PUT", "labels/uuid-a.jpg/model/", label_json(labelset="model"), status=200)
    attributes = {"format_version": "0.1", "annotations": []}
    label = Label(sample_uuid="uuid-a.jpg", labelset="model", attributes=attributes)
    object.__setattr__(label, "_client", client)
    label.save()
    (put,) = api.requests_to("PUT", "labels/uuid-a.jpg/model/")
    assert put.body["attributes"] == attributes
    assert api.requests_to("PATCH", "labels/uuid-a.jpg/model/") == []
    assert label.label_status == "LABELED"  # taken over from the answer
    assert label.created_by == "jane"


@pytest.mark.parametrize("name", ["uuid", "created_at", "dataset_full_name"])
def test_read_only_fields_refuse_assignment(sample, name: str) -> None:
    with pytest.raises(ValidationError, match="read-only"):
        setattr(sample, name, "x")


def test_read_only_dataset_name_refuses_assignment(api: FakeApi, dataset) -> None:
    with pytest.raises(ValidationError, match="read-only"):
        dataset.full_name = "jane/other"
    assert dataset.full_name == "jane/flowers"
    assert api.calls == []


def test_update_rejects_unknown_names_before_sending(api: FakeApi, dataset) -> None:
    with pytest.raises(ValidationError, match="descripton") as raised:
        dataset.update(descripton="typo")
    assert "description" in str(raised.value)  # the message lists the real fields
    assert api.calls == []
    assert not dataset.has_changes()


def test_invalid_value_is_refused_before_sending(api: FakeApi, sample) -> None:
    sample.priority = "high"
    with pytest.raises(ValidationError, match="priority"):
        sample.save()
    assert api.calls == []


def test_refresh_updates_in_place_and_drops_local_changes(api: FakeApi, sample) -> None:
    api.on("GET", "samples/uuid-a.jpg/", sample_json(priority=9.0, metadata={"new": True}))
    sample.metadata["local"] = 1
    sample.readme = "local"
    same = sample.refresh()
    assert same is sample
    assert sample.priority == 9.0
    assert sample.metadata == {"new": True}
    assert sample.readme == ""
    assert not sample.has_changes()
    api.reset_calls()
    sample.save()
    assert api.calls == []


# -- identity and reprs ------------------------------------------------------------------


def test_equality_and_hash_follow_identity(api: FakeApi, client: Client) -> None:
    api.on("GET", "samples/uuid-a.jpg/", sample_json())
    first = client.samples.get("uuid-a.jpg")
    api.on("GET", "samples/uuid-a.jpg/", sample_json(priority=3.0))
    second = client.samples.get("uuid-a.jpg")
    api.on("GET", "samples/uuid-b.jpg/", sample_json("b.jpg"))
    other = client.samples.get("uuid-b.jpg")
    assert first == second
    assert hash(first) == hash(second)
    assert first != other
    assert len({first, second, other}) == 2
    lazy = client.datasets.get("jane/flowers", lazy=True)
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    assert lazy == client.datasets.get("jane/flowers")


def test_objects_without_identity_are_equal_only_to_themselves() -> None:
    from segments_orm.resources.sample import Sample

    one, two = Sample(name="x"), Sample(name="x")
    assert one == one
    assert one != two
    assert len({one, two}) == 2


def test_reprs_are_one_short_line(api: FakeApi, client: Client, dataset, sample) -> None:
    assert repr(dataset) == "<Dataset jane/flowers task_type=bboxes samples=0>"
    assert repr(sample) == "<Sample 'a.jpg'>"
    api.on("GET", "labels/uuid-a.jpg/ground-truth/", label_json())
    label = sample.labels.get()
    assert repr(label) == "<Label uuid-a.jpg ground-truth label_status=LABELED>"
    for text in (repr(dataset), repr(sample), repr(label), repr(client)):
        assert "\n" not in text
        assert len(text) < 120


# -- lazy shells and relations -------------------------------------------------------------


def test_lazy_dataset_shell_costs_no_request(api: FakeApi, client: Client) -> None:
    api.on("DELETE", "datasets/jane/flowers/", None, status=204)
    shell = client.datasets.get("jane/flowers", lazy=True)
    manager = shell.samples
    query = manager.filter(name__contains="a").order_by("-created_at")
    assert api.calls == []
    assert repr(query) == "<QuerySet samples name__contains='a' (not fetched yet)>"
    shell.delete()
    assert [(c.method, c.path) for c in api.calls] == [("DELETE", "/datasets/jane/flowers/")]


def test_lazy_dataset_refresh_loads_it(api: FakeApi, client: Client) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json(description="loaded"))
    shell = client.datasets.get("jane/flowers", lazy=True)
    assert shell.refresh().description == "loaded"


def test_sample_dataset_is_resolved_without_requests_when_known(api: FakeApi, dataset) -> None:
    api.paged("datasets/jane/flowers/samples/", [sample_json()])
    (sample,) = list(dataset.samples.all())
    api.reset_calls()
    assert sample.dataset is dataset
    assert api.calls == []


def test_sample_dataset_of_a_lone_sample_is_a_lazy_shell(api: FakeApi, sample) -> None:
    shell = sample.dataset
    assert shell.full_name == "jane/flowers"
    assert shell is sample.dataset  # one shared shell per dataset
    assert api.calls == []


def test_missing_dataset_is_not_found(api: FakeApi, client: Client) -> None:
    api.on("GET", "datasets/jane/nope/", {"detail": "Not found."}, status=404)
    with pytest.raises(NotFoundError) as raised:
        client.datasets.get("jane/nope")
    assert raised.value.status_code == 404


def test_bad_dataset_identifier_is_refused_before_sending(api: FakeApi, client: Client) -> None:
    with pytest.raises(ValidationError):
        client.datasets.get("no-slash")
    assert api.calls == []


def test_in_place_edit_of_task_attributes_is_sent_under_its_wire_name(
    api: FakeApi, dataset
) -> None:
    echo_patch(api, "datasets/jane/flowers/", dataset_json())
    dataset.task_attributes.categories[1].name = "wolf"
    dataset.save()
    (patch,) = api.requests_to("PATCH", "datasets/jane/flowers/")
    assert list(patch.body) == ["task_attributes"]
    names = [c["name"] for c in patch.body["task_attributes"]["categories"]]
    assert names == ["cat", "wolf"]


def test_sample_get_sends_labelset_and_signed_urls(api: FakeApi, client: Client) -> None:
    api.on("GET", "samples/uuid-a.jpg/", sample_json(label=label_json()))
    sample = client.samples.get("uuid-a.jpg", labelset="ground-truth", signed_urls=True)
    (call,) = api.calls
    assert call.query == {"labelset": "ground-truth", "include_signed_urls": "1"}
    assert sample.label.attributes.annotations[0].points == [[1, 2], [3, 4]]
    assert client.samples.get("uuid-b", lazy=True).uuid == "uuid-b"
    assert len(api.calls) == 1


def test_clone_sends_the_defaults_of_the_platform(api: FakeApi, dataset) -> None:
    api.on("POST", "datasets/jane/flowers/clone/", dataset_json("jane/flowers-clone"), status=201)
    clone = dataset.clone()
    (post,) = api.calls
    assert post.body == {"name": "flowers-clone", "clone_labels": False}
    assert clone.full_name == "jane/flowers-clone"
    with pytest.raises(ValidationError):
        dataset.clone(new_task_type="nope")
    assert len(api.calls) == 1
