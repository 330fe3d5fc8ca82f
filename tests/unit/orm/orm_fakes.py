"""Canned wire objects for the ORM's unit tests, shaped like the emulator's answers.

The fake API itself is `http_fakes.FakeBackend` (``FakeApi`` here, by the name these tests
use): the client's backend, so the whole stack above the socket (URL building, the
transport, error mapping) runs for real while no connection is ever opened.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Optional, Union

from http_fakes import Call, FakeBackend

FakeApi = FakeBackend

__all__ = ["Call", "FakeApi"]


# -- canned wire objects, shaped like the emulator's answers -----------------------------

STAMP = "2026-01-02T03:04:05.000000Z"


def dataset_json(full_name: str = "jane/flowers", **fields: Any) -> dict[str, Any]:
    owner, name = full_name.split("/")
    data: dict[str, Any] = {
        "name": name,
        "full_name": full_name,
        "owner": {"username": owner, "created_at": STAMP, "email": f"{owner}@example.com"},
        "public": False,
        "created_at": STAMP,
        "description": "",
        "task_type": "bboxes",
        "task_attributes": {
            "format_version": "0.1",
            "categories": [{"name": "cat", "id": 1}, {"name": "dog", "id": 2}],
        },
        "category": "other",
        "readme": "",
        "metadata": {},
        "samples_count": 0,
        "collaborators_count": 0,
        "role": "admin",
    }
    data.update(fields)
    return data


def sample_json(
    name: str = "a.jpg",
    uuid: Optional[str] = None,
    dataset: str = "jane/flowers",
    **fields: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uuid": uuid or f"uuid-{name}",
        "name": name,
        "attributes": {"image": {"url": f"https://x/{name}"}},
        "metadata": {"weather": "sunny"},
        "priority": 0.0,
        "readme": "",
        "assigned_labeler": None,
        "assigned_reviewer": None,
        "created_by": "jane",
        "created_at": STAMP,
        "updated_at": STAMP,
        "label": None,
        "issues": None,
        "dataset_full_name": dataset,
    }
    data.update(fields)
    return data


def label_json(sample_uuid: str = "uuid-a.jpg", labelset: str = "ground-truth", **fields: Any):
    data: dict[str, Any] = {
        "sample_uuid": sample_uuid,
        "label_type": "bboxes",
        "label_status": "LABELED",
        "labelset": labelset,
        "attributes": {
            "format_version": "0.1",
            "annotations": [
                {"id": 1, "category_id": 1, "type": "bbox", "points": [[1, 2], [3, 4]]}
            ],
        },
        "score": None,
        "rating": None,
        "created_at": STAMP,
        "created_by": "jane",
        "reviewed_at": None,
        "reviewed_by": None,
        "updated_at": STAMP,
        "updated_by": "jane",
    }
    data.update(fields)
    return data


def release_json(name: str = "v1", status: str = "PENDING", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uuid": f"release-{name}",
        "name": name,
        "description": "",
        "release_type": "JSON",
        "attributes": {"url": None if status != "SUCCEEDED" else "https://files/x.json"},
        "status": status,
        "created_at": STAMP,
        "samples_count": 1,
    }
    data.update(fields)
    return data


def samples(count: int, prefix: str = "s") -> list[dict[str, Any]]:
    return [sample_json(f"{prefix}{i:04d}") for i in range(count)]


Json = Union[dict[str, Any], list[Any]]


def read_at_once(read: Callable[[], Any], threads: int = 8) -> list[Any]:
    """Call ``read`` from ``threads`` threads released together; return what each got."""
    seen: list[Any] = []
    barrier = threading.Barrier(threads)

    def run() -> None:
        barrier.wait()
        seen.append(read())

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10)
    assert len(seen) == threads
    return seen
