"""Shared data of the pipeline-safety tests."""

from __future__ import annotations

from typing import Any

TASK_ATTRIBUTES = {
    "format_version": "0.1",
    "categories": [{"name": "flower", "id": 1}, {"name": "leaf", "id": 2}],
}
BBOX = {
    "format_version": "0.1",
    "annotations": [{"id": 1, "category_id": 1, "type": "bbox", "points": [[1, 2], [3, 4]]}],
}


def image(name: str) -> dict[str, Any]:
    return {"image": {"url": f"https://example.com/{name}"}}
