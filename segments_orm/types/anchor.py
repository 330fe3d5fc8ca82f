"""Issue anchors: what part of a sample an issue points at (:doc:`/protocol`).

Every anchor may name a ``sensor`` and a ``frame``; ``type`` tells the kinds apart.
"""

from __future__ import annotations

from typing import Optional, Union

from segments_orm.types._base import Model, field, model
from segments_orm.types._enums import AnchorType, CoordinateType

__all__ = [
    "BasicAnchor",
    "Coordinates2D",
    "Coordinates3D",
    "IssueAnchor",
    "LocationAnchor",
    "SceneAttributeAnchor",
    "TrackAnchor",
]


@model
class Coordinates2D(Model):
    """A location on an image."""

    _discriminator = ("type", (CoordinateType.TWO_D.value,))

    x: float
    y: float
    type: CoordinateType = CoordinateType.TWO_D


@model
class Coordinates3D(Model):
    """A location in a point cloud."""

    _discriminator = ("type", (CoordinateType.THREE_D.value,))

    x: float
    y: float
    z: float
    type: CoordinateType = CoordinateType.THREE_D


@model
class BasicAnchor(Model):
    """The whole sample (or one sensor or frame of it)."""

    _discriminator = ("type", (AnchorType.BASIC.value,))

    type: AnchorType = AnchorType.BASIC
    sensor: Optional[str] = None
    frame: Optional[int] = None


@model
class TrackAnchor(Model):
    """A track (object), optionally one of its attributes."""

    _discriminator = ("type", (AnchorType.TRACK.value,))

    type: AnchorType = AnchorType.TRACK
    track_number: int = field(wire="trackNumber")
    track_attribute: Optional[str] = field(default=None, wire="trackAttribute")
    sensor: Optional[str] = None
    frame: Optional[int] = None


@model
class SceneAttributeAnchor(Model):
    """A scene (image) attribute."""

    _discriminator = ("type", (AnchorType.SCENE_ATTRIBUTE.value,))

    type: AnchorType = AnchorType.SCENE_ATTRIBUTE
    scene_attribute: str = field(wire="sceneAttribute")
    sensor: Optional[str] = None
    frame: Optional[int] = None


@model
class LocationAnchor(Model):
    """A point on an image or in a point cloud."""

    _discriminator = ("type", (AnchorType.LOCATION.value,))

    type: AnchorType = AnchorType.LOCATION
    location: Union[Coordinates2D, Coordinates3D]
    sensor: Optional[str] = None
    frame: Optional[int] = None


IssueAnchor = Union[BasicAnchor, TrackAnchor, SceneAttributeAnchor, LocationAnchor]
