"""Querysets to tables: the column builder behind ``QuerySet.to_pandas``.

The frame is built column by column, page by page: each page of objects is turned into
values appended to plain lists, then dropped before the next page is loaded, so building a
frame of 100,000 samples holds one page of objects besides the lists (which become the
frame). pandas is imported only here, only when a frame is asked for.

Objects that were just built from the server's answer still hold that answer; their
columns are read from it directly (a field not decoded yet is already in its JSON form),
which keeps ``to_pandas`` close to the cost of building a frame from the raw pages.
Timestamps are collected as ISO 8601 text and parsed once per column by pandas.
"""

from __future__ import annotations

import datetime as dt
import enum
import typing
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

from segments_orm._converter import field_types, wire_name
from segments_orm.exceptions import MissingDependencyError, ValidationError

if TYPE_CHECKING:
    from segments_orm.query import QuerySet

__all__ = ["annotation_categories", "build_frame", "require_pandas"]

# How a column's values are taken (see `_kinds`).
_PLAIN, _DATETIME, _ENUM = 0, 1, 2


def require_pandas() -> Any:
    """Import pandas, or raise `MissingDependencyError` naming the extra."""
    try:
        import pandas
    except ImportError:
        raise MissingDependencyError(
            "to_pandas needs pandas: pip install 'segments-orm[pandas]'"
        ) from None
    return pandas


_KINDS: dict[type, dict[str, tuple[int, str]]] = {}


def _kinds(cls: type) -> dict[str, tuple[int, str]]:
    """Map each attrs field of ``cls`` to (how its column is built, its wire key)."""
    found = _KINDS.get(cls)
    if found is None:
        import attrs

        hints = field_types(cls)
        found = {}
        for attribute in attrs.fields(cls):
            hint = hints.get(attribute.name, Any)
            args = typing.get_args(hint) if typing.get_origin(hint) is Union else (hint,)
            kind = _PLAIN
            for arg in args:
                if arg is dt.datetime:
                    kind = _DATETIME
                elif isinstance(arg, type) and issubclass(arg, enum.Enum):
                    kind = _ENUM
            found[attribute.name] = (kind, wire_name(attribute))
        _KINDS[cls] = found
    return found


def _python_value(obj: Any, public: str, name: str, kind: int) -> Any:
    """Return a column value from a decoded object (one the user may have edited)."""
    value = getattr(obj, name)
    if value is None:
        return None
    if kind == _DATETIME:
        return value.isoformat() if isinstance(value, dt.datetime) else str(value)
    if kind == _ENUM:
        return str(getattr(value, "value", value))
    return obj._json_field(public, name)


def _json_label(obj: Any, fresh: bool) -> Any:
    """Return an included label in its JSON form (a dict), or None."""
    raw = obj._raw if fresh else None
    if raw is not None:
        return raw.get("label")
    label = getattr(obj, "_label", None)
    if label is None or isinstance(label, Mapping):
        return label
    to_dict = getattr(label, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    from segments_orm._converter import unstructure

    return unstructure(label)


def annotation_categories(attributes: Any) -> list[Any]:
    """Return the category id of each annotation of a label's attributes (JSON form).

    Images list their annotations; sequences list them per frame, where one object is
    one track (counted once, by ``track_id``); multi-sensor labels hold one such label
    per sensor.
    """
    if not isinstance(attributes, Mapping):
        return []
    found: list[Any] = []
    for annotation in attributes.get("annotations") or ():
        if isinstance(annotation, Mapping):
            found.append(annotation.get("category_id"))
    tracks: dict[Any, Any] = {}
    for index, frame in enumerate(attributes.get("frames") or ()):
        if not isinstance(frame, Mapping):
            continue
        for annotation in frame.get("annotations") or ():
            if isinstance(annotation, Mapping):
                key = annotation.get("track_id", (index, annotation.get("id")))
                tracks.setdefault(key, annotation.get("category_id"))
    found.extend(tracks.values())
    for sensor in attributes.get("sensors") or ():
        if isinstance(sensor, Mapping):
            found.extend(annotation_categories(sensor.get("attributes")))
    return found


def _category_names(queryset: QuerySet[Any]) -> dict[Any, str]:
    """Return the dataset's category names by id (one request if it is not loaded)."""
    dataset = (getattr(queryset._owner, "_context", None) or {}).get("dataset")
    if dataset is None:
        return {}
    dataset = dataset.ensure_loaded()
    task_attributes = dataset._wire_value("task_attributes", dataset._task_attributes)
    names: dict[Any, str] = {}
    if isinstance(task_attributes, Mapping):
        for category in task_attributes.get("categories") or ():
            if isinstance(category, Mapping) and "id" in category:
                names[category["id"]] = str(category.get("name", category["id"]))
    return names


def _metadata_keys(metadata_columns: Union[bool, Sequence[str]]) -> Optional[list[str]]:
    """Return the metadata keys to expand ([] for all found), or None for no expansion."""
    if metadata_columns is False or metadata_columns is None:
        return None
    if metadata_columns is True:
        return []
    if isinstance(metadata_columns, str) or not isinstance(metadata_columns, Sequence):
        raise ValidationError(
            "metadata_columns: expected True, False or a list of metadata keys, got "
            f"{metadata_columns!r}"
        )
    keys = list(metadata_columns)
    bad = [k for k in keys if not isinstance(k, str)]
    if bad or not keys:
        raise ValidationError(
            f"metadata_columns: expected a non-empty list of string keys, got {keys!r}"
        )
    return keys


def build_frame(
    queryset: QuerySet[Any],
    plan: tuple[tuple[str, str], ...],
    explicit: bool,
    metadata_columns: Union[bool, Sequence[str]],
) -> Any:
    """Build the DataFrame of ``queryset.to_pandas`` (see there)."""
    pandas = require_pandas()
    expand = _metadata_keys(metadata_columns)
    labelset = queryset._options.get("labelset")
    full_label = queryset._options.get("include_full_label") == "1"
    if labelset is not None and not explicit:
        plan = tuple(p for p in plan if p[0] != "label")  # it becomes the label columns
    if expand is not None and not explicit:
        plan = tuple(p for p in plan if p[0] != "metadata")
    model = queryset._owner.model
    kinds = _kinds(model)
    columns: dict[str, list[Any]] = {public: [] for public, _ in plan}
    specs = [(columns[public], public, name, *kinds[name]) for public, name in plan]
    label_status: list[Any] = []
    label_score: list[Any] = []
    annotation_count: list[Any] = []
    category_counts: dict[Any, list[int]] = {}
    names = _category_names(queryset) if labelset is not None and full_label else {}
    for category_id in names:
        category_counts[category_id] = []
    metadata: dict[str, list[Any]] = {key: [] for key in expand or ()}
    rows = 0

    def add_page(page: list[Any], fresh: bool) -> None:
        nonlocal rows
        for obj in page:
            raw = obj._raw if fresh else None
            if raw is not None:
                for column, _, _, kind, wire in specs:
                    value = raw.get(wire)
                    if kind == _ENUM and value is not None and not isinstance(value, str):
                        value = str(value)
                    column.append(value)
            else:
                for column, public, name, kind, _ in specs:
                    column.append(_python_value(obj, public, name, kind))
            if labelset is not None:
                label = _json_label(obj, fresh)
                if not isinstance(label, Mapping):
                    label = None
                label_status.append(label.get("label_status") if label else "UNLABELED")
                label_score.append(label.get("score") if label else None)
                if full_label:
                    found = annotation_categories(label.get("attributes")) if label else []
                    annotation_count.append(len(found))
                    counts: dict[Any, int] = {}
                    for category_id in found:
                        counts[category_id] = counts.get(category_id, 0) + 1
                    for category_id in counts:
                        if category_id not in category_counts:
                            category_counts[category_id] = [0] * rows
                    for category_id, column in category_counts.items():
                        column.append(counts.get(category_id, 0))
            if expand is not None:
                if raw is not None:
                    meta = raw.get("metadata")
                else:
                    meta = obj._json_field("metadata", "_metadata")
                meta = meta if isinstance(meta, Mapping) else {}
                if not expand:  # every key: a key first seen now gets a column
                    for key in meta:
                        if key not in metadata:
                            metadata[key] = [None] * rows
                for key, column in metadata.items():
                    column.append(meta.get(key))
            rows += 1

    for page, fresh in queryset._object_pages():
        add_page(page, fresh)
        del page  # before the next page is loaded: one page of objects at a time

    data: dict[str, Any] = {}
    for column, public, _, kind, _ in specs:
        if kind == _DATETIME:
            data[public] = pandas.to_datetime(
                pandas.Series(column, dtype=object), utc=True, format="ISO8601", errors="coerce"
            )
        else:
            data[public] = column
    if labelset is not None:
        data["labelset"] = [labelset] * rows
        data["label_status"] = label_status
        data["label_score"] = label_score
        if full_label:
            data["annotation_count"] = annotation_count
            for category_id, counts in category_counts.items():
                data[f"count_{names.get(category_id, category_id)}"] = counts
    for key, values in metadata.items():
        data[f"metadata.{key}"] = values
    return pandas.DataFrame(data, index=pandas.RangeIndex(rows))
