"""The field table: one description per attrs class that reading and writing share."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import attrs
import pytest

from segments_orm import Dataset, Sample, ValidationError
from segments_orm._converter import structure, unstructure
from segments_orm._fields import REQUIRED, fields_of, optional
from segments_orm.enums import LabelStatus


@attrs.define
class Note:
    text: Optional[str] = attrs.field(default=None, metadata={"wire": "body"})
    when: Optional[dt.datetime] = None
    status: Optional[LabelStatus] = None
    tags: list[str] = attrs.field(factory=list)
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class Checked:
    size: int = attrs.field(validator=attrs.validators.instance_of(int))


def test_one_table_per_class_built_once() -> None:
    assert fields_of(Sample) is fields_of(Sample)
    assert fields_of(Note) is not fields_of(Sample)


def test_sample_table_names_every_field_once() -> None:
    table = fields_of(Sample)
    assert ("metadata", "_metadata") in table.public_fields
    assert table.by_public["metadata"].wire == "metadata"
    assert table.by_public["embedded_issues"].wire == "issues"
    assert "uuid" in table.read_only and "created_at" in table.read_only
    assert "priority" in table.writable and "uuid" not in table.writable
    assert table.mutable_slots["_attributes"] == "attributes"
    assert table.typed == frozenset({"attributes"})
    assert table.scalar_kinds["priority"] is float
    assert [s.public for s in table.creates] == [
        "name",
        "attributes",
        "metadata",
        "priority",
        "readme",
        "assigned_labeler",
        "assigned_reviewer",
    ]
    assert table.required_creates == ("name", "attributes")


def test_structure_and_unstructure_read_the_table() -> None:
    note = structure({"body": "hi", "when": "2024-01-02T10:00:00Z", "status": "NEW?", "x": 1}, Note)
    assert note.text == "hi"
    assert note.when == dt.datetime(2024, 1, 2, 10, tzinfo=dt.timezone.utc)
    assert note.status == "NEW?"  # an unknown enum value stays a str
    assert note.extra == {"x": 1}
    assert note.tags == []
    assert unstructure(note) == {
        "body": "hi",
        "when": "2024-01-02T10:00:00.000000Z",
        "status": "NEW?",
        "tags": [],
        "x": 1,
    }


def test_lazy_fill_decodes_one_field_and_gives_defaults() -> None:
    fill = fields_of(Note).fill()
    assert fill is not None
    note = object.__new__(Note)
    raw = {"when": "2024-01-02T10:00:00Z", "y": 2}
    assert fill(note, raw, "when").year == 2024
    assert fill(note, raw, "tags") == [] and fill(note, raw, "tags") is note.tags
    assert fill(note, raw, "extra") == {"y": 2}
    with pytest.raises(AttributeError):
        fill(note, raw, "nope")


def test_a_class_with_validators_is_built_through_init() -> None:
    assert fields_of(Checked).fill() is None
    assert structure({"size": 3}, Checked).size == 3


def test_optional_lets_none_through_and_keeps_the_strict_check() -> None:
    def positive(value: Any, path: str) -> int:
        if not isinstance(value, int) or value <= 0:
            raise ValidationError(f"{path}: expected a positive integer")
        return value

    check = optional(positive)
    assert check(None, "n") is None
    assert check(2, "n") == 2
    with pytest.raises(ValidationError, match="n: expected a positive integer"):
        check(0, "n")
    assert check.__wrapped__ is positive  # type: ignore[attr-defined]


def test_create_body_defaults_omissions_and_checks() -> None:
    table = fields_of(Sample)
    special = {"attributes": lambda value, _: value}
    body = table.create_body({"name": "a.jpg", "attributes": {"image": {}}}, special)
    assert body == {"name": "a.jpg", "attributes": {"image": {}}, "priority": 0, "readme": ""}
    with pytest.raises(ValidationError, match="priority: expected a number"):
        table.create_body({"name": "a", "attributes": {}, "priority": "high"}, special)
    with pytest.raises(ValidationError, match="readme: expected a string"):
        # None is how an update clears readme; a create refuses it (the strict check).
        table.create_body({"name": "a", "attributes": {}, "readme": None}, special)
    with pytest.raises(ValidationError, match="name: required"):
        table.create_body({"attributes": {}}, special)


def test_create_body_can_list_every_problem() -> None:
    table = fields_of(Sample)
    with pytest.raises(ValidationError) as caught:
        table.create_body(
            {"name": "", "attributes": {}, "priority": "high"},
            {"attributes": lambda value, _: value},
            every_problem="Invalid sample",
        )
    assert [e.split(":")[0] for e in caught.value.errors] == ["name", "priority"]


def test_create_values_of_an_unsaved_object() -> None:
    sample = Sample(name="a.jpg", attributes={"image": {}}, readme=None, priority=None)
    assert fields_of(Sample).create_values(sample) == {
        "name": "a.jpg",
        "attributes": {"image": {}},
        "priority": 0,
        "readme": "",
    }


def test_dataset_create_defaults_are_the_table() -> None:
    creates = {spec.public: spec.create for spec in fields_of(Dataset).creates}
    assert creates["name"] is REQUIRED
    assert creates["enable_skip_labeling"] is True
    assert creates["enable_object_linking"] is None
    assert "use_timestamps_for_interpolation" not in creates
