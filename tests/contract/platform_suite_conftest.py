"""Fixtures for the platform's own test files (segments-ai 1.33), run against the emulator.

The sdist ships ``tests/test_client.py`` and ``tests/test_resource_api.py`` without the
conftest they need; this is ours. `test_platform_suites.py` copies it as ``conftest.py``
next to temporary copies of those files, one folder per client, and runs pytest on the
folders. It seeds one emulator per folder with what the tests expect: a few datasets of
the demo user of different task types, one sample per dataset, the ``admin-arnaud`` user,
and valid attributes per type.

``platform_suite.json``, next to this file, says for the tests of its folder: ``client``,
the package whose ``SegmentsClient`` they use (``segments`` or ``segments_orm``);
``xfail``, test node ids to expected-failure reasons; ``deselect``, node ids to the reason
they are not run.
"""

from __future__ import annotations

import importlib
import json
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from segments_orm import Client
from segments_orm.emulator import EmulatorServer

OWNER = "demo"
IMAGE = {"image": {"url": "https://example.com/violet.jpg"}}
POINTCLOUD = {"pcd": {"url": "https://example.com/a.pcd", "type": "pcd"}}
POINTCLOUD_SEQUENCE = {"frames": [{"pcd": {"url": "https://example.com/a.pcd", "type": "pcd"}}]}
CATEGORIES = {"format_version": "0.1", "categories": [{"id": 1, "name": "object"}]}

# (dataset name, task type, sample attribute type, label attribute type)
DATASETS = [
    ("example-images-segmentation", "segmentation-bitmap", "image", "image-segmentation"),
    ("example-images-vector", "vector", "image", "image-vector"),
    ("example-pointcloud-cuboid", "pointcloud-cuboid", "pointcloud", "pointcloud-cuboid"),
    (
        "example-pointcloud-sequence-vector",
        "pointcloud-vector-sequence",
        "pointcloud-sequence",
        "pointcloud-sequence-vector",
    ),
    (
        "example-pointcloud-segmentation",
        "pointcloud-segmentation",
        "pointcloud",
        "pointcloud-segmentation",
    ),
]

SAMPLE_ATTRIBUTES = {
    "image": IMAGE,
    "pointcloud": POINTCLOUD,
    "pointcloud-sequence": POINTCLOUD_SEQUENCE,
}

LABEL_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "image-segmentation": {
        "format_version": "0.1",
        "annotations": [{"id": 1, "category_id": 1}],
        "segmentation_bitmap": {"url": "https://example.com/bitmap.png"},
    },
    "image-vector": {
        "format_version": "0.1",
        "annotations": [
            {"id": 1, "category_id": 1, "type": "bbox", "points": [[12.3, 56.7], [90.1, 34.5]]}
        ],
    },
    "pointcloud-cuboid": {
        "format_version": "0.1",
        "annotations": [
            {
                "id": 1,
                "category_id": 1,
                "type": "cuboid",
                "position": {"x": 0.0, "y": 0.2, "z": 0.5},
                "dimensions": {"x": 1.2, "y": 1.0, "z": 1.0},
                "yaw": 1.63,
            }
        ],
    },
    "pointcloud-sequence-vector": {
        "format_version": "0.2",
        "frames": [
            {
                "format_version": "0.2",
                "annotations": [
                    {
                        "id": 1,
                        "category_id": 1,
                        "type": "polyline",
                        "points": [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]],
                        "track_id": 1,
                    }
                ],
            }
        ],
    },
    "pointcloud-segmentation": {
        "format_version": "0.1",
        "annotations": [{"id": 1, "category_id": 1}],
        "point_annotations": [0, 1, 1, 0],
    },
}


HERE = Path(__file__).resolve().parent
SETTINGS = json.loads((HERE / "platform_suite.json").read_text(encoding="utf-8"))


def _client_class() -> Any:
    return importlib.import_module(f"{SETTINGS['client']}.client").SegmentsClient


def _png() -> bytes:
    """Return a valid 1x1 PNG, for the test that uploads ``tests/fixtures/test.png``."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(
        b"IEND", b""
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    xfail, deselect = SETTINGS["xfail"], SETTINGS["deselect"]
    kept, dropped = [], []
    for item in items:
        if HERE not in Path(item.path).resolve().parents:  # another folder's: its own conftest
            kept.append(item)
            continue
        key = item.nodeid.split("/")[-1]
        if key in deselect:
            dropped.append(item)
            continue
        if key in xfail:
            item.add_marker(pytest.mark.xfail(strict=True, reason=xfail[key]))
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="package")  # one emulator per folder, stopped when it is done
def _seeded() -> Iterator[tuple[EmulatorServer, list[str]]]:
    Path("tests/fixtures").mkdir(parents=True, exist_ok=True)
    Path("tests/fixtures/test.png").write_bytes(_png())
    with EmulatorServer(release_delay=0.05) as server:
        server.emulator.add_user("admin-arnaud")
        uuids = []
        with Client(api_key=server.api_key, api_url=server.url) as seeder:
            for name, task_type, sample_type, _ in DATASETS:
                dataset = seeder.datasets.create(
                    name, task_type=task_type, task_attributes=CATEGORIES
                )
                sample = dataset.samples.create(
                    f"{name}-sample", SAMPLE_ATTRIBUTES[sample_type]
                )
                uuids.append(str(sample.uuid))
        yield server, uuids


@pytest.fixture(scope="class")
def setup_class_client(
    request: pytest.FixtureRequest, _seeded: tuple[EmulatorServer, list[str]]
) -> Iterator[None]:
    server, _ = _seeded
    client = _client_class()(api_key=server.api_key, api_url=server.url)
    request.cls.client = client
    yield
    client.close()


@pytest.fixture
def owner() -> str:
    return OWNER


@pytest.fixture
def datasets() -> list[str]:
    return [name for name, _, _, _ in DATASETS]


@pytest.fixture
def sample_attribute_types() -> list[str]:
    return [sample_type for _, _, sample_type, _ in DATASETS]


@pytest.fixture
def label_attribute_types() -> list[str]:
    return [label_type for _, _, _, label_type in DATASETS]


@pytest.fixture
def sample_uuids(_seeded: tuple[EmulatorServer, list[str]]) -> list[str]:
    return list(_seeded[1])


@pytest.fixture
def add_update_sample_arguments() -> dict[str, Any]:
    return json.loads(json.dumps(SAMPLE_ATTRIBUTES))  # a fresh copy per test


@pytest.fixture
def label_test_attributes() -> dict[str, Any]:
    return json.loads(json.dumps(LABEL_ATTRIBUTES))


@pytest.fixture
def bad_image_segmentation_label() -> dict[str, Any]:
    # One mistake in an otherwise valid label: the annotation's id is not an integer.
    label = json.loads(json.dumps(LABEL_ATTRIBUTES["image-segmentation"]))
    label["annotations"][0]["id"] = "one"
    return label  # type: ignore[no-any-return]


@pytest.fixture
def add_update_dataset_arguments() -> dict[str, Any]:
    return {
        "name": "add_dataset",
        "description": "Test add_update_dataset.",
        "task_type": "vector",
        "task_attributes": CATEGORIES,
        "category": "other",
        "public": False,
        "readme": "README",
        "enable_skip_labeling": True,
        "enable_skip_reviewing": False,
        "enable_ratings": False,
        "organization": OWNER,
    }


@pytest.fixture
def TIME_INTERVAL() -> float:  # noqa: N802 - the name the platform's tests ask for
    return 0.0
