"""String enumerations of the platform's closed sets (:doc:`/protocol`).

Each member is also a ``str``, so ``TaskType.BBOXES == "bboxes"`` and members can be sent
as they are. Reading is lenient elsewhere: a value the server sends that is not listed here
stays a plain ``str`` (see `segments_orm._converter`).
"""

from __future__ import annotations

import enum
from typing import TypeVar, Union

__all__ = [
    "Category",
    "IssueStatus",
    "LabelStatus",
    "ReleaseStatus",
    "Role",
    "StrEnum",
    "Subscription",
    "TaskType",
    "coerce_enum",
]

E = TypeVar("E", bound="StrEnum")


class StrEnum(str, enum.Enum):
    """A ``str`` enum whose ``str()`` and format are its value (as Python 3.11's StrEnum)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    @classmethod
    def values(cls) -> list[str]:
        """List the wire values of every member, in declaration order."""
        return [str(m.value) for m in cls]


class TaskType(StrEnum):
    """The kind of labeling task a dataset holds; it decides the attribute models."""

    SEGMENTATION_BITMAP = "segmentation-bitmap"
    SEGMENTATION_BITMAP_HIGHRES = "segmentation-bitmap-highres"
    IMAGE_SEGMENTATION_SEQUENCE = "image-segmentation-sequence"
    BBOXES = "bboxes"
    VECTOR = "vector"
    IMAGE_VECTOR_SEQUENCE = "image-vector-sequence"
    KEYPOINTS = "keypoints"
    POINTCLOUD_CUBOID = "pointcloud-cuboid"
    POINTCLOUD_CUBOID_SEQUENCE = "pointcloud-cuboid-sequence"
    POINTCLOUD_SEGMENTATION = "pointcloud-segmentation"
    POINTCLOUD_SEGMENTATION_SEQUENCE = "pointcloud-segmentation-sequence"
    POINTCLOUD_VECTOR = "pointcloud-vector"
    POINTCLOUD_VECTOR_SEQUENCE = "pointcloud-vector-sequence"
    MULTISENSOR_SEQUENCE = "multisensor-sequence"
    EMPTY = ""


class LabelStatus(StrEnum):
    """Where a label stands in the labeling workflow."""

    REVIEWED = "REVIEWED"
    REVIEWING_IN_PROGRESS = "REVIEWING_IN_PROGRESS"
    LABELED = "LABELED"
    LABELING_IN_PROGRESS = "LABELING_IN_PROGRESS"
    REJECTED = "REJECTED"
    PRELABELED = "PRELABELED"
    SKIPPED = "SKIPPED"
    VERIFIED = "VERIFIED"
    UNLABELED = "UNLABELED"


class Role(StrEnum):
    """A collaborator's role on a dataset, or a member's role in an organization."""

    LABELER = "labeler"
    REVIEWER = "reviewer"
    MANAGER = "manager"
    ADMIN = "admin"


class Category(StrEnum):
    """The dataset category. The platform also accepts ``custom-<anything>``."""

    STREET_SCENERY = "street_scenery"
    GARDEN = "garden"
    AGRICULTURE = "agriculture"
    SATELLITE = "satellite"
    PEOPLE = "people"
    MEDICAL = "medical"
    FRUIT = "fruit"
    OTHER = "other"


class ReleaseStatus(StrEnum):
    """The state of a release being built."""

    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class IssueStatus(StrEnum):
    """Whether an issue is open or closed."""

    OPEN = "OPEN"
    CLOSED = "CLOSED"


class Subscription(StrEnum):
    """A user's subscription plan."""

    FREE = "FREE"
    STANDARD = "STANDARD"
    ENTERPRISE = "ENTERPRISE"
    ACADEMIC = "ACADEMIC"
    TRIAL = "TRIAL"


def coerce_enum(cls: type[E], value: Union[str, E]) -> Union[E, str]:
    """Return the member for ``value``, or ``value`` itself when it is not a member.

    This is the lenient read: an unknown value from the server is kept as a plain string.
    """
    if isinstance(value, cls):
        return value
    try:
        return cls(value)
    except ValueError:
        return value
