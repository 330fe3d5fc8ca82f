"""Where resources meet `segments_orm.types`: typed reads and strict writes of attributes.

Every resource that carries attributes (samples, labels, datasets' task attributes,
issue anchors) goes through these few functions, so the rules are the same everywhere:
reads are lenient and lazy (structured on first access, kept raw when they do not fit),
writes are validated against the dataset's task type before any request.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Collection
from typing import Any, Optional

from segments_orm import _values, types
from segments_orm.exceptions import ValidationError

__all__ = [
    "dump",
    "guess_sample_task_type",
    "load_issue_anchor",
    "load_label",
    "load_sample",
    "load_task_attributes",
    "prepare_issue_anchor",
    "prepare_label",
    "prepare_sample",
    "prepare_task_attributes",
]


def guess_sample_task_type(data: Any) -> Optional[str]:
    """Name a task type whose sample model fits ``data`` (the shapes differ by top key).

    Used when a sample is read without its dataset (``client.samples.get(uuid)``); the
    sample model only depends on the family of task types, which the keys tell apart.
    """
    if not isinstance(data, dict):
        return None
    if "image" in data:
        return "bboxes"
    if "pcd" in data:
        return "pointcloud-cuboid"
    if "sensors" in data:
        return "multisensor-sequence"
    frames = data.get("frames")
    if isinstance(frames, list):
        first = frames[0] if frames else {}
        if isinstance(first, dict) and "pcd" in first:
            return "pointcloud-cuboid-sequence"
        return "image-vector-sequence"
    return None


def load_sample(task_type: Optional[str], data: Any) -> Any:
    """Structure sample attributes leniently (raw when they do not fit)."""
    kind = task_type or guess_sample_task_type(data)
    if kind is None or data is None:
        return data
    return types.load_sample_attributes(kind, data)


def load_label(task_type: Optional[str], data: Any) -> Any:
    """Structure label attributes leniently (raw when they do not fit)."""
    if not task_type or data is None:
        return data
    return types.load_label_attributes(task_type, data)


def load_task_attributes(data: Any) -> Any:
    """Structure a dataset's task attributes leniently."""
    return data if data is None else types.load_task_attributes(data)


def load_issue_anchor(data: Any) -> Any:
    """Structure an issue anchor leniently."""
    return data if data is None else types.load_issue_anchor(data)


def dump(value: Any) -> Any:
    """Return the wire form of attributes, typed or raw, as they are."""
    return types.dump(value)


def _special(value: Any) -> Any:
    """Turn enums into their values; leave models to `_plain`'s second way."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, types.Model):
        raise _HasModelError
    return _values.UNHANDLED


class _HasModelError(Exception):
    """Internal: the attributes hold a typed model."""


def _plain(value: Any) -> Any:
    """Apply the value rule (`segments_orm._values`) to attributes, typed or raw."""
    if not isinstance(value, types.Model):
        try:
            return _values.to_json(value, "", "attributes", _special)
        except _HasModelError:
            pass
    from segments_orm.types._base import to_json as models_to_json

    # Models (and what they hold) become JSON data first, naming keys given twice; the
    # value rule then converts or refuses what is left (numpy, datetimes, NaN...).
    return _values.to_json(models_to_json(value), "", "attributes", _special)


def prepare_sample(task_type: Optional[str], value: Any) -> Any:
    """Validate sample attributes for a dataset's task type and return their wire form."""
    data = _plain(value)
    kind = task_type or guess_sample_task_type(data)
    if kind is None:
        return data
    return types.prepare_sample_attributes(kind, data, plain=True)


@functools.lru_cache(maxsize=32)  # a handful of task types; asked once per label written
def label_keys(task_type: str) -> frozenset[str]:
    """Return the top-level keys a label of ``task_type`` may have."""
    from segments_orm.types._api import task_models
    from segments_orm.types._base import plan_for

    return frozenset(plan_for(task_models(task_type).label).by_wire)


def prepare_label(
    task_type: Optional[str], value: Any, categories: Optional[Collection[int]] = None
) -> Any:
    """Validate label attributes for a dataset's task type and return their wire form.

    Strict for writes: besides the model's own checks (required keys, shapes, category
    ids), a top-level key the task type's label does not have is refused, since the
    platform refuses it too. Keys inside annotations are kept (tracking ids, links).
    A label written without a known task type cannot be checked; every write path of
    segments-orm learns the task type first.
    """
    data = _plain(value)
    if not task_type:
        return data
    problems: list[str] = []
    if isinstance(data, dict):
        known = label_keys(task_type)
        allowed = ", ".join(sorted(known))
        problems = [
            f"{key}: not a key of a {task_type!r} label (it has {allowed})"
            for key in data
            if key not in known
        ]
    try:
        checked = types.prepare_label_attributes(task_type, data, categories=categories, plain=True)
    except ValidationError as error:
        problems.extend(error.errors)
        checked = None
    if problems:
        raise ValidationError.from_errors(
            problems, f"Invalid label attributes for a {task_type!r} dataset"
        )
    return checked


def prepare_task_attributes(value: Any) -> Any:
    """Validate a dataset's task attributes and return their wire form."""
    return types.prepare_task_attributes(value)


def prepare_issue_anchor(value: Any) -> Any:
    """Validate an issue anchor and return its wire form."""
    return types.prepare_issue_anchor(value)


def category_ids(task_attributes: Any) -> Optional[frozenset[int]]:
    """Return the category ids of a dataset's task attributes, or None when unknown."""
    data = types.dump(task_attributes)
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list):
        return None
    ids = {c.get("id") for c in data["categories"] if isinstance(c, dict)}
    return frozenset(i for i in ids if isinstance(i, int) and not isinstance(i, bool))
