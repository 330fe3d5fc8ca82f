"""The active-record base: `Resource`, `Manager`, and the field helpers resources use.

How a resource tracks what to save (DESIGN.md 3):

- Assigning a field marks it dirty (an attrs ``on_setattr`` hook); a read-only field
  refuses the assignment once the object came from the server.
- Mutable fields (dicts and lists such as ``metadata`` or ``attributes``) are exposed
  through properties that take a fingerprint of the value the first time it is read.
  ``save()`` compares the fingerprint with the current value, so in-place edits
  (``sample.metadata["k"] = 1``) are saved too. Objects whose mutable fields are never
  read cost no snapshot at all, which keeps decoding a page of 1000 samples cheap.
- ``save()`` sends only what changed; with nothing changed it sends nothing.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import enum
import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Generic, Optional, TypeVar, Union

import attrs
from yarl import URL

from segments_orm._converter import EXTRA, converter, unstructure
from segments_orm._fields import CHECK, CREATE, check_plain, fields_of, lazy_loader
from segments_orm._state import State, write_clean
from segments_orm.exceptions import (
    MissingContextError,
    NetworkError,
    NotLoadedError,
    SegmentsError,
    ValidationError,
)
from segments_orm.query import FilterSchema, QuerySet

if TYPE_CHECKING:
    from segments_orm.client import Client

__all__ = ["Manager", "Resource"]

R = TypeVar("R", bound="Resource")
C = TypeVar("C", bound=type)

# Resources and managers by class name: siblings find each other here instead of
# importing each other (DESIGN.md 2), which keeps the resource modules acyclic.
_REGISTRY: dict[str, Any] = {}


def _lookup(name: str) -> Any:
    """Return the registered resource or manager class called ``name``."""
    return _REGISTRY[name]


def _track_assignment(instance: Resource, attribute: attrs.Attribute, value: Any) -> Any:  # type: ignore[type-arg]
    state = instance._state
    if attribute.metadata.get("read_only") and state is not State.NEW:
        raise ValidationError(
            f"{type(instance).__name__}.{attribute.alias} is read-only: the server sets it"
        )
    if state is State.LOADED and value is not None and not attribute.metadata.get("mutable"):
        # Assigning the value a field already has is not a change (no PATCH for it). None
        # is always sent: it is how a user unassigns (WIRE.md 3.5); and on a shell every
        # assignment is sent, the shell not knowing the value it replaces.
        try:
            unchanged = bool(getattr(instance, attribute.name) == value)
        except Exception:  # an exotic __eq__: treat it as a change
            unchanged = False
        if unchanged and not (instance._dirty and attribute.name in instance._dirty):
            return value
    dirty = instance._dirty
    if dirty is None:
        write_clean(instance, "_dirty", {attribute.name})
    else:
        dirty.add(attribute.name)
    return value


def _field(
    *,
    wire: Optional[str] = None,
    read_only: bool = False,
    default: Any = None,
    show: Union[bool, str] = False,
    check: Optional[Callable[[Any, str], Any]] = None,
    create: Any = attrs.NOTHING,
) -> Any:
    """Declare a plain field of a resource (a scalar, an enum, a timestamp).

    Args:
        wire: The key on the wire, when it differs from the Python name.
        read_only: The server sets it; assignment raises once loaded.
        default: The value of a field the server did not send.
        show: Show it in the object's one-line repr (a string: under that label).
        check: ``check(value, name)`` returns the wire form of a value a user writes, or
            raises `ValidationError` (without one: the annotation's scalar kind is checked).
        create: The field is an argument of the resource's create, with this default
            (``_fields.REQUIRED``: it has none; None: left out of the body when None).
    """
    metadata: dict[str, Any] = {"read_only": read_only, "show": show}
    if wire:
        metadata["wire"] = wire
    return attrs.field(default=default, metadata=_rules(metadata, check, create))


def _rules(
    metadata: dict[str, Any], check: Optional[Callable[[Any, str], Any]], create: Any
) -> dict[str, Any]:
    if check is not None:
        metadata[CHECK] = check
    if create is not attrs.NOTHING:
        metadata[CREATE] = create
    return metadata


def _mutable_field(
    *,
    wire: str,
    typed: bool = False,
    factory: Optional[Callable[[], Any]] = None,
    check: Optional[Callable[[Any, str], Any]] = None,
    create: Any = attrs.NOTHING,
) -> Any:
    """Declare a dict or list field whose in-place edits are saved.

    The attrs attribute must be named with a leading underscore (``_metadata``); the
    `_resource` decorator adds the public property (``metadata``).

    Args:
        wire: The key on the wire (and the public name).
        typed: Its value may be a `segments_orm.types` model (attributes, anchors),
            written out with ``types.dump``.
        factory: Builds the value of a field the server did not send (None otherwise).
        check: The write check, as for `_field`.
        create: The create argument's default, as for `_field`.
    """
    metadata = _rules({"wire": wire, "mutable": True, "typed": typed}, check, create)
    if factory is None:
        return attrs.field(default=None, metadata=metadata)
    return attrs.field(factory=factory, metadata=metadata)


# Guards the first read of a mutable field: two threads reading it at once must get the
# same object, or an edit made through one of them would be invisible to save().
_FIRST_READ = threading.Lock()


def _mutable_property(slot: str, public: str) -> property:
    def fget(self: Resource) -> Any:
        snapshots = self._snapshots
        if snapshots is not None and slot in snapshots:
            return getattr(self, slot)
        with _FIRST_READ:
            value = getattr(self, slot)
            snapshots = self._snapshots
            if snapshots is None:
                snapshots = {}
                write_clean(self, "_snapshots", snapshots)
            if slot not in snapshots:
                fingerprint = self._fingerprint_field(public, value)
                loaded = self._load_field(public, value)
                if loaded is not value:
                    write_clean(self, slot, loaded)
                    value = loaded
                # Published last, once the value users see is stored.
                snapshots[slot] = fingerprint
            return value

    def fset(self: Resource, value: Any) -> None:
        setattr(self, slot, value)

    return property(fget, fset, doc=f"The ``{public}`` field (in-place edits are saved).")


def _resource(cls: C) -> C:
    """Make ``cls`` an attrs resource class: slots, keyword init, tracked assignment."""
    built = attrs.define(
        cls,
        slots=True,
        kw_only=True,
        eq=False,
        repr=False,
        getstate_setstate=False,  # Resource's own: a pickle never holds the client
        on_setattr=_track_assignment,
    )
    table = fields_of(built)
    for slot, public in table.mutable_slots.items():
        setattr(built, public, _mutable_property(slot, public))
    _REGISTRY[built.__name__] = built
    # setattr: to mypy ``built`` is a type variable without these class attributes.
    setattr(built, "_repr_fields", table.shown)  # noqa: B010
    setattr(built, "_mutable_slots", table.mutable_slots)  # noqa: B010
    setattr(built, "_typed_fields", table.typed)  # noqa: B010
    setattr(built, "_wire_by_name", table.wire_by_name)  # noqa: B010
    return built


def _structure_answer(data: Any, cls: type[R]) -> R:
    """Build a resource from the server's answer, or say plainly that it is not one."""
    return converter.structure(_structure_answer_mapping(data, cls), cls)


def _structure_answer_mapping(data: Any, cls: type) -> Mapping[str, Any]:
    """Return the server's answer if it is a JSON object, else raise `NetworkError`."""
    if not isinstance(data, Mapping):
        raise NetworkError(
            f"The server answered with {type(data).__name__} where a {cls.__name__} object "
            "was expected"
        )
    return data


def _scalar_kinds(cls: type) -> dict[str, type]:
    """Map each scalar field of ``cls`` (by public name) to its kind (the field table's)."""
    return fields_of(cls).scalar_kinds


def _html_text(value: Any, limit: int = 80) -> str:
    """Return a short, readable text for a value in an HTML table cell."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        text = str(value.value)
    elif isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ", timespec="seconds")
    elif isinstance(value, (str, int, float)):
        text = str(value)
    elif isinstance(value, (Mapping, list, tuple)):
        text = json.dumps(unstructure(value), default=str)
    elif getattr(type(value), "__str__", None) is not object.__str__:
        text = str(value)  # an Owner reads as its username
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _public_fields(cls: type) -> tuple[tuple[str, str], ...]:
    """Return ``(public name, attrs name)`` of each public field of a resource class.

    This is the one list ``to_dict()``, ``QuerySet.values()`` and ``to_pandas()`` read
    (the field table's): every field the constructor takes, under its public name
    (``metadata`` for the ``_metadata`` slot, ``label`` for a sample's ``_label``), in
    declaration order. The object's own state (client, context, dirty set, snapshots, the
    kept answer) is not a field, and ``extra`` (what the server sent that we do not know)
    is left out.
    """
    return fields_of(cls).public_fields


# How many times a create whose answers keep getting lost is sent (`_create_reconciled`).
_RECONCILE_SENDS = 3

_INTERNAL = {"on_setattr": attrs.setters.NO_OP, "init": False, "repr": False, "eq": False}


@attrs.define(slots=True, kw_only=True, eq=False, repr=False, getstate_setstate=False)
class Resource:
    """The base of every resource: identity, state, dirty tracking.

    The verbs (``save``, ``update``, ``delete``, ``refresh``) come from the mixins of
    ``segments_orm._capabilities``, each only on the resources whose API has it. Resources
    are built by managers from the server's answers; users get them from
    ``client.datasets.get(...)``, ``dataset.samples.filter(...)`` and so on.

    Attributes:
        extra: Fields the server sent that this version of segments-orm does not know.
            They are kept (reading never fails on a new field).
    """

    extra: dict[str, Any] = attrs.field(factory=dict, on_setattr=attrs.setters.NO_OP)
    _client: Optional[Client] = attrs.field(default=None, **_INTERNAL)  # type: ignore[call-overload]
    _context: Optional[dict[str, Any]] = attrs.field(default=None, **_INTERNAL)  # type: ignore[call-overload]
    _dirty: Optional[set[str]] = attrs.field(default=None, **_INTERNAL)  # type: ignore[call-overload]
    _snapshots: Optional[dict[str, str]] = attrs.field(default=None, **_INTERNAL)  # type: ignore[call-overload]
    _state: State = attrs.field(default=State.NEW, **_INTERNAL)  # type: ignore[call-overload]
    # The server's answer, for fields not read yet: see _from_wire and __getattr__.
    _raw: Optional[dict[str, Any]] = attrs.field(default=None, **_INTERNAL)  # type: ignore[call-overload]
    # The managers of its relations, built on first access (see _capabilities.relation).
    _relations: Optional[dict[str, Any]] = attrs.field(default=None, **_INTERNAL)  # type: ignore[call-overload]

    # Filled by @resource for each subclass.
    _mutable_slots: ClassVar[dict[str, str]] = {}
    _typed_fields: ClassVar[frozenset[str]] = frozenset()
    _wire_by_name: ClassVar[dict[str, str]] = {}
    # Subclasses set these.
    _path: ClassVar[str] = ""  # the instance URL template
    _patch_gzip: ClassVar[bool] = False
    _repr_fields: ClassVar[tuple[tuple[str, str], ...]] = ()

    # -- construction ----------------------------------------------------------------

    @classmethod
    def _from_wire(
        cls: type[R], client: Optional[Client], data: Any, context: Optional[dict[str, Any]] = None
    ) -> R:
        load = lazy_loader(cls)
        if load is not None:
            # Lazy: keep the answer (a shallow copy, so later edits of the caller's dict do
            # not show through) and decode each field the first time it is read
            # (__getattr__). Listing a page then costs one small object per item.
            if not isinstance(data, dict):
                data = dict(_structure_answer_mapping(data, cls))
            else:
                data = data.copy()
            lazy: R = object.__new__(cls)
            write_clean(lazy, "_raw", data)
            write_clean(lazy, "_client", client)
            write_clean(lazy, "_context", context)
            write_clean(lazy, "_dirty", None)
            write_clean(lazy, "_snapshots", None)
            write_clean(lazy, "_state", State.LOADED)
            return lazy
        obj = _structure_answer(data, cls)
        write_clean(obj, "_client", client)
        write_clean(obj, "_context", context)
        write_clean(obj, "_state", State.LOADED)
        return obj

    @classmethod
    def _shell(
        cls: type[R],
        client: Optional[Client],
        known: dict[str, Any],
        context: Optional[dict[str, Any]] = None,
    ) -> R:
        """Build a shell: an object that knows only ``known`` (wire keys), with no request.

        Reading any other field raises `NotLoadedError` until ``refresh()`` (see `State`).
        """
        shell = cls._from_wire(client, known, context)
        try:
            eager = object.__getattribute__(shell, "_raw") is None
        except AttributeError:  # built field by field, without __init__
            eager = True
        if eager:
            # Built eagerly, every field is set: empty those it was not told, so that
            # reading them reaches __getattr__, which refuses. (Built lazily, they are
            # empty already, and a label write's sample shell costs no loop.)
            for spec in fields_of(cls).fields:
                if spec.wire not in known:
                    with contextlib.suppress(AttributeError):
                        object.__delattr__(shell, spec.name)
        write_clean(shell, "_state", State.SHELL)
        return shell

    def _knows(self, name: str) -> bool:
        """Tell whether field ``name`` (attrs name) has a value here: false only on a shell."""
        if self._state is not State.SHELL:
            return True
        try:
            object.__getattribute__(self, name)
        except AttributeError:
            raw = self._raw
            return raw is not None and self._wire_by_name.get(name, name) in raw
        return True

    def _peek(self, name: str) -> Any:
        """Return field ``name``, or None where a shell does not know it (for internals)."""
        return getattr(self, name) if self._knows(name) else None

    def _refuse_unknown(self, name: str) -> None:
        """Raise `NotLoadedError` if ``name`` is a field this shell does not know."""
        spec = fields_of(type(self)).by_name.get(name)
        if spec is None or not spec.init or name == EXTRA or self._knows(name):
            return
        public = spec.public
        raise NotLoadedError(
            f"This {type(self).__name__} is a shell (get(..., lazy=True)) that does not know "
            f"its {public}; call refresh() to load it"
        )

    def _apply(self, data: Any) -> None:
        """Update this object in place from the server's answer, forgetting local changes."""
        self._adopt(_structure_answer(data, type(self)))

    def _adopt(self, other: Resource) -> None:
        """Take over the state of ``other``, a freshly loaded object of the same class."""
        for spec in fields_of(type(self)).all:
            if spec.init:  # the fields and ``extra``, not the internal state
                write_clean(self, spec.name, getattr(other, spec.name))
        if other._client is not None:
            write_clean(self, "_client", other._client)
        write_clean(self, "_dirty", None)
        write_clean(self, "_snapshots", None)
        write_clean(self, "_state", State.LOADED)
        write_clean(self, "_raw", None)  # every field is set now

    if not TYPE_CHECKING:  # to type checkers, a misspelt attribute stays an error

        def __getattr__(self, name: str) -> Any:
            # Reached only when normal lookup fails: an empty slot of an object that
            # _from_wire loaded lazily. Decode that one field from the kept answer, once.
            if name == "_raw" or name[:2] == "__":
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            if name != "_state" and self._state is State.SHELL:
                self._refuse_unknown(name)
            fill = lazy_loader(type(self))
            if fill is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            try:
                raw = object.__getattribute__(self, "_raw")
            except AttributeError:  # made without __init__ or _from_wire (copy, pickle)
                raw = None
            return fill(self, raw, name)

    # -- copying and pickling ------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        # Every field, decoded (a shell's: those it knows); never the client (it holds a
        # session and the API key), nor the relations' managers (the copy builds its own,
        # whose context is the copy).
        state = {
            s.name: getattr(self, s.name)
            for s in fields_of(type(self)).all
            if s.init and self._knows(s.name)
        }
        for name in ("_context", "_dirty", "_snapshots", "_state"):
            state[name] = getattr(self, name)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        write_clean(self, "_client", None)
        write_clean(self, "_raw", None)
        write_clean(self, "_relations", None)
        write_clean(self, "_state", State.LOADED)  # a pickle made before there were states
        for name, value in state.items():
            write_clean(self, name, value)

    def __copy__(self: R) -> R:
        clone = type(self).__new__(type(self))
        clone.__setstate__(self.__getstate__())
        write_clean(clone, "_client", self._client)
        return clone

    def __deepcopy__(self: R, memo: dict[int, Any]) -> R:
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        clone.__setstate__(copy.deepcopy(self.__getstate__(), memo))
        write_clean(clone, "_client", self._client)  # shared, never copied
        return clone

    def bind(self: R, client: Client) -> R:
        """Attach this object to ``client`` (after unpickling it, for example).

        Returns:
            This object.
        """
        write_clean(self, "_client", client)
        write_clean(self, "_relations", None)  # their managers talk through the old client
        return self

    # -- identity --------------------------------------------------------------------

    def _identity(self) -> tuple[Any, ...]:
        """Return the values that identify this object (overridden per resource)."""
        return ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        mine = self._identity()
        if not mine or any(v is None for v in mine):
            return self is other
        return mine == other._identity()

    def __hash__(self) -> int:
        mine = self._identity()
        if not mine or any(v is None for v in mine):
            return id(self)
        return hash((type(self).__name__, mine))

    def __repr__(self) -> str:
        parts = [self._repr_label()]
        for name, label in self._repr_fields:
            value = self._peek(name)
            if value is not None:
                parts.append(f"{label}={value}")
        return f"<{type(self).__name__} {' '.join(p for p in parts if p)}>"

    def _repr_label(self) -> str:
        return " ".join(str(v) for v in self._identity() if v is not None)

    def _repr_html_(self) -> str:
        """Render the fields that have a value as a two-column table (for notebooks)."""
        from html import escape

        rows = []
        for spec in fields_of(type(self)).fields:
            name = spec.public if spec.mutable else spec.name
            if name.startswith("_"):
                continue
            value = self._peek(spec.name)
            if value is None:
                continue
            if spec.mutable:
                value = self._wire_value(name, value)
            rows.append(f"<tr><th>{escape(name)}</th><td>{escape(_html_text(value))}</td></tr>")
        if self.extra:
            rows.append(f"<tr><th>extra</th><td>{escape(_html_text(self.extra))}</td></tr>")
        return f"<table><caption>{escape(repr(self))}</caption>{''.join(rows)}</table>"

    def _html_row(self) -> dict[str, str]:
        """Return the cells of this object's row in a queryset's HTML table."""
        label = self._repr_label()
        if len(label) > 1 and label[0] == label[-1] and label[0] in "'\"":
            label = label[1:-1]  # a quoted name reads better unquoted in a table cell
        row = {type(self).__name__: label}
        for name, shown in self._repr_fields:
            row[shown] = _html_text(self._peek(name))
        for name in ("uuid", "created_at"):
            value = self._peek(name) if name in self._wire_by_name else None
            if value is not None and str(value) != label:
                row[name] = _html_text(value)
        return row

    def to_dict(self) -> dict[str, Any]:
        """Return the public fields in their JSON form (what ``json.dumps`` accepts).

        Timestamps become ISO 8601 strings, enums their values, typed attributes plain
        dicts; the dict is a copy, so editing it does not change the object. Internal
        state is never included; fields the server sent that this version does not know
        are under ``extra`` when there are any.

        Network: none.
        """
        out = {
            public: self._json_field(public, name) for public, name in _public_fields(type(self))
        }
        if self.extra:
            out["extra"] = unstructure(self.extra)
        return out

    @classmethod
    def _table_fields(cls) -> tuple[tuple[str, str], ...]:
        """Return ``(public name, attrs name)`` of the public fields (see `_public_fields`)."""
        return _public_fields(cls)

    def _json_field(self, public: str, name: str) -> Any:
        """Return one field's JSON form, without taking a snapshot of a mutable field."""
        value = getattr(self, name)
        if isinstance(value, Resource):
            return value.to_dict()  # a sample's included label
        wire = self._wire_value(public, value)
        # A typed model's dump may hand back the object itself: the caller gets a copy.
        return copy.deepcopy(wire) if wire is value and isinstance(value, (dict, list)) else wire

    def __dir__(self) -> list[str]:
        # Tab completion shows fields, relations and methods, not internals.
        names = set(object.__dir__(self))
        return sorted(n for n in names if not n.startswith("_"))

    # -- the client and context ------------------------------------------------------

    @property
    def client(self) -> Client:
        """The client this object talks through.

        Raises:
            MissingContextError: The object was built by hand, not by a client.
        """
        if self._client is None:
            raise MissingContextError(
                f"This {type(self).__name__} is not bound to a client; get it through one "
                "(client.datasets.get(...)) or create it with a manager's create()."
            )
        return self._client

    def _url_params(self) -> dict[str, str]:
        """Return the values of this resource's URL template (overridden per resource)."""
        return {}

    def _url(
        self, template: Optional[str] = None, query: Optional[Mapping[str, Any]] = None
    ) -> URL:
        return self.client.api_url.endpoint(template or self._path, self._url_params(), query)

    def _request(
        self,
        method: str,
        template: Optional[str] = None,
        *,
        query: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Any:
        return self.client.transport.request(method, self._url(template, query), **kwargs)

    # -- field hooks -----------------------------------------------------------------

    def _load_field(self, public: str, value: Any) -> Any:
        """Turn a mutable field's wire value into what users see (typed attributes)."""
        return value

    def _wire_value(self, public: str, value: Any) -> Any:
        """Turn a field's value into its wire form as it is, without validating."""
        if public in self._typed_fields:
            # Imported here: typed attributes are loaded only when a user touches them.
            from segments_orm import types

            return types.dump(value)
        return unstructure(value)

    def _dump_field(self, public: str, value: Any) -> Any:
        """Turn a field's value into its wire form for sending, validating it.

        A field declared with ``check=`` is checked (and converted) by it; any other
        field must hold its declared scalar kind (``True``, not ``"yes"`` or ``1``), and a
        dict's keys must be strings. Subclasses override this only for fields whose rule
        needs the object itself (attributes checked against the dataset's task type).
        """
        spec = fields_of(type(self)).by_public.get(public)
        if spec is not None and spec.check is not None:
            return spec.check(value, public)
        check_plain(value, public, None if spec is None else spec.scalar)
        return self._wire_value(public, value)

    def _fingerprint_field(self, public: str, value: Any) -> str:
        try:
            return json.dumps(self._wire_value(public, value), sort_keys=True, default=str)
        except (TypeError, ValueError):
            # Keys JSON cannot sort (an int beside a str, a tuple): still a stable text;
            # save() then refuses the value with a ValidationError naming the field.
            return repr(value)

    # -- change tracking -------------------------------------------------------------

    def _changed_fields(self) -> list[str]:
        """Return the attrs names of the fields changed since load, in field order."""
        dirty = set(self._dirty or ())
        for slot, snapshot in (self._snapshots or {}).items():
            if slot not in dirty:
                public = self._mutable_slots[slot]
                current = getattr(self, slot)
                if self._fingerprint_field(public, current) != snapshot:
                    dirty.add(slot)
        table = fields_of(type(self))
        return [s.name for s in table.all if s.name in dirty and s.name not in table.read_only]

    def has_changes(self) -> bool:
        """Tell whether ``save()`` would send anything."""
        return bool(self._changed_fields())

    def _payload(self, names: list[str]) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for name in names:
            public = self._mutable_slots.get(name, name)
            payload[self._wire_by_name[name]] = self._dump_field(public, getattr(self, name))
        return payload


class Manager(Generic[R]):
    """Access to one collection of the API: a URL template plus its parent's identity.

    What a collection offers beyond building requests comes from the mixins of
    ``segments_orm._capabilities`` (``Listable`` for iteration and querysets, ``Buildable``
    for ``new()``), listed before this class in each manager's bases.

    Args:
        client: The client requests go through.
        params: The parent's identity, the values of the URL template's placeholders.
        context: What the loaded objects may know about their parent (for example the
            dataset, so ``sample.dataset`` needs no request).
    """

    model: ClassVar[type[Resource]]
    list_path: ClassVar[str] = ""
    schema: ClassVar[FilterSchema] = FilterSchema(paged=False)
    item_name: ClassVar[str] = "objects"
    queryset_class: ClassVar[type[QuerySet[Any]]] = QuerySet

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    def __init__(
        self,
        client: Client,
        params: Optional[dict[str, str]] = None,
        context: Optional[dict[str, Any]] = None,
    ) -> None:
        self._client = client
        self._params = params or {}
        self._context = context

    def __repr__(self) -> str:
        where = "/".join(self._params.values())
        return f"<{type(self).__name__} {where}>" if where else f"<{type(self).__name__}>"

    def __dir__(self) -> list[str]:
        # Tab completion shows what to call, not the class's configuration or internals.
        hidden = {"model", "list_path", "schema", "item_name", "queryset_class"}
        names = set(object.__dir__(self)) - hidden
        return sorted(n for n in names if not n.startswith("_"))

    # -- plumbing --------------------------------------------------------------------

    def _url(
        self,
        template: Optional[str] = None,
        query: Optional[Mapping[str, Any]] = None,
        **params: str,
    ) -> URL:
        return self._client.api_url.endpoint(
            template or self.list_path, {**self._params, **params}, query
        )

    def _request(
        self,
        method: str,
        template: Optional[str] = None,
        *,
        query: Optional[Mapping[str, Any]] = None,
        params: Optional[dict[str, str]] = None,
        **kwargs: Any,
    ) -> Any:
        return self._client.transport.request(
            method, self._url(template, query, **(params or {})), **kwargs
        )

    def _load(self, data: Any) -> R:
        return self.model._from_wire(self._client, data, self._context)  # type: ignore[return-value]

    def _load_shell(self, known: dict[str, Any]) -> R:
        """Return a shell of this collection's model that knows only ``known`` (no request)."""
        return self.model._shell(self._client, known, self._context)  # type: ignore[return-value]

    def _fetch(self, query: dict[str, str]) -> list[Any]:
        result = self._request("GET", query=query)
        return result if isinstance(result, list) else [result]

    # -- creating ----------------------------------------------------------------------

    def _create_reconciled(self, post: Callable[[], R], find: Callable[[], Optional[R]]) -> R:
        """Create an object, reconciling a create whose answer was lost.

        When the connection drops after the request was sent, or a gateway answers 502
        or 504 (it lost the application's answer, or never passed the request on), the
        server may or may not have committed it. Instead of failing (or blindly resending,
        which makes a duplicate or a false "already exists"), look the object up by its
        name: if it is there, it is ours; if not, send the create again. A resend whose
        answer is lost as well is settled the same way, up to three sends in all.
        """
        sends = 0
        while True:
            sends += 1
            try:
                return post()
            except SegmentsError as error:
                ambiguous = error.status_code is None or error.status_code in (502, 504)
                if not ambiguous or error.method is None or sends >= _RECONCILE_SENDS:
                    raise
                found = find()
                if found is not None:
                    return found
