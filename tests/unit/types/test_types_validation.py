"""Strict writes: every problem reported at once, each with its path."""

from __future__ import annotations

import math
from typing import Any, Callable

import pytest
from types_payloads import LABEL_FOR_TASK, LABELS, SAMPLE_FOR_TASK, SAMPLES, TASK_ATTRIBUTES, fresh

import segments_orm.types as sot
from segments_orm.enums import TaskType
from segments_orm.exceptions import ValidationError

TASK_TYPES = [t.value for t in TaskType if t.value]


def problems(call: Callable[[], Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        call()
    error = caught.value
    # One error whose message lists every problem under a heading.
    assert f"({len(error.errors)} problem" in str(error)
    for line in error.errors:
        assert line in str(error)
    return error.errors


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_valid_labels_and_samples_pass_unchanged(task_type: str) -> None:
    label = fresh(LABELS[LABEL_FOR_TASK[task_type]])
    assert sot.prepare_label_attributes(task_type, label, categories=[1, 2, 3]) == label
    sample = fresh(SAMPLES[SAMPLE_FOR_TASK[task_type]])
    assert sot.prepare_sample_attributes(task_type, sample) == sample


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_a_loaded_model_validates_through_its_dump(task_type: str) -> None:
    label = fresh(LABELS[LABEL_FOR_TASK[task_type]])
    loaded = sot.load_label_attributes(task_type, fresh(label))
    assert sot.prepare_label_attributes(task_type, loaded) == label


def _vector(**changes: Any) -> dict[str, Any]:
    base = {"id": 1, "category_id": 1, "type": "bbox", "points": [[0, 0], [1, 1]]}
    return {**base, **changes}


def _cuboid(**changes: Any) -> dict[str, Any]:
    base = {
        "id": 1,
        "category_id": 1,
        "type": "cuboid",
        "position": {"x": 0, "y": 0, "z": 0},
        "dimensions": {"x": 1, "y": 1, "z": 1},
        "yaw": 0,
    }
    return {**base, **changes}


# task type -> (broken label, the problems expected, in order)
BROKEN_LABELS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "bboxes": (
        {
            "annotations": [
                _vector(id="x"),
                _vector(id=2, category_id=7),
                _vector(id=3, points=[[0, 0]]),
                _vector(id=3, type="box"),
            ]
        },
        [
            "annotations[0].id: expected an integer, got 'x'",
            "annotations[1].category_id: 7 is not a category of this dataset",
            "annotations[2].points: a bbox has exactly 2 points (top-left, bottom-right), got 1",
            "annotations[3].type: 'box' is not one of 'bbox', 'polygon', 'polyline', 'point'",
            "annotations[3].id: duplicate annotation id 3 (also annotations[2])",
        ],
    ),
    "vector": (
        {
            "annotations": [
                _vector(type="polygon", points=[[0, 0], [1, 1]]),
                _vector(id=2, type="point", points=[[0, math.nan]]),
                _vector(id=3, type="polyline", points=[[0, 0, 0], [1, 1]]),
            ],
            "links": [{"from_id": 1}],
        },
        [
            "annotations[0].points: a polygon has at least 3 points, got 2",
            "annotations[1].points[0][1]: "
            "NaN and Infinity are not allowed (JSON has no such numbers)",
            "annotations[2].points[0]: a point is [x, y] (2 numbers), got 3",
            "links[0].to_id: required",
        ],
    ),
    "keypoints": (
        {
            "annotations": [_vector(type="point", points=[[1, 2], [3, 4]], attributes=[1])],
            "image_attributes": {"x": math.inf},
            "format_version": None,
        },
        [
            "annotations[0].attributes: expected an object, got a list",
            "annotations[0].points: a point has exactly 1 point, got 2",
            "image_attributes.x: NaN and Infinity are not allowed (JSON has no such numbers)",
        ],
    ),
    "segmentation-bitmap": (
        {"annotations": [{"id": 1}, {"id": 1, "category_id": True}], "segmentation_bitmap": {}},
        [
            "annotations[0].category_id: required",
            "annotations[1].category_id: expected an integer, got true",
            "annotations[1].id: duplicate annotation id 1 (also annotations[0])",
            "segmentation_bitmap.url: required",
        ],
    ),
    "segmentation-bitmap-highres": (
        {"annotations": None},
        ["annotations: must not be null", "segmentation_bitmap: required"],
    ),
    "image-vector-sequence": (
        {
            "frames": [
                {"annotations": [_vector(track_id=1)]},
                {"annotations": [_vector(is_keyframe="yes", track_id=1)]},
                {"annotations": [_vector()], "timestamp": [1]},
            ]
        },
        [
            "frames[1].annotations[0].is_keyframe: expected true or false, got 'yes'",
            "frames[2].annotations[0].track_id: required in a sequence",
            "frames[2].timestamp: expected a string, an integer or a number, got a list",
        ],
    ),
    "image-segmentation-sequence": (
        {
            "frames": [
                {"annotations": [{"id": 1, "category_id": 9}], "segmentation_bitmap": {"url": 5}}
            ],
            "format_version": {},
        },
        [
            "frames[0].annotations[0].category_id: 9 is not a category of this dataset",
            "frames[0].annotations[0].track_id: required in a sequence",
            "frames[0].segmentation_bitmap.url: expected a string, got 5",
            "format_version: expected a string or a number, got an object",
        ],
    ),
    "pointcloud-cuboid": (
        {
            "annotations": [
                _cuboid(position={"x": 0, "y": 0}),
                _cuboid(id=2, type="box"),
                _cuboid(id=3, yaw="north", velocity={"relative": 1}),
            ]
        },
        [
            "annotations[0].position.z: required",
            "annotations[1].type: 'box' is not one of 'cuboid', 'cuboid-sync'",
            "annotations[2].yaw: expected a number, got 'north'",
            "annotations[2].velocity.absolute: required",
        ],
    ),
    "pointcloud-vector": (
        {
            "annotations": [
                {
                    "id": 1,
                    "category_id": 1,
                    "type": "polygon",
                    "points": [[0, 0], [1, 1, 1], [2, 2, 2]],
                },
                {"id": 2, "category_id": 1, "type": "bbox", "points": []},
                {"id": 3, "category_id": 1, "points": []},
                _cuboid(id=4, dimensions=None),
            ]
        },
        [
            "annotations[0].points[0]: a point is [x, y, z] (3 numbers), got 2",
            "annotations[1].type: "
            "'bbox' is not one of 'polygon', 'polyline', 'point', 'cuboid', 'cuboid-sync'",
            "annotations[2].type: required",
            "annotations[3].dimensions: must not be null",
        ],
    ),
    "pointcloud-segmentation": (
        {"annotations": [{"id": 1, "category_id": 1}], "point_annotations": [0, 1, "2", 1.5]},
        [
            "point_annotations[2]: expected an integer, got '2'",
            "point_annotations[3]: expected an integer, got 1.5",
        ],
    ),
    "pointcloud-cuboid-sequence": (
        {
            "frames": [
                {"annotations": [_cuboid(), _cuboid(track_id=2)]},
                {"annotations": [_cuboid(track_id=1.0)]},
            ],
            "links": [{"from_id": 1, "to_id": 2, "frames": [{"attributes": None}]}],
        },
        [
            "frames[0].annotations[0].track_id: required in a sequence",
            "frames[0].annotations[1].id: "
            "duplicate annotation id 1 (also frames[0].annotations[0])",
            "frames[1].annotations[0].track_id: expected an integer, got 1.0",
            "links[0].frames[0].attributes: must not be null",
        ],
    ),
    "pointcloud-vector-sequence": (
        {
            "frames": [
                {
                    "annotations": [
                        {
                            "id": 1,
                            "category_id": 1,
                            "type": "point",
                            "points": [[0, 0, 0]],
                            "track_id": 1,
                        },
                        {"id": 2, "category_id": 1, "type": "polyline", "points": [[0, 0, 0]]},
                        _cuboid(id=3, track_id=3, is_keyframe=None),
                    ]
                }
            ]
        },
        [
            "frames[0].annotations[1].track_id: required in a sequence",
            "frames[0].annotations[1].points: a polyline has at least 2 points, got 1",
            "frames[0].annotations[2].is_keyframe: must not be null",
        ],
    ),
    "pointcloud-segmentation-sequence": (
        {"frames": [{"annotations": [{"id": 1, "category_id": 1}]}, "frame"]},
        [
            "frames[0].annotations[0].track_id: required in a sequence",
            "frames[0].point_annotations: required",
            "frames[1]: expected an object, got 'frame'",
        ],
    ),
    "multisensor-sequence": (
        {
            "sensors": [
                {
                    "name": "Lidar",
                    "task_type": "pointcloud-cuboid-sequence",
                    "attributes": {"frames": [{"annotations": [_cuboid()]}]},
                },
                {
                    "name": "Camera",
                    "task_type": "image-vector-sequence",
                    "attributes": {
                        "frames": [{"annotations": [_vector(type="cuboid", track_id=1)]}]
                    },
                },
                {"name": "Other", "task_type": "bboxes", "attributes": []},
                {"task_type": "image-segmentation-sequence", "attributes": []},
            ]
        },
        [
            "sensors[0].attributes.frames[0].annotations[0].track_id: required in a sequence",
            "sensors[1].attributes.frames[0].annotations[0].type: "
            "'cuboid' is not one of 'bbox', 'polygon', 'polyline', 'point'",
            "sensors[2].task_type: 'bboxes' is not one of 'pointcloud-cuboid-sequence', "
            "'pointcloud-vector-sequence', 'pointcloud-segmentation-sequence', "
            "'image-vector-sequence', 'image-segmentation-sequence'",
            "sensors[3].name: required",
        ],
    ),
}


def test_every_task_type_has_a_broken_label() -> None:
    assert set(BROKEN_LABELS) == set(TASK_TYPES)


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_every_mistake_is_reported_with_its_path(task_type: str) -> None:
    label, expected = BROKEN_LABELS[task_type]
    found = problems(lambda: sot.prepare_label_attributes(task_type, label, categories={1, 2, 3}))
    assert found == expected


def test_the_heading_says_what_was_validated() -> None:
    label, _ = BROKEN_LABELS["bboxes"]
    with pytest.raises(ValidationError) as caught:
        sot.prepare_label_attributes("bboxes", label, categories=[1])
    assert str(caught.value).startswith(
        "Invalid label attributes for a 'bboxes' dataset (5 problems):\n"
        "  annotations[0].id: expected an integer, got 'x'\n"
    )


def test_categories_are_only_checked_when_known() -> None:
    label = {"annotations": [_vector(category_id=99)]}
    assert sot.prepare_label_attributes("bboxes", label) == label
    assert problems(lambda: sot.prepare_label_attributes("bboxes", label, categories=[])) == [
        "annotations[0].category_id: 99 is not a category of this dataset"
    ]


def test_unknown_keys_are_kept_and_sent() -> None:
    label = {
        "annotations": [_vector(index=4, note={"by": "model"})],
        "source": "v2",
        "links": [{"from_id": 1, "to_id": 2, "weight": 3}],
    }
    assert sot.prepare_label_attributes("bboxes", label) == label


def test_unknown_keys_must_still_be_json() -> None:
    label = {"annotations": [], "extra score": math.nan, 3: "x", "when": object()}
    assert problems(lambda: sot.prepare_label_attributes("bboxes", label)) == [
        "['extra score']: NaN and Infinity are not allowed (JSON has no such numbers)",
        "(top level): object keys must be strings, got 3",
        "when: expected JSON data, got an object",
    ]


def test_models_and_dicts_mix_and_come_back_as_plain_json() -> None:
    annotation = sot.bbox(0, 0, 10, 20, id=1, category_id=1)
    result = sot.prepare_label_attributes("bboxes", {"annotations": [annotation]})
    assert result == {
        "annotations": [{"id": 1, "category_id": 1, "type": "bbox", "points": [[0, 0], [10, 20]]}]
    }
    assert type(result["annotations"][0]["type"]) is str


def test_tuples_and_numpy_values_are_accepted() -> None:
    np = pytest.importorskip("numpy")
    label = {
        "annotations": [
            {
                "id": np.int64(1),
                "category_id": 1,
                "type": "bbox",
                "points": np.array([[0.5, 1], [2, 3]]),
            }
        ],
        "point_annotations": None,
    }
    result = sot.prepare_label_attributes("bboxes", label)
    assert result["annotations"][0] == {
        "id": 1,
        "category_id": 1,
        "type": "bbox",
        "points": [[0.5, 1.0], [2.0, 3.0]],
    }
    assert type(result["annotations"][0]["id"]) is int
    sample = sot.prepare_sample_attributes(
        "pointcloud-cuboid", {"pcd": {"url": "u", "type": "pcd"}, "default_z": (1.5)}
    )
    assert sample["default_z"] == 1.5


def test_a_model_of_the_wrong_shape_is_named() -> None:
    cuboids = sot.PointcloudCuboidLabelAttributes(annotations=[])
    found = problems(lambda: sot.prepare_label_attributes("bboxes", cuboids))
    assert found[0] == (
        "(top level): got PointcloudCuboidLabelAttributes, but this takes "
        "ImageVectorLabelAttributes (or a dict)"
    )


def test_not_an_object_at_all() -> None:
    assert problems(lambda: sot.prepare_label_attributes("bboxes", [1, 2])) == [
        "(top level): expected an object or a model, got list"
    ]


def test_unknown_task_type_names_the_known_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        sot.prepare_label_attributes("bbox", {"annotations": []})
    assert "'bboxes'" in str(caught.value)
    assert "'multisensor-sequence'" in str(caught.value)
    with pytest.raises(ValidationError):
        sot.task_models("")


@pytest.mark.parametrize(
    ("task_type", "sample", "expected"),
    [
        ("bboxes", {"image": {"signed_url": "s"}}, ["image.url: required"]),
        ("bboxes", {"images": {"url": "u"}}, ["image: required"]),
        (
            "image-vector-sequence",
            {"frames": [{"image": {"url": "a"}, "timestamp": None}, {"image": None, "name": 3}]},
            ["frames[1].image: must not be null", "frames[1].name: expected a string, got 3"],
        ),
        (
            "pointcloud-cuboid",
            {
                "pcd": {"url": "u", "type": "xyz"},
                "images": [
                    {
                        "url": "c",
                        "camera_convention": "opencv",
                        "intrinsics": {"intrinsic_matrix": [[1, 0], [0, 1]]},
                        "distortion": {"model": "fisheye", "coefficients": {"k1": 1}},
                    }
                ],
                "ortho_images": [
                    {"url": "o", "corners": {}, "height_map": {"url": "h", "scale": 0}}
                ],
                "ego_pose": {"position": {"x": 0, "y": 0, "z": 0}, "heading": {"qw": "1"}},
            },
            [
                "pcd.type: 'xyz' is not one of 'pcd', 'binary-xyzi', 'kitti', 'binary-xyzir', "
                "'nuscenes', 'ply', 'las', 'splat'",
                "images[0].intrinsics.intrinsic_matrix: must be a 3x3 matrix (3 rows of 3 numbers)",
                "images[0].distortion.coefficients.k2: required",
                "images[0].distortion.coefficients.k3: required",
                "images[0].distortion.coefficients.k4: required",
                "images[0].camera_convention: 'opencv' is not one of 'OpenCV', 'OpenGL'",
                "ego_pose.heading.qx: required",
                "ego_pose.heading.qy: required",
                "ego_pose.heading.qz: required",
                "ego_pose.heading.qw: expected a number, got '1'",
                "ortho_images[0].corners.top_left: required",
                "ortho_images[0].corners.top_right: required",
                "ortho_images[0].corners.bottom_right: required",
                "ortho_images[0].corners.bottom_left: required",
                "ortho_images[0].height_map.scale: must be above 0, got 0",
            ],
        ),
        (
            "multisensor-sequence",
            {
                "sensors": [
                    {
                        "name": "Lidar",
                        "task_type": "image-vector-sequence",
                        "attributes": {"frames": [{"pcd": {"url": "u", "type": "pcd"}}]},
                    },
                    {
                        "name": "Camera",
                        "task_type": "pointcloud-cuboid-sequence",
                        "attributes": {"frames": [{"image": {"url": "u"}}]},
                    },
                ]
            },
            [
                "sensors[0].attributes.frames[0].image: required",
                "sensors[1].attributes.frames[0].pcd: required",
            ],
        ),
    ],
)
def test_sample_mistakes(task_type: str, sample: dict[str, Any], expected: list[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        sot.prepare_sample_attributes(task_type, sample)
    assert caught.value.errors == expected
    assert str(caught.value).startswith(f"Invalid sample attributes for a {task_type!r} dataset")


def test_task_attributes_valid_and_broken() -> None:
    assert sot.prepare_task_attributes(fresh(TASK_ATTRIBUTES)) == TASK_ATTRIBUTES
    broken = {
        "categories": [
            {
                "name": "car",
                "id": 1,
                "color": [0, 0, 300],
                "attributes": [
                    {
                        "name": "color",
                        "input_type": "select",
                        "values": ["red"],
                        "default_value": "blue",
                    },
                    {"name": "size", "input_type": "slider"},
                    {"input_type": "number", "min": "low"},
                ],
            },
            {"name": "bus", "id": 1, "color": [1, 2]},
            {"id": 3},
        ],
        "warning_rules": [{"name": "too-many-cuboids"}],
    }
    assert problems(lambda: sot.prepare_task_attributes(broken)) == [
        "categories[0].attributes[0].default_value: 'blue' is not one of the values",
        "categories[0].attributes[1].input_type: 'slider' is not one of 'select', 'multiselect', "
        "'text', 'number', 'checkbox', 'vector3', 'quaternion', 'points'",
        "categories[0].attributes[2].name: required",
        "categories[0].attributes[2].min: expected a number or '', got 'low'",
        "categories[0].color: color values are 0 to 255",
        "categories[1].color: a color is [r, g, b] or [r, g, b, a], got 2 values",
        "categories[2].name: required",
        "categories[1].id: duplicate category id 1 (also categories[0])",
        "warning_rules[0].name: 'too-many-cuboids' is not one of 'intersecting-cuboids', "
        "'cuboid-dimension-limits'",
    ]


def test_issue_anchors_valid_and_broken() -> None:
    anchor = {"type": "location", "location": {"type": "3d", "x": 1, "y": 2, "z": 3}, "frame": 1}
    assert sot.prepare_issue_anchor(anchor) == anchor
    assert sot.prepare_issue_anchor(sot.TrackAnchor(track_number=4)) == {
        "type": "track",
        "trackNumber": 4,
    }
    assert problems(lambda: sot.prepare_issue_anchor({"type": "track", "frame": "1"})) == [
        "trackNumber: required",
        "frame: expected an integer, got '1'",
    ]
    assert problems(
        lambda: sot.prepare_issue_anchor({"type": "location", "location": {"type": "2d"}})
    ) == [
        "location.x: required",
        "location.y: required",
    ]
    assert problems(lambda: sot.prepare_issue_anchor({"frame": 1})) == ["type: required"]


def test_huge_lists_do_not_make_huge_messages() -> None:
    label = {"annotations": [], "point_annotations": ["x"] * 100_000}
    found = problems(lambda: sot.prepare_label_attributes("pointcloud-segmentation", label))
    assert len(found) == 11
    assert found[-1] == "point_annotations: further items of this list were not checked"


def test_an_extra_key_shadowed_by_a_field_is_reported_not_dropped() -> None:
    box = sot.bbox(0, 0, 1, 1, id=1, category_id=1)
    box.extra.update({"id": 5, "note": "kept"})
    found = problems(lambda: sot.prepare_label_attributes("bboxes", {"annotations": [box]}))
    assert found == [
        "annotations[0].id: given both as a field and in extra; "
        "remove it from ImageVectorAnnotation.extra"
    ]


def test_a_union_is_described_the_same_whatever_order_typing_hands_back() -> None:
    # typing treats Union[str, float] and Union[float, str] as equal and caches them as
    # one, so the order a message names its kinds in must not come from the annotation:
    # it would depend on which module wrote the union first (the platform's client does).
    from typing import Optional, Union

    from segments_orm.types._base import kind_of

    assert kind_of(Union[float, str]).description == "a string or a number"
    assert kind_of(Union[str, float]).description == "a string or a number"
    assert (
        kind_of(Optional[Union[bool, float, int]]).description
        == "an integer, a number or true or false or null"
    )
