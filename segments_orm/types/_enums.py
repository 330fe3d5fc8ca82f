"""The closed sets that appear inside attributes (WIRE.md section 8).

Reads stay lenient: a value the server sends that is not listed here is kept as a plain
``str``. Writes are strict: `prepare_label_attributes` and friends refuse it and list the
allowed values.
"""

from __future__ import annotations

from segments_orm.enums import StrEnum

__all__ = [
    "AnchorType",
    "CameraConvention",
    "CoordinateType",
    "CuboidType",
    "DistortionModel",
    "HeightMapEncoding",
    "ImageVectorAnnotationType",
    "InputType",
    "PCDType",
    "PointcloudVectorAnnotationType",
    "WarningRuleName",
]


class InputType(StrEnum):
    """How a task attribute is entered in the labeling interface."""

    SELECT = "select"
    MULTISELECT = "multiselect"
    TEXT = "text"
    NUMBER = "number"
    CHECKBOX = "checkbox"
    VECTOR3 = "vector3"
    QUATERNION = "quaternion"
    POINTS = "points"


class PCDType(StrEnum):
    """The file format of a point cloud."""

    PCD = "pcd"
    BINARY_XYZI = "binary-xyzi"
    KITTI = "kitti"
    BINARY_XYZIR = "binary-xyzir"
    NUSCENES = "nuscenes"
    PLY = "ply"
    LAS = "las"
    SPLAT = "splat"


class CameraConvention(StrEnum):
    """The axis convention of a calibrated camera's extrinsics."""

    OPEN_CV = "OpenCV"
    OPEN_GL = "OpenGL"


class DistortionModel(StrEnum):
    """The lens distortion model of a calibrated camera."""

    FISHEYE = "fisheye"
    BROWN_CONRADY = "brown-conrady"


class HeightMapEncoding(StrEnum):
    """How a height map stores ground height in its pixels."""

    RGB16 = "rgb16"


class ImageVectorAnnotationType(StrEnum):
    """The shape of an image vector annotation."""

    BBOX = "bbox"
    POLYGON = "polygon"
    POLYLINE = "polyline"
    POINT = "point"


class CuboidType(StrEnum):
    """The kind of a point-cloud cuboid (``cuboid-sync`` is synced across sensors)."""

    CUBOID = "cuboid"
    CUBOID_SYNC = "cuboid-sync"


class PointcloudVectorAnnotationType(StrEnum):
    """The shape of a point-cloud vector annotation other than a cuboid."""

    POLYGON = "polygon"
    POLYLINE = "polyline"
    POINT = "point"


class AnchorType(StrEnum):
    """What an issue is attached to."""

    BASIC = "basic"
    TRACK = "track"
    SCENE_ATTRIBUTE = "sceneAttribute"
    LOCATION = "location"


class CoordinateType(StrEnum):
    """Whether an issue location is on an image (2d) or in a point cloud (3d)."""

    TWO_D = "2d"
    THREE_D = "3d"


class WarningRuleName(StrEnum):
    """The quality checks a dataset can warn labelers about."""

    INTERSECTING_CUBOIDS = "intersecting-cuboids"
    CUBOID_DIMENSION_LIMITS = "cuboid-dimension-limits"
