"""Small builders for the annotations users otherwise write by hand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union, overload

from segments_orm.exceptions import ValidationError
from segments_orm.types._common import XYZ, Quaternion
from segments_orm.types._enums import CuboidType, ImageVectorAnnotationType
from segments_orm.types.label import (
    ImageSequenceVectorAnnotation,
    ImageVectorAnnotation,
    PointcloudCuboidAnnotation,
    PointcloudSequenceCuboidAnnotation,
)

__all__ = ["bbox", "cuboid"]

Vector3 = Union[XYZ, Sequence[float], Mapping[str, float]]


def _keyframe_needs_track(is_keyframe: Optional[bool]) -> None:
    if is_keyframe is not None:
        raise ValidationError.from_errors(
            ["is_keyframe: only sequence annotations have it; give a track_id too"],
            "Invalid annotation",
        )


@overload
def bbox(
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    *,
    id: int,
    category_id: int,
    attributes: Optional[dict[str, Any]] = None,
    track_id: None = None,
    is_keyframe: None = None,
) -> ImageVectorAnnotation: ...


@overload
def bbox(
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    *,
    id: int,
    category_id: int,
    attributes: Optional[dict[str, Any]] = None,
    track_id: int,
    is_keyframe: Optional[bool] = None,
) -> ImageSequenceVectorAnnotation: ...


def bbox(
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    *,
    id: int,
    category_id: int,
    attributes: Optional[dict[str, Any]] = None,
    track_id: Optional[int] = None,
    is_keyframe: Optional[bool] = None,
) -> ImageVectorAnnotation:
    """Build a bbox annotation from two opposite corners, in pixels.

    The corners may come in any order: the points are stored as top-left, bottom-right.

    Args:
        x0: The x of one corner.
        y0: The y of the same corner.
        x1: The x of the opposite corner.
        y1: The y of the opposite corner.
        id: The object id, unique in the label (in the frame, for sequences).
        category_id: The category.
        attributes: Object attribute values.
        track_id: Makes it an annotation of a sequence frame, part of this track.
        is_keyframe: Whether this frame is a keyframe of the track (sequences only).

    Returns:
        An `ImageVectorAnnotation`, or an `ImageSequenceVectorAnnotation` when
        ``track_id`` is given.
    """
    points = [[min(x0, x1), min(y0, y1)], [max(x0, x1), max(y0, y1)]]
    kind = ImageVectorAnnotationType.BBOX
    if track_id is None:
        _keyframe_needs_track(is_keyframe)
        return ImageVectorAnnotation(
            id=id, category_id=category_id, type=kind, points=points, attributes=attributes
        )
    return ImageSequenceVectorAnnotation(
        id=id,
        category_id=category_id,
        type=kind,
        points=points,
        attributes=attributes,
        track_id=track_id,
        is_keyframe=bool(is_keyframe),
    )


def _xyz(value: Vector3, name: str) -> XYZ:
    if isinstance(value, XYZ):
        return value
    if isinstance(value, Mapping):
        return XYZ.from_json(value)  # checks it: a missing axis is a ValidationError
    if len(value) != 3:
        raise ValidationError.from_errors(
            [f"{name}: expected 3 numbers (x, y, z), got {len(value)}"], "Invalid cuboid"
        )
    x, y, z = value
    return XYZ(x=x, y=y, z=z)


@overload
def cuboid(
    position: Vector3,
    dimensions: Vector3,
    yaw: float,
    *,
    id: int,
    category_id: int,
    type: Union[CuboidType, str] = CuboidType.CUBOID,
    rotation: Optional[Quaternion] = None,
    attributes: Optional[dict[str, Any]] = None,
    track_id: None = None,
    is_keyframe: None = None,
) -> PointcloudCuboidAnnotation: ...


@overload
def cuboid(
    position: Vector3,
    dimensions: Vector3,
    yaw: float,
    *,
    id: int,
    category_id: int,
    type: Union[CuboidType, str] = CuboidType.CUBOID,
    rotation: Optional[Quaternion] = None,
    attributes: Optional[dict[str, Any]] = None,
    track_id: int,
    is_keyframe: Optional[bool] = None,
) -> PointcloudSequenceCuboidAnnotation: ...


def cuboid(
    position: Vector3,
    dimensions: Vector3,
    yaw: float,
    *,
    id: int,
    category_id: int,
    type: Union[CuboidType, str] = CuboidType.CUBOID,
    rotation: Optional[Quaternion] = None,
    attributes: Optional[dict[str, Any]] = None,
    track_id: Optional[int] = None,
    is_keyframe: Optional[bool] = None,
) -> PointcloudCuboidAnnotation:
    """Build a cuboid annotation from its centre, size and heading.

    Args:
        position: The centre, as `XYZ`, ``(x, y, z)`` or ``{"x":, "y":, "z":}``.
        dimensions: The size along the cuboid's own axes, in the same forms.
        yaw: The heading around the z axis, in radians.
        id: The object id, unique in the label (in the frame, for sequences).
        category_id: The category.
        type: ``cuboid``, or ``cuboid-sync`` for a cuboid synced across sensors.
        rotation: A full rotation, when the cuboid is not upright.
        attributes: Object attribute values.
        track_id: Makes it an annotation of a sequence frame, part of this track.
        is_keyframe: Whether this frame is a keyframe of the track (sequences only).

    Returns:
        A `PointcloudCuboidAnnotation`, or a `PointcloudSequenceCuboidAnnotation` when
        ``track_id`` is given.
    """
    common: dict[str, Any] = {
        "id": id,
        "category_id": category_id,
        "type": CuboidType(type) if type in CuboidType.values() else type,
        "position": _xyz(position, "position"),
        "dimensions": _xyz(dimensions, "dimensions"),
        "yaw": yaw,
        "rotation": rotation,
        "attributes": attributes,
    }
    if track_id is None:
        _keyframe_needs_track(is_keyframe)
        return PointcloudCuboidAnnotation(**common)
    return PointcloudSequenceCuboidAnnotation(
        **common, track_id=track_id, is_keyframe=bool(is_keyframe)
    )
