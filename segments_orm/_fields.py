"""One table of fields per attrs class, built once: everything else reads it.

`fields_of` returns the `FieldTable` of a class: for each field its Python name, public
name, wire name, type, default or factory, loader (wire to Python), write check, and
whether it is read-only, mutable (a dict or list whose in-place edits are saved) or
typed (its value may be a `segments_orm.types` model). From that one table come:

- eager structuring (`FieldTable.structure`, the converter's hook for every attrs class),
- lazy decoding (`FieldTable.fill`: a resource keeps the server's answer and decodes a
  field the first time it is read),
- writing (`FieldTable.unstructure`, and each field's `FieldSpec.check`),
- create bodies (`FieldTable.create_body`, from the fields declared with ``create=``),
- the lists resources need: public fields (``to_dict()``, ``values()``), read-only and
  writable names (``update()``, ``new()``), scalar kinds, wire names.

Models of `segments_orm.types` declare their own load and dump (``_wire_structure`` and
``_wire_unstructure``): the table hands those to the converter instead of its own.

Reading never raises: a value of an unexpected shape is kept raw on the object.

Adding a field to a resource is one declaration, ``base._field(...)`` (or
``base._mutable_field(...)`` for a dict or list): ``wire=`` when its key differs,
``read_only=True`` when the server sets it, ``check=`` for its write rule (``optional(...)``
when an update may send None), ``create=`` with its default when a create takes it
(`REQUIRED` when it has none). A create argument must also be added to the create's
signature and the facade's, which tests/meta/test_field_table.py compares with the table.

No code is generated: building an object field by field in a loop costs what the
generated loader did for decoding a page (B2: 0.99x of the generated version, measured side
by side), since pages are decoded lazily.
"""

from __future__ import annotations

import builtins
import inspect
import math
import threading
import typing
from collections.abc import Mapping
from typing import Any, Callable, Optional, Union

import attrs

from segments_orm._converter import EXTRA, compile_loader, converter, field_types, wire_name
from segments_orm._state import write_clean
from segments_orm.exceptions import ValidationError

__all__ = [
    "REQUIRED",
    "FieldSpec",
    "FieldTable",
    "check_plain",
    "fields_of",
    "lazy_loader",
    "optional",
]

# Field metadata keys (alongside "wire", "read_only", "show", "mutable", "typed").
CHECK = "segments_orm.check"
CREATE = "segments_orm.create"

#: The ``create=`` of a field that a create needs (a positional argument, no default).
REQUIRED: Any = type("Required", (), {"__repr__": lambda self: "REQUIRED"})()

_MISSING: Any = object()
_SCALARS = (bool, int, float, str)

# ``check(value, path)``: return the wire form of a user's value, or raise ValidationError.
Check = Callable[[Any, str], Any]


def optional(check: Check) -> Check:
    """Return a check that lets None through (sent as null) and checks anything else.

    A create still refuses None for such a field unless its ``create=`` default is None:
    it checks with the wrapped check (``__wrapped__``).
    """

    def check_optional(value: Any, path: str) -> Any:
        return None if value is None else check(value, path)

    check_optional.__wrapped__ = check  # type: ignore[attr-defined]
    return check_optional


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _scalar_check(kind: type) -> Callable[[Any, str], None]:
    """Return the check of a plain scalar field of ``kind`` (bool, int, float or str)."""

    def check(value: Any, public: str) -> None:
        if kind is bool:
            ok = isinstance(value, bool)
            expected = "True or False"
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
            expected = "an integer"
        elif kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            expected = "a number"
            if ok and not math.isfinite(value):
                raise ValidationError(f"{public}: must be a finite number, got {value}")
        else:
            ok = isinstance(value, str)
            expected = "a string"
        if not ok:
            raise ValidationError(f"{public}: expected {expected}, got {_shown(value)}")

    return check


def check_plain(value: Any, public: str, kind: Optional[type]) -> None:
    """Check a value of a field without a declared check: its scalar kind, string keys."""
    if value is None:
        return
    if kind is not None:
        _SCALAR_CHECKS[kind](value, public)
    if isinstance(value, Mapping):
        bad = next((k for k in value if not isinstance(k, str)), None)
        if bad is not None:
            raise ValidationError(f"{public}: keys must be strings, got {bad!r}")


_SCALAR_CHECKS: dict[type, Callable[[Any, str], None]] = {k: _scalar_check(k) for k in _SCALARS}


def _scalar_kind(hint: Any) -> Optional[type]:
    args = typing.get_args(hint) if typing.get_origin(hint) is Union else (hint,)
    members = [a for a in args if a is not type(None)]
    if len(members) == 1 and members[0] in _SCALARS:
        return members[0]  # type: ignore[no-any-return]
    return None


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
        write_clean(obj, name, value)

    return get, set_


class FieldSpec:
    """One field of an attrs class, as every part of the package sees it.

    Attributes:
        name: The attribute's Python name (``_metadata``).
        public: The name users see and pass (``metadata``).
        wire: The key on the wire (``metadata``; ``issues`` for ``embedded_issues``).
        default: The value when the server did not send the key (``attrs.NOTHING``: none).
        factory: Builds that value instead, for a mutable default (or None).
        init: The constructor takes it (False for internal state).
        read_only: The server sets it: never written, refused on assignment once loaded.
        mutable: A dict or list whose in-place edits are saved (a resource's property).
        typed: Its value may be a `segments_orm.types` model.
        check: ``check(value, path)`` returning the wire form of a user's value, or None
            when the field has no rule beyond its scalar kind.
        create: Its default as an argument of the resource's create (`REQUIRED` when it
            has none; ``attrs.NOTHING`` when a create does not take it).
        show: Shown in the one-line repr (a string: under that label).
    """

    # A plain slotted class, not an attrs one: every resource builds its table when it is
    # defined, so this class is part of ``import segments_orm`` (benchmark B1).
    __slots__ = (
        "_hints",
        "check",
        "create",
        "default",
        "factory",
        "init",
        "mutable",
        "name",
        "public",
        "read_only",
        "show",
        "typed",
        "wire",
    )

    def __init__(self, attribute: attrs.Attribute, hints: _Hints) -> None:  # type: ignore[type-arg]
        meta = attribute.metadata
        default: Any = attribute.default
        factory = None
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            factory = default.factory
            default = attrs.NOTHING
        self.name: str = attribute.name
        self.public: str = attribute.alias or attribute.name.lstrip("_")
        self.wire: str = wire_name(attribute)
        self._hints = hints
        self.default: Any = default
        self.factory: Optional[Callable[[], Any]] = factory
        self.init: bool = attribute.init
        self.read_only = bool(meta.get("read_only"))
        self.mutable = bool(meta.get("mutable"))
        self.typed = bool(meta.get("typed"))
        self.check: Optional[Check] = meta.get(CHECK)
        self.create: Any = meta.get(CREATE, attrs.NOTHING)
        self.show: Union[bool, str] = meta.get("show", False)

    def __repr__(self) -> str:
        return f"<FieldSpec {self.name} wire={self.wire!r}>"

    @property
    def type(self) -> Any:
        """The resolved annotation (``Any`` where it cannot be resolved)."""
        return self._hints.of(self.name)

    @property
    def scalar(self) -> Optional[builtins.type]:
        """Its kind when it is a plain bool, int, float or str (else None)."""
        return self._hints.scalar(self.name)

    def default_value(self) -> Any:
        """Return the value of this field when the server did not send it."""
        return self.factory() if self.factory is not None else self.default


class _Hints:
    """The resolved annotations of one class, resolved the first time one is asked for.

    Resolving them evaluates every annotation (``from __future__ import annotations``);
    deferring it keeps it out of ``import segments_orm`` (benchmark B1).
    """

    def __init__(self, cls: type) -> None:
        self._cls = cls
        self._hints: Optional[dict[str, Any]] = None
        self._scalars: dict[str, Optional[type]] = {}

    def of(self, name: str) -> Any:
        hints = self._hints
        if hints is None:
            hints = self._hints = field_types(self._cls)
        return hints.get(name, Any)

    def scalar(self, name: str) -> Optional[type]:
        try:
            return self._scalars[name]
        except KeyError:
            kind = self._scalars[name] = _scalar_kind(self.of(name))
            return kind


# ``fill(obj, raw, name)``: decode field ``name`` of ``obj`` from ``raw``, set it, return it.
LazyFill = Callable[[Any, Optional[Mapping[str, Any]], str], Any]


class FieldTable:
    """The fields of one attrs class and what is derived from them (see `fields_of`).

    Attributes:
        cls: The class.
        all: Every field, internal state included, in attrs order.
        fields: The public fields: those the constructor takes, without ``extra``.
        by_name: Every field by Python name.
        by_public: The public fields by public name.
        has_extra: The class keeps unknown keys in ``extra``.
        public_fields: ``(public name, Python name)`` of each public field.
        read_only: The Python names of the read-only fields.
        known: The public names ``new()`` accepts.
        writable: The public names ``update()`` accepts.
        wire_by_name: Python name to wire key, for every field.
        mutable_slots: Python name to public name, for the mutable fields.
        typed: The public names of the typed mutable fields.
        shown: ``(Python name, label)`` of the fields in the one-line repr.
        creates: The fields a create takes, in declaration order.
        create_names: Their public names.
        required_creates: The public names of those a create cannot do without.
        simple: Objects can be built without ``__init__`` (it only assigns: no
            validators, converters, required fields or init hooks), so fields can be
            decoded lazily.
    """

    def __init__(self, cls: type) -> None:
        self.cls = cls
        hints = _Hints(cls)
        self.all = tuple(FieldSpec(a, hints) for a in attrs.fields(cls))
        self.fields = tuple(s for s in self.all if s.init and s.name != EXTRA)
        self.by_name = {s.name: s for s in self.all}
        self.by_public = {s.public: s for s in self.fields}
        self.has_extra = EXTRA in self.by_name
        self.public_fields = tuple((s.public, s.name) for s in self.fields)
        self.read_only = frozenset(s.name for s in self.all if s.read_only)
        self.known = frozenset(s.public for s in self.fields)
        self.writable = frozenset(s.public for s in self.fields if not s.read_only)
        self.wire_by_name = {s.name: s.wire for s in self.all}
        self.mutable_slots = {s.name: s.public for s in self.all if s.mutable}
        self.typed = frozenset(s.public for s in self.all if s.mutable and s.typed)
        self.shown = tuple(
            (s.name, s.show if isinstance(s.show, str) else s.name) for s in self.all if s.show
        )
        self.creates = tuple(s for s in self.fields if s.create is not attrs.NOTHING)
        self.create_names = frozenset(s.public for s in self.creates)
        self.required_creates = tuple(s.public for s in self.creates if s.create is REQUIRED)
        self.simple = _builds_without_init(cls)
        self._scalar_kinds: Optional[dict[str, type]] = None
        # Filled on first use: loaders may name classes still being defined.
        self._loaders: Optional[dict[str, tuple[str, Optional[Callable[[Any], Any]]]]] = None
        self._fill: Optional[LazyFill] = None
        self._build: Optional[Callable[[Any], Any]] = None
        self._create_plan: Optional[tuple[_CreateStep, ...]] = None
        self._lock = threading.Lock()

    @property
    def scalar_kinds(self) -> dict[str, type]:
        """Public name to kind, for the plain scalar fields."""
        kinds = self._scalar_kinds
        if kinds is None:
            kinds = {s.public: s.scalar for s in self.all if s.scalar is not None}
            self._scalar_kinds = kinds
        return kinds

    # -- reading ---------------------------------------------------------------------

    def loaders(self) -> dict[str, tuple[str, Optional[Callable[[Any], Any]]]]:
        """Map each wire key to (init argument name, lenient loader or None: kept as is)."""
        loaders = self._loaders
        if loaders is None:
            # attrs strips a leading underscore for the init argument: pass by alias.
            loaders = {s.wire: (s.public, compile_loader(converter, s.type)) for s in self.fields}
            self._loaders = loaders
        return loaders

    def structure(self, data: Any, _: Any = None) -> Any:
        """Build an object from wire data, keeping unknown keys in ``extra``.

        Raises:
            TypeError: ``data`` is not a JSON object (the converter's callers keep it raw).
        """
        custom = getattr(self.cls, "_wire_structure", None)
        if custom is not None:
            return custom(data)
        if self.simple:
            build = self._build
            if build is None:
                build = self._build = self._build_directly()
            return build(data)
        if not isinstance(data, Mapping):
            raise TypeError(f"{self.cls.__name__} expects an object, got {type(data).__name__}")
        loaders = self.loaders()
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            target = loaders.get(key)
            if target is None:
                extra[key] = value
                continue
            name, load = target
            kwargs[name] = value if load is None else load(value)
        obj = self.cls(**kwargs)
        if self.has_extra:
            write_clean(obj, EXTRA, extra)
        return obj

    def _build_directly(self) -> Callable[[Any], Any]:
        """Return a builder that sets each field of a new object, without ``__init__``.

        It does what ``cls(**kwargs)`` does for a class whose ``__init__`` only assigns,
        in one pass over the fields instead of through keyword arguments.
        """
        cls = self.cls
        loaders = self.loaders()
        known = frozenset(loaders)
        # (wire key or None, set, loader, default, factory) of every field but ``extra``.
        steps = []
        for spec in self.all:
            if spec.name == EXTRA and self.has_extra:
                continue
            wire = spec.wire if spec.init else None
            load = None if wire is None else loaders[wire][1]
            steps.append(
                (wire, _slot_accessors(cls, spec.name)[1], load, spec.default, spec.factory)
            )
        set_extra = _slot_accessors(cls, EXTRA)[1] if self.has_extra else None
        missing, nothing = _MISSING, attrs.NOTHING

        def build(data: Any) -> Any:
            if type(data) is not dict and not isinstance(data, Mapping):
                raise TypeError(f"{cls.__name__} expects an object, got {type(data).__name__}")
            obj: Any = object.__new__(cls)
            get = data.get
            found = 0
            for wire, set_, load, default, factory in steps:
                if wire is not None:
                    value = get(wire, missing)
                    if value is not missing:
                        found += 1
                        set_(obj, value if load is None else load(value))
                        continue
                if factory is not None:
                    set_(obj, factory())
                elif default is not nothing:
                    set_(obj, default)
            if set_extra is not None:
                unknown = found != len(data)
                set_extra(obj, {k: v for k, v in data.items() if k not in known} if unknown else {})
            return obj

        return build

    def fill(self) -> Optional[LazyFill]:
        """Return ``fill(obj, raw, name)``, which decodes one field from the kept answer.

        ``fill`` stores the value in the object's field and returns it; it raises
        `AttributeError` for a name that is not a field; a field the data lacks gets its
        default. Returns None for classes that must be built through ``__init__``.
        """
        if self._fill is None and self.simple:
            with self._lock:
                if self._fill is None:
                    self._fill = self._build_fill()
        return self._fill

    def _build_fill(self) -> LazyFill:
        cls = self.cls
        loaders = self.loaders()
        known_keys = frozenset(loaders)
        # name -> (wire key or None, loader, default, factory, get, set)
        plan: dict[str, tuple[Any, ...]] = {}
        for spec in self.all:
            get, set_ = _slot_accessors(cls, spec.name)
            wire = spec.wire if spec.init and spec.name != EXTRA else None
            load = loaders[wire][1] if wire is not None else None
            plan[spec.name] = (wire, load, spec.default, spec.factory, get, set_)
        has_extra = self.has_extra
        missing = _MISSING
        nothing = attrs.NOTHING

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
                    if value is not missing:
                        if load is None:
                            # The answer's own object: every reader gets the same one.
                            set_(obj, value)
                            return value
                        value = load(value)
            if value is missing:
                if factory is not None:
                    value = factory()
                elif default is nothing:
                    raise AttributeError(f"{cls.__name__!r} object has no attribute {name!r}")
                else:
                    value = default
            try:  # another thread may have filled it meanwhile: everyone keeps one object
                return get(obj)
            except AttributeError:
                set_(obj, value)
                return value

        return fill

    # -- writing ---------------------------------------------------------------------

    def unstructure(self, obj: Any) -> Any:
        """Return the wire data of an object: every public field, then ``extra``."""
        custom = getattr(self.cls, "_wire_unstructure", None)
        if custom is not None:
            return custom(obj)
        out: dict[str, Any] = {}
        for spec in self.fields:
            out[spec.wire] = converter.unstructure(getattr(obj, spec.name))
        if self.has_extra:
            for key, value in (getattr(obj, EXTRA) or {}).items():
                out.setdefault(key, value)
        return out

    def create_values(self, obj: Any) -> dict[str, Any]:
        """Return the create arguments an object holds (None takes the create default).

        Arguments whose default is None are left out when None; required ones are kept
        (None included), so the create's checks name what is missing.
        """
        values = {}
        for spec in self.creates:
            value = getattr(obj, spec.name)
            if value is None and spec.create is not REQUIRED:
                value = spec.create
            if value is not None or spec.create is REQUIRED:
                values[spec.public] = value
        return values

    def create_body(
        self,
        values: Mapping[str, Any],
        special: Optional[Mapping[str, Check]] = None,
        *,
        every_problem: Optional[str] = None,
    ) -> dict[str, Any]:
        """Return the request body of a create from its arguments, each one checked.

        A missing argument takes its ``create=`` default; one whose default is None is
        left out when None; anything else goes through the field's check (``special``
        overrides the check of the fields that need the create's context, such as
        attributes checked against the dataset's task type).

        Args:
            values: The create's arguments, by public name.
            special: Checks that replace the fields' own, by public name.
            every_problem: Check every argument and raise one error listing all their
                problems, with this title (else the first problem raises).

        Raises:
            ValidationError: An argument is invalid, or a required one is missing.
        """
        plan = self._create_plan
        if plan is None:  # on first use: a field's scalar kind resolves its annotation
            plan = tuple(
                (
                    s.public,
                    s.wire,
                    s.create,
                    None if s.check is None else getattr(s.check, "__wrapped__", s.check),
                    s.scalar,
                )
                for s in self.creates
            )
            self._create_plan = plan
        # One flat loop (bulk creates run it for every item before sending anything: P2).
        body: dict[str, Any] = {}
        problems: list[str] = []
        get = values.get
        for public, wire, default, check, scalar in plan:
            try:
                value = get(public, default)
                if value is REQUIRED:
                    raise ValidationError(f"{public}: required")
                override = special.get(public) if special else None
                if override is not None:
                    body[wire] = override(value, public)
                elif value is None and default is None:
                    continue
                elif check is None:
                    check_plain(value, public, scalar)
                    body[wire] = value if type(value) in _PLAIN else converter.unstructure(value)
                else:  # a create refuses what an update may unset (see `optional`)
                    body[wire] = check(value, public)
            except ValidationError as error:
                if every_problem is None:
                    raise
                problems.extend(error.errors)
        if problems:
            raise ValidationError.from_errors(problems, str(every_problem))
        return body


# A create argument's (public name, wire key, default, strict check, scalar kind).
_CreateStep = tuple[str, str, Any, Optional[Callable[[Any, str], Any]], Optional[type]]
# Values whose wire form is themselves (no converter call).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _builds_without_init(cls: type) -> bool:
    """Tell whether attrs wrote ``cls.__init__`` and it only assigns its arguments."""
    code = getattr(getattr(cls, "__init__", None), "__code__", None)
    if code is None or not code.co_filename.startswith("<attrs generated"):
        return False
    if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
        return False
    for attribute in attrs.fields(cls):
        if attribute.validator is not None or attribute.converter is not None:
            return False
        default = attribute.default
        if isinstance(default, attrs.Factory) and default.takes_self:  # type: ignore[arg-type]
            return False
        if default is attrs.NOTHING and attribute.init and attribute.name != EXTRA:
            return False  # a required field: let __init__ raise as it would
    return True


_TABLES: dict[type, FieldTable] = {}
_BUILDING = threading.Lock()


def fields_of(cls: type) -> FieldTable:
    """Return the field table of an attrs class, building it on first use."""
    try:
        return _TABLES[cls]
    except KeyError:
        pass
    with _BUILDING:
        table = _TABLES.get(cls)
        if table is None:
            table = _TABLES[cls] = FieldTable(cls)
    return table


# The lazy fills asked for so far, by class: one dict lookup on the hot path of every
# decoded object and every first read of a field (benchmarks B2 and B3).
_FILLS: dict[type, Optional[LazyFill]] = {}


def lazy_loader(cls: type) -> Optional[LazyFill]:
    """Return the lazy ``fill`` of ``cls`` (`FieldTable.fill`), or None when it has none."""
    try:
        return _FILLS[cls]
    except KeyError:
        fill = _FILLS[cls] = fields_of(cls).fill()
        return fill
