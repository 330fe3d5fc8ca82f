"""An object's explicit state (new, shell, loaded), and relations kept per object."""

from __future__ import annotations

import copy
import pickle

import pytest
from http_fakes import API_ROOT
from orm_fakes import FakeApi, dataset_json, label_json, read_at_once, sample_json

import segments_orm as so
from segments_orm import Client
from segments_orm._state import State
from segments_orm.exceptions import MissingContextError, NotLoadedError


def test_each_way_of_making_an_object_gives_its_state(api: FakeApi, client: Client) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    dataset = client.datasets.get("jane/flowers")
    assert dataset._state is State.LOADED
    assert client.datasets.get("jane/flowers", lazy=True)._state is State.SHELL
    assert dataset.samples.new(name="n.jpg")._state is State.NEW
    assert dataset.labelsets.get("ground-truth", lazy=True)._state is State.SHELL
    assert so.Issue.shell(client, "issue-1")._state is State.SHELL
    assert client.samples.get("uuid-a.jpg", lazy=True)._state is State.SHELL
    assert so.Sample(name="by-hand.jpg")._state is State.NEW


@pytest.mark.parametrize("name", ["task_type", "created_at", "metadata", "task_attributes"])
def test_a_shell_refuses_a_field_it_does_not_know_and_names_refresh(
    api: FakeApi, client: Client, name: str
) -> None:
    shell = client.datasets.get("jane/flowers", lazy=True)
    with pytest.raises(NotLoadedError, match=rf"does not know its {name}; call refresh\(\)"):
        _ = getattr(shell, name)
    assert api.calls == []  # refused, not fetched behind the user's back


def test_a_shell_reads_its_identity_and_refresh_makes_it_loaded(
    api: FakeApi, client: Client
) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    shell = client.datasets.get("jane/flowers", lazy=True)
    assert (shell.name, shell.full_name) == ("flowers", "jane/flowers")
    assert repr(shell) == "<Dataset jane/flowers>"  # repr shows what it knows, no request
    assert shell.extra == {}
    assert shell.refresh() is shell
    assert shell._state is State.LOADED
    assert shell.task_type == "bboxes"


def test_not_loaded_is_a_missing_context_error_not_an_attribute_error() -> None:
    assert issubclass(NotLoadedError, MissingContextError)
    assert not issubclass(NotLoadedError, AttributeError)
    assert so.NotLoadedError is NotLoadedError


def test_a_sample_shell_knows_its_uuid_and_refuses_the_rest(api: FakeApi, client: Client) -> None:
    shell = client.samples.get("uuid-a.jpg", lazy=True)
    assert shell.uuid == "uuid-a.jpg"
    for name in ("name", "attributes", "label", "priority"):
        with pytest.raises(NotLoadedError, match=name):
            _ = getattr(shell, name)


def test_saving_a_shell_sends_only_what_was_assigned(api: FakeApi, client: Client) -> None:
    api.on("PATCH", "datasets/jane/flowers/", dataset_json(description="New."))
    shell = client.datasets.get("jane/flowers", lazy=True)
    shell.description = "New."
    shell.metadata = {"k": 1}
    shell.save()
    (patch,) = api.requests_to("PATCH", "datasets/jane/flowers/")
    assert patch.body == {"description": "New.", "metadata": {"k": 1}}
    assert api.requests_to("GET", "datasets/jane/flowers/") == []
    assert shell._state is State.LOADED  # the answer is adopted
    assert shell.task_type == "bboxes"


def test_a_label_shell_updates_with_one_patch(api: FakeApi, client: Client) -> None:
    api.on("PATCH", "labels/uuid-a.jpg/ground-truth/", label_json(score=0.5))
    api.on("GET", "samples/uuid-a.jpg/", sample_json())
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    shell = client.samples.get("uuid-a.jpg", lazy=True).labels.get("ground-truth", lazy=True)
    shell.update(score=0.5)
    (patch,) = api.requests_to("PATCH", "labels/uuid-a.jpg/ground-truth/")
    assert patch.body == {"score": 0.5}


def test_ensure_loaded_fetches_a_shell_once_and_leaves_others(api: FakeApi, client: Client) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    shell = client.datasets.get("jane/flowers", lazy=True)
    assert shell.ensure_loaded() is shell
    assert shell.ensure_loaded() is shell
    assert len(api.requests_to("GET", "datasets/jane/flowers/")) == 1
    # A loaded dataset with no task type and no creation time is not mistaken for a shell.
    api.on("GET", "datasets/jane/bare/", dataset_json("jane/bare", task_type=None, created_at=None))
    bare = client.datasets.get("jane/bare")
    api.reset_calls()
    bare.ensure_loaded()
    assert api.calls == []


@pytest.mark.parametrize(
    "clone", [copy.copy, copy.deepcopy, lambda o: pickle.loads(pickle.dumps(o))]
)
def test_a_copied_shell_is_still_a_shell(client: Client, clone) -> None:
    shell = client.datasets.get("jane/flowers", lazy=True)
    copied = clone(shell)
    assert copied._state is State.SHELL
    assert copied.full_name == "jane/flowers"
    with pytest.raises(NotLoadedError):
        _ = copied.task_type


def test_relations_are_built_once_per_object(api: FakeApi, client: Client) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    dataset = client.datasets.get("jane/flowers")
    other = client.datasets.get("jane/flowers")
    assert dataset.samples is dataset.samples
    assert dataset.collaborators is dataset.collaborators
    assert dataset.samples is not other.samples  # per object, never shared
    samples = dataset.samples
    dataset.refresh()
    assert dataset.samples is samples  # same identity: kept across refresh()
    sample = client.samples.get("uuid-a.jpg", lazy=True)
    assert sample.labels is sample.labels
    assert sample.issues is sample.issues
    with pytest.raises(AttributeError, match="relation"):
        dataset.samples = None  # type: ignore[misc]


def test_a_copy_builds_its_own_relations_and_bind_drops_them(api: FakeApi, client: Client) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    dataset = client.datasets.get("jane/flowers")
    samples = dataset.samples
    clone = copy.copy(dataset)
    assert clone.samples is not samples
    assert clone.samples._context == {"dataset": clone}
    restored = pickle.loads(pickle.dumps(dataset))
    other = Client(api_key="other-key", api_url=API_ROOT, backend=api)
    try:
        restored.bind(other)
        assert restored.samples._client is other
        dataset.bind(other)
        assert dataset.samples is not samples
        assert dataset.samples._client is other
    finally:
        other.close()


def test_threads_reading_a_relation_first_get_one_manager(api: FakeApi, client: Client) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    dataset = client.datasets.get("jane/flowers")
    seen = read_at_once(lambda: dataset.samples)
    assert all(manager is seen[0] for manager in seen)


def test_samples_listed_from_a_dataset_shell_read_their_fields(
    api: FakeApi, client: Client
) -> None:
    api.on("GET", "datasets/jane/flowers/samples/", [sample_json()])
    shell = client.datasets.get("jane/flowers", lazy=True)
    (sample,) = shell.samples.all()
    assert sample.attributes is not None
    assert sample.name == "a.jpg"
    assert shell._state is State.SHELL  # reading the samples did not need the dataset


def test_a_shell_renders_what_it_knows_in_a_notebook(api: FakeApi, client: Client) -> None:
    dataset = client.datasets.get("jane/flowers", lazy=True)
    sample = client.samples.get("uuid-a.jpg", lazy=True)
    assert "jane/flowers" in dataset._repr_html_()
    assert "uuid-a.jpg" in sample._repr_html_()
    assert api.calls == []


def test_every_shell_has_a_repr(api: FakeApi, client: Client) -> None:
    dataset = client.datasets.get("jane/flowers", lazy=True)
    sample = client.samples.get("uuid-a.jpg", lazy=True)
    assert repr(sample) == "<Sample uuid-a.jpg>"
    assert repr(so.Issue.shell(client, "i-1")) == "<Issue ''>"
    assert repr(dataset.labelsets.get("ground-truth", lazy=True)) == "<Labelset 'ground-truth'>"
    assert repr(sample.labels.get("ground-truth", lazy=True)) == "<Label uuid-a.jpg ground-truth>"
    assert api.calls == []


def test_a_collaborators_user_is_loaded_so_its_read_only_fields_refuse(
    api: FakeApi, client: Client
) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    api.on(
        "GET",
        "datasets/jane/flowers/collaborators/john",
        {"user": {"username": "john", "email": "j@x"}, "role": "reviewer"},
    )
    user = client.datasets.get("jane/flowers").collaborators.get("john").user
    assert user is not None
    assert user._state is State.LOADED
    with pytest.raises(so.ValidationError, match="read-only"):
        user.email = "other@x"
