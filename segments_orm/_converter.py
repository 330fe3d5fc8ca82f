"""The one cattrs converter of segments-orm, configured in this module only.

Reading is lenient and writing is strict:

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
import inspect
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
    "converter",
    "field_types",
    "format_datetime",
    "lazy_loader",
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
    return frozenset(f.name for f in attrs.fields(cls) if f.metadata.get("read_only"))


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

    def structure_datetime(value: Any, _: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value
        return parse_datetime(value)

    conv.register_structure_hook(dt.datetime, structure_datetime)
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

    # Optional[X] and unions of an attrs class with raw data: try each member leniently.
    def is_union(kind: Any) -> bool:
        return typing.get_origin(kind) is Union

    def structure_union(value: Any, kind: Any) -> Any:
        if value is None:
            return None
        for arg in typing.get_args(kind):
            if arg is type(None):
                continue
            if not _needs_hook(arg):
                return value
            try:
                return conv.structure(value, arg)
            except Exception:
                continue
        return value

    conv.register_structure_hook_func(is_union, structure_union)
    conv.register_structure_hook_factory(attrs.has, lambda cls: _attrs_structure_fn(conv, cls))
    conv.register_unstructure_hook_factory(attrs.has, lambda cls: _attrs_unstructure_fn(conv, cls))
    # Pass-through scalars: the wire value is kept exactly (no int("3") coercion on read).
    # An exact-type predicate, not singledispatch: str enums subclass str and must not match.
    conv.register_structure_hook_func(lambda t: t in (str, int, float, bool), lambda v, _: v)
    return conv


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


def _compile_loader(conv: cattrs.Converter, kind: Any) -> Optional[Callable[[Any], Any]]:
    """Return the lenient loader of one field type, or None when the value passes through.

    Unions (``Optional[datetime]``, ``Union[LabelStatus, str, None]``) are resolved here,
    once per class, instead of by inspecting the union on every value: the loader tries
    the members in order, as `structure_union` does, and keeps the value when none fits.
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


_MISSING: Any = object()


def _one_extra(data: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """Return the one key of ``data`` that no field takes, with its value."""
    (key,) = data.keys() - known
    return {key: data[key]}


def _fast_structure_fn(
    cls: type, loaders: dict[str, tuple[str, Optional[Callable[[Any], Any]]]], has_extra: bool
) -> Optional[Callable[[Any, Any], Any]]:
    """Generate a loader that fills the object's fields directly, without ``__init__``.

    It does what ``cls(**kwargs)`` does for classes whose ``__init__`` only assigns
    (no validators, converters, required fields or init hooks), in one pass over the
    fields instead of building keyword arguments: decoding a page of 1000 samples is on
    the hot path of every listing. Returns None for classes it cannot build this way.
    """
    init = getattr(cls, "__init__", None)
    code = getattr(init, "__code__", None)
    if code is None or not code.co_filename.startswith("<attrs generated"):
        return None
    if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
        return None
    namespace: dict[str, Any] = {
        "Mapping": Mapping,
        "dict": dict,
        "_MISSING": _MISSING,
        "_new": object.__new__,
        "_setattr": object.__setattr__,
        "cls": cls,
    }
    by_name = {name: wire for wire, (name, _) in loaders.items()}
    lines = [
        "def structure_fast(data, _):",
        "    if type(data) is not dict and not isinstance(data, Mapping):",
        f"        raise TypeError('{cls.__name__} expects an object, got ' + type(data).__name__)",
        "    get = data.get",
        "    obj = _new(cls)",
        "    found = 0",
    ]
    for index, field in enumerate(attrs.fields(cls)):
        if field.validator is not None or field.converter is not None:
            return None
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            if default.takes_self:
                return None
            namespace[f"f{index}"] = default.factory
            default_code = f"f{index}()"
        elif default is attrs.NOTHING:
            if field.init and field.name != EXTRA:
                return None  # a required field: let __init__ raise as it would
            default_code = ""
        else:
            namespace[f"d{index}"] = default
            default_code = f"d{index}"
        # A slot's own descriptor sets it fastest; object.__setattr__ otherwise.
        slot = inspect.getattr_static(cls, field.name, None)
        if type(slot).__name__ == "member_descriptor":
            namespace[f"s{index}"] = slot.__set__
            set_value = f"    s{index}(obj, {{}})"
        else:
            namespace[f"n{index}"] = field.name
            set_value = f"    _setattr(obj, n{index}, {{}})"
        if field.name == EXTRA and has_extra:
            continue  # filled last, from the keys no field took
        if not field.init:
            if default_code:
                lines.append(set_value.format(default_code))
            continue
        wire = by_name.get(field.alias or field.name)
        if wire is None:
            return None
        namespace[f"w{index}"] = wire
        load = loaders[wire][1]
        lines.append(f"    v = get(w{index}, _MISSING)")
        lines.append("    if v is _MISSING:")
        lines.append(f"        v = {default_code}")
        lines.append("    else:")
        lines.append("        found += 1")
        if load is not None:
            namespace[f"l{index}"] = load
            lines.append(f"        v = l{index}(v)")
        lines.append(set_value.format("v"))
    if has_extra:
        namespace["known"] = frozenset(loaders)
        namespace["_one_extra"] = _one_extra
        slot = inspect.getattr_static(cls, EXTRA, None)
        if type(slot).__name__ == "member_descriptor":
            namespace["set_extra"] = slot.__set__
        else:
            namespace["set_extra"] = lambda obj, value: object.__setattr__(obj, EXTRA, value)
        lines.append("    if found == len(data):")
        lines.append("        set_extra(obj, {})")
        lines.append("    elif found + 1 == len(data):")
        lines.append("        set_extra(obj, _one_extra(data, known))")
        lines.append("    else:")
        lines.append("        set_extra(obj, {k: v for k, v in data.items() if k not in known})")
    lines.append("    return obj")
    # Every name the body uses becomes a keyword-only default: a local, not a global.
    names = ", ".join(f"{name}={name}" for name in namespace if name != "Mapping")
    lines[0] = f"def structure_fast(data, _, *, Mapping=Mapping, {names}):"
    # The source is generated from the class's own fields, never from data.
    source = "\n".join(lines)
    exec(compile(source, f"<segments_orm structure {cls.__qualname__}>", "exec"), namespace)
    return namespace["structure_fast"]  # type: ignore[no-any-return]


def _attrs_structure_fn(conv: cattrs.Converter, cls: type) -> Callable[[Any, Any], Any]:
    """Build, once per class, a loader that keeps unknown keys and never raises."""
    hints = _field_types(cls)
    loaders: dict[str, tuple[str, Optional[Callable[[Any], Any]]]] = {}
    has_extra = False
    for field in attrs.fields(cls):
        if field.name == EXTRA:
            has_extra = True
            continue
        if not field.init:
            continue
        kind = hints.get(field.name, Any)
        # attrs strips a leading underscore for the init argument: pass by alias.
        loaders[wire_name(field)] = (field.alias or field.name, _compile_loader(conv, kind))

    fast = _fast_structure_fn(cls, loaders, has_extra)
    if fast is not None:
        return fast

    def structure_attrs(data: Any, _: Any) -> Any:
        if not isinstance(data, Mapping):
            raise TypeError(f"{cls.__name__} expects an object, got {type(data).__name__}")
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            target = loaders.get(key)
            if target is None:
                extra[key] = value
                continue
            name, load = target
            kwargs[name] = value if load is None else load(value)
        obj = cls(**kwargs)
        if has_extra:
            object.__setattr__(obj, EXTRA, extra)
        return obj

    return structure_attrs


# ``fill(obj, raw, name)``: decode field ``name`` of ``obj`` from ``raw``, set it, return it.
LazyFill = Callable[[Any, Optional[Mapping[str, Any]], str], Any]

# The lazy loaders of the classes asked for so far (None: the class must be built eagerly).
_LAZY: dict[type, Optional[LazyFill]] = {}


def lazy_loader(cls: type) -> Optional[LazyFill]:
    """Return ``fill(obj, raw, name)``, which decodes field ``name`` of ``obj`` from ``raw``.

    This is what lets a resource keep the server's answer as it came and decode a field
    the first time it is read: a page of 1000 samples then costs one small object per
    sample, and only the fields a caller touches are converted (with the same lenient
    rules as `structure`). ``fill`` stores the value in the object's field and returns
    it; it raises `AttributeError` for a name that is not a field; a field the data lacks
    gets its default. Returns None for classes that must be built through ``__init__``
    (validators, converters, required fields, init hooks).
    """
    try:
        return _LAZY[cls]
    except KeyError:
        pass
    fill = _build_lazy_loader(cls)
    _LAZY[cls] = fill
    return fill


def _slot_accessors(
    cls: type, name: str
) -> tuple[Callable[[Any], Any], Callable[[Any, Any], None]]:
    """Return (get, set) for one field: the slot's own descriptor when there is one."""
    slot = inspect.getattr_static(cls, name, None)
    if type(slot).__name__ == "member_descriptor":
        return slot.__get__, slot.__set__

    def get(obj: Any) -> Any:
        return object.__getattribute__(obj, name)

    def set_(obj: Any, value: Any) -> None:
        object.__setattr__(obj, name, value)

    return get, set_


def _build_lazy_loader(cls: type) -> Optional[LazyFill]:
    init = getattr(cls, "__init__", None)
    code = getattr(init, "__code__", None)
    if code is None or not code.co_filename.startswith("<attrs generated"):
        return None
    if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
        return None
    hints = _field_types(cls)
    # name -> (wire key or None, loader, default, default is a factory, get, set)
    plan: dict[str, tuple[Any, ...]] = {}
    known: set[str] = set()
    for field in attrs.fields(cls):
        if field.validator is not None or field.converter is not None:
            return None
        default = field.default
        factory = isinstance(default, attrs.Factory)  # type: ignore[arg-type]
        if factory and default.takes_self:
            return None
        if default is attrs.NOTHING and field.init and field.name != EXTRA:
            return None
        value = default.factory if factory else default
        get, set_ = _slot_accessors(cls, field.name)
        if field.name == EXTRA or not field.init:
            plan[field.name] = (None, None, value, factory, get, set_)
            continue
        wire = wire_name(field)
        known.add(wire)
        load = _compile_loader(converter, hints.get(field.name, Any))
        plan[field.name] = (wire, load, value, factory, get, set_)
    known_keys = frozenset(known)
    has_extra = EXTRA in plan
    missing = _MISSING

    def fill(obj: Any, raw: Optional[Mapping[str, Any]], name: str) -> Any:
        entry = plan.get(name)
        if entry is None:
            raise AttributeError(f"{cls.__name__!r} object has no attribute {name!r}")
        wire, load, default, factory, get, set_ = entry
        value = missing
        if raw is not None:
            if name == EXTRA and has_extra:
                value = {k: v for k, v in raw.items() if k not in known_keys}
            elif wire is not None:
                value = raw.get(wire, missing)
                if value is not missing and load is None:
                    # The answer's own object: every reader gets the same one.
                    set_(obj, value)
                    return value
                if value is not missing:
                    value = load(value)
        if value is missing:
            if default is attrs.NOTHING:
                raise AttributeError(f"{cls.__name__!r} object has no attribute {name!r}")
            value = default() if factory else default
        try:  # another thread may have filled it meanwhile: everyone keeps one object
            return get(obj)
        except AttributeError:
            set_(obj, value)
            return value

    return fill


def _attrs_unstructure_fn(conv: cattrs.Converter, cls: type) -> Callable[[Any], Any]:
    fields = [f for f in attrs.fields(cls) if f.name != EXTRA and f.init]
    has_extra = any(f.name == EXTRA for f in attrs.fields(cls))

    def unstructure_attrs(obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field in fields:
            out[wire_name(field)] = conv.unstructure(getattr(obj, field.name))
        if has_extra:
            for key, value in (getattr(obj, EXTRA) or {}).items():
                out.setdefault(key, value)
        return out

    return unstructure_attrs


converter = _make_converter()


def structure(data: Any, cls: type[T]) -> T:
    """Build a ``cls`` from wire data, leniently (see the module docstring)."""
    return converter.structure(data, cls)


def unstructure(value: Any) -> Any:
    """Turn a model, enum, datetime or container into JSON-ready data."""
    return converter.unstructure(value)
