"""Argument checks shared by every resource: strict writes, clear messages, before sending.

Each check names the argument it refuses and says what was expected, and raises
`ValidationError` (a `SegmentsError`), never a bare ``TypeError`` or ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Callable, Optional

from segments_orm.enums import Category, StrEnum
from segments_orm.exceptions import ValidationError

__all__ = [
    "check_bool",
    "check_category",
    "check_choice",
    "check_choices",
    "check_int",
    "check_mapping",
    "check_name",
    "check_number",
    "check_optional_bool",
    "check_optional_name",
    "check_text",
    "choice_check",
    "minimum_check",
]

_MAX_NAME = 1024


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_name(value: Any, argument: str) -> str:
    """Return ``value`` if it is a usable name: a non-empty string without control chars."""
    if not isinstance(value, str):
        raise ValidationError(f"{argument}: expected a string, got {type(value).__name__}")
    if not value.strip():
        raise ValidationError(f"{argument}: must not be empty")
    if len(value) > _MAX_NAME:
        raise ValidationError(f"{argument}: too long ({len(value)} characters; at most 1024)")
    if not value.isprintable():
        raise ValidationError(f"{argument}: contains control characters: {_shown(value)}")
    return value


def check_optional_name(value: Any, argument: str) -> Optional[str]:
    """Return ``value`` if it is None or a usable name."""
    return None if value is None else check_name(value, argument)


def check_text(value: Any, argument: str) -> str:
    """Return ``value`` if it is a string (empty allowed)."""
    if not isinstance(value, str):
        raise ValidationError(f"{argument}: expected a string, got {type(value).__name__}")
    return value


def check_bool(value: Any, argument: str) -> bool:
    """Return ``value`` if it is a bool (not 0/1, not "true")."""
    if not isinstance(value, bool):
        raise ValidationError(f"{argument}: expected True or False, got {_shown(value)}")
    return value


def check_optional_bool(value: Any, argument: str) -> Optional[bool]:
    """Return ``value`` if it is None or a bool."""
    return None if value is None else check_bool(value, argument)


def check_int(value: Any, argument: str, *, minimum: Optional[int] = None) -> int:
    """Return ``value`` if it is an integer (not a bool), at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{argument}: expected an integer, got {_shown(value)}")
    if minimum is not None and value < minimum:
        raise ValidationError(f"{argument}: must be at least {minimum}, got {value}")
    return value


def check_number(value: Any, argument: str) -> float:
    """Return ``value`` if it is a finite int or float (not a bool, NaN or infinity)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(f"{argument}: expected a number, got {_shown(value)}")
    if not math.isfinite(value):
        raise ValidationError(f"{argument}: must be a finite number, got {value}")
    return value


def check_mapping(value: Any, argument: str) -> dict[str, Any]:
    """Return ``value`` as a dict if it is a mapping with string keys."""
    if not isinstance(value, Mapping):
        raise ValidationError(f"{argument}: expected a dict, got {type(value).__name__}")
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        raise ValidationError(f"{argument}: keys must be strings, got {_shown(bad[0])}")
    return dict(value)


def check_choice(value: Any, kind: type[StrEnum], argument: str) -> str:
    """Return the wire value of ``value`` if it is a member (or value) of ``kind``."""
    text = value.value if isinstance(value, kind) else value
    # The enum's own value index: a dict lookup, where values() builds a list per call
    # (this runs once per item of a bulk write).
    if not isinstance(text, str) or text not in kind._value2member_map_:
        allowed = ", ".join(repr(v) for v in kind.values() if v)
        raise ValidationError(f"{argument}: {_shown(value)} is not one of {allowed}")
    return text


def check_choices(value: Any, kind: type[StrEnum], argument: str) -> list[str]:
    """Return the wire values of one member of ``kind`` or a non-empty list of them."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, (list, tuple, set, frozenset)) or not values:
        raise ValidationError(f"{argument}: expected a {kind.__name__} or a list of them")
    return [check_choice(v, kind, argument) for v in values]


def check_category(value: Any, argument: str) -> str:
    """Return the wire value of a dataset category (`Category`, or ``custom-...``)."""
    if isinstance(value, str) and value.startswith("custom-") and len(value) > len("custom-"):
        return check_name(value, argument)
    try:
        return check_choice(value, Category, argument)
    except ValidationError:
        raise ValidationError(
            f"{argument}: {_shown(value)} is not a category; use one of "
            f"{', '.join(Category.values())} or 'custom-<name>'"
        ) from None


def choice_check(kind: type[StrEnum]) -> Callable[[Any, str], str]:
    """Return the field check (``check(value, name)``) of a choice among ``kind``."""

    def check(value: Any, argument: str) -> str:
        return check_choice(value, kind, argument)

    return check


def minimum_check(minimum: int) -> Callable[[Any, str], int]:
    """Return the field check of an integer that is at least ``minimum``."""

    def check(value: Any, argument: str) -> int:
        return check_int(value, argument, minimum=minimum)

    return check
