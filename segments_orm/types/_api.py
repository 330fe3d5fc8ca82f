"""The functions the ORM calls: the task-type map, strict prepare_* and lenient load_*."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Optional, Union

import attrs

from segments_orm.enums import TaskType
from segments_orm.exceptions import ValidationError
from segments_orm.types._base import (
    Context,
    Kind,
    Model,
    Problems,
    ShapeError,
    dump,
    kind_of,
    to_checked_json,
)

__all__ = [
    "TaskModels",
    "dump",
    "load_issue_anchor",
    "load_label_attributes",
    "load_sample_attributes",
    "load_task_attributes",
    "prepare_issue_anchor",
    "prepare_label_attributes",
    "prepare_sample_attributes",
    "prepare_task_attributes",
    "task_models",
]


@attrs.frozen
class TaskModels:
    """The attribute models of one task type (:ref:`protocol-task-types`).

    Attributes:
        task_type: The task type.
        sample: The model of its samples' attributes.
        label: The model of its labels' attributes.
    """

    task_type: TaskType
    sample: type[Model]
    label: type[Model]


def _pairs() -> dict[str, TaskModels]:
    # The model modules are imported on first use: importing the ORM must stay cheap.
    from segments_orm.types import label, sample

    image, image_seq = sample.ImageSampleAttributes, sample.ImageSequenceSampleAttributes
    cloud, cloud_seq = sample.PointcloudSampleAttributes, sample.PointcloudSequenceSampleAttributes
    table: dict[TaskType, tuple[type[Model], type[Model]]] = {
        TaskType.SEGMENTATION_BITMAP: (image, label.ImageSegmentationLabelAttributes),
        TaskType.SEGMENTATION_BITMAP_HIGHRES: (image, label.ImageSegmentationLabelAttributes),
        TaskType.IMAGE_SEGMENTATION_SEQUENCE: (
            image_seq,
            label.ImageSequenceSegmentationLabelAttributes,
        ),
        TaskType.BBOXES: (image, label.ImageVectorLabelAttributes),
        TaskType.VECTOR: (image, label.ImageVectorLabelAttributes),
        TaskType.KEYPOINTS: (image, label.ImageVectorLabelAttributes),
        TaskType.IMAGE_VECTOR_SEQUENCE: (image_seq, label.ImageSequenceVectorLabelAttributes),
        TaskType.POINTCLOUD_CUBOID: (cloud, label.PointcloudCuboidLabelAttributes),
        TaskType.POINTCLOUD_CUBOID_SEQUENCE: (
            cloud_seq,
            label.PointcloudSequenceCuboidLabelAttributes,
        ),
        TaskType.POINTCLOUD_SEGMENTATION: (cloud, label.PointcloudSegmentationLabelAttributes),
        TaskType.POINTCLOUD_SEGMENTATION_SEQUENCE: (
            cloud_seq,
            label.PointcloudSequenceSegmentationLabelAttributes,
        ),
        TaskType.POINTCLOUD_VECTOR: (cloud, label.PointcloudVectorLabelAttributes),
        TaskType.POINTCLOUD_VECTOR_SEQUENCE: (
            cloud_seq,
            label.PointcloudSequenceVectorLabelAttributes,
        ),
        TaskType.MULTISENSOR_SEQUENCE: (
            sample.MultiSensorSampleAttributes,
            label.MultiSensorLabelAttributes,
        ),
    }
    return {t.value: TaskModels(t, s, lab) for t, (s, lab) in table.items()}


_BY_TASK_TYPE: dict[str, TaskModels] = {}


def _find(task_type: object) -> Optional[TaskModels]:
    if not _BY_TASK_TYPE:
        _BY_TASK_TYPE.update(_pairs())
    return _BY_TASK_TYPE.get(str(task_type)) if isinstance(task_type, str) else None


def _anchor_kind() -> Kind:
    from segments_orm.types.anchor import IssueAnchor

    return kind_of(IssueAnchor)


def _task_attributes_kind() -> Kind:
    from segments_orm.types.task import TaskAttributes

    return kind_of(TaskAttributes)


def task_models(task_type: Union[str, TaskType]) -> TaskModels:
    """Return the sample and label models of a task type.

    Raises:
        ValidationError: The task type is not one of the known ones (they are listed).
    """
    found = _find(task_type)
    if found is None:
        known = ", ".join(repr(t) for t in _BY_TASK_TYPE)
        raise ValidationError(
            f"Unknown task type {task_type!r}; the known task types are {known}",
            errors=[f"task_type: {task_type!r} is not one of {known}"],
        )
    return found


def _prepare(
    kind: Kind,
    value: Any,
    expected: Optional[type[Model]],
    heading: str,
    ctx: Context,
    plain: bool = False,
) -> Any:
    problems = Problems()
    if plain and isinstance(value, dict):
        # Already plain JSON data (segments_orm._values made it): check it as it is.
        kind.check(value, "", problems, ctx)
        if problems:
            raise ValidationError.from_errors(problems.summary(), heading)
        return value
    if isinstance(value, Model) and expected is not None and not isinstance(value, expected):
        problems.add(
            "", f"got {type(value).__name__}, but this takes {expected.__name__} (or a dict)"
        )
    if not isinstance(value, (Model, Mapping)):
        problems.add("", f"expected an object or a model, got {type(value).__name__}")
        raise ValidationError.from_errors(problems.summary(), heading)
    data = to_checked_json(value, problems)
    kind.check(data, "", problems, ctx)
    if problems:
        raise ValidationError.from_errors(problems.summary(), heading)
    return data


def prepare_sample_attributes(
    task_type: Union[str, TaskType], value: Union[Mapping[str, Any], Model], *, plain: bool = False
) -> dict[str, Any]:
    """Check sample attributes for a dataset's task type and return them as JSON data.

    Args:
        task_type: The dataset's task type.
        value: A dict, a sample attributes model, or a dict holding models.
        plain: ``value`` is fresh plain JSON data already: check it without copying.

    Returns:
        Fresh JSON-ready data; keys the models do not know are kept.

    Raises:
        ValidationError: One error listing every problem with its path.
    """
    found = _SAMPLE_CHECKS.get(task_type) if type(task_type) is str else None
    if found is None:
        models = task_models(task_type)
        heading = f"Invalid sample attributes for a {models.task_type.value!r} dataset"
        found = (kind_of(models.sample), models.sample, heading)
        if type(task_type) is str:
            _SAMPLE_CHECKS[task_type] = found
    # Bulk creates call this once per sample: what depends only on the task type is kept.
    kind, model, heading = found
    result: dict[str, Any] = _prepare(kind, value, model, heading, _NO_CATEGORIES, plain)
    return result


_SAMPLE_CHECKS: dict[str, tuple[Kind, type[Model], str]] = {}
_NO_CATEGORIES = Context()  # frozen: one serves every sample check


def prepare_label_attributes(
    task_type: Union[str, TaskType],
    value: Union[Mapping[str, Any], Model],
    *,
    categories: Optional[Collection[int]] = None,
    plain: bool = False,
) -> dict[str, Any]:
    """Check label attributes for a dataset's task type and return them as JSON data.

    Args:
        task_type: The dataset's task type.
        value: A dict, a label attributes model, or a dict holding models.
        categories: The dataset's category ids, when known: every ``category_id`` must
            be one of them.
        plain: ``value`` is fresh plain JSON data already: check it without copying.

    Returns:
        Fresh JSON-ready data; keys the models do not know are kept.

    Raises:
        ValidationError: One error listing every problem with its path.
    """
    models = task_models(task_type)
    heading = f"Invalid label attributes for a {models.task_type.value!r} dataset"
    ctx = Context(frozenset(categories) if categories is not None else None)
    result: dict[str, Any] = _prepare(
        kind_of(models.label), value, models.label, heading, ctx, plain
    )
    return result


def prepare_task_attributes(value: Union[Mapping[str, Any], Model]) -> dict[str, Any]:
    """Check a dataset's task attributes and return them as JSON data.

    Raises:
        ValidationError: One error listing every problem with its path.
    """
    from segments_orm.types.task import TaskAttributes

    result: dict[str, Any] = _prepare(
        kind_of(TaskAttributes), value, TaskAttributes, "Invalid task attributes", Context()
    )
    return result


def prepare_issue_anchor(value: Union[Mapping[str, Any], Model]) -> dict[str, Any]:
    """Check an issue anchor and return it as JSON data.

    Raises:
        ValidationError: One error listing every problem with its path.
    """
    result: dict[str, Any] = _prepare(
        _anchor_kind(), value, None, "Invalid issue anchor", Context()
    )
    return result


def _load(kind: Kind, data: Any) -> Any:
    if data is None or isinstance(data, Model):
        return data
    try:
        return kind.load(data)
    except ShapeError:
        return data
    except Exception:  # reads never raise: an unforeseen shape stays raw
        return data


def load_sample_attributes(task_type: Union[str, TaskType], data: Any) -> Any:
    """Structure sample attributes from the server, or return them unchanged; never raise.

    The data is structured when it has the shape of the task type's sample model, else
    returned as it is (also for an unknown task type, None or a model). A model shares
    its plain lists and dicts (points, attribute values, unknown keys) with ``data``:
    nothing is copied, so keep a copy of ``data`` if you need to compare with it later.
    `dump` gives back exactly ``data`` (plus any edits).
    """
    models = _find(task_type)
    if models is None:
        return data
    return _load(kind_of(models.sample), data)


def load_label_attributes(task_type: Union[str, TaskType], data: Any) -> Any:
    """Structure label attributes from the server, or return them unchanged; never raise.

    Like `load_sample_attributes`, with the task type's label model.
    """
    models = _find(task_type)
    if models is None:
        return data
    return _load(kind_of(models.label), data)


def load_task_attributes(data: Any) -> Any:
    """Structure task attributes from the server, or return them unchanged; never raise."""
    return _load(_task_attributes_kind(), data)


def load_issue_anchor(data: Any) -> Any:
    """Structure an issue anchor from the server, or return it unchanged; never raise."""
    return _load(_anchor_kind(), data)
