"""Releases on the emulator for the export tests: one per task type the exporters serve.

Every image is a non-square PNG uploaded as an asset; every segmentation bitmap is the
platform's RGBA encoding, uploaded too. Each release mixes LABELED, REVIEWED, PRELABELED
and unlabeled samples, and the bitmap release holds an instance id above 255.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

import segments_orm as so

BIG_ID = 300  # above 255: the platform's instance-color and polygon exports wrap it


def png(width: int, height: int, seed: int) -> bytes:
    """A noisy RGB PNG of this size (noise, so no two images are equal)."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def upload(client: so.Client, content: bytes, name: str) -> str:
    url = client.assets.upload(content, filename=name).url
    assert url
    return url


BITMAP_CATEGORIES = [
    {"id": 1, "name": "road", "color": [128, 64, 128]},
    {"id": 2, "name": "car", "color": [0, 0, 142, 255], "has_instances": True},
    {"id": 3, "name": "tree"},  # no colour: the exporters pick the palette's
]


def _bitmap_a() -> np.ndarray[Any, Any]:
    ids = np.zeros((24, 40), dtype=np.uint32)
    ids[0:6, :] = 1  # road across the top
    ids[8:14, 3:12] = 2  # a car
    ids[10:20, 20:31] = BIG_ID  # another car, id above 255
    ids[16:23, 33:38] = 5  # a tree
    ids[21:24, 0:4] = 44  # 300 % 256: where the platform's wrapped masks collide
    return ids


def _bitmap_b() -> np.ndarray[Any, Any]:
    ids = np.zeros((20, 32), dtype=np.uint32)
    ids[:, 0:5] = 1
    ids[2:9, 8:20] = 3  # a car
    ids[12:18, 10:14] = 4  # another car
    ids[5:7, 25:30] = 6  # a tree, ring-shaped (a hole, so two contours)
    ids[3:10, 24:31] = 6
    ids[5:8, 26:29] = 0
    return ids


def bitmap_release(client: so.Client, name: str = "streets") -> so.Release:
    """A segmentation-bitmap release: LABELED, REVIEWED, PRELABELED, unlabeled samples."""
    dataset = client.datasets.create(
        name,
        task_type=so.TaskType.SEGMENTATION_BITMAP,
        task_attributes={"format_version": "0.1", "categories": BITMAP_CATEGORIES},
    )
    small = np.zeros((18, 26), dtype=np.uint32)
    small[4:10, 4:20] = 7
    plans = [
        (
            "a.png",
            (40, 24),
            _bitmap_a(),
            so.LabelStatus.LABELED,
            [(1, 1), (2, 2), (BIG_ID, 2), (5, 3), (44, 1), (9, 2)],
        ),  # 9: no pixels
        ("b.png", (32, 20), _bitmap_b(), so.LabelStatus.REVIEWED, [(1, 1), (3, 2), (4, 2), (6, 3)]),
        ("c.png", (26, 18), small, so.LabelStatus.PRELABELED, [(7, 3)]),
        ("d.png", (30, 22), None, None, []),
    ]
    for seed, (sample_name, (width, height), ids, status, instances) in enumerate(plans):
        image = upload(client, png(width, height, seed), sample_name)
        sample = dataset.samples.create(sample_name, {"image": {"url": image}})
        if ids is None or status is None:
            continue
        bitmap = upload(client, so.types.write_bitmap(ids), f"{sample_name}-label.png")
        sample.labels.create(
            "ground-truth",
            {
                "format_version": "0.1",
                "annotations": [{"id": i, "category_id": c} for i, c in instances],
                "segmentation_bitmap": {"url": bitmap},
            },
            label_status=status,
        )
    return dataset.releases.create("v1").wait(timeout=30, poll=0.05)


def box(x0: float, y0: float, x1: float, y1: float, id: int, category_id: int) -> dict[str, Any]:
    return {"id": id, "category_id": category_id, "type": "bbox", "points": [[x0, y0], [x1, y1]]}


VECTOR_CATEGORIES = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog", "color": [10, 200, 30]}]


def vector_release(
    client: so.Client, task_type: so.TaskType = so.TaskType.VECTOR, name: str = "pets"
) -> so.Release:
    """A bboxes or vector release; vector labels also hold polygons, polylines and points."""
    dataset = client.datasets.create(
        name,
        task_type=task_type,
        task_attributes={"format_version": "0.1", "categories": VECTOR_CATEGORIES},
    )
    extra: list[dict[str, Any]] = []
    if task_type == so.TaskType.VECTOR:
        extra = [
            {"id": 3, "category_id": 1, "type": "polygon", "points": [[1, 1], [9, 2], [5, 8]]},
            {"id": 4, "category_id": 2, "type": "polyline", "points": [[2, 2], [7, 7]]},
            {"id": 5, "category_id": 2, "type": "point", "points": [[4.5, 3.25]]},
        ]
    plans = [
        (
            "one.png",
            (64, 40),
            so.LabelStatus.LABELED,
            [box(2, 3, 20.5, 30, 1, 1), box(30, 5, 60, 39, 2, 2), *extra],
        ),
        ("two.png", (50, 70), so.LabelStatus.REVIEWED, [box(0, 0, 50, 70, 1, 2)]),
        ("three.png", (33, 21), so.LabelStatus.PRELABELED, [box(1.25, 2.5, 10, 11, 1, 1)]),
        ("four.png", (40, 30), so.LabelStatus.LABELED, []),  # labeled, nothing on it
        ("five.png", (20, 48), None, []),
    ]
    for seed, (sample_name, (width, height), status, shapes) in enumerate(plans):
        image = upload(client, png(width, height, 100 + seed), sample_name)
        sample = dataset.samples.create(sample_name, {"image": {"url": image}})
        if status is not None:
            sample.labels.create(
                "ground-truth",
                {"format_version": "0.1", "annotations": shapes},
                label_status=status,
            )
    return dataset.releases.create("v1").wait(timeout=30, poll=0.05)


SEQUENCE_SIZE = (48, 36)


def sequence_release(client: so.Client, name: str = "clips") -> so.Release:
    """An image-vector-sequence release: frames of 48x36 images, one sample unlabeled."""
    dataset = client.datasets.create(
        name,
        task_type=so.TaskType.IMAGE_VECTOR_SEQUENCE,
        task_attributes={"format_version": "0.1", "categories": VECTOR_CATEGORIES},
    )
    width, height = SEQUENCE_SIZE
    plans: list[tuple[str, Any, list[Any]]] = [
        (
            "walk",
            so.LabelStatus.LABELED,
            [
                [box(1, 2, 20, 30, 1, 1) | {"track_id": 1}],
                [],
                [box(3, 4, 22, 33, 1, 1) | {"track_id": 1}],
            ],
        ),
        (
            "run.mp4",
            so.LabelStatus.REVIEWED,
            [
                [box(5, 5, 40, 30, 1, 2) | {"track_id": 1}],
                [box(6, 6, 41, 31, 1, 2) | {"track_id": 1}],
            ],
        ),
        ("idle", None, [[], []]),
    ]
    for s, (sample_name, status, frames) in enumerate(plans):
        attribute_frames = []
        for j in range(len(frames)):
            url = upload(client, png(width, height, 200 + 10 * s + j), f"{sample_name}-{j}.png")
            frame: dict[str, Any] = {"image": {"url": url}}
            if s == 0:
                frame["name"] = f"f{j}"  # named frames for one, numbered for the others
            attribute_frames.append(frame)
        sample = dataset.samples.create(sample_name, {"frames": attribute_frames})
        if status is not None:
            sample.labels.create(
                "ground-truth",
                {"format_version": "0.2", "frames": [{"annotations": a} for a in frames]},
                label_status=status,
            )
    return dataset.releases.create("v1").wait(timeout=30, poll=0.05)
