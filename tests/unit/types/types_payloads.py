"""Wire payloads that exercise every field of every model, one per shape.

Composed from WIRE.md sections 4, 6, 7 and 9 (and the platform docs' extras: links,
track_id on image vectors, the sequence index), with ints where floats are allowed,
explicit nulls and unknown keys, so a round trip that coerces or drops anything fails.
"""

from __future__ import annotations

import copy
from typing import Any

URL = {"url": "https://assets.example/a.png", "signed_url": None}
ATTRS = {"color": "red", "occluded": True, "count": 3, "score": 0.5, "tags": ["a"], "n": None}
LINKS = [
    {"from_id": 1, "to_id": 2, "attributes": {"relation": "tows"}},
    {"from_id": 2, "to_id": 1, "frames": [{"attributes": {"visible": True}}, {"attributes": {}}]},
]
CALIBRATED = {
    "url": "https://assets.example/cam.jpg",
    "signed_url": None,
    "row": 0,
    "col": 1,
    "intrinsics": {"intrinsic_matrix": [[1000, 0, 640.5], [0, 1000, 360], [0, 0, 1]]},
    "extrinsics": {
        "translation": {"x": 0.1, "y": 0, "z": 1.5},
        "rotation": {"qx": 0, "qy": 0, "qz": 0, "qw": 1},
    },
    "distortion": {
        "model": "brown-conrady",
        "coefficients": {
            "k1": 0.1,
            "k2": 0,
            "p1": 0,
            "p2": 0,
            "k3": 0,
            "k4": None,
            "k5": 0.5,
            "k6": 1,
        },
    },
    "camera_convention": "OpenCV",
    "name": "front",
    "rotation": 0,
}
FISHEYE = {
    "url": "https://assets.example/fish.jpg",
    "distortion": {"model": "fisheye", "coefficients": {"k1": 1, "k2": 2, "k3": 3, "k4": 4.5}},
}
ORTHO = {
    "url": "https://assets.example/ortho.png",
    "signed_url": None,
    "corners": {
        "top_left": {"x": 0, "y": 10},
        "top_right": {"x": 10, "y": 10},
        "bottom_right": {"x": 10, "y": 0},
        "bottom_left": {"x": 0, "y": 0.5},
    },
    "height_map": {
        "url": "https://assets.example/height.png",
        "encoding": "rgb16",
        "offset": -2,
        "scale": 0.01,
        "signed_url": None,
    },
}
POINTCLOUD = {
    "pcd": {"url": "https://assets.example/cloud.pcd", "type": "kitti", "signed_url": None},
    "images": [CALIBRATED, FISHEYE],
    "ego_pose": {
        "position": {"x": 0, "y": 0, "z": 0},
        "heading": {"qx": 0, "qy": 0, "qz": 0, "qw": 1},
    },
    "default_z": -1,
    "name": "test_name",
    "timestamp": 1000,
    "bounds": {"min_x": -50, "max_x": 50.5, "min_y": None, "max_y": 1, "min_z": -3, "max_z": 3},
    "ortho_images": [ORTHO],
    "lidar_model": "vlp-16",
}

SAMPLES: dict[str, dict[str, Any]] = {
    "image": {"image": URL, "camera": "nikon"},
    "image-sequence": {
        "frames": [
            {"image": {"url": "https://assets.example/0.jpg"}, "name": "0", "timestamp": 0},
            {"image": {"url": ""}, "name": None, "timestamp": "2024-01-01T00:00:00Z"},
            {"image": URL, "timestamp": 1.5, "exposure": 3},
        ]
    },
    "pointcloud": POINTCLOUD,
    "pointcloud-sequence": {
        "frames": [POINTCLOUD, {"pcd": {"url": "u", "type": "pcd"}, "timestamp": 2.5}],
        "ortho_images": [ORTHO],
    },
    "multisensor": {
        "sensors": [
            {
                "name": "Lidar",
                "task_type": "pointcloud-cuboid-sequence",
                "attributes": {"frames": [{"pcd": {"url": "u", "type": "binary-xyzi"}}]},
            },
            {
                "name": "Camera 1",
                "task_type": "image-vector-sequence",
                "attributes": {"frames": [{"image": {"url": "a"}}]},
            },
            {
                "name": "Camera 2",
                "task_type": "image-segmentation-sequence",
                "attributes": {"frames": [{"image": {"url": "b"}}]},
            },
        ]
    },
}

SEG_ANNOTATIONS = [
    {"id": 1, "category_id": 1, "attributes": ATTRS},
    {"id": 2, "category_id": 2, "attributes": None},
    {"id": 3, "category_id": 1},
]
VECTOR_ANNOTATIONS = [
    {
        "id": 1,
        "category_id": 1,
        "type": "bbox",
        "points": [[12.3, 56.7], [90, 134]],
        "attributes": ATTRS,
        "track_id": 4,
    },
    {"id": 2, "category_id": 2, "type": "polygon", "points": [[0, 0], [1, 0], [1, 1.5]]},
    {"id": 3, "category_id": 1, "type": "polyline", "points": [[0, 0], [5, 5]], "attributes": None},
    {"id": 4, "category_id": 1, "type": "point", "points": [[3, 4]], "visible": False},
]
CUBOID = {
    "id": 1,
    "category_id": 1,
    "type": "cuboid",
    "position": {"x": 0.0, "y": 0.2, "z": 0.5},
    "dimensions": {"x": 1.2, "y": 1, "z": 1},
    "yaw": 1.63,
}
CUBOID_FULL = {
    "id": 2,
    "category_id": 2,
    "type": "cuboid-sync",
    "position": {"x": 1, "y": 2, "z": 3},
    "dimensions": {"x": 4, "y": 2, "z": 1.5},
    "yaw": 0,
    "rotation": {"qx": 0, "qy": 0, "qz": 0.7071, "qw": 0.7071},
    "attributes": ATTRS,
    "velocity": {"absolute": 3, "relative": None},
    "acceleration": {"absolute": 0.5},
}
PC_VECTORS = [
    {"id": 3, "category_id": 1, "type": "polygon", "points": [[0, 0, 0], [1, 0, 0], [1, 1, 0.5]]},
    {
        "id": 4,
        "category_id": 2,
        "type": "polyline",
        "points": [[0, 0, 0], [1, 1, 1]],
        "attributes": ATTRS,
    },
    {"id": 5, "category_id": 1, "type": "point", "points": [[1, 2, 3]]},
]


def _tracked(annotation: dict[str, Any], track_id: int, **more: Any) -> dict[str, Any]:
    return {**annotation, "track_id": track_id, **more}


LABELS: dict[str, dict[str, Any]] = {
    "segmentation-bitmap": {
        "format_version": "0.1",
        "annotations": SEG_ANNOTATIONS,
        "segmentation_bitmap": URL,
        "image_attributes": {"scene_type": "crossroads", "weather": "sunny", "isRaining": True},
        "reviewer_note": None,
    },
    "bboxes": {
        "format_version": 0.1,
        "annotations": VECTOR_ANNOTATIONS,
        "image_attributes": None,
        "links": LINKS,
    },
    "image-vector-sequence": {
        "format_version": "0.2",
        "frames": [
            {
                "format_version": "0.2",
                "timestamp": 0,
                "image_attributes": {"weather": "rain"},
                "annotations": [
                    _tracked(VECTOR_ANNOTATIONS[0], 6, is_keyframe=True, index=0),
                    _tracked(VECTOR_ANNOTATIONS[1], 7),
                ],
            },
            {"annotations": [], "timestamp": "1.5"},
        ],
        "links": LINKS,
    },
    "image-segmentation-sequence": {
        "format_version": "0.2",
        "frames": [
            {
                "annotations": [
                    _tracked(SEG_ANNOTATIONS[0], 1, is_keyframe=True),
                    _tracked(SEG_ANNOTATIONS[2], 2, is_keyframe=False, index=3),
                ],
                "segmentation_bitmap": URL,
                "timestamp": 10,
                "format_version": "0.2",
                "image_attributes": {},
            },
            {"annotations": [], "segmentation_bitmap": None},
        ],
    },
    "pointcloud-cuboid": {
        "format_version": "0.1",
        "annotations": [CUBOID, CUBOID_FULL],
        "image_attributes": {"weather": "sunny"},
        "links": LINKS,
    },
    "pointcloud-vector": {
        "annotations": [CUBOID, *PC_VECTORS],
        "image_attributes": None,
        "format_version": "0.1",
        "links": [],
    },
    "pointcloud-segmentation": {
        "annotations": SEG_ANNOTATIONS,
        "point_annotations": [0, 0, 0, 3, 2, 2, 2, 1, 3],
        "image_attributes": {"a": 1},
        "format_version": "0.1",
    },
    "pointcloud-cuboid-sequence": {
        "format_version": "0.2",
        "frames": [
            {
                "annotations": [
                    _tracked(CUBOID, 6, is_keyframe=True),
                    _tracked(CUBOID_FULL, 7, index=2),
                ],
                "timestamp": 1000,
                "format_version": "0.2",
                "image_attributes": None,
            },
            {"annotations": []},
        ],
        "links": LINKS,
    },
    "pointcloud-vector-sequence": {
        "frames": [
            {
                "annotations": [
                    _tracked(CUBOID, 6, is_keyframe=True),
                    _tracked(PC_VECTORS[0], 8, index=1),
                    _tracked(PC_VECTORS[2], 9, is_keyframe=False),
                ],
                "timestamp": 0.5,
                "format_version": "0.2",
                "image_attributes": {"fog": False},
                "links": [],
            }
        ],
        "format_version": 0.2,
        "links": LINKS,
    },
    "pointcloud-segmentation-sequence": {
        "frames": [
            {
                "annotations": [_tracked(SEG_ANNOTATIONS[0], 1, is_keyframe=True, index=0)],
                "point_annotations": [0, 1, 1],
                "timestamp": 0,
                "image_attributes": None,
                "format_version": "0.2",
            }
        ],
        "format_version": "0.2",
    },
}
LABELS["multisensor-sequence"] = {
    "sensors": [
        {
            "name": "Lidar",
            "task_type": "pointcloud-cuboid-sequence",
            "attributes": LABELS["pointcloud-cuboid-sequence"],
        },
        {
            "name": "Lidar 2",
            "task_type": "pointcloud-vector-sequence",
            "attributes": LABELS["pointcloud-vector-sequence"],
        },
        {
            "name": "Lidar 3",
            "task_type": "pointcloud-segmentation-sequence",
            "attributes": LABELS["pointcloud-segmentation-sequence"],
        },
        {
            "name": "Camera 1",
            "task_type": "image-vector-sequence",
            "attributes": LABELS["image-vector-sequence"],
        },
        {
            "name": "Camera 2",
            "task_type": "image-segmentation-sequence",
            "attributes": LABELS["image-segmentation-sequence"],
        },
        {"name": "Camera 3", "task_type": "image-vector-sequence", "attributes": []},
    ],
    "links": LINKS,
}

# Which sample payload goes with each task type (WIRE.md section 5).
SAMPLE_FOR_TASK = {
    "segmentation-bitmap": "image",
    "segmentation-bitmap-highres": "image",
    "bboxes": "image",
    "vector": "image",
    "keypoints": "image",
    "image-vector-sequence": "image-sequence",
    "image-segmentation-sequence": "image-sequence",
    "pointcloud-cuboid": "pointcloud",
    "pointcloud-vector": "pointcloud",
    "pointcloud-segmentation": "pointcloud",
    "pointcloud-cuboid-sequence": "pointcloud-sequence",
    "pointcloud-vector-sequence": "pointcloud-sequence",
    "pointcloud-segmentation-sequence": "pointcloud-sequence",
    "multisensor-sequence": "multisensor",
}
# The label payload of each task type (several task types share a shape).
LABEL_FOR_TASK = {t: t for t in LABELS}
LABEL_FOR_TASK.update(
    {
        "segmentation-bitmap-highres": "segmentation-bitmap",
        "vector": "bboxes",
        "keypoints": "bboxes",
    }
)

TASK_ATTRIBUTES: dict[str, Any] = {
    "format_version": "0.1",
    "categories": [
        {
            "name": "test",
            "id": 1,
            "color": [0, 0, 0, 0],
            "has_instances": True,
            "attributes": [
                {
                    "name": "color",
                    "input_type": "select",
                    "values": ["green", "yellow", "red"],
                    "default_value": "red",
                    "is_mandatory": True,
                },
                {
                    "name": "tags",
                    "input_type": "multiselect",
                    "values": ["a", "b"],
                    "default_value": None,
                    "is_track_level": False,
                },
                {
                    "name": "description",
                    "input_type": "text",
                    "default_value": "A nice car.",
                    "synced_across_sensors": True,
                    "sensor_filter": "Camera.*",
                },
                {
                    "name": "number_of_wheels",
                    "input_type": "number",
                    "min": 1,
                    "max": 20,
                    "step": 1,
                    "default_value": 4,
                },
                {"name": "weight", "input_type": "number", "min": "", "max": "", "step": ""},
                {"name": "is_electric", "input_type": "checkbox", "default_value": False},
                {"name": "heading", "input_type": "vector3"},
                {"name": "pose", "input_type": "quaternion"},
                {"name": "outline", "input_type": "points", "is_mandatory": None},
            ],
            "link_attributes": [
                {
                    "name": "relation",
                    "input_type": "select",
                    "values": ["tows", "carries"],
                    "is_track_level": None,
                },
                {
                    "name": "kind",
                    "input_type": "multiselect",
                    "values": ["x"],
                    "is_track_level": False,
                },
                {"name": "note", "input_type": "text", "is_track_level": False},
                {"name": "distance", "input_type": "number", "min": 0, "is_track_level": True},
                {"name": "visible", "input_type": "checkbox", "is_track_level": True},
            ],
            "link_category_restrictions": [2],
            "dimensions": {"x": 4, "y": 2, "z": None},
            "lock_dimensions": True,
        },
        {"name": "other", "id": 2, "color": [255, 0, 0], "link_category_restrictions": []},
        {"name": "plain", "id": 3},
    ],
    "image_attributes": [
        {"name": "weather", "input_type": "select", "values": ["sunny", "rain"]},
    ],
    "warning_rules": [
        {
            "name": "intersecting-cuboids",
            "excluded_categories": [2],
            "excluded_set_of_categories": [1, 3],
        },
        {
            "name": "cuboid-dimension-limits",
            "categories": [1],
            "min": {"x": 1, "y": None},
            "max": {"x": 10, "y": 5, "z": 4.5},
        },
    ],
    "circle_radius": 3,
    "future_setting": {"nested": [1, 2]},
}

ANCHORS: dict[str, dict[str, Any]] = {
    "basic": {"type": "basic"},
    "basic-framed": {"type": "basic", "sensor": "Lidar", "frame": 3},
    "track": {
        "type": "track",
        "trackNumber": 5,
        "trackAttribute": "color",
        "frame": None,
        "sensor": "Camera 1",
    },
    "scene": {"type": "sceneAttribute", "sceneAttribute": "weather", "sensor": None, "frame": 2},
    "location-2d": {
        "type": "location",
        "frame": 0,
        "sensor": "Lidar",
        "location": {"type": "2d", "x": 1.2, "y": 3.5},
    },
    "location-3d": {"type": "location", "location": {"type": "3d", "x": 1, "y": 2, "z": -3.5}},
}


def fresh(payload: dict[str, Any]) -> dict[str, Any]:
    """Return an independent copy (payloads share sub-objects)."""
    return copy.deepcopy(payload)
