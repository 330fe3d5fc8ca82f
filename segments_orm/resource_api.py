"""The platform's resource API (``segments.resource_api``), as compatibility subclasses.

Scripts written for segments-ai 1.33 call methods on the objects its client returns:
``dataset = client.get_dataset(...); sample = dataset.add_sample(...);
label = sample.add_label(...); label.update(...); sample.delete()``. The classes here
are those objects for `segments_orm.SegmentsClient`: each is a subclass of the ORM's
resource of the same name (so every ORM field, relation and method still works) that
adds the platform's methods, with the platform's names and parameters. This module is
the one place these methods live; the ORM's own classes keep their own vocabulary.

Only the facade hands out these classes (`adopt` re-labels the ORM object it got; the
subclasses add no fields, so nothing is copied). Every method is one call of the facade
method the platform's resource method calls (named in its docstring), which is itself a
thin call into the ORM. Where a platform method shares its name with an ORM method
(``update``, ``delete``, ``clone``), the platform's parameters win on these objects;
``update`` also updates the object in place, so ORM code that ignores the return value
keeps working.

Nested data the platform returns as models (a release's ``attributes``, a dataset's
``label_stats``, an issue's ``comments``, an asset's ``presignedPostFields``) is a
`Record` here: a ``dict`` (so ORM code and ``["key"]`` keep working) that also reads
its keys as attributes (``release.attributes.url``).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional, TypeVar, Union, cast

from segments_orm.base import Resource
from segments_orm.enums import Category, IssueStatus, LabelStatus, Role, TaskType
from segments_orm.exceptions import InvalidModelError, MissingContextError
from segments_orm.resources import Asset
from segments_orm.resources import Collaborator as _Collaborator
from segments_orm.resources import Dataset as _Dataset
from segments_orm.resources import Issue as _Issue
from segments_orm.resources import Label as _Label
from segments_orm.resources import Labelset as _Labelset
from segments_orm.resources import Release as _Release
from segments_orm.resources import Sample as _Sample
from segments_orm.resources import User as _User
from segments_orm.resources import Workunit as _Workunit

if TYPE_CHECKING:
    from segments_orm.facade import DeleteSamplesResponse, SegmentsClient

__all__ = [  # noqa: RUF022
    "Collaborator",
    "Dataset",
    "File",
    "Issue",
    "IssueComment",
    "Label",
    "LabelStats",
    "Labelset",
    "PresignedPostFields",
    "Record",
    "Release",
    "ReleaseAttributes",
    "Sample",
    "UNSET",
    "User",
    "Workunit",
    "adopt",
]

T = TypeVar("T")
R = TypeVar("R", bound=Resource)


class _Unset:
    """The type of `UNSET`: an argument the caller did not pass."""

    def __repr__(self) -> str:
        return "UNSET"


#: The default of an argument whose absence differs from None (``assigned_labeler=None``
#: unassigns; leaving it out keeps the assignment), as the platform's ``_NOT_ASSIGNED``.
UNSET: Any = _Unset()


class Record(dict):  # type: ignore[type-arg]
    """A JSON object that reads its keys as attributes too, as the platform's models do.

    ``record.url`` is ``record["url"]``; a nested object or list of objects read as an
    attribute is a `Record` as well. A key the platform's model declares (``_fields``)
    reads as None when the server left it out, as pydantic's optional fields do; any
    other missing key raises `AttributeError`.
    """

    __slots__ = ()
    _fields: ClassVar[frozenset[str]] = frozenset()

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        try:
            value = self[name]
        except KeyError:
            if name in self._fields:
                return None
            raise AttributeError(
                f"{type(self).__name__} has no key {name!r}; keys: {', '.join(sorted(self))}"
            ) from None
        wrapped = _records(value)
        if wrapped is not value:
            self[name] = wrapped  # once: later reads and edits see the same object
        return wrapped

    def __dir__(self) -> list[str]:
        return sorted({*self, *self._fields})

    def model_dump(self) -> dict[str, Any]:
        """Return the data as a plain dict (pydantic's name for it)."""
        return _plain(self)  # type: ignore[no-any-return]


class ReleaseAttributes(Record):
    """A release's ``attributes``: ``url``, the release file once it is built."""

    __slots__ = ()
    _fields = frozenset({"url"})


class LabelStats(Record):
    """A dataset's ``label_stats``: a count per label status, and ``TOTAL``."""

    __slots__ = ()
    _fields = frozenset({*(status.value for status in LabelStatus), "TOTAL"})


class PresignedPostFields(Record):
    """An asset's upload form: ``url`` and ``fields``."""

    __slots__ = ()
    _fields = frozenset({"url", "fields"})


class IssueComment(Record):
    """One comment of an issue: ``created_at``, ``created_by``, ``text``."""

    __slots__ = ()
    _fields = frozenset({"created_at", "created_by", "text"})


def _records(value: Any, kind: type[Record] = Record) -> Any:
    """Return ``value`` with a JSON object as a ``kind`` and a list's objects as Records."""
    if isinstance(value, Record):
        return value
    if isinstance(value, dict):
        return kind(value)
    if isinstance(value, list) and any(type(item) is dict for item in value):
        return [kind(item) if type(item) is dict else item for item in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _set_records(obj: Any, base: type, fields: Mapping[str, type[Record]]) -> None:
    """Store each of ``fields`` of ``obj`` as a Record (read-only fields, in their slot)."""
    for name, kind in fields.items():
        if not obj._knows(name):  # a shell's unknown field: nothing to wrap yet
            continue
        value = getattr(obj, name)
        wrapped = _records(value, kind)
        if wrapped is not value:
            # The slot's own descriptor: a read-only field refuses plain assignment.
            inspect.getattr_static(base, name).__set__(obj, wrapped)


def _check_model(attributes: Any, task_type: Callable[[], Any], kind: str) -> None:
    """Raise `InvalidModelError` for a typed model that is not the task type's ``kind``.

    As the platform's resource API does: a dict is left to the write's own checks, and
    the task type is only asked for (``task_type()``, which may read the dataset once)
    when a model was passed.
    """
    from segments_orm import types

    if not isinstance(attributes, types.Model):
        return
    known = task_type()
    if known is None:
        return
    models = types.task_models(known)
    expected = models.label if kind == "label" else models.sample
    if not isinstance(attributes, expected):
        raise InvalidModelError(
            f"attributes: a {type(attributes).__name__} is not {kind} attributes of a "
            f"{known} dataset; pass a dict or a {expected.__name__}"
        )


def _in_place(obj: R, fresh: R) -> R:
    """Take ``fresh``, the facade's answer to an update, into ``obj`` and return ``obj``.

    The platform's ``update`` methods return the updated object; ORM code expects the
    object itself updated. Both hold this way.
    """
    obj._adopt(fresh)
    return obj


def _passed(arguments: dict[str, Any]) -> dict[str, Any]:
    """Return a method's ``locals()`` without ``self``: its parameters, to forward by name.

    Each method here calls the facade method of the same parameters (after the identity of
    the object it is called on), so passing them by name makes every body one call, however
    long the platform's parameter list. Call it first, before the method binds any name.
    """
    return {name: value for name, value in arguments.items() if name != "self"}


def _facade(obj: Any) -> SegmentsClient:
    """Return the facade an object came from (only the facade hands these classes out)."""
    from segments_orm.facade import SegmentsClient

    client = obj.client
    if not isinstance(client, SegmentsClient):
        raise MissingContextError(
            f"{type(obj).__name__}'s resource-API methods need a SegmentsClient; "
            "this object is bound to a plain Client"
        )
    return client


# -- the classes -----------------------------------------------------------------------


class _Compat:
    """What every class here shares: it equals the ORM object of the same resource."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Resource):
            return NotImplemented
        if _orm_class(other) is not _orm_class(self):
            return NotImplemented
        me = cast(Resource, self)
        mine = me._identity()
        if not mine or any(value is None for value in mine):
            return me is other
        return mine == other._identity()

    # Resource's hash already depends on the class name only, which is the ORM's.
    __hash__ = Resource.__hash__


class _InDataset(_Compat):
    """What the classes of things in a dataset share: their ``dataset`` is one of these too."""

    __slots__ = ()

    @property
    def dataset(self) -> Dataset:
        """The dataset this belongs to, with the resource-API methods (no request)."""
        dataset: Any = super().dataset  # type: ignore[misc]
        return adopt(dataset)  # type: ignore[no-any-return]


def _orm_class(obj: object) -> type:
    """Return the ORM class of ``obj``: its own, or the one its compat class extends."""
    for cls in type(obj).__mro__:
        if cls in _COMPAT:
            return cls
    return type(obj)


class Dataset(_Compat, _Dataset):
    """A dataset with the platform's resource-API methods (see :mod:`segments_orm.resource_api`)."""

    __slots__ = ()
    _records: ClassVar[Mapping[str, type[Record]]] = {"label_stats": LabelStats}

    def add_sample(
        self,
        name: str,
        attributes: Any,
        metadata: Optional[dict[str, Any]] = None,
        priority: float = 0,
        assigned_labeler: Optional[str] = None,
        assigned_reviewer: Optional[str] = None,
        readme: str = "",
        enable_compression: bool = True,
    ) -> Sample:
        """Add a sample: ``client.add_sample(self.full_name, ...)``. Network: one request."""
        _check_model(attributes, lambda: self.ensure_loaded().task_type, "sample")
        return _facade(self).add_sample(self._full(), **_passed(locals()))

    def delete(self) -> None:
        """Delete this dataset: ``client.delete_dataset(self.full_name)``. Network: one request."""
        _facade(self).delete_dataset(self._full())

    def delete_samples(self, uuids: Sequence[str]) -> DeleteSamplesResponse:
        """Delete up to 1000 samples: ``client.delete_samples(self.full_name, uuids)``.

        Network: one request.
        """
        return _facade(self).delete_samples(self._full(), uuids)

    def update(  # type: ignore[override]
        self,
        description: Optional[str] = None,
        task_type: Union[TaskType, str, None] = None,
        task_attributes: Any = None,
        category: Union[Category, str, None] = None,
        public: Optional[bool] = None,
        readme: Optional[str] = None,
        metadata: Optional[dict[str, Any]] = None,
        labeling_inactivity_timeout_seconds: Optional[int] = None,
        enable_skip_labeling: Optional[bool] = None,
        enable_skip_reviewing: Optional[bool] = None,
        enable_ratings: Optional[bool] = None,
        enable_interpolation: Optional[bool] = None,
        enable_same_dimensions_track_constraint: Optional[bool] = None,
        enable_save_button: Optional[bool] = None,
        enable_label_status_verified: Optional[bool] = None,
        enable_3d_cuboid_rotation: Optional[bool] = None,
        enable_confirm_on_commit: Optional[bool] = None,
        archived: Optional[bool] = None,
        enable_3d_region_of_interest: Optional[bool] = None,
        region_of_interest: Optional[dict[str, Any]] = None,
        use_timestamps_for_interpolation: Optional[bool] = None,
        enable_object_linking: Optional[bool] = None,
        enable_object_link_category_restrictions: Optional[bool] = None,
        enable_extrapolation: Optional[bool] = None,
    ) -> Dataset:
        """Change this dataset: ``client.update_dataset(self.full_name, ...)``.

        The platform's parameters (``enable_confirm_on_commit``, not the ORM's
        ``enable_confirm_on_submit``). This object is updated and returned.

        Network: one request.
        """
        arguments = _passed(locals())
        return _in_place(self, _facade(self).update_dataset(self._full(), **arguments))

    def get_samples(
        self,
        labelset: Optional[str] = None,
        name: Optional[str] = None,
        label_status: Union[LabelStatus, str, Sequence[Union[LabelStatus, str]], None] = None,
        metadata: Union[str, Sequence[str], None] = None,
        sort: str = "name",
        direction: str = "asc",
        per_page: int = 1000,
        page: int = 1,
        include_full_label: bool = False,
    ) -> list[Sample]:
        """Get one page of samples: ``client.get_samples(self.full_name, ...)``.

        Network: one request.
        """
        return _facade(self).get_samples(self._full(), **_passed(locals()))

    def clone(
        self,
        new_name: Optional[str] = None,
        new_task_type: Union[TaskType, str, None] = None,
        new_public: Optional[bool] = None,
        organization: Optional[str] = None,
        clone_labels: bool = False,
    ) -> Dataset:
        """Clone this dataset: ``client.clone_dataset(self.full_name, ...)``.

        Network: one request.
        """
        return _facade(self).clone_dataset(self._full(), **_passed(locals()))

    def get_collaborator(self, username: str) -> Collaborator:
        """Get a collaborator: ``client.get_dataset_collaborator(self.full_name, username)``.

        Network: one request.
        """
        return _facade(self).get_dataset_collaborator(self._full(), username)

    def add_collaborator(
        self, username: str, role: Union[Role, str] = Role.LABELER
    ) -> Collaborator:
        """Add a collaborator: ``client.add_dataset_collaborator(self.full_name, ...)``.

        Network: one request.
        """
        facade = _facade(self)
        return facade.add_dataset_collaborator(self._full(), username, role)

    def add_release(self, name: str, description: str = "") -> Release:
        """Start a release: ``client.add_release(self.full_name, name, description)``.

        Network: one request.
        """
        return _facade(self).add_release(self._full(), name, description)

    def get_release(self, name: str) -> Release:
        """Get a release: ``client.get_release(self.full_name, name)``. Network: one request."""
        return _facade(self).get_release(self._full(), name)

    def get_releases(self) -> list[Release]:
        """List releases: ``client.get_releases(self.full_name)``. Network: one request."""
        return _facade(self).get_releases(self._full())

    def get_labelsets(self) -> list[Labelset]:
        """List labelsets: ``client.get_labelsets(self.full_name)``. Network: one request."""
        return _facade(self).get_labelsets(self._full())

    def get_labelset(self, name: str) -> Labelset:
        """Get a labelset: ``client.get_labelset(self.full_name, name)``. Network: one request."""
        return _facade(self).get_labelset(self._full(), name)

    def add_labelset(self, name: str, description: str = "") -> Labelset:
        """Create a labelset: ``client.add_labelset(self.full_name, name, description)``.

        Network: one request.
        """
        return _facade(self).add_labelset(self._full(), name, description)

    def get_issues(self) -> list[Issue]:
        """List issues: ``client.get_issues(self.full_name)``. Network: one request."""
        return _facade(self).get_issues(self._full())

    def get_workunits(
        self,
        sort: str = "created_at",
        direction: str = "desc",
        start: Optional[str] = None,
        end: Optional[str] = None,
        per_page: int = 1000,
        page: int = 1,
        include_session_time_metrics: bool = False,
    ) -> list[Workunit]:
        """Get one page of work units: ``client.get_workunits(self.full_name, ...)``.

        Network: one request.
        """
        return _facade(self).get_workunits(self._full(), **_passed(locals()))

    def _full(self) -> str:
        return str(self.full_name)


class Sample(_InDataset, _Sample):
    """A sample with the platform's resource-API methods (see :mod:`segments_orm.resource_api`)."""

    __slots__ = ()
    _records: ClassVar[Mapping[str, type[Record]]] = {}

    def delete(self) -> None:
        """Delete this sample: ``client.delete_sample(self.uuid)``. Network: one request."""
        _facade(self).delete_sample(self._uuid())

    def update(  # type: ignore[override]
        self,
        name: Optional[str] = None,
        attributes: Any = None,
        metadata: Optional[dict[str, Any]] = None,
        priority: Optional[float] = None,
        assigned_labeler: Optional[str] = UNSET,
        assigned_reviewer: Optional[str] = UNSET,
        readme: Optional[str] = None,
        enable_compression: bool = True,
    ) -> Sample:
        """Change this sample: ``client.update_sample(self.uuid, ...)``.

        As on the platform, ``assigned_labeler`` and ``assigned_reviewer`` are sent only
        when passed, and an explicit None unassigns. This object is updated and returned.

        Network: one request.
        """
        _check_model(attributes, self._task_type, "sample")
        arguments = _passed(locals())
        return _in_place(self, _facade(self).update_sample(self._uuid(), **arguments))

    def get_label(
        self, labelset: str = "ground-truth", transform_to_ego_coordinates: bool = False
    ) -> Label:
        """Get this sample's label: ``client.get_label(self.uuid, ...)``. Network: one request."""
        return _facade(self).get_label(self._uuid(), **_passed(locals()))

    def add_label(
        self,
        labelset: str,
        attributes: Any,
        label_status: Union[LabelStatus, str] = LabelStatus.PRELABELED,
        score: Optional[float] = None,
        enable_compression: bool = True,
    ) -> Label:
        """Add a label: ``client.add_label(self.uuid, ...)``.

        A typed attributes model of another task type than the dataset's raises
        `InvalidModelError` before sending, as on the platform (this reads the dataset
        once, when this sample does not know it yet).

        Network: one request (two the first time the dataset's task type is needed).
        """
        _check_model(attributes, self._task_type, "label")
        return _facade(self).add_label(self._uuid(), **_passed(locals()))

    def update_label(
        self,
        labelset: str,
        attributes: Any = None,
        label_status: Union[LabelStatus, str, None] = LabelStatus.PRELABELED,
        score: Optional[float] = None,
        enable_compression: bool = True,
    ) -> Label:
        """Change a label: ``client.update_label(self.uuid, ...)``.

        As on the platform, ``label_status`` defaults to PRELABELED here.

        Network: one request.
        """
        _check_model(attributes, self._task_type, "label")
        return _facade(self).update_label(self._uuid(), **_passed(locals()))

    def delete_label(self, labelset: str) -> None:
        """Delete a label: ``client.delete_label(self.uuid, labelset)``. Network: one request."""
        _facade(self).delete_label(self._uuid(), labelset)

    def add_issue(
        self,
        description: str,
        status: Union[IssueStatus, str] = IssueStatus.OPEN,
        anchor: Any = None,
    ) -> Issue:
        """Raise an issue: ``client.add_issue(self.uuid, ...)``. Network: one request."""
        return _facade(self).add_issue(self._uuid(), **_passed(locals()))

    def get_issues(self) -> list[Issue]:
        """List the issues of this sample's dataset: ``client.get_issues(dataset)``.

        As on the platform, these are all the dataset's issues.

        Network: one request (two when this sample does not know its dataset yet).
        """
        full_name = str(self.dataset.full_name)
        return _facade(self).get_issues(full_name)

    def _uuid(self) -> str:
        return str(self.uuid)

    def _task_type(self) -> Any:
        return self.dataset.ensure_loaded().task_type


class Label(_Compat, _Label):
    """A label with the platform's resource-API methods (see :mod:`segments_orm.resource_api`)."""

    __slots__ = ()
    _records: ClassVar[Mapping[str, type[Record]]] = {}

    def update(  # type: ignore[override]
        self,
        attributes: Any = None,
        label_status: Union[LabelStatus, str, None] = LabelStatus.PRELABELED,
        score: Optional[float] = None,
        enable_compression: bool = True,
    ) -> Label:
        """Change this label: ``client.update_label(self.sample_uuid, self.labelset, ...)``.

        As on the platform, ``label_status`` defaults to PRELABELED here (on a label
        from the ORM's own managers, ``update(score=...)`` keeps the status). This object
        is updated and returned.

        Network: one request.
        """
        _check_model(attributes, lambda: self.label_type, "label")
        arguments = _passed(locals())
        where = (str(self.sample_uuid), str(self.labelset))
        return _in_place(self, _facade(self).update_label(*where, **arguments))

    def delete(self) -> None:
        """Delete this label: ``client.delete_label(self.sample_uuid, self.labelset)``.

        Network: one request.
        """
        _facade(self).delete_label(str(self.sample_uuid), str(self.labelset))


class Issue(_Compat, _Issue):
    """An issue with the platform's resource-API methods (see :mod:`segments_orm.resource_api`)."""

    __slots__ = ()
    _records: ClassVar[Mapping[str, type[Record]]] = {"comments": IssueComment}

    def update(  # type: ignore[override]
        self,
        description: Optional[str] = None,
        status: Union[IssueStatus, str, None] = None,
        anchor: Any = None,
    ) -> Issue:
        """Change this issue: ``client.update_issue(self.uuid, ...)``. Network: one request."""
        arguments = _passed(locals())
        return _in_place(self, _facade(self).update_issue(str(self.uuid), **arguments))

    def delete(self) -> None:
        """Delete this issue: ``client.delete_issue(self.uuid)``. Network: one request."""
        _facade(self).delete_issue(str(self.uuid))


class Collaborator(_InDataset, _Collaborator):
    """A collaborator with the platform's resource-API methods."""

    __slots__ = ()
    _records: ClassVar[Mapping[str, type[Record]]] = {}

    def update(self, role: Union[Role, str]) -> Collaborator:  # type: ignore[override]
        """Change the role: ``client.update_dataset_collaborator(dataset, username, role)``.

        Network: one request.
        """
        facade = _facade(self)
        dataset, username = self._where()
        return _in_place(self, facade.update_dataset_collaborator(dataset, username, role))

    def delete(self) -> None:
        """Remove: ``client.delete_dataset_collaborator(dataset, username)``.

        Network: one request.
        """
        _facade(self).delete_dataset_collaborator(*self._where())

    def _where(self) -> tuple[str, str]:
        user = self.user
        return str(self.dataset.full_name), str(user.username if user is not None else None)


class _NamedInDataset(_InDataset):
    """A labelset or a release: named within its dataset, deleted by dataset and name."""

    __slots__ = ()
    #: The facade method that deletes one: ``delete_labelset`` or ``delete_release``.
    _delete_method: ClassVar[str]

    def delete(self) -> None:
        """Delete: ``client.delete_labelset(dataset, name)`` (a release: ``delete_release``).

        Network: one request.
        """
        delete = getattr(_facade(self), self._delete_method)
        delete(str(self.dataset.full_name), str(self.name))  # type: ignore[attr-defined]


class Labelset(_NamedInDataset, _Labelset):
    """A labelset with the platform's resource-API methods."""

    __slots__ = ()
    _records: ClassVar[Mapping[str, type[Record]]] = {}
    _delete_method = "delete_labelset"


class Release(_NamedInDataset, _Release):
    """A release with the platform's resource-API methods."""

    __slots__ = ()
    _records: ClassVar[Mapping[str, type[Record]]] = {"attributes": ReleaseAttributes}
    _delete_method = "delete_release"


class File(_Compat, Asset):
    """An uploaded asset as the platform's ``File``: ``presignedPostFields`` too."""

    __slots__ = ()
    _records: ClassVar[Mapping[str, type[Record]]] = {"presigned_post_fields": PresignedPostFields}

    @property
    def presignedPostFields(self) -> Optional[PresignedPostFields]:  # noqa: N802 - the platform's name
        """The upload form (``url``, ``fields``), under the platform's name."""
        return cast(Optional[PresignedPostFields], self.presigned_post_fields)


class User(_Compat, _User):
    """A user, as the facade returns it (no methods of its own on the platform)."""

    __slots__ = ()
    _records: ClassVar[Mapping[str, type[Record]]] = {"organizations": Record}


class Workunit(_Compat, _Workunit):
    """A work unit, as the facade returns it (no methods of its own on the platform)."""

    __slots__ = ()
    _records: ClassVar[Mapping[str, type[Record]]] = {"session_time_metrics": Record}


# Each ORM class and the class here that the facade re-labels it as.
_COMPAT: dict[type, Any] = {
    _Dataset: Dataset,
    _Sample: Sample,
    _Label: Label,
    _Issue: Issue,
    _Collaborator: Collaborator,
    _Labelset: Labelset,
    _Release: Release,
    Asset: File,
    _User: User,
    _Workunit: Workunit,
}


def adopt(value: T) -> T:
    """Re-label an ORM object (or each object of a list) as its compatibility subclass.

    The subclasses add methods, not fields, so the object itself is kept: its data,
    its pending changes and its client stay as they are. Nested models the platform
    returns as objects become `Record` values. Anything else is returned unchanged.
    """
    if isinstance(value, list):
        for item in value:
            adopt(item)
        return value
    compat = _COMPAT.get(type(value))
    if compat is not None:
        base = type(value)
        value.__class__ = compat
        _set_records(value, base, compat._records)
        if isinstance(value, _Sample):
            label = value.label
            if isinstance(label, _Label):
                adopt(label)
    return value
