"""Task attributes: a dataset's categories, attribute definitions and warning rules.

Every attribute definition is told apart by ``input_type``, every
warning rule by ``name``; keys the models do not declare (the docs mention
``lock_dimensions``, ``lock_rotation``, ``lock_position``) are kept in ``extra``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Optional, Union

from segments_orm.types._base import Context, Model, Problems, field, model
from segments_orm.types._common import FormatVersion, PartialXYZ
from segments_orm.types._enums import InputType, WarningRuleName

__all__ = [
    "AttributeDefinition",
    "CheckboxAttribute",
    "CheckboxLinkAttribute",
    "ChoiceAttribute",
    "CuboidDimensionLimitsRule",
    "IntersectingCuboidsRule",
    "MultiselectAttribute",
    "MultiselectLinkAttribute",
    "NumberAttribute",
    "NumberLinkAttribute",
    "PointsAttribute",
    "QuaternionAttribute",
    "SelectAttribute",
    "SelectLinkAttribute",
    "TaskAttribute",
    "TaskAttributes",
    "TaskCategory",
    "TaskLinkAttribute",
    "TextAttribute",
    "TextLinkAttribute",
    "Vector3Attribute",
    "WarningRule",
]

# The server sends an unset number limit as "" (WIRE.md section 9); it must survive a
# read-modify-write, so "" is a legal value.
NumberLimit = Union[float, Literal[""]]


def _tag(input_type: InputType) -> tuple[str, tuple[str, ...]]:
    return ("input_type", (input_type.value,))


@model
class AttributeDefinition(Model):
    """Fields every attribute definition has; use one of the subclasses.

    Attributes:
        name: The key under which labels store the value.
        input_type: How the value is entered; each subclass fixes it.
        is_mandatory: Labelers must fill it in.
        is_track_level: One value per track rather than per frame (sequences).
        synced_across_sensors: The value is shared by a track's objects in all sensors.
        sensor_filter: Only show it for sensors whose name matches.
    """

    name: str
    input_type: InputType
    is_mandatory: Optional[bool] = None
    is_track_level: Optional[bool] = None
    synced_across_sensors: Optional[bool] = None
    sensor_filter: Optional[str] = None


@model
class ChoiceAttribute(AttributeDefinition):
    """Fields of the attributes that choose from a list; use a subclass."""

    values: list[str]

    @classmethod
    def _check_rules(
        cls, data: Mapping[str, Any], path: str, problems: Problems, ctx: Context
    ) -> None:
        values, default = data.get("values"), data.get("default_value")
        if not isinstance(values, list):
            return
        chosen = default if isinstance(default, list) else [default]
        for value in chosen:
            if isinstance(value, str) and value not in values:
                sub = f"{path}.default_value" if path else "default_value"
                problems.add(sub, f"{value!r} is not one of the values")


@model
class SelectAttribute(ChoiceAttribute):
    """Pick one of ``values``."""

    _discriminator = _tag(InputType.SELECT)

    input_type: InputType = InputType.SELECT
    default_value: Optional[str] = None


@model
class MultiselectAttribute(ChoiceAttribute):
    """Pick any of ``values``."""

    _discriminator = _tag(InputType.MULTISELECT)

    input_type: InputType = InputType.MULTISELECT
    default_value: Optional[Union[str, list[str]]] = None


@model
class TextAttribute(AttributeDefinition):
    """Free text."""

    _discriminator = _tag(InputType.TEXT)

    input_type: InputType = InputType.TEXT
    default_value: Optional[str] = None


@model
class NumberAttribute(AttributeDefinition):
    """A number, optionally limited (``min``, ``max``) and stepped (``step``)."""

    _discriminator = _tag(InputType.NUMBER)

    input_type: InputType = InputType.NUMBER
    default_value: Optional[float] = None
    min: Optional[NumberLimit] = None
    max: Optional[NumberLimit] = None
    step: Optional[NumberLimit] = None


@model
class CheckboxAttribute(AttributeDefinition):
    """True or false."""

    _discriminator = _tag(InputType.CHECKBOX)

    input_type: InputType = InputType.CHECKBOX
    default_value: Optional[bool] = None


@model
class Vector3Attribute(AttributeDefinition):
    """A 3D vector."""

    _discriminator = _tag(InputType.VECTOR3)

    input_type: InputType = InputType.VECTOR3


@model
class QuaternionAttribute(AttributeDefinition):
    """A rotation."""

    _discriminator = _tag(InputType.QUATERNION)

    input_type: InputType = InputType.QUATERNION


@model
class PointsAttribute(AttributeDefinition):
    """A list of points."""

    _discriminator = _tag(InputType.POINTS)

    input_type: InputType = InputType.POINTS


# Link attributes take the five simple input types. ``is_track_level`` defaults to true:
# the value is stored once per link (Link.attributes) unless it is false (Link.frames).


@model
class SelectLinkAttribute(SelectAttribute):
    """A link attribute: pick one of ``values``."""

    is_track_level: Optional[bool] = True


@model
class MultiselectLinkAttribute(MultiselectAttribute):
    """A link attribute: pick any of ``values``."""

    is_track_level: Optional[bool] = True


@model
class TextLinkAttribute(TextAttribute):
    """A link attribute: free text."""

    is_track_level: Optional[bool] = True


@model
class NumberLinkAttribute(NumberAttribute):
    """A link attribute: a number."""

    is_track_level: Optional[bool] = True


@model
class CheckboxLinkAttribute(CheckboxAttribute):
    """A link attribute: true or false."""

    is_track_level: Optional[bool] = True


TaskAttribute = Union[
    SelectAttribute,
    MultiselectAttribute,
    TextAttribute,
    NumberAttribute,
    CheckboxAttribute,
    Vector3Attribute,
    QuaternionAttribute,
    PointsAttribute,
]
TaskLinkAttribute = Union[
    SelectLinkAttribute,
    MultiselectLinkAttribute,
    TextLinkAttribute,
    NumberLinkAttribute,
    CheckboxLinkAttribute,
]


@model
class TaskCategory(Model):
    """A category objects can have.

    Attributes:
        color: ``[r, g, b]`` or ``[r, g, b, a]``, each 0 to 255.
        link_category_restrictions: The categories this one may link to; None means any,
            ``[]`` means none (the two differ on the wire and are kept apart).
        dimensions: Default cuboid size.
    """

    name: str
    id: int
    color: Optional[list[int]] = None
    has_instances: Optional[bool] = None
    attributes: Optional[list[TaskAttribute]] = None
    link_attributes: Optional[list[TaskLinkAttribute]] = None
    link_category_restrictions: Optional[list[int]] = None
    dimensions: Optional[PartialXYZ] = None

    @classmethod
    def _check_rules(
        cls, data: Mapping[str, Any], path: str, problems: Problems, ctx: Context
    ) -> None:
        color = data.get("color")
        if isinstance(color, list):
            sub = f"{path}.color" if path else "color"
            if len(color) not in (3, 4):
                problems.add(sub, f"a color is [r, g, b] or [r, g, b, a], got {len(color)} values")
            elif any(isinstance(c, int) and not 0 <= c <= 255 for c in color):
                problems.add(sub, "color values are 0 to 255")


@model
class IntersectingCuboidsRule(Model):
    """Warn when cuboids intersect, except for the excluded categories."""

    _discriminator = ("name", (WarningRuleName.INTERSECTING_CUBOIDS.value,))

    name: WarningRuleName = WarningRuleName.INTERSECTING_CUBOIDS
    excluded_categories: Optional[list[int]] = None
    excluded_set_of_categories: Optional[list[int]] = None


@model
class CuboidDimensionLimitsRule(Model):
    """Warn when cuboids of the given categories are smaller or larger than the limits."""

    _discriminator = ("name", (WarningRuleName.CUBOID_DIMENSION_LIMITS.value,))

    name: WarningRuleName = WarningRuleName.CUBOID_DIMENSION_LIMITS
    categories: Optional[list[int]] = None
    min: Optional[PartialXYZ] = None
    max: Optional[PartialXYZ] = None


WarningRule = Union[IntersectingCuboidsRule, CuboidDimensionLimitsRule]


@model
class TaskAttributes(Model):
    """A dataset's labeling setup.

    Attributes:
        categories: The categories; the docs call them required and non-empty.
        image_attributes: Attributes of the whole image, frame or scene.
        warning_rules: Quality checks shown to labelers.
        circle_radius: The radius of drawn circles (keypoints), per the docs.
    """

    format_version: Optional[FormatVersion] = None
    categories: Optional[list[TaskCategory]] = field(default=None, unique=("id", "category id"))
    image_attributes: Optional[list[TaskAttribute]] = None
    warning_rules: Optional[list[WarningRule]] = None
    circle_radius: Optional[int] = None

    def category_ids(self) -> frozenset[int]:
        """Return the ids of the categories (for `prepare_label_attributes`)."""
        return frozenset(c.id for c in self.categories or () if isinstance(c, TaskCategory))
