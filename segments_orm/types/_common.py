"""Small shapes shared by sample and label attributes (WIRE.md sections 6 and 7)."""

from __future__ import annotations

from typing import Optional, Union

from segments_orm.types._base import Model, model

__all__ = ["URL", "XYZ", "FormatVersion", "PartialXYZ", "Quaternion", "Timestamp"]

# format_version is "0.1"-like text or a number (WIRE.md section 7).
FormatVersion = Union[str, float]
# A frame timestamp is text or a number (WIRE.md section 6).
Timestamp = Union[str, int, float]


@model
class URL(Model):
    """A file the platform fetches: an image, a segmentation bitmap.

    Attributes:
        url: Where the file is. Required when writing.
        signed_url: A time-limited URL the server adds on request; never needed on write.
    """

    url: str
    signed_url: Optional[str] = None


@model
class XYZ(Model):
    """A point or a size in 3D (metres in the point cloud's frame)."""

    x: float
    y: float
    z: float


@model
class PartialXYZ(Model):
    """A 3D value in which each axis may be left out (dimension limits, default sizes)."""

    x: Optional[float] = None
    y: Optional[float] = None
    z: Optional[float] = None


@model
class Quaternion(Model):
    """A rotation as a quaternion (``qw`` is the scalar part)."""

    qx: float
    qy: float
    qz: float
    qw: float
