"""Load/dump round trips of every model (no server): every field, exactly what was sent."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from types_payloads import (
    ANCHORS,
    LABEL_FOR_TASK,
    LABELS,
    SAMPLE_FOR_TASK,
    SAMPLES,
    TASK_ATTRIBUTES,
    fresh,
)

import segments_orm.types as sot
from segments_orm import _converter
from segments_orm.enums import TaskType
from segments_orm.exceptions import ValidationError
from segments_orm.types._base import Model

TASK_TYPES = [t.value for t in TaskType if t.value]


def exact(a: Any, b: Any) -> bool:
    """Equal, with the same key order and the same JSON types (1 is not 1.0 or True)."""
    return json.dumps(a) == json.dumps(b) and _same_types(a, b)


def _same_types(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same_types(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same_types(x, y) for x, y in zip(a, b))
    return bool(a == b)


def models_in(value: Any) -> set[type]:
    """Every model class reachable from a loaded value."""
    found: set[type] = set()
    if isinstance(value, Model):
        found.add(type(value))
        for field in attrs.fields(type(value)):
            found |= models_in(getattr(value, field.name))
    elif isinstance(value, list):
        for item in value:
            found |= models_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            found |= models_in(item)
    return found


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_label_of_every_task_type_round_trips(task_type: str) -> None:
    payload = fresh(LABELS[LABEL_FOR_TASK[task_type]])
    loaded = sot.load_label_attributes(task_type, payload)
    assert isinstance(loaded, sot.task_models(task_type).label)
    assert exact(sot.dump(loaded), payload)
    assert exact(loaded.to_json(), payload)
    assert exact(sot.load_label_attributes(task_type, sot.dump(loaded)).to_json(), payload)


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_sample_of_every_task_type_round_trips(task_type: str) -> None:
    payload = fresh(SAMPLES[SAMPLE_FOR_TASK[task_type]])
    loaded = sot.load_sample_attributes(task_type, payload)
    assert isinstance(loaded, sot.task_models(task_type).sample)
    assert exact(sot.dump(loaded), payload)


def test_task_attributes_round_trip() -> None:
    payload = fresh(TASK_ATTRIBUTES)
    loaded = sot.load_task_attributes(payload)
    assert isinstance(loaded, sot.TaskAttributes)
    assert exact(sot.dump(loaded), payload)
    assert loaded.category_ids() == {1, 2, 3}
    first = loaded.categories[0]
    assert first.extra == {"lock_dimensions": True}
    assert [type(a).__name__ for a in first.attributes] == [
        "SelectAttribute",
        "MultiselectAttribute",
        "TextAttribute",
        "NumberAttribute",
        "NumberAttribute",
        "CheckboxAttribute",
        "Vector3Attribute",
        "QuaternionAttribute",
        "PointsAttribute",
    ]
    assert [type(a).__name__ for a in first.link_attributes] == [
        "SelectLinkAttribute",
        "MultiselectLinkAttribute",
        "TextLinkAttribute",
        "NumberLinkAttribute",
        "CheckboxLinkAttribute",
    ]
    # None and [] differ for link restrictions (WIRE.md section 9) and both survive.
    assert first.link_category_restrictions == [2]
    assert loaded.categories[1].link_category_restrictions == []
    assert loaded.categories[2].link_category_restrictions is None
    assert "link_category_restrictions" not in sot.dump(loaded)["categories"][2]
    # The server's "" for an unset number limit is kept, not turned into null.
    assert first.attributes[4].min == ""
    assert [type(r).__name__ for r in loaded.warning_rules] == [
        "IntersectingCuboidsRule",
        "CuboidDimensionLimitsRule",
    ]
    assert loaded.extra == {"future_setting": {"nested": [1, 2]}}


@pytest.mark.parametrize("name", sorted(ANCHORS))
def test_issue_anchor_round_trips(name: str) -> None:
    payload = fresh(ANCHORS[name])
    loaded = sot.load_issue_anchor(payload)
    assert isinstance(loaded, Model)
    assert exact(sot.dump(loaded), payload)


def test_anchor_wire_names_become_python_names() -> None:
    track = sot.load_issue_anchor(fresh(ANCHORS["track"]))
    assert isinstance(track, sot.TrackAnchor)
    assert (track.track_number, track.track_attribute) == (5, "color")
    scene = sot.load_issue_anchor(fresh(ANCHORS["scene"]))
    assert isinstance(scene, sot.SceneAttributeAnchor)
    assert scene.scene_attribute == "weather"
    location = sot.load_issue_anchor(fresh(ANCHORS["location-3d"]))
    assert isinstance(location.location, sot.Coordinates3D)
    built = sot.TrackAnchor(track_number=2, frame=1)
    assert sot.dump(built) == {"type": "track", "trackNumber": 2, "frame": 1}


def test_every_model_is_exercised_by_the_payloads() -> None:
    seen: set[type] = set()
    for task_type in TASK_TYPES:
        seen |= models_in(
            sot.load_label_attributes(task_type, fresh(LABELS[LABEL_FOR_TASK[task_type]]))
        )
        seen |= models_in(
            sot.load_sample_attributes(task_type, fresh(SAMPLES[SAMPLE_FOR_TASK[task_type]]))
        )
    seen |= models_in(sot.load_task_attributes(fresh(TASK_ATTRIBUTES)))
    for anchor in ANCHORS.values():
        seen |= models_in(sot.load_issue_anchor(fresh(anchor)))
    public = {
        getattr(sot, name)
        for name in sot.__all__
        if isinstance(getattr(sot, name), type) and issubclass(getattr(sot, name), Model)
    }
    # Bases that are never on the wire themselves.
    public -= {Model, sot.AttributeDefinition, sot.ChoiceAttribute}
    assert public - seen == set()


def _owner(cls: type, name: str) -> type:
    """The class that declares a field (a redefinition makes the subclass its owner)."""
    for klass in cls.__mro__:
        if name in vars(klass).get("__annotations__", {}):
            return klass
    return cls


def test_every_field_of_every_model_is_present_in_some_payload() -> None:
    exercised: set[tuple[type, str]] = set()
    declared: set[tuple[type, str]] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Model):
            cls = type(value)
            for field in attrs.fields(cls):
                if not field.init or field.name == "extra":
                    continue
                owner = _owner(cls, field.name)
                declared.add((owner, field.name))
                if _converter.wire_name(field) in (value._wire_keys or ()):
                    exercised.add((owner, field.name))
                walk(getattr(value, field.name))
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for task_type in TASK_TYPES:
        walk(sot.load_label_attributes(task_type, fresh(LABELS[LABEL_FOR_TASK[task_type]])))
        walk(sot.load_sample_attributes(task_type, fresh(SAMPLES[SAMPLE_FOR_TASK[task_type]])))
    walk(sot.load_task_attributes(fresh(TASK_ATTRIBUTES)))
    for anchor in ANCHORS.values():
        walk(sot.load_issue_anchor(fresh(anchor)))
    missing = sorted(f"{cls.__name__}.{name}" for cls, name in declared - exercised)
    assert missing == [], missing


def test_loaded_values_keep_their_exact_types() -> None:
    payload = fresh(LABELS["pointcloud-cuboid"])
    loaded = sot.load_label_attributes("pointcloud-cuboid", payload)
    cuboid = loaded.annotations[1]
    assert type(cuboid.position.x) is int  # an int where a float is allowed stays an int
    assert cuboid.velocity.relative is None
    assert "relative" in sot.dump(cuboid.velocity)  # an explicit null is kept
    assert "relative" not in sot.dump(cuboid.acceleration)  # an absent key stays absent
    assert cuboid.type is sot.CuboidType.CUBOID_SYNC
    assert type(sot.dump(cuboid)["type"]) is str  # enums go back as plain strings


def test_unknown_enum_values_are_kept_as_text() -> None:
    payload = {"pcd": {"url": "u", "type": "e57"}}
    loaded = sot.load_sample_attributes("pointcloud-cuboid", payload)
    assert isinstance(loaded, sot.PointcloudSampleAttributes)
    assert loaded.pcd.type == "e57"
    assert sot.dump(loaded) == payload


def test_edits_are_dumped_and_untouched_keys_are_not_invented() -> None:
    payload = {
        "annotations": [{"id": 1, "category_id": 1, "type": "bbox", "points": [[0, 0], [1, 1]]}]
    }
    loaded = sot.load_label_attributes("bboxes", fresh(payload))
    assert sot.dump(loaded) == payload  # no image_attributes/links/format_version added
    loaded.annotations[0].attributes = {"color": "blue"}
    loaded.annotations.append(sot.bbox(2, 2, 3, 3, id=2, category_id=1))
    loaded.extra["source"] = "model-v2"
    loaded.format_version = "0.1"
    assert sot.dump(loaded) == {
        "annotations": [
            {
                "id": 1,
                "category_id": 1,
                "type": "bbox",
                "points": [[0, 0], [1, 1]],
                "attributes": {"color": "blue"},
            },
            {"id": 2, "category_id": 1, "type": "bbox", "points": [[2, 2], [3, 3]]},
        ],
        "format_version": "0.1",
        "source": "model-v2",
    }


def test_defaults_absent_on_load_stay_absent_but_set_values_are_sent() -> None:
    payload = {
        "frames": [
            {
                "annotations": [
                    {
                        "id": 1,
                        "category_id": 1,
                        "type": "bbox",
                        "points": [[0, 0], [1, 1]],
                        "track_id": 1,
                    }
                ]
            }
        ]
    }
    loaded = sot.load_label_attributes("image-vector-sequence", fresh(payload))
    annotation = loaded.frames[0].annotations[0]
    assert annotation.is_keyframe is False
    assert sot.dump(loaded) == payload
    annotation.is_keyframe = True
    assert sot.dump(annotation)["is_keyframe"] is True


def test_models_built_in_python_dump_every_set_field() -> None:
    label = sot.PointcloudCuboidLabelAttributes(
        annotations=[sot.cuboid((1, 2, 3), (4, 5, 6), 0.5, id=1, category_id=2)],
        links=[sot.Link(from_id=1, to_id=2)],
        extra={"note": "kept"},
    )
    assert sot.dump(label) == {
        "annotations": [
            {
                "id": 1,
                "category_id": 2,
                "type": "cuboid",
                "position": {"x": 1, "y": 2, "z": 3},
                "dimensions": {"x": 4, "y": 5, "z": 6},
                "yaw": 0.5,
            }
        ],
        "links": [{"from_id": 1, "to_id": 2}],
        "note": "kept",
    }
    height = sot.HeightMap(url="h")
    # offset and scale are always sent: the server applies no defaults (WIRE.md section 6).
    assert sot.dump(height) == {"url": "h", "encoding": "rgb16", "offset": 0, "scale": 1}


def test_data_that_does_not_fit_is_returned_unchanged() -> None:
    for task_type, data in [
        ("bboxes", {"annotations": [{"id": 1, "category_id": 1, "type": "bbox"}]}),  # no points
        ("bboxes", {"annotations": {"id": 1}}),
        ("bboxes", []),
        ("bboxes", "text"),
        ("pointcloud-vector", {"annotations": [{"id": 1, "category_id": 1, "type": "circle"}]}),
        (
            "multisensor-sequence",
            {"sensors": [{"name": "x", "task_type": "bboxes", "attributes": []}]},
        ),
        (
            "image-vector-sequence",
            {
                "frames": [
                    {
                        "annotations": [
                            {"id": 1, "category_id": 1, "type": "bbox", "points": [[0, 0], [1, 1]]}
                        ]
                    }
                ]
            },
        ),
        ("no-such-task", {"annotations": []}),
    ]:
        assert sot.load_label_attributes(task_type, data) is data
    assert sot.load_label_attributes("bboxes", None) is None
    assert sot.load_task_attributes([1, 2]) == [1, 2]
    assert sot.load_issue_anchor({"type": "somewhere"}) == {"type": "somewhere"}


def test_loading_a_model_returns_it() -> None:
    label = sot.ImageVectorLabelAttributes(annotations=[])
    assert sot.load_label_attributes("bboxes", label) is label


def test_dump_passes_raw_data_through() -> None:
    raw = {"anything": [1, 2.5, None]}
    assert sot.dump(raw) is raw
    assert sot.dump(None) is None


def test_loads_do_not_copy_leaf_data() -> None:
    payload = fresh(LABELS["bboxes"])
    loaded = sot.load_label_attributes("bboxes", payload)
    assert loaded.annotations[0].points is payload["annotations"][0]["points"]


def test_the_shared_converter_structures_and_unstructures_models() -> None:
    payload = fresh(LABELS["pointcloud-vector"])
    loaded = _converter.structure(payload, sot.PointcloudVectorLabelAttributes)
    assert isinstance(loaded, sot.PointcloudVectorLabelAttributes)
    assert exact(_converter.unstructure(loaded), payload)


def test_from_json_checks_then_builds() -> None:
    built = sot.XYZ.from_json({"x": 1, "y": 2, "z": 3})
    assert built == sot.XYZ(x=1, y=2, z=3)
    with pytest.raises(ValidationError) as caught:
        sot.XYZ.from_json({"x": "1", "y": 2})
    assert "z: required" in str(caught.value)


def test_task_models_map() -> None:
    assert sot.task_models("bboxes").label is sot.ImageVectorLabelAttributes
    assert sot.task_models(TaskType.KEYPOINTS).sample is sot.ImageSampleAttributes
    assert sot.task_models("multisensor-sequence").label is sot.MultiSensorLabelAttributes
    assert (
        sot.task_models("pointcloud-vector-sequence").sample
        is sot.PointcloudSequenceSampleAttributes
    )
    assert {sot.task_models(t).task_type.value for t in TASK_TYPES} == set(TASK_TYPES)
