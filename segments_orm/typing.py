"""The names of the platform's ``segments.typing``, bound to segments-orm's own classes.

A script written for segments-ai 1.33 imports its models and enums from
``segments.typing``; changing the import to ``segments_orm.typing`` is the only edit it
needs. Each name here is one of our classes (nothing of the platform's package is
imported):

- resources: ``Dataset``, ``Sample``, ``Label``, ``Labelset``, ``Release``, ``Issue``,
  ``Collaborator``, ``User``, ``Workunit``, ``Owner``, ``LabelSummary``, and ``File``
  (our `Asset`). Objects the facade returns are instances of the
  :mod:`segments_orm.resource_api` subclasses of these, so ``isinstance`` checks pass.
- enums: ``TaskType``, ``LabelStatus``, ``Role``, ``Category``, ``ReleaseStatus``,
  ``IssueStatus``, ``Subscription`` and the attribute enums of `segments_orm.types`.
- attribute models: every sample, label and task attribute class and issue anchor of
  `segments_orm.types`, under the platform's names where they differ (for example
  ``IssueLocationAnchor`` is `segments_orm.types.LocationAnchor` and
  ``TaskAttributeCategory`` is `segments_orm.types.TaskCategory`). They take
  ``model_validate(dict)`` and give ``model_dump()``, as pydantic models do.
- nested records: ``LabelStats``, ``PresignedPostFields``, ``IssueComment`` (dicts that
  read their keys as attributes) and ``DeleteSamplesResponse``.

Names of the platform's pydantic internals (``BaseModel``, ``Enum``, the ``Base...``
helper classes) are not provided; docs/mapping.rst lists them.
"""

from __future__ import annotations

from typing import Any, Union

from segments_orm.enums import (
    Category,
    IssueStatus,
    LabelStatus,
    ReleaseStatus,
    Role,
    Subscription,
    TaskType,
)
from segments_orm.facade import DeleteSamplesResponse
from segments_orm.resource_api import IssueComment, LabelStats, PresignedPostFields
from segments_orm.resources import Asset as File
from segments_orm.resources import (
    Collaborator,
    Dataset,
    Issue,
    Label,
    Labelset,
    LabelSummary,
    Owner,
    Release,
    Sample,
    User,
    Workunit,
)
from segments_orm.types import (
    PCD,
    URL,
    XYZ,
    Acceleration,
    Bounds,
    CalibratedImage,
    CameraConvention,
    CameraExtrinsics,
    CameraIntrinsics,
    CuboidDimensionLimitsRule,
    EgoPose,
    FormatVersion,
    HeightMap,
    HeightMapEncoding,
    ImageFrame,
    ImageSampleAttributes,
    ImageSegmentationLabelAttributes,
    ImageSequenceSampleAttributes,
    ImageSequenceSegmentationAnnotation,
    ImageSequenceSegmentationLabelAttributes,
    ImageSequenceVectorAnnotation,
    ImageSequenceVectorLabelAttributes,
    ImageVectorAnnotation,
    ImageVectorAnnotationType,
    ImageVectorFrame,
    ImageVectorLabelAttributes,
    InputType,
    IntersectingCuboidsRule,
    IssueAnchor,
    Link,
    MultiSensorLabelAttributes,
    MultiSensorSampleAttributes,
    OrthoImage,
    OrthoImageCorners,
    PartialXYZ,
    PCDType,
    PointcloudCuboidAnnotation,
    PointcloudCuboidLabelAttributes,
    PointcloudSampleAttributes,
    PointcloudSegmentationFrame,
    PointcloudSegmentationLabelAttributes,
    PointcloudSequenceCuboidAnnotation,
    PointcloudSequenceCuboidLabelAttributes,
    PointcloudSequenceSampleAttributes,
    PointcloudSequenceSegmentationAnnotation,
    PointcloudSequenceSegmentationLabelAttributes,
    PointcloudSequenceVectorAnnotation,
    PointcloudSequenceVectorLabelAttributes,
    PointcloudVectorAnnotation,
    PointcloudVectorAnnotationType,
    PointcloudVectorLabelAttributes,
    TaskAttribute,
    TaskAttributes,
    TaskLinkAttribute,
    Timestamp,
    Velocity,
    WarningRule,
)
from segments_orm.types import BasicAnchor as IssueBasicAnchor
from segments_orm.types import BrownConradyCoefficients as BrownConradyDistortionCoefficients
from segments_orm.types import BrownConradyDistortion as DistortionBrownConrady
from segments_orm.types import CheckboxAttribute as CheckboxTaskAttribute
from segments_orm.types import CheckboxLinkAttribute as CheckboxTaskLinkAttribute
from segments_orm.types import Coordinates2D as IssueAnchor2DCoordinates
from segments_orm.types import Coordinates3D as IssueAnchor3DCoordinates
from segments_orm.types import CuboidType as PointcloudCuboidAnnotationType
from segments_orm.types import DistortionModel as CameraDistortionModel
from segments_orm.types import FisheyeCoefficients as FisheyeDistortionCoefficients
from segments_orm.types import FisheyeDistortion as DistortionFisheye
from segments_orm.types import ImageSegmentationFrame as ImageSequenceSegmentationFrame
from segments_orm.types import (
    ImageSequenceSegmentationSensorLabel as MultiSensorImageSequenceSegmentationLabelAttributes,
)
from segments_orm.types import ImageSequenceSensor as MultiSensorImageSequenceSampleAttributes
from segments_orm.types import (
    ImageSequenceVectorSensorLabel as MultiSensorImageSequenceVectorLabelAttributes,
)
from segments_orm.types import LinkFrame as LinkFrameAttributes
from segments_orm.types import LocationAnchor as IssueLocationAnchor
from segments_orm.types import MultiselectAttribute as MultiselectTaskAttribute
from segments_orm.types import MultiselectLinkAttribute as MultiselectTaskLinkAttribute
from segments_orm.types import NumberAttribute as NumberTaskAttribute
from segments_orm.types import NumberLinkAttribute as NumberTaskLinkAttribute
from segments_orm.types import PointcloudCuboidFrame as PointcloudSequenceCuboidFrame
from segments_orm.types import (
    PointcloudSequenceCuboidSensorLabel as MultiSensorPointcloudSequenceCuboidLabelAttributes,
)
from segments_orm.types import (
    PointcloudSequenceSegmentationSensorLabel as MultiSensorPointcloudSequenceSegmentationLabelAttributes,  # noqa: E501
)
from segments_orm.types import (
    PointcloudSequenceSensor as MultiSensorPointcloudSequenceSampleAttributes,
)
from segments_orm.types import (
    PointcloudSequenceVectorSensorLabel as MultiSensorPointcloudSequenceVectorLabelAttributes,
)
from segments_orm.types import PointcloudVectorFrame as PointcloudSequenceVectorFrame
from segments_orm.types import PointsAttribute as PointsTaskAttribute
from segments_orm.types import Quaternion as XYZW  # noqa: N814 - the platform's name
from segments_orm.types import QuaternionAttribute as QuaternionTaskAttribute
from segments_orm.types import SceneAttributeAnchor as IssueSceneAttributeAnchor
from segments_orm.types import SegmentationAnnotation as Annotation
from segments_orm.types import SelectAttribute as SelectTaskAttribute
from segments_orm.types import SelectLinkAttribute as SelectTaskLinkAttribute
from segments_orm.types import TaskCategory as TaskAttributeCategory
from segments_orm.types import TextAttribute as TextTaskAttribute
from segments_orm.types import TextLinkAttribute as TextTaskLinkAttribute
from segments_orm.types import TrackAnchor as IssueTrackAnchor
from segments_orm.types import Vector3Attribute as Vector3TaskAttribute

# The platform's plain type aliases.
RGB = tuple[int, int, int]
RGBA = tuple[int, int, int, int]
ObjectAttributes = dict[str, Any]
ImageAttributes = dict[str, Any]
LinkAttributes = dict[str, Any]
IssueAnchorCoordinates = Union[IssueAnchor2DCoordinates, IssueAnchor3DCoordinates]
Distortion = Union[DistortionFisheye, DistortionBrownConrady]
LabelAttributes = Union[
    ImageSegmentationLabelAttributes,
    ImageVectorLabelAttributes,
    ImageSequenceSegmentationLabelAttributes,
    ImageSequenceVectorLabelAttributes,
    PointcloudCuboidLabelAttributes,
    PointcloudVectorLabelAttributes,
    PointcloudSegmentationLabelAttributes,
    PointcloudSequenceCuboidLabelAttributes,
    PointcloudSequenceVectorLabelAttributes,
    PointcloudSequenceSegmentationLabelAttributes,
    MultiSensorLabelAttributes,
]
SampleAttributes = Union[
    ImageSampleAttributes,
    ImageSequenceSampleAttributes,
    PointcloudSampleAttributes,
    PointcloudSequenceSampleAttributes,
    MultiSensorSampleAttributes,
]

# Plain sorted() order, as the package meta test checks (not ruff's isort style).
__all__ = [  # noqa: RUF022
    "Acceleration",
    "Annotation",
    "Bounds",
    "BrownConradyDistortionCoefficients",
    "CalibratedImage",
    "CameraConvention",
    "CameraDistortionModel",
    "CameraExtrinsics",
    "CameraIntrinsics",
    "Category",
    "CheckboxTaskAttribute",
    "CheckboxTaskLinkAttribute",
    "Collaborator",
    "CuboidDimensionLimitsRule",
    "Dataset",
    "DeleteSamplesResponse",
    "Distortion",
    "DistortionBrownConrady",
    "DistortionFisheye",
    "EgoPose",
    "File",
    "FisheyeDistortionCoefficients",
    "FormatVersion",
    "HeightMap",
    "HeightMapEncoding",
    "ImageAttributes",
    "ImageFrame",
    "ImageSampleAttributes",
    "ImageSegmentationLabelAttributes",
    "ImageSequenceSampleAttributes",
    "ImageSequenceSegmentationAnnotation",
    "ImageSequenceSegmentationFrame",
    "ImageSequenceSegmentationLabelAttributes",
    "ImageSequenceVectorAnnotation",
    "ImageSequenceVectorLabelAttributes",
    "ImageVectorAnnotation",
    "ImageVectorAnnotationType",
    "ImageVectorFrame",
    "ImageVectorLabelAttributes",
    "InputType",
    "IntersectingCuboidsRule",
    "Issue",
    "IssueAnchor",
    "IssueAnchor2DCoordinates",
    "IssueAnchor3DCoordinates",
    "IssueAnchorCoordinates",
    "IssueBasicAnchor",
    "IssueComment",
    "IssueLocationAnchor",
    "IssueSceneAttributeAnchor",
    "IssueStatus",
    "IssueTrackAnchor",
    "Label",
    "LabelAttributes",
    "LabelStats",
    "LabelStatus",
    "LabelSummary",
    "Labelset",
    "Link",
    "LinkAttributes",
    "LinkFrameAttributes",
    "MultiSensorImageSequenceSampleAttributes",
    "MultiSensorImageSequenceSegmentationLabelAttributes",
    "MultiSensorImageSequenceVectorLabelAttributes",
    "MultiSensorLabelAttributes",
    "MultiSensorPointcloudSequenceCuboidLabelAttributes",
    "MultiSensorPointcloudSequenceSampleAttributes",
    "MultiSensorPointcloudSequenceSegmentationLabelAttributes",
    "MultiSensorPointcloudSequenceVectorLabelAttributes",
    "MultiSensorSampleAttributes",
    "MultiselectTaskAttribute",
    "MultiselectTaskLinkAttribute",
    "NumberTaskAttribute",
    "NumberTaskLinkAttribute",
    "ObjectAttributes",
    "OrthoImage",
    "OrthoImageCorners",
    "Owner",
    "PCD",
    "PCDType",
    "PartialXYZ",
    "PointcloudCuboidAnnotation",
    "PointcloudCuboidAnnotationType",
    "PointcloudCuboidLabelAttributes",
    "PointcloudSampleAttributes",
    "PointcloudSegmentationFrame",
    "PointcloudSegmentationLabelAttributes",
    "PointcloudSequenceCuboidAnnotation",
    "PointcloudSequenceCuboidFrame",
    "PointcloudSequenceCuboidLabelAttributes",
    "PointcloudSequenceSampleAttributes",
    "PointcloudSequenceSegmentationAnnotation",
    "PointcloudSequenceSegmentationLabelAttributes",
    "PointcloudSequenceVectorAnnotation",
    "PointcloudSequenceVectorFrame",
    "PointcloudSequenceVectorLabelAttributes",
    "PointcloudVectorAnnotation",
    "PointcloudVectorAnnotationType",
    "PointcloudVectorLabelAttributes",
    "PointsTaskAttribute",
    "PresignedPostFields",
    "QuaternionTaskAttribute",
    "RGB",
    "RGBA",
    "Release",
    "ReleaseStatus",
    "Role",
    "Sample",
    "SampleAttributes",
    "SelectTaskAttribute",
    "SelectTaskLinkAttribute",
    "Subscription",
    "TaskAttribute",
    "TaskAttributeCategory",
    "TaskAttributes",
    "TaskLinkAttribute",
    "TaskType",
    "TextTaskAttribute",
    "TextTaskLinkAttribute",
    "Timestamp",
    "URL",
    "User",
    "Vector3TaskAttribute",
    "Velocity",
    "WarningRule",
    "Workunit",
    "XYZ",
    "XYZW",
]
