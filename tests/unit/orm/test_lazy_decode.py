"""Resources loaded from the wire decode each field on first read, with the same results.

`Resource._from_wire` keeps the server's answer and decodes a field the first time it is
read (issue 7: a page of 1000 samples must be cheap to decode). These tests pin down that
nothing a user can observe changed: values, unknown keys, leniency, dirty tracking and
in-place edits, errors for unknown attributes.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import attrs
import pytest

import segments_orm as so
from segments_orm._converter import parse_datetime, structure, unstructure

UTC = dt.timezone.utc


def wire_sample(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uuid": "0b5c7c1e-4d0c-4f5c-9e7c-1c2d3e4f5a6b",
        "name": "cat.jpg",
        "attributes": {"image": {"url": "https://example.com/cat.jpg"}},
        "metadata": {"weather": "sunny"},
        "priority": 3,
        "readme": "",
        "assigned_labeler": None,
        "assigned_reviewer": None,
        "created_by": "demo",
        "created_at": "2024-01-02T10:00:00.123456Z",
        "updated_at": "2024-01-02T11:00:00Z",
        "label": {"label_status": "PRELABELED", "score": 0.5},
        "issues": None,
        "dataset_full_name": "demo/flowers",
        "brand_new_field": [1, 2],
    }
    data.update(changes)
    return data


@pytest.fixture
def client() -> so.Client:
    return so.Client(api_key="key", api_url="http://127.0.0.1:9/")


def test_lazy_fields_equal_eager_fields(client: so.Client) -> None:
    data = wire_sample()
    lazy = so.Sample._from_wire(client, data)
    eager = structure(data, so.Sample)
    for field in attrs.fields(so.Sample):
        if field.init:
            assert getattr(lazy, field.name) == getattr(eager, field.name), field.name
    assert lazy.created_at == dt.datetime(2024, 1, 2, 10, 0, 0, 123456, tzinfo=UTC)
    assert lazy.extra == {"updated_at": "2024-01-02T11:00:00Z", "brand_new_field": [1, 2]}
    assert unstructure(lazy) == unstructure(eager)


def test_reads_stay_lenient(client: so.Client) -> None:
    sample = so.Sample._from_wire(client, wire_sample(created_at="yesterday", priority="high"))
    assert sample.created_at == "yesterday"
    assert sample.priority == "high"
    missing = so.Sample._from_wire(client, {"uuid": "u"})
    assert missing.name is None
    assert missing.extra == {}


def test_the_callers_dict_is_not_shared(client: so.Client) -> None:
    data = wire_sample()
    sample = so.Sample._from_wire(client, data)
    data["name"] = "changed.jpg"
    assert sample.name == "cat.jpg"


def test_in_place_edits_and_assignments_are_tracked(client: so.Client) -> None:
    sample = so.Sample._from_wire(client, wire_sample())
    assert not sample.has_changes()
    sample.metadata["weather"] = "rain"
    assert sample.has_changes()
    other = so.Sample._from_wire(client, wire_sample())
    other.name = "dog.jpg"
    assert other._changed_fields() == ["name"]
    with pytest.raises(so.ValidationError):
        other.uuid = "another"


def test_unknown_attributes_still_raise(client: so.Client) -> None:
    sample = so.Sample._from_wire(client, wire_sample())
    with pytest.raises(AttributeError, match="no attribute 'nmae'"):
        sample.nmae  # noqa: B018
    assert not hasattr(sample, "nmae")
    assert hasattr(sample, "name")


def test_adopt_and_copy(client: so.Client) -> None:
    sample = so.Sample._from_wire(client, wire_sample())
    sample._apply(wire_sample(name="renamed.jpg"))
    assert sample.name == "renamed.jpg"
    assert sample._raw is None
    assert sample.created_at == parse_datetime("2024-01-02T10:00:00.123456Z")
    duplicate = copy.copy(so.Sample._from_wire(client, wire_sample()))
    assert duplicate.name == "cat.jpg"


def test_not_an_object_is_a_network_error(client: so.Client) -> None:
    with pytest.raises(so.NetworkError, match="where a Sample object"):
        so.Sample._from_wire(client, ["not", "an", "object"])
