"""What a resource or a manager can do, as small mixins composed per class.

A verb exists only where the API can do it: a `Workunit` has no ``save()``, a collection
the API cannot list (collaborators, a sample's labels) is not iterable. So ``dir()``,
``hasattr`` and type checkers tell the truth, and no method exists only to refuse.

Objects (each mixin goes before `Resource` in the class's bases)::

    @resource
    class Dataset(Updatable, Deletable, Refreshable, Resource): ...

- `Saveable`: ``save()`` creates a NEW object (through its ``_create`` hook) and PATCHes
  only the changed fields of a loaded one or a shell.
- `Updatable` (a `Saveable`): ``update(**fields)``, set then save.
- `Deletable`: ``delete()``, a DELETE of the object's URL.
- `Refreshable`: ``refresh()``, a GET of the object's URL adopted in place (override it
  where the API reads the object elsewhere).

Managers (each mixin goes before `Manager`)::

    class SampleManager(Listable[Sample], Buildable[Sample], Manager[Sample]): ...

- `Listable`: ``all()``, ``filter()``, ``order_by()``, ``first()``, ``count()``,
  ``exists()``, ``list()``, iteration and the notebook table: for collections the API
  lists.
- `Buildable`: ``new(**fields)``, an unsaved object whose ``save()`` creates it: for
  collections whose objects implement ``_create``.

``get``, ``create`` and the bulk verbs take arguments of their own per collection, so each
manager that has them defines them; none defines one only to refuse it.

Relations: `relation` turns a method building a manager into a descriptor that builds it
once per object (``ds.samples is ds.samples``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any, Callable, Generic, Optional, TypeVar, Union, overload

from segments_orm._fields import fields_of
from segments_orm._state import State, write_clean
from segments_orm.base import Manager, R, Resource, _structure_answer
from segments_orm.exceptions import MissingContextError, ValidationError
from segments_orm.query import QuerySet

__all__ = [
    "OBJECT_VERBS",
    "Buildable",
    "Deletable",
    "Listable",
    "Refreshable",
    "Saveable",
    "Updatable",
    "relation",
]

M = TypeVar("M")

# Guards installing an object's relation cache (see `relation`).
_FIRST_RELATION = threading.Lock()


# -- objects -------------------------------------------------------------------------


class Saveable(Resource):
    """``save()``: create a new object, or send only what changed."""

    __slots__ = ()

    def save(self: R) -> R:
        """Save this object: create it if new, else send only the fields that changed.

        Network: one request, or none when nothing changed.

        Returns:
            This object, updated in place from the server's answer.
        """
        if self._state is State.NEW:
            self._create()  # type: ignore[attr-defined]
            return self
        changed = self._changed_fields()
        if not changed:
            return self
        data = self._request("PATCH", json_body=self._payload(changed), gzip=self._patch_gzip)
        self._apply_saved(data)  # type: ignore[attr-defined]
        return self

    def _apply_saved(self, data: Any) -> None:
        """Take the server's answer to a save, keeping the user's mutable objects.

        A user may hold ``meta = sample.metadata`` across ``save()`` and edit it again:
        where the server's value equals the local object, the local object stays (with a
        fresh snapshot), so those later edits are still seen by the next ``save()``.
        """
        fresh = _structure_answer(data, type(self))
        kept: dict[str, tuple[Any, str]] = {}
        # Only objects handed out by the property (those have a snapshot) can be held by
        # the user; a value merely assigned is taken fresh (and typed) from the answer.
        handed_out = set(self._snapshots or ())
        for slot, public in self._mutable_slots.items():
            if slot not in handed_out:
                continue
            local = getattr(self, slot)
            fingerprint = self._fingerprint_field(public, local)
            if fingerprint == self._fingerprint_field(public, getattr(fresh, slot)):
                kept[slot] = (local, fingerprint)
        self._adopt(fresh)
        for slot, (local, _) in kept.items():
            write_clean(self, slot, local)
        if kept:
            write_clean(self, "_snapshots", {slot: fp for slot, (_, fp) in kept.items()})

    def _create(self) -> None:
        """Create this NEW object on the server (resources that can be built override it)."""
        raise MissingContextError(
            f"A new {type(self).__name__} is created through its manager's create()."
        )


class Updatable(Saveable):
    """``update(**fields)``: set several fields, then save."""

    __slots__ = ()

    def update(self: R, **fields: Any) -> R:
        """Set several fields, then save.

        Network: one request, or none when nothing changed.

        Raises:
            ValidationError: A name is not a field of this object, or is read-only.
        """
        writable = fields_of(type(self)).writable
        # Checked before anything is set, so a refused call leaves the object unchanged.
        refused = sorted(set(fields) - writable)
        if refused:
            raise ValidationError(
                f"{type(self).__name__} cannot update {', '.join(refused)}; "
                f"writable fields: {', '.join(sorted(writable)) or 'none'}"
            )
        for name, value in fields.items():
            setattr(self, name, value)
        return self.save()  # type: ignore[attr-defined, no-any-return]


class Deletable(Resource):
    """``delete()``: delete the object on the server."""

    __slots__ = ()

    def delete(self) -> None:
        """Delete this object on the server.

        Network: one request.
        """
        self._request("DELETE", expect="none")


class Refreshable(Resource):
    """``refresh()``: fetch the object again, in place (a shell becomes loaded)."""

    __slots__ = ()

    def refresh(self: R) -> R:
        """Fetch this object again and update it in place, dropping unsaved changes.

        Network: one request.
        """
        self._apply(self._request("GET"))
        return self


#: Each object verb and the mixin that provides it (the meta tests read this).
OBJECT_VERBS: dict[str, type[Resource]] = {
    "save": Saveable,
    "update": Updatable,
    "delete": Deletable,
    "refresh": Refreshable,
}


# -- managers ------------------------------------------------------------------------


class Listable(Manager[R]):
    """The queryset API of a collection the API can list."""

    def all(self) -> QuerySet[R]:
        """Return a lazy queryset over the whole collection (no request yet)."""
        return self.queryset_class(
            self._fetch, self._load, self.schema, name=self.item_name, owner=self
        )

    def filter(self, **lookups: Any) -> QuerySet[R]:
        """Return a lazy queryset narrowed by ``lookups`` (no request yet).

        Raises:
            ValidationError: A lookup is not supported for this collection.
        """
        return self.all().filter(**lookups)

    def order_by(self, key: str) -> QuerySet[R]:
        """Return a lazy queryset ordered by ``key`` (``-key`` for descending)."""
        return self.all().order_by(key)

    def first(self) -> Optional[R]:
        """Return the first object, or None. Network: one request."""
        return self.all().first()

    def count(self) -> int:
        """Count the objects. Network: one request per 1000 objects."""
        return self.all().count()

    def exists(self) -> bool:
        """Tell whether there is any object. Network: one request."""
        return self.all().exists()

    def __iter__(self) -> Iterator[R]:
        """Iterate over every object, page by page. Network: one request per page."""
        return self.all().iterator()

    def list(self) -> list[R]:
        """Fetch every object into a list. Network: one request per page."""
        return list(self.all().iterator())

    def values(self, *fields: str) -> Iterator[dict[str, Any]]:
        """Yield each object as a dict of ``fields``: ``all().values(...)``.

        Network: one request per page.
        """
        return self.all().values(*fields)

    def values_list(self, *fields: str, flat: bool = False) -> Iterator[Any]:
        """Yield each object as a tuple of ``fields``: ``all().values_list(...)``.

        Network: one request per page.
        """
        return self.all().values_list(*fields, flat=flat)

    def to_pandas(
        self,
        fields: Optional[Sequence[str]] = None,
        *,
        metadata_columns: Union[bool, Sequence[str]] = False,
    ) -> Any:
        """Return every object as a pandas DataFrame: ``all().to_pandas(...)``.

        Network: one request per page.
        """
        return self.all().to_pandas(fields, metadata_columns=metadata_columns)

    def _repr_html_(self) -> Optional[str]:
        """Render the first objects as a table (for notebooks), as ``all()`` does.

        Network: one small request.
        """
        return self.all()._repr_html_()


class Buildable(Manager[R]):
    """``new(**fields)``: an unsaved object of the collection, created by its ``save()``."""

    def new(self, **fields: Any) -> R:
        """Return an unsaved object of this collection; its ``save()`` creates it.

        Network: none (``save()`` sends the create).

        Raises:
            ValidationError: A name is not a field of the object.
        """
        known = fields_of(self.model).known
        unknown = sorted(set(fields) - known)
        if unknown:
            raise ValidationError(
                f"{self.model.__name__} has no field {', '.join(unknown)}; "
                f"fields: {', '.join(sorted(known))}"
            )
        obj = self.model(**{**self._new_defaults(), **fields})
        write_clean(obj, "_client", self._client)
        write_clean(obj, "_context", self._context)
        return obj  # type: ignore[return-value]

    def _new_defaults(self) -> dict[str, Any]:
        """Return the fields a new object of this collection takes from its parent."""
        return {}


# -- relations -----------------------------------------------------------------------


class relation(Generic[M]):  # noqa: N801 - used as a decorator, like property
    """A relation of a resource: a manager built on first access, then kept per object.

    The manager lives in the object's ``_relations`` slot (resources have ``__slots__``),
    so each object has its own; it is not pickled or copied (a copy builds its own, whose
    context is the copy), it survives ``refresh()`` (the identity it was built from does
    not change), and ``bind()`` to another client drops it. Two threads reading it first
    at once get the same manager.
    """

    def __init__(self, build: Callable[[Any], M]) -> None:
        self._build = build
        self._name = build.__name__
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: Optional[type] = None) -> relation[M]: ...

    @overload
    def __get__(self, obj: Resource, owner: Optional[type] = None) -> M: ...

    def __get__(self, obj: Optional[Resource], owner: Optional[type] = None) -> Any:
        if obj is None:
            return self
        cache = obj._relations
        if cache is None:
            with _FIRST_RELATION:  # two threads must not each install a dict of their own
                cache = obj._relations
                if cache is None:
                    cache = {}
                    write_clean(obj, "_relations", cache)
        try:
            return cache[self._name]
        except KeyError:
            # Built outside any lock (building one may read the object's identity); if two
            # threads build one at once, setdefault keeps the first for both.
            return cache.setdefault(self._name, self._build(obj))

    def __set__(self, obj: Resource, value: Any) -> None:
        raise AttributeError(f"{type(obj).__name__}.{self._name} is a relation, not a field")
