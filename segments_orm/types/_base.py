"""The one round-trip mechanism and the one validator of the attribute models.

Every model in `segments_orm.types` is an attrs class built with `model` on top of `Model`.
Its annotations are the schema: from them this module derives, once per class, a *plan*
that does three jobs and nothing else does them:

- **load** (lenient, cheap): a server dict becomes a model when its structure fits
  (objects where models are expected, lists where lists are, required keys present,
  known discriminators). Scalars are kept exactly as sent (no coercion, ints stay ints).
  When anything does not fit, `ShapeError` is raised and the caller keeps the raw data, so a
  model is always wholly typed and raw data is always wholly raw.
- **dump** (exact): a loaded model remembers the keys it came with, in order
  (``_wire_keys``). Dumping writes those keys back, nulls included, then any field that
  was absent but has since been given a value, then the unknown keys kept in ``extra``.
  A model built in Python has no remembered keys and dumps every field that is not None.
- **check** (strict, for writes): walks JSON data against the same schema and collects
  every problem as ``"path: what is wrong"`` (WIRE.md sections 6, 7 and 9), adding the
  model's own rules (`Model._check_rules`).

Loaded models share leaf containers (point lists, attribute dicts, unknown values) with the
data they were loaded from, and dumps share them with the model: nothing is deep-copied.
"""

from __future__ import annotations

import contextlib
import enum
import math
import numbers
import typing
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional, TypeVar, Union, cast

import attrs

from segments_orm._converter import EXTRA
from segments_orm._fields import fields_of

if TYPE_CHECKING:
    from typing_extensions import Self, dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Any:
        """Stand in for `typing.dataclass_transform` at run time (it only guides mypy)."""
        return lambda decorated: decorated


__all__ = [
    "Context",
    "Model",
    "Problems",
    "ShapeError",
    "dump",
    "field",
    "load",
    "model",
    "plan_for",
    "to_checked_json",
    "to_json",
]

T = TypeVar("T")
M = TypeVar("M", bound="Model")

# Field metadata keys (alongside _converter's "wire").
_CATEGORY = "segments_orm.category"
_UNIQUE = "segments_orm.unique"
_REQUIRED = "segments_orm.required_message"
_WIRE_KEYS = "_wire_keys"
# A check stops recording after this many problems: a million-point list with a bad
# element type must not build a million-line message.
_MAX_PROBLEMS = 200
_MAX_PER_LIST = 10


class ShapeError(Exception):
    """Wire data does not have the shape of the model (internal: the load keeps it raw)."""


@attrs.frozen
class Context:
    """What a check knows about the dataset besides the attributes themselves.

    Attributes:
        categories: The dataset's category ids, or None when they are unknown (then
            ``category_id`` values are not checked against them).
    """

    categories: Optional[frozenset[int]] = None


class Problems:
    """Collects the problems of one check, each as ``"path: what is wrong"``."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.hidden = 0

    def add(self, path: str, message: str) -> None:
        """Record one problem at ``path`` (relative to the checked attributes)."""
        if len(self.items) >= _MAX_PROBLEMS:
            self.hidden += 1
            return
        self.items.append(f"{path or '(top level)'}: {message}")

    def summary(self) -> list[str]:
        """Return the recorded problems, plus a line counting those left out."""
        if self.hidden:
            return [*self.items, f"... and {self.hidden} more problems"]
        return list(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def _key_path(path: str, key: object) -> str:
    if isinstance(key, str) and key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def show(value: object) -> str:
    """Describe a value in an error message the way JSON would name it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _not_finite(value: object) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


_NOT_FINITE = "NaN and Infinity are not allowed (JSON has no such numbers)"


# ---------------------------------------------------------------------------------------
# Kinds: the schema of one value, derived from an annotation (see kind_of).
# ---------------------------------------------------------------------------------------


class Kind:
    """The schema of one value: how to load, dump and check it.

    Attributes:
        loads_as_is: Loading is the identity (no structure to check, nothing to build).
        dumps_as_is: Dumping is the identity (no model or enum inside).
        leaf: Made of plain JSON values only (no model, no enum), so a load checks at
            most the outer container's type, however deep the value.
    """

    loads_as_is = True
    dumps_as_is = True
    leaf = True
    description = "a value"

    def load(self, value: Any) -> Any:
        """Build the Python value from wire data, or raise `ShapeError`."""
        return value

    def dump(self, value: Any) -> Any:
        """Turn the Python value back into wire data."""
        return value

    def ok(self, value: Any) -> bool:
        """Say quickly whether a value needs no report (scalars only; others say False)."""
        return False

    def check(self, value: Any, path: str, problems: Problems, ctx: Context) -> None:
        """Record every problem of a non-null JSON value."""


class _AnyKind(Kind):
    """Any JSON value; the check only refuses what JSON cannot carry."""

    description = "JSON data"

    def check(self, value: Any, path: str, problems: Problems, ctx: Context) -> None:
        if value is None or isinstance(value, (str, bool, int)):
            return
        if isinstance(value, float):
            if not math.isfinite(value):
                problems.add(path, _NOT_FINITE)
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                if not (type(item) in _PLAIN_SCALARS and not _not_finite(item)):
                    self.check(item, f"{path}[{index}]", problems, ctx)
            return
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    problems.add(path, f"object keys must be strings, got {show(key)}")
                    continue
                self.check(item, _key_path(path, key), problems, ctx)
            return
        problems.add(path, f"expected JSON data, got {show(value)}")


_PLAIN_SCALARS = frozenset({str, int, float, bool, type(None)})


class _ScalarKind(Kind):
    def __init__(self, description: str, test: Callable[[Any], bool]) -> None:
        self.description = description
        self._test = test

    def ok(self, value: Any) -> bool:
        return self._test(value)

    def check(self, value: Any, path: str, problems: Problems, ctx: Context) -> None:
        if self._test(value):
            return
        if _not_finite(value):
            problems.add(path, _NOT_FINITE)
        else:
            problems.add(path, f"expected {self.description}, got {show(value)}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


INT = _ScalarKind("an integer", _is_int)
NUMBER = _ScalarKind("a number", _is_number)
STR = _ScalarKind("a string", lambda value: isinstance(value, str))
BOOL = _ScalarKind("true or false", lambda value: isinstance(value, bool))
ANY = _AnyKind()


class _LiteralKind(Kind):
    def __init__(self, values: tuple[Any, ...]) -> None:
        self.values = values
        self.description = " or ".join(show(v) for v in values)

    def ok(self, value: Any) -> bool:
        return any(type(value) is type(v) and value == v for v in self.values)

    def check(self, value: Any, path: str, problems: Problems, ctx: Context) -> None:
        if not self.ok(value):
            problems.add(path, f"expected {self.description}, got {show(value)}")


class _EnumKind(Kind):
    """A closed set of strings: members on load (unknown values stay str), values on dump."""

    dumps_as_is = False
    loads_as_is = False
    leaf = False
    description = "a string"

    def __init__(self, kind: type[enum.Enum]) -> None:
        self.members: dict[Any, enum.Enum] = dict(kind._value2member_map_)
        self.allowed = ", ".join(repr(v) for v in self.members)

    def load(self, value: Any) -> Any:
        if type(value) is str:
            return self.members.get(value, value)
        return value

    def dump(self, value: Any) -> Any:
        return value.value if isinstance(value, enum.Enum) else value

    def ok(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.members

    def check(self, value: Any, path: str, problems: Problems, ctx: Context) -> None:
        if self.ok(value):
            return
        if isinstance(value, str):
            problems.add(path, f"{value!r} is not one of {self.allowed}")
        else:
            problems.add(path, f"expected one of {self.allowed}, got {show(value)}")


class _NullableKind(Kind):
    def __init__(self, inner: Kind) -> None:
        self.inner = inner
        self.leaf = inner.leaf
        self.loads_as_is = inner.loads_as_is
        self.dumps_as_is = inner.dumps_as_is
        self.description = f"{inner.description} or null"

    def load(self, value: Any) -> Any:
        return None if value is None else self.inner.load(value)

    def dump(self, value: Any) -> Any:
        return None if value is None else self.inner.dump(value)

    def ok(self, value: Any) -> bool:
        return value is None or self.inner.ok(value)

    def check(self, value: Any, path: str, problems: Problems, ctx: Context) -> None:
        if value is not None:
            self.inner.check(value, path, problems, ctx)


class _ListKind(Kind):
    loads_as_is = False
    description = "a list"

    def __init__(self, item: Kind) -> None:
        self.item = item
        self.leaf = item.leaf
        self.dumps_as_is = item.dumps_as_is
        # Lists of plain values (point ids, coordinates) can be huge; stop after a few.
        self.capped = not isinstance(item, (_ModelKind, _UnionKind))
        # Items `ok` can vouch for: scalars, or lists of them (a polygon's points).
        self.scalar_items: bool = isinstance(item, (_ScalarKind, _LiteralKind, _EnumKind)) or (
            isinstance(item, _ListKind) and item.scalar_items
        )

    def ok(self, value: Any) -> bool:
        # A list of valid scalars needs no report: a point list is checked without a
        # call into `check` (and its enumeration) per point, as its numbers are.
        return self.scalar_items and type(value) is list and all(map(self.item.ok, value))

    def load(self, value: Any) -> Any:
        if type(value) is not list:
            raise ShapeError
        item = self.item
        if item.leaf:
            return value
        load = item.load
        return [load(v) for v in value]

    def dump(self, value: Any) -> Any:
        if self.dumps_as_is or not isinstance(value, list):
            return value
        item = self.item
        return [item.dump(v) for v in value]

    def check(self, value: Any, path: str, problems: Problems, ctx: Context) -> None:
        if not isinstance(value, list):
            problems.add(path, f"expected a list, got {show(value)}")
            return
        item = self.item
        reported = 0
        for index, element in enumerate(value):
            # Scalars are tested without building a path: point lists can be huge.
            if item.ok(element):
                continue
            if element is None:
                if not isinstance(item, (_NullableKind, _AnyKind)):
                    problems.add(f"{path}[{index}]", "must not be null")
                    reported += 1
            else:
                before = len(problems.items)
                item.check(element, f"{path}[{index}]", problems, ctx)
                reported += len(problems.items) > before
            if reported >= _MAX_PER_LIST and self.capped:
                problems.add(path, "further items of this list were not checked")
                return


class _DictKind(Kind):
    loads_as_is = False
    description = "an object"

    def __init__(self, value: Kind) -> None:
        self.value = value
        self.leaf = value.leaf
        self.dumps_as_is = value.dumps_as_is

    def load(self, data: Any) -> Any:
        if type(data) is not dict:
            raise ShapeError
        value = self.value
        if value.leaf:
            return data
        return {k: value.load(v) for k, v in data.items()}

    def dump(self, data: Any) -> Any:
        if self.dumps_as_is or not isinstance(data, Mapping):
            return data
        value = self.value
        return {k: value.dump(v) for k, v in data.items()}

    def check(self, data: Any, path: str, problems: Problems, ctx: Context) -> None:
        if not isinstance(data, Mapping):
            problems.add(path, f"expected an object, got {show(data)}")
            return
        for key, item in data.items():
            sub = _key_path(path, key)
            if not isinstance(key, str):
                problems.add(path, f"object keys must be strings, got {show(key)}")
            elif item is None and not isinstance(self.value, (_NullableKind, _AnyKind)):
                problems.add(sub, "must not be null")
            elif item is not None:
                self.value.check(item, sub, problems, ctx)


class _ModelKind(Kind):
    loads_as_is = False
    dumps_as_is = False
    leaf = False
    description = "an object"

    def __init__(self, cls: type[Model]) -> None:
        self.cls = cls
        self._plan: Optional[Plan] = None

    def load(self, value: Any) -> Any:
        plan = self._plan
        if plan is None:
            plan = self._plan = plan_for(self.cls)
        return plan.load(value)

    def dump(self, value: Any) -> Any:
        if isinstance(value, Model):
            return plan_for(type(value)).dump(value)
        return value

    def check(self, value: Any, path: str, problems: Problems, ctx: Context) -> None:
        plan = self._plan
        if plan is None:
            plan = self._plan = plan_for(self.cls)
        plan.check(value, path, problems, ctx)


class _UnionKind(Kind):
    """A value of one of several kinds, chosen by its JSON type and, among models, by tag.

    Models in a union say which values of which key select them (`Model._discriminator`).
    """

    def __init__(self, members: list[Kind]) -> None:
        self.members = members
        self.scalars = [m for m in members if isinstance(m, (_ScalarKind, _LiteralKind, _EnumKind))]
        self.lists = [m for m in members if isinstance(m, _ListKind)]
        self.objects = [m for m in members if isinstance(m, (_DictKind, _AnyKind))]
        self.models = [m.cls for m in members if isinstance(m, _ModelKind)]
        self.anything = any(isinstance(m, _AnyKind) for m in members)
        self.loads_as_is = not (self.lists or self.models or self.objects)
        self.leaf = all(m.leaf for m in members)
        self.dumps_as_is = all(m.dumps_as_is for m in members)
        # Named in one fixed order, not the annotation's: typing caches unions as equal in
        # any order, so Union[str, float] may come back as Union[float, str] once any
        # module has written it so, and messages would change with import order.
        self.description = _join_or([m.description for m in sorted(members, key=_named_order)])
        self._tags: Optional[tuple[str, dict[str, type[Model]]]] = None
        # One model among other JSON types (a label or ``[]``) needs no discriminator.
        self.single = self.models[0] if len(self.models) == 1 else None

    def tags(self) -> tuple[str, dict[str, type[Model]]]:
        """Map each discriminator value to its model (built on first use)."""
        if self._tags is None:
            key = ""
            table: dict[str, type[Model]] = {}
            for cls in self.models:
                tag = cls._discriminator
                if tag is None:
                    raise TypeError(f"{cls.__name__} is in a union but has no _discriminator")
                key = tag[0]
                for value in tag[1]:
                    table[value] = cls
            self._tags = (key, table)
        return self._tags

    def _model_for(self, value: Mapping[str, Any]) -> Optional[type[Model]]:
        if self.single is not None:
            return self.single
        key, table = self.tags()
        tag = value.get(key)
        return table.get(tag) if isinstance(tag, str) else None

    def load(self, value: Any) -> Any:
        if isinstance(value, dict):
            if self.models:
                cls = self._model_for(value)
                if cls is not None:
                    return plan_for(cls).load(value)
            if self.objects:
                return self.objects[0].load(value)
            raise ShapeError
        if isinstance(value, list):
            if self.lists:
                return self.lists[0].load(value)
            if self.anything:
                return value
            raise ShapeError
        if self.scalars or self.anything:
            return value
        raise ShapeError

    def dump(self, value: Any) -> Any:
        if isinstance(value, Model):
            return plan_for(type(value)).dump(value)
        if isinstance(value, list) and self.lists:
            return self.lists[0].dump(value)
        if isinstance(value, enum.Enum):
            return value.value
        return value

    def ok(self, value: Any) -> bool:
        return any(m.ok(value) for m in self.scalars)

    def check(self, value: Any, path: str, problems: Problems, ctx: Context) -> None:
        if isinstance(value, Mapping) and self.single is not None:
            plan_for(self.single).check(value, path, problems, ctx)
            return
        if isinstance(value, Mapping) and self.models:
            key, table = self.tags()
            tag = value.get(key)
            cls = table.get(tag) if isinstance(tag, str) else None
            if cls is not None:
                plan_for(cls).check(value, path, problems, ctx)
            elif self.objects:
                self.objects[0].check(value, path, problems, ctx)
            elif tag is None:
                problems.add(_key_path(path, key), "required")
            else:
                allowed = ", ".join(repr(t) for t in table)
                problems.add(_key_path(path, key), f"{show(tag)} is not one of {allowed}")
            return
        if isinstance(value, Mapping) and self.objects:
            self.objects[0].check(value, path, problems, ctx)
            return
        if isinstance(value, list) and self.lists:
            self.lists[0].check(value, path, problems, ctx)
            return
        if self.anything:
            ANY.check(value, path, problems, ctx)
            return
        if self.ok(value):
            return
        if _not_finite(value):
            problems.add(path, _NOT_FINITE)
        else:
            problems.add(path, f"expected {self.description}, got {show(value)}")


def _named_order(kind: Kind) -> int:
    """Rank a union member for its description: strings, integers, numbers, booleans, rest."""
    return next((i for i, first in enumerate((STR, INT, NUMBER, BOOL)) if kind is first), 4)


def _join_or(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


_KINDS: dict[Any, Kind] = {}


def kind_of(annotation: Any) -> Kind:
    """Derive (once, then from a cache) the kind of a resolved type annotation."""
    try:
        return _KINDS[annotation]
    except (KeyError, TypeError):
        pass
    kind = _derive_kind(annotation)
    with contextlib.suppress(TypeError):  # unhashable annotations are simply not cached
        _KINDS[annotation] = kind
    return kind


def _derive_kind(annotation: Any) -> Kind:
    simple: dict[Any, Kind] = {int: INT, float: NUMBER, str: STR, bool: BOOL, Any: ANY}
    if annotation in simple:
        return simple[annotation]
    if annotation is object:
        return ANY
    if isinstance(annotation, type):
        if issubclass(annotation, Model):
            return _ModelKind(annotation)
        if issubclass(annotation, enum.Enum):
            return _EnumKind(annotation)
        if annotation is list:
            return _ListKind(ANY)
        if annotation is dict:
            return _DictKind(ANY)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Union:
        rest = [a for a in args if a is not type(None)]
        inner = kind_of(rest[0]) if len(rest) == 1 else _UnionKind([kind_of(a) for a in rest])
        return _NullableKind(inner) if len(rest) < len(args) else inner
    if origin is typing.Literal:
        return _LiteralKind(args)
    if origin in (list, Collection, typing.Sequence):
        return _ListKind(kind_of(args[0]) if args else ANY)
    if origin in (dict, Mapping):
        return _DictKind(kind_of(args[1]) if args else ANY)
    raise TypeError(f"no attribute kind for the annotation {annotation!r}")


# ---------------------------------------------------------------------------------------
# Models and their plans.
# ---------------------------------------------------------------------------------------


def _order_fields(cls: type, fields: list[attrs.Attribute]) -> list[attrs.Attribute]:  # type: ignore[type-arg]
    """Keep wire order as declared (a redefined field keeps its base's place), extras last."""
    order: dict[str, int] = {}
    for base in reversed(cls.__mro__):
        for name in getattr(base, "__annotations__", {}):
            order.setdefault(name, len(order))
    tail = (EXTRA, _WIRE_KEYS)
    head = sorted((f for f in fields if f.name not in tail), key=lambda f: order.get(f.name, 0))
    return head + [f for f in fields if f.name in tail]


def field(
    *,
    default: Any = attrs.NOTHING,
    factory: Optional[Callable[[], Any]] = None,
    wire: Optional[str] = None,
    category: bool = False,
    unique: Optional[tuple[str, str]] = None,
    required_message: Optional[str] = None,
) -> Any:
    """Declare a model field with wire facts the plan needs.

    Args:
        default: The value when the key is absent (makes the key optional).
        factory: Like ``default``, for a mutable default.
        wire: The key on the wire when it differs from the Python name.
        category: The value is a category id, checked against the dataset's categories.
        unique: ``(key, noun)``: the items of this list must have distinct ``key`` values.
        required_message: What to say when the key is missing (default "required").
    """
    metadata: dict[str, Any] = {}
    if wire is not None:
        metadata["wire"] = wire
    if category:
        metadata[_CATEGORY] = True
    if unique is not None:
        metadata[_UNIQUE] = unique
    if required_message is not None:
        metadata[_REQUIRED] = required_message
    if factory is not None:
        return attrs.field(factory=factory, metadata=metadata)
    return attrs.field(default=default, metadata=metadata)


@dataclass_transform(kw_only_default=True, field_specifiers=(attrs.field, field))
def model(cls: type[T]) -> type[T]:
    """Make ``cls`` an attribute model: a slotted, keyword-only, mutable attrs class."""
    return attrs.define(cls, kw_only=True, field_transformer=_order_fields)


@model
class Model:
    """Base of every attribute model.

    Attributes:
        extra: Keys the model does not declare, kept and written back as they are.
    """

    extra: dict[str, Any] = attrs.field(factory=dict)
    _wire_keys: Optional[tuple[str, ...]] = attrs.field(
        default=None, init=False, repr=False, eq=False
    )

    # For a model that is one member of a union: (key, the values of key that select it).
    _discriminator: ClassVar[Optional[tuple[str, tuple[str, ...]]]] = None

    @classmethod
    def _check_rules(
        cls, data: Mapping[str, Any], path: str, problems: Problems, ctx: Context
    ) -> None:
        """Record problems that the field types alone cannot express (override)."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Build a model from JSON data, checking it strictly first.

        Raises:
            ValidationError: The data does not satisfy the model; every problem is listed.
        """
        from segments_orm.exceptions import ValidationError

        problems = Problems()
        plain = to_checked_json(data, problems)
        plan = plan_for(cls)
        plan.check(plain, "", problems, Context())
        if problems:
            raise ValidationError.from_errors(problems.summary(), f"Invalid {cls.__name__}")
        return cast("Self", plan.load(plain))

    def to_json(self) -> dict[str, Any]:
        """Return the JSON data of this model (exactly what it was loaded from, plus edits)."""
        return plan_for(type(self)).dump(self)

    @classmethod
    def model_validate(cls, data: Mapping[str, Any]) -> Self:
        """Build a model from JSON data: `from_json` under pydantic's name.

        For scripts written for the platform's client (``segments_orm.typing``).
        """
        return cls.from_json(data)

    def model_dump(self) -> dict[str, Any]:
        """Return the JSON data: `to_json` under pydantic's name (``segments_orm.typing``)."""
        return self.to_json()

    # The converter's hooks for models (see `segments_orm._fields.FieldTable.structure`):
    # a resource field holding a model loads and dumps through the plan, exactly.
    @classmethod
    def _wire_structure(cls, data: Any) -> Model:
        return plan_for(cls).load(data)

    def _wire_unstructure(self) -> dict[str, Any]:
        return plan_for(type(self)).dump(self)


@attrs.frozen
class _Field:
    name: str
    wire: str
    kind: Kind
    inner: Kind
    required: bool
    nullable: bool
    has_default: bool
    default: Any
    loads_as_is: bool
    dumps_as_is: bool
    required_message: str
    category: bool
    unique: Optional[tuple[str, str]]


class Plan:
    """How one model class loads, dumps and checks (built once per class)."""

    def __init__(self, cls: type[Model]) -> None:
        self.cls = cls
        fields: list[_Field] = []
        for spec in fields_of(cls).fields:
            kind = kind_of(spec.type)
            meta = attrs.fields_dict(cast(Any, cls))[spec.name].metadata
            required = spec.default is attrs.NOTHING and spec.factory is None
            fields.append(
                _Field(
                    name=spec.name,
                    wire=spec.wire,
                    kind=kind,
                    inner=kind.inner if isinstance(kind, _NullableKind) else kind,
                    required=required,
                    nullable=isinstance(kind, _NullableKind),
                    has_default=not required,
                    default=spec.default_value(),
                    loads_as_is=kind.loads_as_is,
                    dumps_as_is=kind.dumps_as_is,
                    required_message=meta.get(_REQUIRED, "required"),
                    category=bool(meta.get(_CATEGORY)),
                    unique=meta.get(_UNIQUE),
                )
            )
        self.fields = fields
        self.by_wire = {f.wire: f for f in fields}
        self.required = frozenset(f.wire for f in fields if f.required)
        self.steps = tuple(
            (f.wire, f.required, f.required_message, f.nullable, f.inner, f.category, f.unique)
            for f in fields
        )
        # Checked only where the class has rules of its own (most models have none).
        self.has_rules = cls._check_rules.__func__ is not Model._check_rules.__func__  # type: ignore[attr-defined]
        # The hot path of a page decode: key -> (attribute name, loader or None).
        self.loaders: dict[str, tuple[str, Optional[Callable[[Any], Any]]]] = {
            f.wire: (f.name, None if f.loads_as_is else f.kind.load) for f in fields
        }

    def load(self, data: Any) -> Model:
        """Build a model from server data without checking scalars; raise `ShapeError`."""
        if type(data) is not dict or not data.keys() >= self.required:
            raise ShapeError
        loaders = self.loaders
        kwargs: dict[str, Any] = {}
        extra: Optional[dict[str, Any]] = None
        for key, value in data.items():
            target = loaders.get(key)
            if target is None:
                if extra is None:
                    extra = {}
                extra[key] = value
            else:
                name, loader = target
                kwargs[name] = value if loader is None else loader(value)
        if extra is not None:
            kwargs[EXTRA] = extra
        obj = self.cls(**kwargs)
        obj._wire_keys = tuple(data)
        return obj

    def dump(self, obj: Model) -> dict[str, Any]:
        """Return the wire data of ``obj`` (see the module docstring for the key rules)."""
        out: dict[str, Any] = {}
        keys = obj._wire_keys
        extra = obj.extra
        if keys is None:
            for spec in self.fields:
                value = getattr(obj, spec.name)
                if value is not None:
                    out[spec.wire] = value if spec.dumps_as_is else spec.kind.dump(value)
        else:
            by_wire = self.by_wire
            for key in keys:
                known = by_wire.get(key)
                if known is not None:
                    value = getattr(obj, known.name)
                    out[key] = value if known.dumps_as_is else known.kind.dump(value)
                elif key in extra:
                    out[key] = extra[key]
            for spec in self.fields:
                if spec.wire in out:
                    continue
                value = getattr(obj, spec.name)
                # Absent on load and still at its default: stay absent (exact dump).
                if value is None or (spec.has_default and value == spec.default):
                    continue
                out[spec.wire] = value if spec.dumps_as_is else spec.kind.dump(value)
        if extra:
            for key, value in extra.items():
                if key not in out:
                    out[key] = value
        return out

    def check(self, data: Any, path: str, problems: Problems, ctx: Context) -> None:
        """Record every problem of JSON ``data`` as this model (strict, for writes)."""
        if type(data) is not dict and not isinstance(data, Mapping):
            problems.add(path, f"expected an object, got {show(data)}")
            return
        # Bulk writes check every item before sending: one flat tuple per field (P2).
        for wire, required, required_message, nullable, inner, category, unique in self.steps:
            if wire not in data:
                if required:
                    problems.add(_key_path(path, wire), required_message)
                continue
            value = data[wire]
            if value is None:
                if not nullable:
                    problems.add(_key_path(path, wire), "must not be null")
                continue
            # A valid scalar needs neither a path nor a call into the check.
            if not inner.ok(value):
                inner.check(value, _key_path(path, wire), problems, ctx)
            categories = ctx.categories
            if category and categories is not None and _is_int(value) and value not in categories:
                problems.add(_key_path(path, wire), f"{value} is not a category of this dataset")
            if unique is not None and isinstance(value, list):
                _check_unique(value, unique, _key_path(path, wire), problems)
        by_wire = self.by_wire
        if len(data) > len(by_wire) or not by_wire.keys() >= data.keys():
            for key, value in data.items():
                if key not in by_wire:
                    if not isinstance(key, str):
                        problems.add(path, f"object keys must be strings, got {show(key)}")
                    else:
                        ANY.check(value, _key_path(path, key), problems, ctx)
        if self.has_rules:
            self.cls._check_rules(data, path, problems, ctx)


def _check_unique(items: list[Any], unique: tuple[str, str], path: str, problems: Problems) -> None:
    key, noun = unique
    seen: dict[Any, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            continue
        value = item.get(key)
        if not _is_int(value):
            continue
        if value in seen:
            first = seen[value]
            problems.add(
                f"{path}[{index}].{key}", f"duplicate {noun} {value} (also {path}[{first}])"
            )
        else:
            seen[value] = index


_PLANS: dict[type, Plan] = {}


def plan_for(cls: type[Model]) -> Plan:
    """Return the plan of a model class, building it on first use."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = Plan(cls)
    return plan


def load(cls: type[M], data: Any) -> Union[M, Any]:
    """Structure server data as ``cls`` when it fits, else return it unchanged; never raise."""
    try:
        return plan_for(cls).load(data)
    except ShapeError:
        return data
    except Exception:  # reads never raise: an unforeseen shape stays raw
        return data


def dump(value: Any) -> Any:
    """Return the wire data of a model; anything else passes through unchanged."""
    if isinstance(value, Model):
        return plan_for(type(value)).dump(value)
    return value


class ShadowedKeyError(Exception):
    """A model's ``extra`` holds a key that is also one of its fields (internal)."""


def to_json(value: Any, problems: Optional[Problems] = None, path: str = "") -> Any:
    """Return plain JSON data (fresh containers) for a write, from models, dicts or both.

    Models are dumped, enums become their values, tuples become lists, and numpy arrays
    and scalars become Python lists and numbers. Anything else is left for the check to
    name.

    A model's ``extra`` key that is also one of its fields would be lost by the dump (the
    field wins). Without ``problems`` that raises `ShadowedKeyError`, so the common case
    builds no paths; the caller then converts again with ``problems`` to report where.

    Args:
        value: What the user gave.
        problems: Where to report shadowed keys, or None to raise on the first one.
        path: The path of ``value``, for those reports.
    """
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return value
    if isinstance(value, Model):
        plan = plan_for(kind)
        for key in value.extra:
            if key in plan.by_wire:
                if problems is None:
                    raise ShadowedKeyError(key)
                problems.add(
                    _key_path(path, key),
                    f"given both as a field and in extra; remove it from {kind.__name__}.extra",
                )
        return to_json(plan.dump(value), problems, path)
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if isinstance(value, (list, tuple)):
        if all(type(item) in _PLAIN_SCALARS for item in value):
            return list(value)
        if problems is None:
            return [to_json(item) for item in value]
        return [to_json(item, problems, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        if problems is None:
            return {key: to_json(item) for key, item in value.items()}
        return {key: to_json(item, problems, _key_path(path, key)) for key, item in value.items()}
    if isinstance(value, (str, bool)):
        return str(value) if isinstance(value, str) else bool(value)
    tolist = getattr(value, "tolist", None)
    if callable(tolist):  # numpy arrays and scalars, without importing numpy
        return to_json(tolist())
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value


def to_checked_json(value: Any, problems: Problems) -> Any:
    """Convert with `to_json`, reporting shadowed extra keys (with paths) in ``problems``."""
    try:
        return to_json(value)
    except ShadowedKeyError:
        return to_json(value, problems)
