"""The small builders users otherwise write by hand: bbox and cuboid."""

from __future__ import annotations

import pytest

import segments_orm.types as sot
from segments_orm.exceptions import ValidationError


def test_bbox_orders_its_corners() -> None:
    box = sot.bbox(50, 40, 10, 20, id=3, category_id=2, attributes={"truncated": True})
    assert isinstance(box, sot.ImageVectorAnnotation)
    assert sot.dump(box) == {
        "id": 3,
        "category_id": 2,
        "type": "bbox",
        "points": [[10, 20], [50, 40]],
        "attributes": {"truncated": True},
    }
    assert sot.prepare_label_attributes("bboxes", {"annotations": [box]}, categories=[2])


def test_bbox_in_a_sequence() -> None:
    box = sot.bbox(0, 0, 1, 1, id=1, category_id=1, track_id=7, is_keyframe=True)
    assert isinstance(box, sot.ImageSequenceVectorAnnotation)
    assert (box.track_id, box.is_keyframe) == (7, True)
    label = sot.ImageSequenceVectorLabelAttributes(frames=[sot.ImageVectorFrame(annotations=[box])])
    assert (
        sot.prepare_label_attributes("image-vector-sequence", label)["frames"][0]["annotations"][0][
            "track_id"
        ]
        == 7
    )


def test_keyframe_needs_a_track() -> None:
    with pytest.raises(ValidationError, match="is_keyframe"):
        sot.bbox(0, 0, 1, 1, id=1, category_id=1, is_keyframe=True)  # type: ignore[call-overload]


def test_cuboid_accepts_tuples_mappings_and_models() -> None:
    box = sot.cuboid(
        (1, 2, 3),
        {"x": 4, "y": 5, "z": 6},
        1.57,
        id=1,
        category_id=1,
        type="cuboid-sync",
        rotation=sot.Quaternion(qx=0, qy=0, qz=0, qw=1),
    )
    assert isinstance(box, sot.PointcloudCuboidAnnotation)
    assert box.position == sot.XYZ(x=1, y=2, z=3)
    assert box.type is sot.CuboidType.CUBOID_SYNC
    assert sot.dump(box)["rotation"] == {"qx": 0, "qy": 0, "qz": 0, "qw": 1}
    tracked = sot.cuboid(sot.XYZ(x=0, y=0, z=0), [1, 1, 1], 0, id=2, category_id=1, track_id=4)
    assert isinstance(tracked, sot.PointcloudSequenceCuboidAnnotation)
    assert sot.dump(tracked)["track_id"] == 4
    with pytest.raises(ValidationError, match=r"position: expected 3 numbers"):
        sot.cuboid((1, 2), (1, 1, 1), 0, id=1, category_id=1)
    with pytest.raises(ValidationError, match=r"z: required"):
        sot.cuboid((1, 2, 3), {"x": 1, "y": 1}, 0, id=1, category_id=1)
