"""Label attributes: what a label says about a sample (:ref:`protocol-task-types`).

One model per label shape; `task_models` says which one a dataset takes. Unlike the
platform's client, these models keep ``links``, ``track_id``, the sequence ``index`` and
any key they do not know (:ref:`protocol-task-types`).

Object attributes (``attributes`` on an annotation), ``image_attributes`` and link
attributes are flat objects of any JSON values: besides text, numbers, booleans and lists
of text, the ``vector3``, ``quaternion`` and ``points`` input types store structured
values, so the models do not narrow them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional, Union

from segments_orm.enums import TaskType
from segments_orm.types._base import Context, Model, Problems, field, model
from segments_orm.types._common import URL, XYZ, FormatVersion, Quaternion, Timestamp
from segments_orm.types._enums import CuboidType, ImageVectorAnnotationType
from segments_orm.types._enums import PointcloudVectorAnnotationType as PcVectorType

__all__ = [
    "Acceleration",
    "ImageSegmentationFrame",
    "ImageSegmentationLabelAttributes",
    "ImageSequenceSegmentationAnnotation",
    "ImageSequenceSegmentationLabelAttributes",
    "ImageSequenceSegmentationSensorLabel",
    "ImageSequenceVectorAnnotation",
    "ImageSequenceVectorLabelAttributes",
    "ImageSequenceVectorSensorLabel",
    "ImageVectorAnnotation",
    "ImageVectorFrame",
    "ImageVectorLabelAttributes",
    "Link",
    "LinkFrame",
    "MultiSensorLabelAttributes",
    "PointcloudCuboidAnnotation",
    "PointcloudCuboidFrame",
    "PointcloudCuboidLabelAttributes",
    "PointcloudSegmentationFrame",
    "PointcloudSegmentationLabelAttributes",
    "PointcloudSequenceCuboidAnnotation",
    "PointcloudSequenceCuboidLabelAttributes",
    "PointcloudSequenceCuboidSensorLabel",
    "PointcloudSequenceSegmentationAnnotation",
    "PointcloudSequenceSegmentationLabelAttributes",
    "PointcloudSequenceSegmentationSensorLabel",
    "PointcloudSequenceVectorAnnotation",
    "PointcloudSequenceVectorLabelAttributes",
    "PointcloudSequenceVectorSensorLabel",
    "PointcloudVectorAnnotation",
    "PointcloudVectorFrame",
    "PointcloudVectorLabelAttributes",
    "SegmentationAnnotation",
    "SensorLabel",
    "Velocity",
]

# Object attributes, image attributes and link attribute values (see the module docstring).
Attributes = dict[str, Any]

_IN_SEQUENCE = "required in a sequence"
_UNIQUE_IDS = ("id", "annotation id")

# How many points each shape has: (at least, at most or None, how to say it).
_IMAGE_POINT_COUNTS: dict[str, tuple[int, Optional[int], str]] = {
    "bbox": (2, 2, "a bbox has exactly 2 points (top-left, bottom-right)"),
    "point": (1, 1, "a point has exactly 1 point"),
    "polygon": (3, None, "a polygon has at least 3 points"),
    "polyline": (2, None, "a polyline has at least 2 points"),
}
_POINTCLOUD_POINT_COUNTS = {k: v for k, v in _IMAGE_POINT_COUNTS.items() if k != "bbox"}


def _check_points(
    data: Mapping[str, Any],
    path: str,
    problems: Problems,
    counts: Mapping[str, tuple[int, Optional[int], str]],
    dimensions: int,
) -> None:
    """Check the number of points for the annotation's shape and each point's size."""
    points = data.get("points")
    if not isinstance(points, list):
        return
    sub = f"{path}.points" if path else "points"
    shape = data.get("type")
    rule = counts.get(shape) if isinstance(shape, str) else None
    if rule is not None:
        low, high, message = rule
        if len(points) < low or (high is not None and len(points) > high):
            problems.add(sub, f"{message}, got {len(points)}")
    axes = "[x, y]" if dimensions == 2 else "[x, y, z]"
    for index, point in enumerate(points):
        if isinstance(point, list) and len(point) != dimensions:
            problems.add(
                f"{sub}[{index}]", f"a point is {axes} ({dimensions} numbers), got {len(point)}"
            )


@model
class LinkFrame(Model):
    """The frame-level attribute values of a link, for one frame of the sample."""

    attributes: Attributes


@model
class Link(Model):
    """A link between two objects (tracks in a sequence).

    ``attributes`` holds the sequence-level values (link attributes with
    ``is_track_level`` true or missing), ``frames`` the frame-level ones, one entry per
    sample frame.
    """

    from_id: int
    to_id: int
    attributes: Optional[Attributes] = None
    frames: Optional[list[LinkFrame]] = None


# --- image segmentation -------------------------------------------------------------------


@model
class SegmentationAnnotation(Model):
    """An object of a segmentation label (its pixels or points are in the bitmap or list)."""

    id: int
    category_id: int = field(category=True)
    attributes: Optional[Attributes] = None


@model
class ImageSegmentationLabelAttributes(Model):
    """A segmentation-bitmap label: objects plus the instance-id PNG (see `read_bitmap`)."""

    annotations: list[SegmentationAnnotation] = field(unique=_UNIQUE_IDS)
    segmentation_bitmap: URL
    image_attributes: Optional[Attributes] = None
    format_version: Optional[FormatVersion] = None


@model
class ImageSequenceSegmentationAnnotation(SegmentationAnnotation):
    """An object of one frame of an image segmentation sequence."""

    track_id: int = field(required_message=_IN_SEQUENCE)
    is_keyframe: bool = False
    index: Optional[int] = None


@model
class ImageSegmentationFrame(Model):
    """One frame of an image segmentation sequence."""

    annotations: list[ImageSequenceSegmentationAnnotation] = field(unique=_UNIQUE_IDS)
    segmentation_bitmap: Optional[URL] = None
    timestamp: Optional[Timestamp] = None
    format_version: Optional[FormatVersion] = None
    image_attributes: Optional[Attributes] = None


@model
class ImageSequenceSegmentationLabelAttributes(Model):
    """An image segmentation sequence label: one entry per frame."""

    frames: list[ImageSegmentationFrame]
    format_version: Optional[FormatVersion] = None


# --- image vector -------------------------------------------------------------------------


@model
class ImageVectorAnnotation(Model):
    """A bbox, polygon, polyline or point on an image (pixel coordinates ``[x, y]``)."""

    id: int
    category_id: int = field(category=True)
    type: ImageVectorAnnotationType
    points: list[list[float]]
    attributes: Optional[Attributes] = None
    track_id: Optional[int] = None

    @classmethod
    def _check_rules(
        cls, data: Mapping[str, Any], path: str, problems: Problems, ctx: Context
    ) -> None:
        _check_points(data, path, problems, _IMAGE_POINT_COUNTS, 2)


@model
class ImageVectorLabelAttributes(Model):
    """A bboxes, vector or keypoints label."""

    annotations: list[ImageVectorAnnotation] = field(unique=_UNIQUE_IDS)
    format_version: Optional[FormatVersion] = None
    image_attributes: Optional[Attributes] = None
    links: Optional[list[Link]] = None


@model
class ImageSequenceVectorAnnotation(ImageVectorAnnotation):
    """An image vector annotation in one frame of a sequence, part of a track."""

    track_id: int = field(required_message=_IN_SEQUENCE)
    is_keyframe: bool = False
    index: Optional[int] = None


@model
class ImageVectorFrame(Model):
    """One frame of an image vector sequence."""

    annotations: list[ImageSequenceVectorAnnotation] = field(unique=_UNIQUE_IDS)
    timestamp: Optional[Timestamp] = None
    format_version: Optional[FormatVersion] = None
    image_attributes: Optional[Attributes] = None


@model
class ImageSequenceVectorLabelAttributes(Model):
    """An image vector sequence label: one entry per frame, links between tracks."""

    frames: list[ImageVectorFrame]
    format_version: Optional[FormatVersion] = None
    links: Optional[list[Link]] = None


# --- point cloud ----------------------------------------------------------------------------


@model
class PointcloudSegmentationLabelAttributes(Model):
    """A point-cloud segmentation label: ``point_annotations`` holds an object id per point."""

    annotations: list[SegmentationAnnotation] = field(unique=_UNIQUE_IDS)
    point_annotations: list[int]
    image_attributes: Optional[Attributes] = None
    format_version: Optional[FormatVersion] = None


@model
class Velocity(Model):
    """How fast an object moves (``relative`` to the ego vehicle, if known)."""

    absolute: float
    relative: Optional[float] = None


@model
class Acceleration(Velocity):
    """How fast an object's speed changes."""


@model
class PointcloudCuboidAnnotation(Model):
    """A 3D box: centre ``position``, size ``dimensions``, heading ``yaw`` (radians)."""

    _discriminator = ("type", tuple(CuboidType.values()))

    id: int
    category_id: int = field(category=True)
    type: CuboidType = CuboidType.CUBOID
    position: XYZ
    dimensions: XYZ
    yaw: float
    rotation: Optional[Quaternion] = None
    attributes: Optional[Attributes] = None
    velocity: Optional[Velocity] = None
    acceleration: Optional[Acceleration] = None


@model
class PointcloudCuboidLabelAttributes(Model):
    """A point-cloud cuboid label."""

    annotations: list[PointcloudCuboidAnnotation] = field(unique=_UNIQUE_IDS)
    image_attributes: Optional[Attributes] = None
    format_version: Optional[FormatVersion] = None
    links: Optional[list[Link]] = None


@model
class PointcloudVectorAnnotation(Model):
    """A polygon, polyline or point in a point cloud (``[x, y, z]`` points)."""

    _discriminator = ("type", tuple(PcVectorType.values()))

    id: int
    category_id: int = field(category=True)
    type: PcVectorType
    points: list[list[float]]
    attributes: Optional[Attributes] = None

    @classmethod
    def _check_rules(
        cls, data: Mapping[str, Any], path: str, problems: Problems, ctx: Context
    ) -> None:
        _check_points(data, path, problems, _POINTCLOUD_POINT_COUNTS, 3)


@model
class PointcloudVectorLabelAttributes(Model):
    """A point-cloud vector label: vector shapes and cuboids, told apart by ``type``."""

    annotations: list[Union[PointcloudVectorAnnotation, PointcloudCuboidAnnotation]] = field(
        unique=_UNIQUE_IDS
    )
    image_attributes: Optional[Attributes] = None
    format_version: Optional[FormatVersion] = None
    links: Optional[list[Link]] = None


@model
class PointcloudSequenceCuboidAnnotation(PointcloudCuboidAnnotation):
    """A cuboid in one frame of a sequence, part of a track."""

    track_id: int = field(required_message=_IN_SEQUENCE)
    is_keyframe: bool = False
    index: Optional[int] = None


@model
class PointcloudCuboidFrame(Model):
    """One frame of a point-cloud cuboid sequence."""

    annotations: list[PointcloudSequenceCuboidAnnotation] = field(unique=_UNIQUE_IDS)
    timestamp: Optional[Timestamp] = None
    format_version: Optional[FormatVersion] = None
    image_attributes: Optional[Attributes] = None


@model
class PointcloudSequenceCuboidLabelAttributes(Model):
    """A point-cloud cuboid sequence label."""

    frames: list[PointcloudCuboidFrame]
    format_version: Optional[FormatVersion] = None
    links: Optional[list[Link]] = None


@model
class PointcloudSequenceVectorAnnotation(PointcloudVectorAnnotation):
    """A point-cloud vector shape in one frame of a sequence, part of a track."""

    track_id: int = field(required_message=_IN_SEQUENCE)
    is_keyframe: bool = False
    index: Optional[int] = None


@model
class PointcloudVectorFrame(Model):
    """One frame of a point-cloud vector sequence."""

    annotations: list[
        Union[PointcloudSequenceVectorAnnotation, PointcloudSequenceCuboidAnnotation]
    ] = field(unique=_UNIQUE_IDS)
    timestamp: Optional[Timestamp] = None
    format_version: Optional[FormatVersion] = None
    image_attributes: Optional[Attributes] = None
    links: Optional[list[Link]] = None


@model
class PointcloudSequenceVectorLabelAttributes(Model):
    """A point-cloud vector sequence label."""

    frames: list[PointcloudVectorFrame]
    format_version: Optional[FormatVersion] = None
    links: Optional[list[Link]] = None


@model
class PointcloudSequenceSegmentationAnnotation(SegmentationAnnotation):
    """An object of one frame of a point-cloud segmentation sequence."""

    track_id: int = field(required_message=_IN_SEQUENCE)
    is_keyframe: bool = False
    index: Optional[int] = None


@model
class PointcloudSegmentationFrame(Model):
    """One frame of a point-cloud segmentation sequence."""

    annotations: list[PointcloudSequenceSegmentationAnnotation] = field(unique=_UNIQUE_IDS)
    point_annotations: list[int]
    image_attributes: Optional[Attributes] = None
    format_version: Optional[FormatVersion] = None
    timestamp: Optional[Timestamp] = None


@model
class PointcloudSequenceSegmentationLabelAttributes(Model):
    """A point-cloud segmentation sequence label."""

    frames: list[PointcloudSegmentationFrame]
    format_version: Optional[FormatVersion] = None


# --- multi-sensor ---------------------------------------------------------------------------
# An unlabeled sensor's attributes may be [] (WIRE.md section 7).


@model
class PointcloudSequenceCuboidSensorLabel(Model):
    """The label of a point-cloud cuboid sensor of a multi-sensor sample."""

    _discriminator = ("task_type", (TaskType.POINTCLOUD_CUBOID_SEQUENCE.value,))

    name: str
    task_type: TaskType
    attributes: Union[PointcloudSequenceCuboidLabelAttributes, list[Any]]


@model
class PointcloudSequenceVectorSensorLabel(Model):
    """The label of a point-cloud vector sensor of a multi-sensor sample."""

    _discriminator = ("task_type", (TaskType.POINTCLOUD_VECTOR_SEQUENCE.value,))

    name: str
    task_type: TaskType
    attributes: Union[PointcloudSequenceVectorLabelAttributes, list[Any]]


@model
class PointcloudSequenceSegmentationSensorLabel(Model):
    """The label of a point-cloud segmentation sensor of a multi-sensor sample."""

    _discriminator = ("task_type", (TaskType.POINTCLOUD_SEGMENTATION_SEQUENCE.value,))

    name: str
    task_type: TaskType
    attributes: Union[PointcloudSequenceSegmentationLabelAttributes, list[Any]]


@model
class ImageSequenceVectorSensorLabel(Model):
    """The label of a camera sensor (vector) of a multi-sensor sample."""

    _discriminator = ("task_type", (TaskType.IMAGE_VECTOR_SEQUENCE.value,))

    name: str
    task_type: TaskType
    attributes: Union[ImageSequenceVectorLabelAttributes, list[Any]]


@model
class ImageSequenceSegmentationSensorLabel(Model):
    """The label of a camera sensor (segmentation) of a multi-sensor sample."""

    _discriminator = ("task_type", (TaskType.IMAGE_SEGMENTATION_SEQUENCE.value,))

    name: str
    task_type: TaskType
    attributes: Union[ImageSequenceSegmentationLabelAttributes, list[Any]]


SensorLabel = Union[
    PointcloudSequenceCuboidSensorLabel,
    PointcloudSequenceVectorSensorLabel,
    PointcloudSequenceSegmentationSensorLabel,
    ImageSequenceVectorSensorLabel,
    ImageSequenceSegmentationSensorLabel,
]


@model
class MultiSensorLabelAttributes(Model):
    """A multi-sensor label: one entry per sensor, in the sample's sensor order."""

    sensors: list[SensorLabel]
    links: Optional[list[Link]] = None
