"""Sample attributes: what a sample *is* (:doc:`/protocol`).

One model per sample shape: `ImageSampleAttributes`, `ImageSequenceSampleAttributes`,
`PointcloudSampleAttributes`, `PointcloudSequenceSampleAttributes` and
`MultiSensorSampleAttributes`; `task_models` says which one a dataset takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional, Union

from segments_orm.enums import TaskType
from segments_orm.types._base import Context, Model, Problems, field, model
from segments_orm.types._common import URL, XYZ, Quaternion, Timestamp
from segments_orm.types._enums import CameraConvention, DistortionModel, HeightMapEncoding, PCDType

# Plain sorted() order, as the package meta test checks (not ruff's isort style).
__all__ = [  # noqa: RUF022
    "Bounds",
    "BrownConradyCoefficients",
    "BrownConradyDistortion",
    "CalibratedImage",
    "CameraExtrinsics",
    "CameraIntrinsics",
    "EgoPose",
    "FisheyeCoefficients",
    "FisheyeDistortion",
    "HeightMap",
    "ImageFrame",
    "ImageSampleAttributes",
    "ImageSequenceSampleAttributes",
    "ImageSequenceSensor",
    "MultiSensorSampleAttributes",
    "OrthoImage",
    "OrthoImageCorners",
    "PCD",
    "PointcloudSampleAttributes",
    "PointcloudSequenceSampleAttributes",
    "PointcloudSequenceSensor",
    "SensorSample",
    "XY",
]

_POINTCLOUD_SEQUENCES = (
    TaskType.POINTCLOUD_CUBOID_SEQUENCE.value,
    TaskType.POINTCLOUD_VECTOR_SEQUENCE.value,
    TaskType.POINTCLOUD_SEGMENTATION_SEQUENCE.value,
)
_IMAGE_SEQUENCES = (
    TaskType.IMAGE_VECTOR_SEQUENCE.value,
    TaskType.IMAGE_SEGMENTATION_SEQUENCE.value,
)


@model
class ImageSampleAttributes(Model):
    """One image (segmentation-bitmap, bboxes, vector and keypoints datasets)."""

    image: URL


@model
class ImageFrame(Model):
    """One frame of an image sequence."""

    image: URL
    name: Optional[str] = None
    timestamp: Optional[Timestamp] = None


@model
class ImageSequenceSampleAttributes(Model):
    """An image sequence: its frames, in order."""

    frames: list[ImageFrame]


@model
class PCD(Model):
    """The point-cloud file of a point-cloud sample."""

    url: str
    type: PCDType
    signed_url: Optional[str] = None


@model
class EgoPose(Model):
    """Where the ego vehicle is (``position``) and which way it faces (``heading``)."""

    position: XYZ
    heading: Quaternion


@model
class Bounds(Model):
    """The part of the point cloud to show; each limit may be left out."""

    min_x: Optional[float] = None
    max_x: Optional[float] = None
    min_y: Optional[float] = None
    max_y: Optional[float] = None
    min_z: Optional[float] = None
    max_z: Optional[float] = None


@model
class XY(Model):
    """A 2D point on the ground plane (world frame)."""

    x: float
    y: float


@model
class OrthoImageCorners(Model):
    """Where each corner of an ortho image lands on the ground plane."""

    top_left: XY
    top_right: XY
    bottom_right: XY
    bottom_left: XY


@model
class HeightMap(Model):
    """Ground height under an ortho image (``rgb16``: z = offset + (R*256 + G) * scale).

    ``offset`` and ``scale`` are always sent: the server applies no defaults.
    """

    url: str
    encoding: HeightMapEncoding = HeightMapEncoding.RGB16
    offset: float = 0
    scale: float = 1
    signed_url: Optional[str] = None

    @classmethod
    def _check_rules(
        cls, data: Mapping[str, Any], path: str, problems: Problems, ctx: Context
    ) -> None:
        scale = data.get("scale")
        if isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale <= 0:
            problems.add(f"{path}.scale" if path else "scale", f"must be above 0, got {scale}")


@model
class OrthoImage(Model):
    """A top-down image rendered under the point cloud, stretched over its corners."""

    url: str
    corners: OrthoImageCorners
    signed_url: Optional[str] = None
    height_map: Optional[HeightMap] = None


@model
class CameraIntrinsics(Model):
    """A camera's 3x3 intrinsic matrix (row-major)."""

    intrinsic_matrix: list[list[float]]

    @classmethod
    def _check_rules(
        cls, data: Mapping[str, Any], path: str, problems: Problems, ctx: Context
    ) -> None:
        matrix = data.get("intrinsic_matrix")
        if isinstance(matrix, list) and not (
            len(matrix) == 3 and all(isinstance(row, list) and len(row) == 3 for row in matrix)
        ):
            sub = f"{path}.intrinsic_matrix" if path else "intrinsic_matrix"
            problems.add(sub, "must be a 3x3 matrix (3 rows of 3 numbers)")


@model
class CameraExtrinsics(Model):
    """Where a camera is relative to the point cloud."""

    translation: XYZ
    rotation: Quaternion


@model
class FisheyeCoefficients(Model):
    """The coefficients of the fisheye distortion model."""

    k1: float
    k2: float
    k3: float
    k4: float


@model
class BrownConradyCoefficients(Model):
    """The coefficients of the Brown-Conrady distortion model (k4 to k6 optional)."""

    k1: float
    k2: float
    p1: float
    p2: float
    k3: float
    k4: Optional[float] = None
    k5: Optional[float] = None
    k6: Optional[float] = None


@model
class FisheyeDistortion(Model):
    """Fisheye lens distortion."""

    _discriminator = ("model", (DistortionModel.FISHEYE.value,))

    model: DistortionModel = DistortionModel.FISHEYE
    coefficients: FisheyeCoefficients


@model
class BrownConradyDistortion(Model):
    """Brown-Conrady lens distortion."""

    _discriminator = ("model", (DistortionModel.BROWN_CONRADY.value,))

    model: DistortionModel = DistortionModel.BROWN_CONRADY
    coefficients: BrownConradyCoefficients


@model
class CalibratedImage(Model):
    """A camera image shown with a point cloud, with its calibration."""

    url: str
    signed_url: Optional[str] = None
    row: Optional[int] = None
    col: Optional[int] = None
    intrinsics: Optional[CameraIntrinsics] = None
    extrinsics: Optional[CameraExtrinsics] = None
    distortion: Optional[Union[FisheyeDistortion, BrownConradyDistortion]] = None
    camera_convention: CameraConvention = CameraConvention.OPEN_GL
    name: Optional[str] = None
    rotation: Optional[float] = None


@model
class PointcloudSampleAttributes(Model):
    """One point cloud, with its camera images (also a frame of a point-cloud sequence)."""

    pcd: PCD
    images: list[CalibratedImage] = field(factory=list)
    ego_pose: Optional[EgoPose] = None
    default_z: Optional[float] = None
    name: Optional[str] = None
    timestamp: Optional[Timestamp] = None
    bounds: Optional[Bounds] = None
    ortho_images: Optional[list[OrthoImage]] = None


@model
class PointcloudSequenceSampleAttributes(Model):
    """A point-cloud sequence; ortho images are shared by all frames."""

    frames: list[PointcloudSampleAttributes]
    ortho_images: Optional[list[OrthoImage]] = None


@model
class PointcloudSequenceSensor(Model):
    """A point-cloud sensor of a multi-sensor sample."""

    _discriminator = ("task_type", _POINTCLOUD_SEQUENCES)

    name: str
    task_type: TaskType
    attributes: PointcloudSequenceSampleAttributes


@model
class ImageSequenceSensor(Model):
    """A camera sensor of a multi-sensor sample."""

    _discriminator = ("task_type", _IMAGE_SEQUENCES)

    name: str
    task_type: TaskType
    attributes: ImageSequenceSampleAttributes


SensorSample = Union[PointcloudSequenceSensor, ImageSequenceSensor]


@model
class MultiSensorSampleAttributes(Model):
    """Several synchronized sensors; each is validated by its own ``task_type``."""

    sensors: list[SensorSample]
