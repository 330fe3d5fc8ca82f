"""The one cattrs converter of segments-orm, configured in this module only.

Its hooks are registered in one place (`_register_hooks`); attrs classes are structured
and unstructured through their field table (`segments_orm._fields`), whose loaders this
module compiles (`compile_loader`). Reading is lenient and writing is strict:

- A timestamp (``Z`` or an offset, with or without microseconds, ``T`` or a space) becomes
  an aware `datetime`; a value that is not a timestamp is kept as the server sent it.
- An enum value the SDK does not know stays a plain ``str``.
- Keys an attrs model does not declare are kept in its ``extra`` dict and written back.
- A field whose wire name differs from its Python name says so in its metadata
  (``attrs.field(metadata={"wire": "presignedPostFields"})``).
- Fields marked ``metadata={"read_only": True}`` are left out of write payloads.
- Reading never raises: a value of an unexpected shape is kept raw on the object.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import sys
import typing
from collections.abc import Mapping
from typing import Any, Callable, Optional, TypeVar, Union

import attrs
import cattrs

from segments_orm.enums import StrEnum

__all__ = [
    "EXTRA",
    "compile_loader",
    "converter",
    "field_types",
    "format_datetime",
    "parse_datetime",
    "read_only_fields",
    "structure",
    "unstructure",
    "wire_name",
]

T = TypeVar("T")

# The attribute that holds the keys a model does not declare.
EXTRA = "extra"

_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)

# Python 3.11's datetime.fromisoformat reads a trailing "Z"; older versions need "+00:00".
_ISO_Z = sys.version_info >= (3, 11)

# Types whose wire value is already the Python value: no hook call on the hot path.
_PASS_THROUGH: frozenset[Any] = frozenset({str, int, float, bool, Any, dict, list, object})


def parse_datetime(value: str) -> dt.datetime:
    """Parse a platform timestamp into an aware `datetime`.

    Accepts ``2024-01-02T10:00:00Z``, ``2024-01-02T10:00:00.123456+02:00``, the release
    file's ``2024-01-05 08:00:00.000000+00:00`` and nanosecond precision (truncated).
    A timestamp without an offset is taken as UTC.

    Raises:
        ValueError: The text is not a timestamp.
    """
    # The platform's own spelling (``2024-01-02T10:00:00.123456Z``), on every object of
    # every page: the C parser, when the shape is certain. Anything else, and any value it
    # refuses, takes the general path below.
    if (
        type(value) is str
        and len(value) in (20, 27)
        and value[-1] == "Z"
        and value[4] == value[7] == "-"
        and value[10] == "T"
        and value[13] == value[16] == ":"
        and (len(value) == 20 or value[19] == ".")
    ):
        try:
            return dt.datetime.fromisoformat(value if _ISO_Z else value[:-1] + "+00:00")
        except ValueError:
            pass
    match = _TIMESTAMP.match(value.strip())
    if match is None:
        raise ValueError(f"not a timestamp: {value!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz: dt.tzinfo = dt.timezone.utc
    if offset and offset not in ("Z", "z"):
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or "0")
        tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    return dt.datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
    )


def format_datetime(value: dt.datetime) -> str:
    """Format a `datetime` the way the platform writes timestamps (UTC, microseconds, ``Z``).

    A naive `datetime` is taken as UTC.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def wire_name(field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    """Return the key under which ``field`` travels on the wire."""
    return str(field.metadata.get("wire", field.name))


def read_only_fields(cls: type) -> frozenset[str]:
    """Return the Python names of the fields of ``cls`` that are never written."""
    return _table(cls).read_only  # type: ignore[no-any-return]


def _lenient(hook: Callable[[Any, Any], Any], kind: Any) -> Callable[[Any], Any]:
    def load(value: Any) -> Any:
        if value is None:
            return None
        try:
            return hook(value, kind)
        except Exception:  # reads never raise: keep what the server sent
            return value

    return load


def _needs_hook(kind: Any) -> bool:
    if kind in _PASS_THROUGH or isinstance(kind, str):
        return False
    origin = typing.get_origin(kind)
    if origin is Union:
        return any(_needs_hook(arg) for arg in typing.get_args(kind) if arg is not type(None))
    if origin in (list, dict, tuple, Mapping, typing.Sequence, set, frozenset):
        return any(_needs_hook(arg) for arg in typing.get_args(kind) if arg is not Ellipsis)
    return origin is not typing.Literal


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    _register_hooks(conv)
    return conv


def _register_hooks(conv: cattrs.Converter) -> None:
    """Register every hook of the converter: the one place that configures it.

    Attrs classes (resources, their nested records, the models of `segments_orm.types`)
    are structured and unstructured by their field table (`segments_orm._fields`), so
    eager structuring, lazy decoding and typed models all read one description.
    """
    conv.register_structure_hook(dt.datetime, _structure_timestamp)
    conv.register_unstructure_hook(dt.datetime, format_datetime)

    # Enums: lenient on read (an unknown value stays a str), the value on write.
    conv.register_structure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum),
        lambda value, kind: _enum_or_raw(kind, value),
    )
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum),
        lambda value: value.value,
    )
    # str enums would otherwise match str's identity hook first (it is earlier in their MRO).
    conv.register_unstructure_hook(StrEnum, lambda value: str(value.value))

    # Optional[X] and unions of an attrs class with raw data: the same compiled loader a
    # field of that type gets (each member tried leniently, in order).
    def is_union(kind: Any) -> bool:
        return typing.get_origin(kind) is Union

    def structure_union(value: Any, kind: Any) -> Any:
        load = _union_loader(conv, kind)
        return value if load is None else load(value)

    conv.register_structure_hook_func(is_union, structure_union)
    conv.register_structure_hook_factory(attrs.has, lambda cls: _table(cls).structure)
    conv.register_unstructure_hook_factory(attrs.has, lambda cls: _table(cls).unstructure)
    # Pass-through scalars: the wire value is kept exactly (no int("3") coercion on read).
    # An exact-type predicate, not singledispatch: str enums subclass str and must not match.
    conv.register_structure_hook_func(lambda t: t in (str, int, float, bool), lambda v, _: v)


def _table(cls: type) -> Any:
    # Imported here: the field table compiles its loaders with this module's converter.
    from segments_orm._fields import fields_of

    return fields_of(cls)


_UNION_LOADERS: dict[Any, Optional[Callable[[Any], Any]]] = {}


def _union_loader(conv: cattrs.Converter, kind: Any) -> Optional[Callable[[Any], Any]]:
    try:
        return _UNION_LOADERS[kind]
    except KeyError:
        load = _UNION_LOADERS[kind] = compile_loader(conv, kind)
        return load
    except TypeError:  # an unhashable annotation: compiled each time
        return compile_loader(conv, kind)


def _enum_or_raw(kind: type[enum.Enum], value: Any) -> Any:
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        return value


def field_types(cls: type) -> dict[str, Any]:
    """Return the resolved annotation of each field of ``cls`` (``Any`` where unresolvable)."""
    return _field_types(cls)


def _field_types(cls: type) -> dict[str, Any]:
    """Resolve the annotations of the fields that are structured, one by one.

    Internal fields may be annotated with names that exist only for type checkers
    (``if TYPE_CHECKING:`` imports); they are never structured, so they must not stop
    the others from resolving.
    """
    try:
        return typing.get_type_hints(cls)
    except NameError:
        pass
    resolved: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        module = sys.modules.get(klass.__module__)
        namespace = dict(vars(module)) if module else {}
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            try:
                resolved[name] = (
                    eval(annotation, namespace) if isinstance(annotation, str) else annotation
                )
            except Exception:  # a type-checking-only name: this field is not structured
                resolved[name] = Any
    return resolved


def compile_loader(conv: cattrs.Converter, kind: Any) -> Optional[Callable[[Any], Any]]:
    """Return the lenient loader of one field type, or None when the value passes through.

    Unions (``Optional[datetime]``, ``Union[LabelStatus, str, None]``) are resolved here,
    once per class, instead of by inspecting the union on every value: the loader tries
    the members in order and keeps the value when none fits (the converter's union hook
    uses it too).
    """
    if not _needs_hook(kind):
        return None
    if typing.get_origin(kind) is not Union:
        return _lenient(conv.get_structure_hook(kind), kind)
    members: list[tuple[Callable[[Any, Any], Any], Any]] = []
    for arg in typing.get_args(kind):
        if arg is type(None):
            continue
        if not _needs_hook(arg):
            break  # this member takes any value as it is: stop trying
        if arg is dt.datetime:
            members.append((_structure_timestamp, arg))
        elif attrs.has(arg):
            # Dispatch on each call: the class may still be being built (recursion).
            members.append((conv.structure, arg))
        else:
            members.append((conv.get_structure_hook(arg), arg))
    if len(members) == 1 and members[0][0] is _structure_timestamp:
        return _load_timestamp

    def load_union(value: Any) -> Any:
        if value is None:
            return None
        for hook, arg in members:
            try:
                return hook(value, arg)
            except Exception:  # reads never raise: try the next member, else keep it raw
                continue
        return value

    return load_union


def _structure_timestamp(value: Any, _: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value
    return parse_datetime(value)


def _load_timestamp(value: Any) -> Any:
    """Load an optional timestamp leniently: a `datetime`, or the value as it came."""
    if value is None or isinstance(value, dt.datetime):
        return value
    try:
        return parse_datetime(value)
    except Exception:  # reads never raise: keep what the server sent
        return value


converter = _make_converter()


def structure(data: Any, cls: type[T]) -> T:
    """Build a ``cls`` from wire data, leniently (see the module docstring)."""
    return converter.structure(data, cls)


def unstructure(value: Any) -> Any:
    """Turn a model, enum, datetime or container into JSON-ready data."""
    return converter.unstructure(value)
