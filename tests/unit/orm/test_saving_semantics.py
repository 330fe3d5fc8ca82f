"""Saving semantics found wanting by review: held references, cached labels, no-op writes.

Each test pins a behaviour a user relies on when editing objects in a REPL or a script:
an edit is never silently lost, an unchanged value is never sent, a refused call leaves
the object as it was, and a copy or pickle never carries the client (nor the key).
"""

from __future__ import annotations

import copy
import pickle

import pytest
from http_fakes import SECRET_KEY
from orm_fakes import FakeApi, dataset_json, label_json, read_at_once, sample_json
from test_orm_resources import echo_patch

import segments_orm as so
from segments_orm import Client
from segments_orm.exceptions import SegmentsError, ValidationError


@pytest.fixture
def sample(api: FakeApi, client: Client):
    api.on("GET", "samples/uuid-a.jpg/", sample_json())
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    loaded = client.samples.get("uuid-a.jpg")
    api.reset_calls()
    return loaded


def test_edits_through_a_reference_held_across_save_are_saved_again(api: FakeApi, sample) -> None:
    echo_patch(api, "samples/uuid-a.jpg/", sample_json())
    meta = sample.metadata
    meta["a"] = 1
    sample.save()
    meta["b"] = 2  # the same dict object, after the first save
    sample.save()
    patches = api.requests_to("PATCH", "samples/uuid-a.jpg/")
    assert [c.body["metadata"] for c in patches] == [
        {"weather": "sunny", "a": 1},
        {"weather": "sunny", "a": 1, "b": 2},
    ]
    assert sample.metadata is meta


def test_a_label_included_by_a_query_is_built_once_so_its_edits_are_saved(
    api: FakeApi, client: Client
) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    with_label = sample_json(label=label_json())
    api.on("GET", "datasets/jane/flowers/samples/", [with_label])
    dataset = client.datasets.get("jane/flowers")
    first = dataset.samples.include_label("ground-truth", full=True).first()
    assert first.label is first.label
    echo_patch(api, "labels/uuid-a.jpg/ground-truth/", label_json())
    first.label.label_status = "REVIEWED"
    first.label.save()
    (patch,) = api.requests_to("PATCH", "labels/uuid-a.jpg/ground-truth/")
    assert patch.body == {"label_status": "REVIEWED"}


def test_assigning_the_current_value_sends_nothing(api: FakeApi, sample) -> None:
    sample.name = sample.name
    sample.priority = sample.priority
    sample.save()
    assert api.calls == []


def test_an_explicit_none_is_always_sent_even_when_already_none(api: FakeApi, sample) -> None:
    echo_patch(api, "samples/uuid-a.jpg/", sample_json())
    sample.assigned_labeler = None
    sample.save()
    (patch,) = api.requests_to("PATCH", "samples/uuid-a.jpg/")
    assert patch.body == {"assigned_labeler": None}


def test_a_refused_update_changes_nothing(api: FakeApi, sample) -> None:
    with pytest.raises(ValidationError, match="uuid"):
        sample.update(name="renamed.jpg", uuid="other")
    assert sample.name == "a.jpg"
    assert not sample.has_changes()
    assert api.calls == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("public", "yes", "public: expected True or False"),
        ("enable_ratings", 1, "enable_ratings: expected True or False"),
        ("description", 5, "description: expected a string"),
        ("labeling_inactivity_timeout_seconds", 2.5, "expected an integer"),
    ],
)
def test_scalar_fields_are_checked_before_sending(
    api: FakeApi, client: Client, field: str, value: object, message: str
) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    dataset = client.datasets.get("jane/flowers")
    api.reset_calls()
    setattr(dataset, field, value)
    with pytest.raises(ValidationError, match=message):
        dataset.save()
    assert api.calls == []


@pytest.mark.parametrize("key", [1, ("t",)])
def test_dict_keys_must_be_strings(api: FakeApi, sample, key: object) -> None:
    sample.metadata[key] = "x"
    assert sample.has_changes()
    with pytest.raises(ValidationError, match="metadata: keys must be strings"):
        sample.save()
    assert api.calls == []


def test_labelsets_and_releases_cannot_be_changed_only_deleted(api: FakeApi, client: Client) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    dataset = client.datasets.get("jane/flowers")
    labelset = dataset.labelsets.get("model", lazy=True)
    with pytest.raises(ValidationError, match="read-only"):
        labelset.description = "new"
    # No verb exists only to refuse: they cannot be saved, so they have no save().
    assert not hasattr(labelset, "save")
    assert not hasattr(labelset, "update")
    assert callable(labelset.delete)
    release = dataset.releases.get("v1", lazy=True)
    assert not hasattr(release, "save")
    assert callable(release.delete)


def test_two_threads_reading_a_typed_field_first_get_one_object(sample) -> None:
    seen = read_at_once(lambda: sample.attributes)
    assert all(value is seen[0] for value in seen)


def test_a_pickled_resource_has_no_client_and_no_key(sample, client: Client) -> None:
    data = pickle.dumps(sample)
    assert SECRET_KEY.encode() not in data
    restored = pickle.loads(data)
    assert restored == sample
    assert restored.metadata == sample.metadata
    with pytest.raises(so.MissingContextError):
        _ = restored.client
    assert restored.bind(client).client is client


def test_a_deep_copy_shares_the_client_and_copies_the_fields(sample, client: Client) -> None:
    clone = copy.deepcopy(sample)
    assert clone.client is client
    clone.metadata["weather"] = "rain"
    assert sample.metadata["weather"] == "sunny"


def test_a_client_refuses_to_be_pickled(client: Client) -> None:
    with pytest.raises(SegmentsError, match="cannot be pickled"):
        pickle.dumps(client)


def test_new_objects_are_created_by_save(api: FakeApi, client: Client) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    api.on("POST", "datasets/jane/flowers/samples/", sample_json("new.jpg"))
    api.on("PUT", "labels/uuid-new.jpg/ground-truth/", label_json("uuid-new.jpg"))
    # A new label's save() reads the sample's label first (a person's is never replaced).
    api.on("GET", "samples/uuid-new.jpg/", {**sample_json("new.jpg"), "label": None})
    dataset = client.datasets.get("jane/flowers")
    sample = dataset.samples.new(name="new.jpg", attributes={"image": {"url": "https://x/n"}})
    assert sample.uuid is None
    sample.save()
    assert sample.uuid == "uuid-new.jpg"
    (post,) = api.requests_to("POST", "datasets/jane/flowers/samples/")
    assert post.body["name"] == "new.jpg"
    label = sample.labels.new(labelset="ground-truth", attributes=label_json()["attributes"])
    label.save()
    assert label.label_status == "LABELED"
    (put,) = api.requests_to("PUT", "labels/uuid-new.jpg/ground-truth/")
    assert put.body["label_status"] == "PRELABELED"
    with pytest.raises(ValidationError, match="no field nmae"):
        dataset.samples.new(nmae="x")
