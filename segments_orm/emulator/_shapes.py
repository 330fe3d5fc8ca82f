"""The emulator's own check of label attributes, per task type, and of stored JSON values.

The emulator imports nothing of the SDK but its enums, so that it checks the SDK rather than
agreeing with it by construction. The shapes follow WIRE.md 7: required keys present, the
top level of a label's attributes closed (an unknown key there is refused, as the platform
refuses ``{"wrong_key": ...}``), types and point counts checked. Below the top level unknown
keys are kept, as the platform's models ignore them.

A check raises `InvalidShapeError` whose message starts with the path of the offending value
(``annotations[0].points[1]: ...``); handlers answer it as a 400 naming the field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, Callable, Optional

__all__ = [
    "INT_RANGE",
    "InvalidShapeError",
    "check_json_values",
    "check_label_attributes",
    "json_checked",
    "may_hold_wide_integers",
    "non_finite_error",
]

#: The integers stored values may hold: 64-bit signed, what the platform's database keeps.
INT_RANGE = (-(2**63), 2**63 - 1)

Check = Callable[[Any, str], None]


class InvalidShapeError(ValueError):
    """A value that does not have the shape its place needs; the message names the path."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)


def _at(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        type(value), "a list" if isinstance(value, list) else "an object"
    )


# --- leaves -------------------------------------------------------------------------------


def _number(value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidShapeError(path, f"a number is required, got {_kind(value)}")
    if isinstance(value, int) and not INT_RANGE[0] <= value <= INT_RANGE[1]:
        raise InvalidShapeError(path, "the number is out of range")


def _integer(value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidShapeError(path, f"an integer is required, got {_kind(value)}")
    if not INT_RANGE[0] <= value <= INT_RANGE[1]:
        raise InvalidShapeError(path, "the integer is out of range (64-bit signed)")


def _string(value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise InvalidShapeError(path, f"a string is required, got {_kind(value)}")


def _boolean(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise InvalidShapeError(path, f"a boolean is required, got {_kind(value)}")


def _object(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise InvalidShapeError(path, f"an object is required, got {_kind(value)}")


def _text_or_number(value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidShapeError(path, f"a string or a number is required, got {_kind(value)}")


def _choice(*choices: str) -> Check:
    def check(value: Any, path: str) -> None:
        if value not in choices:
            raise InvalidShapeError(path, f"{value!r} is not one of {list(choices)}")

    return check


# --- containers ---------------------------------------------------------------------------


def _list(item: Check, *, unique_ids: bool = False) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise InvalidShapeError(path, f"a list is required, got {_kind(value)}")
        seen: set[Any] = set()
        for index, element in enumerate(value):
            item(element, f"{path}[{index}]")
            if unique_ids:
                if element["id"] in seen:
                    raise InvalidShapeError(
                        f"{path}[{index}].id", f"duplicate annotation id {element['id']}"
                    )
                seen.add(element["id"])

    return check


_MISSING = object()


def _obj(
    required: Mapping[str, Check],
    optional: Optional[Mapping[str, Check]] = None,
    *,
    closed: bool = False,
    rule: Optional[Check] = None,
) -> Check:
    """Check an object: required keys non-null, optional keys null or valid, maybe closed."""
    optional = dict(optional or {})
    known = sorted({*required, *optional})
    known_keys = frozenset(known)
    # Tuples, and the path of a child joined inline (what _at does, the keys being text):
    # this runs for every object of every label written.
    required_items = tuple(required.items())
    optional_items = tuple(optional.items())

    def check(value: Any, path: str) -> None:
        _object(value, path)
        # first, so that {"wrong_key": ...} is refused by that name
        if closed and not known_keys.issuperset(value):
            for key in value:
                if key not in known_keys:
                    raise InvalidShapeError(_at(path, key), f"unknown key; the keys are {known}")
        for key, item in required_items:
            child = value.get(key, _MISSING)
            if child is _MISSING:
                raise InvalidShapeError(_at(path, key), "this field is required")
            if child is None:
                raise InvalidShapeError(_at(path, key), "this field may not be null")
            item(child, f"{path}.{key}" if path else key)
        for key, item in optional_items:
            child = value.get(key)
            if child is not None:
                item(child, f"{path}.{key}" if path else key)
        if rule is not None:
            rule(value, path)

    return check


# --- WIRE.md 7 ----------------------------------------------------------------------------

_URL = _obj({"url": _string}, {"signed_url": _string})
_XYZ = _obj({"x": _number, "y": _number, "z": _number})
_QUATERNION = _obj({"qx": _number, "qy": _number, "qz": _number, "qw": _number})
_ATTRIBUTES = _object  # object and image attributes: a dict of plain values
_LINK = _obj(
    {"from_id": _integer, "to_id": _integer},
    {"attributes": _ATTRIBUTES, "frames": _list(_obj({}, {"attributes": _ATTRIBUTES}))},
)
_LINKS = _list(_LINK)
_FRAME_COMMON = {
    "timestamp": _text_or_number,
    "format_version": _text_or_number,
    "image_attributes": _ATTRIBUTES,
}
_TOP_COMMON = {"format_version": _text_or_number}

#: How many points each vector shape has: (at least, at most or None).
_POINT_COUNTS = {"bbox": (2, 2), "point": (1, 1), "polygon": (3, None), "polyline": (2, None)}


def _points(dimensions: int) -> Check:
    axes = "[x, y]" if dimensions == 2 else "[x, y, z]"

    def point(value: Any, path: str) -> None:
        if not isinstance(value, list) or len(value) != dimensions:
            raise InvalidShapeError(path, f"a point is {axes}")
        if all(type(number) is float for number in value):
            return  # a float is a number; only integers have a range to check
        for index, number in enumerate(value):
            _number(number, f"{path}[{index}]")

    return _list(point)


def _point_count(value: Any, path: str) -> None:
    low, high = _POINT_COUNTS[value["type"]]
    count = len(value["points"])
    if count < low or (high is not None and count > high):
        wanted = f"exactly {low}" if low == high else f"at least {low}"
        raise InvalidShapeError(
            _at(path, "points"), f"a {value['type']} has {wanted} points, got {count}"
        )


def _sequence_keys(in_sequence: bool) -> tuple[dict[str, Check], dict[str, Check]]:
    """Return the (required, optional) keys an annotation adds inside a sequence or not."""
    if in_sequence:
        return {"track_id": _integer}, {"is_keyframe": _boolean, "index": _integer}
    return {}, {"track_id": _integer}


def _vector_annotation(dimensions: int, in_sequence: bool) -> Check:
    types = (
        ("bbox", "polygon", "polyline", "point")
        if dimensions == 2
        else ("polygon", "polyline", "point")
    )
    extra_required, extra_optional = _sequence_keys(in_sequence)
    return _obj(
        {
            "id": _integer,
            "category_id": _integer,
            "type": _choice(*types),
            "points": _points(dimensions),
            **extra_required,
        },
        {"attributes": _ATTRIBUTES, **extra_optional},
        rule=_point_count,
    )


def _segment_annotation(in_sequence: bool) -> Check:
    extra_required, extra_optional = _sequence_keys(in_sequence)
    return _obj(
        {"id": _integer, "category_id": _integer, **extra_required},
        {"attributes": _ATTRIBUTES, **extra_optional},
    )


def _cuboid_annotation(in_sequence: bool) -> Check:
    extra_required, extra_optional = _sequence_keys(in_sequence)
    return _obj(
        {
            "id": _integer,
            "category_id": _integer,
            "type": _choice("cuboid", "cuboid-sync"),
            "position": _XYZ,
            "dimensions": _XYZ,
            "yaw": _number,
            **extra_required,
        },
        {
            "rotation": _QUATERNION,
            "attributes": _ATTRIBUTES,
            "velocity": _object,
            "acceleration": _object,
            **extra_optional,
        },
    )


def _pointcloud_vector_annotation(in_sequence: bool) -> Check:
    cuboid = _cuboid_annotation(in_sequence)
    vector = _vector_annotation(3, in_sequence)

    def check(value: Any, path: str) -> None:
        _object(value, path)
        kind = value.get("type")
        (cuboid if kind in ("cuboid", "cuboid-sync") else vector)(value, path)

    return check


def _annotations(item: Check) -> Check:
    return _list(item, unique_ids=True)


def _bitmap_unless_empty(value: Any, path: str) -> None:
    # Annotation ids name instances in the bitmap, so annotations need one; a label with no
    # annotations (what a prelabel step writes for "nothing here") may omit it.
    if value["annotations"] and value.get("segmentation_bitmap") is None:
        raise InvalidShapeError(_at(path, "segmentation_bitmap"), "this field is required")


_IMAGE_SEGMENTATION = _obj(
    {"annotations": _annotations(_segment_annotation(False))},
    {"segmentation_bitmap": _URL, "image_attributes": _ATTRIBUTES, **_TOP_COMMON},
    closed=True,
    rule=_bitmap_unless_empty,
)
_IMAGE_VECTOR = _obj(
    {"annotations": _annotations(_vector_annotation(2, False))},
    {"image_attributes": _ATTRIBUTES, "links": _LINKS, **_TOP_COMMON},
    closed=True,
)
_IMAGE_SEQUENCE_VECTOR = _obj(
    {
        "frames": _list(
            _obj({"annotations": _annotations(_vector_annotation(2, True))}, _FRAME_COMMON)
        )
    },
    {"links": _LINKS, **_TOP_COMMON},
    closed=True,
)
_IMAGE_SEQUENCE_SEGMENTATION = _obj(
    {
        "frames": _list(
            _obj(
                {"annotations": _annotations(_segment_annotation(True))},
                {"segmentation_bitmap": _URL, **_FRAME_COMMON},
            )
        )
    },
    _TOP_COMMON,
    closed=True,
)
_POINT_ANNOTATIONS = _list(_integer)
_POINTCLOUD_SEGMENTATION = _obj(
    {
        "annotations": _annotations(_segment_annotation(False)),
        "point_annotations": _POINT_ANNOTATIONS,
    },
    {"image_attributes": _ATTRIBUTES, **_TOP_COMMON},
    closed=True,
)
_POINTCLOUD_CUBOID = _obj(
    {"annotations": _annotations(_cuboid_annotation(False))},
    {"image_attributes": _ATTRIBUTES, "links": _LINKS, **_TOP_COMMON},
    closed=True,
)
_POINTCLOUD_VECTOR = _obj(
    {"annotations": _annotations(_pointcloud_vector_annotation(False))},
    {"image_attributes": _ATTRIBUTES, "links": _LINKS, **_TOP_COMMON},
    closed=True,
)
_POINTCLOUD_SEQUENCE_CUBOID = _obj(
    {"frames": _list(_obj({"annotations": _annotations(_cuboid_annotation(True))}, _FRAME_COMMON))},
    {"links": _LINKS, **_TOP_COMMON},
    closed=True,
)
_POINTCLOUD_SEQUENCE_VECTOR = _obj(
    {
        "frames": _list(
            _obj(
                {"annotations": _annotations(_pointcloud_vector_annotation(True))},
                {"links": _LINKS, **_FRAME_COMMON},
            )
        )
    },
    {"links": _LINKS, **_TOP_COMMON},
    closed=True,
)
_POINTCLOUD_SEQUENCE_SEGMENTATION = _obj(
    {
        "frames": _list(
            _obj(
                {
                    "annotations": _annotations(_segment_annotation(True)),
                    "point_annotations": _POINT_ANNOTATIONS,
                },
                _FRAME_COMMON,
            )
        )
    },
    _TOP_COMMON,
    closed=True,
)

_SENSOR_SHAPES: dict[str, Check] = {
    "pointcloud-cuboid-sequence": _POINTCLOUD_SEQUENCE_CUBOID,
    "pointcloud-vector-sequence": _POINTCLOUD_SEQUENCE_VECTOR,
    "pointcloud-segmentation-sequence": _POINTCLOUD_SEQUENCE_SEGMENTATION,
    "image-vector-sequence": _IMAGE_SEQUENCE_VECTOR,
    "image-segmentation-sequence": _IMAGE_SEQUENCE_SEGMENTATION,
}


def _sensor_attributes(value: Any, path: str) -> None:
    # The sensor's own shape is chosen by its task_type; [] marks an unlabeled sensor.
    if value["attributes"] == []:
        return
    _SENSOR_SHAPES[value["task_type"]](value["attributes"], _at(path, "attributes"))


_SENSOR = _obj(
    {"name": _string, "task_type": _choice(*_SENSOR_SHAPES), "attributes": lambda v, p: None},
    rule=_sensor_attributes,
)
_MULTISENSOR = _obj({"sensors": _list(_SENSOR)}, {"links": _LINKS, **_TOP_COMMON}, closed=True)

#: The label shape of each task type (WIRE.md 5).
LABEL_SHAPES: dict[str, Check] = {
    "segmentation-bitmap": _IMAGE_SEGMENTATION,
    "segmentation-bitmap-highres": _IMAGE_SEGMENTATION,
    "bboxes": _IMAGE_VECTOR,
    "vector": _IMAGE_VECTOR,
    "keypoints": _IMAGE_VECTOR,
    "image-vector-sequence": _IMAGE_SEQUENCE_VECTOR,
    "image-segmentation-sequence": _IMAGE_SEQUENCE_SEGMENTATION,
    "pointcloud-cuboid": _POINTCLOUD_CUBOID,
    "pointcloud-segmentation": _POINTCLOUD_SEGMENTATION,
    "pointcloud-vector": _POINTCLOUD_VECTOR,
    "pointcloud-cuboid-sequence": _POINTCLOUD_SEQUENCE_CUBOID,
    "pointcloud-segmentation-sequence": _POINTCLOUD_SEQUENCE_SEGMENTATION,
    "pointcloud-vector-sequence": _POINTCLOUD_SEQUENCE_VECTOR,
    "multisensor-sequence": _MULTISENSOR,
}


class _NonFinite:
    """Where a body held NaN, an infinity or a number past a float's range."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _float_or_marker(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def _int_or_marker(text: str) -> Any:
    # Python 3.11+ refuses more digits than this itself; the body parser said so already.
    return int(text) if len(text) <= 4300 else _NonFinite(text)


def non_finite_error(text: str) -> Optional[Any]:
    """Return the 400 body naming the field of a body's first NaN or infinity, if any.

    The body parser refuses NaN, ``Infinity`` and ``1e999`` (none can be stored and served
    back as JSON) before any field is known; this reads the body again to say where, in
    the shape of the other field errors: ``{"metadata": ["v: ..."]}``, and for a list
    body (bulk) one object per item, the offending one naming its field.
    """
    try:
        data = json.loads(
            text,
            parse_constant=_NonFinite,
            parse_float=_float_or_marker,
            parse_int=_int_or_marker,
        )
    except (ValueError, RecursionError):
        return None  # malformed for another reason: the parser's own message stands
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        item, where = stack.pop()
        if isinstance(item, _NonFinite):
            return _field_error(data, where, f"{item.text[:20]} is not a valid JSON number")
        if isinstance(item, dict):
            stack.extend((child, (*where, key)) for key, child in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((item[i], (*where, i)) for i in reversed(range(len(item))))
    return None


def _field_error(data: Any, where: tuple[Any, ...], message: str) -> Any:
    def named(keys: tuple[Any, ...]) -> dict[str, list[str]]:
        if not keys:
            return {"non_field_errors": [message]}
        rest = ""
        for key in keys[1:]:
            rest = f"{rest}[{key}]" if isinstance(key, int) else _at(rest, key)
        return {str(keys[0]): [f"{rest}: {message}" if rest else message]}

    if isinstance(data, list) and where:
        errors: list[Any] = [{} for _ in data]
        errors[where[0]] = named(where[1:])
        return errors
    return named(where)


def json_checked(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Return a field converter: ``convert``, then `check_json_values` on what it returns."""

    def checked(value: Any) -> Any:
        converted = convert(value)
        check_json_values(converted)
        return converted

    return checked


def check_label_attributes(task_type: str, attributes: Any, *, wide_integers: bool = True) -> None:
    """Check a label's attributes against the shape of its dataset's task type.

    A task type the emulator does not know (none today) is only checked for plain values.

    Args:
        task_type: The dataset's task type.
        attributes: The label's attributes.
        wide_integers: False when the body they came from cannot hold an integer past 64
            bits (`may_hold_wide_integers`): the walk looking for one is then skipped.

    Raises:
        InvalidShapeError: naming the path of the first problem found.
    """
    if wide_integers:
        check_json_values(attributes)
    shape = LABEL_SHAPES.get(task_type)
    if shape is not None:
        shape(attributes, "")


def check_json_values(value: Any, path: str = "") -> None:
    """Refuse integers a 64-bit column cannot keep, anywhere in a JSON document.

    NaN and infinities never get this far (the body parser refuses them). The walk uses an
    explicit stack, so a deeply nested document cannot exhaust Python's recursion.

    Raises:
        InvalidShapeError: naming the path of the first integer out of range.
    """
    if not _has_wide_integer(value):
        return
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, _at(where, key)) for key, child in item.items())
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{index}]") for index, child in enumerate(item))
        elif (
            isinstance(item, int)
            and not isinstance(item, bool)
            and not INT_RANGE[0] <= item <= INT_RANGE[1]
        ):
            raise InvalidShapeError(where, "the integer is out of range (64-bit signed)")


#: 19 digits in a row: the shortest integer past 64 bits has them (2**63 has 19 digits).
#: Spelt out, not [0-9]{19}: the regular expression engine finds it twice as fast.
_NINETEEN_DIGITS = re.compile(rb"[0-9]" * 19)


def may_hold_wide_integers(body: bytes) -> bool:
    """Tell whether a JSON text may hold an integer a 64-bit column cannot keep.

    A JSON integer is a run of ASCII digits, so a body without 19 of them in a row holds
    none: a search at C speed, instead of a walk over every value once parsed.
    """
    return _NINETEEN_DIGITS.search(body) is not None


def _has_wide_integer(value: Any) -> bool:
    # The walk of check_json_values without its paths, which only an error needs: naming
    # every child costs more than checking it.
    low, high = INT_RANGE
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not low <= item <= high:
            return True
    return False
