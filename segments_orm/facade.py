"""`SegmentsClient`: the platform client's method names, as thin calls into the ORM.

A script written for ``segments.SegmentsClient`` (segments-ai 1.33) runs after changing
only its import: every method of the platform's client exists here with the same name,
parameters, defaults and kind of result, and maps onto one ORM call. The results are
ORM objects (`Dataset`, `Sample`, ...), so they also have the ORM's methods.

Where the two differ on purpose (:doc:`/protocol`): construction makes no request;
names are percent-encoded; ``get_sample`` with both ``labelset`` and
``include_signed_url`` sends a well-formed query; errors are mapped by status (a 400
saying "does not exist" is a `BadRequestError`, not a `NotFoundError`); the
``enable_compression`` flags are accepted but request bodies on those endpoints are
always gzip-compressed (the platform's default); an ``update_dataset``, ``update_sample``
or ``update_label`` with nothing to change sends no PATCH and returns the object fetched
with a GET, and such an ``update_issue`` raises `ValidationError` (the API cannot fetch
one issue).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import IO, Any, NamedTuple, Optional, TypeVar, Union

from segments_orm.client import Client
from segments_orm.enums import Category, IssueStatus, LabelStatus, Role, TaskType
from segments_orm.exceptions import NotFoundError, ValidationError
from segments_orm.query import MAX_PAGE_SIZE, QuerySet
from segments_orm.resource_api import (
    UNSET,
    Collaborator,
    Dataset,
    File,
    Issue,
    Label,
    Labelset,
    Release,
    Sample,
    User,
    Workunit,
    adopt,
)
from segments_orm.resources import Dataset as _OrmDataset
from segments_orm.resources import Issue as _OrmIssue
from segments_orm.resources._checks import check_choice, check_int
from segments_orm.resources.sample import BULK_DELETE_LIMIT

__all__ = ["DeleteSamplesResponse", "SegmentsClient", "UNSET"]  # noqa: RUF022

T = TypeVar("T")
R = TypeVar("R")


class DeleteSamplesResponse(NamedTuple):
    """What ``delete_samples`` returns, as the platform's client does."""

    deleted_count: int


def _as(kind: type[R], value: Any) -> R:
    """Return ``value``, an ORM object, as ``kind``, its resource-API subclass (`adopt`)."""
    adopted = adopt(value)
    if not isinstance(adopted, kind):  # a bug here, not a user error
        raise TypeError(f"expected a {kind.__name__}, got {type(adopted).__name__}")
    return adopted


def _as_list(kind: type[R], values: Sequence[Any]) -> list[R]:
    """Return ``values`` as a list of ``kind`` (see `_as`)."""
    return [_as(kind, value) for value in values]


def _one_page(queryset: QuerySet[T], per_page: int, page: int) -> list[T]:
    """Return page ``page`` of ``per_page`` results through the queryset's slicing."""
    size = check_int(per_page, "per_page", minimum=1)
    if size > MAX_PAGE_SIZE:
        raise ValidationError(f"per_page: at most {MAX_PAGE_SIZE}, got {size}")
    number = check_int(page, "page", minimum=1)
    start = (number - 1) * size
    items = queryset.page_size(size)[start : start + size]
    if not items and number > 1:
        # The platform answers a page past the end with 404 "Invalid page." and its
        # client raises NotFoundError; scripts loop over pages until they see it.
        raise NotFoundError(f"Invalid page: page {number} is past the last page")
    return items


def _text(value: Any) -> str:
    """Return a query value as the platform's client writes it (an enum as its value)."""
    return str(value.value) if isinstance(value, enum.Enum) else str(value)


def _joined(values: Any) -> str:
    """Return one value or a list of them comma-joined, as the platform's client does."""
    if isinstance(values, (str, enum.Enum)) or not isinstance(values, Sequence):
        return _text(values)
    return ",".join(_text(value) for value in values)


def _ordering(sort: str, direction: str) -> str:
    if direction not in ("asc", "desc"):
        raise ValidationError(f"direction: expected 'asc' or 'desc', got {direction!r}")
    return f"-{sort}" if direction == "desc" else sort


def _given(**fields: Any) -> dict[str, Any]:
    """Keep the arguments that were passed (not None), as the platform's updates do."""
    return {name: value for name, value in fields.items() if value is not None}


# The platform's argument names that differ from the ORM's field (and wire) names.
_PLATFORM_NAMES = {"enable_confirm_on_commit": "enable_confirm_on_submit"}


def _options(arguments: dict[str, Any], *, drop: tuple[str, ...]) -> dict[str, Any]:
    """Turn a method's arguments (its ``locals()``) into the ORM's field names.

    The platform's methods spell out every option, and its ``test_same_arguments``
    compares those signatures, so they stay explicit; their bodies forward through this
    instead of each listing the options again (tests/meta/test_field_table.py checks the
    signatures against the resources' field tables).

    Args:
        arguments: The method's ``locals()``, taken before anything else is bound.
        drop: The names that are not field options (``self``, the identifier, ...).
    """
    return {
        _PLATFORM_NAMES.get(name, name): value
        for name, value in arguments.items()
        if name not in drop
    }


class SegmentsClient(Client):
    """A `Client` that also has every method of the platform's ``SegmentsClient``.

    Each method is a thin call into the ORM (named in its docstring) and returns ORM
    objects. Construct it like `Client`; unlike the platform's client, constructing it
    makes no request (call ``ping()`` to check the key).

    Example:
        >>> from segments_orm import SegmentsClient  # was: from segments import ...
        >>> client = SegmentsClient(api_key)  # doctest: +SKIP
        >>> client.get_samples("jane/flowers", label_status="LABELED")  # doctest: +SKIP
    """

    def _checked_dataset(self, dataset_identifier: str) -> _OrmDataset:
        """Return the client's shared shell of a dataset, which loads itself once.

        Sample writes check attributes against the dataset's task type; sharing the shell
        keeps a loop of ``add_sample`` calls at one request each, not two.
        """
        return self._dataset_shell(dataset_identifier)

    # -- users -----------------------------------------------------------------------

    def get_user(self, user: Optional[str] = None) -> User:
        """Get a user, yourself by default: ``client.users.get(user)``. Network: one request."""
        return _as(User, self.users.get(user))

    # -- datasets --------------------------------------------------------------------

    def get_datasets(
        self, user: Optional[str] = None, per_page: int = 1000, page: int = 1
    ) -> list[Dataset]:
        """Get one page of datasets: ``client.datasets.filter(owner=user)[a:b]``.

        Network: one request (the page).
        """
        queryset = self.datasets.all() if user is None else self.datasets.filter(owner=user)
        return _as_list(Dataset, _one_page(queryset, per_page, page))

    def get_dataset(self, dataset_identifier: str) -> Dataset:
        """Get a dataset: ``client.datasets.get(identifier)``. Network: one request."""
        return _as(Dataset, self.datasets.get(dataset_identifier))

    def add_dataset(
        self,
        name: str,
        description: str = "",
        task_type: Union[TaskType, str] = TaskType.SEGMENTATION_BITMAP,
        task_attributes: Any = None,
        category: Union[Category, str] = Category.OTHER,
        public: bool = False,
        readme: str = "",
        metadata: Optional[dict[str, Any]] = None,
        labeling_inactivity_timeout_seconds: int = 300,
        enable_skip_labeling: bool = True,
        enable_skip_reviewing: bool = False,
        enable_ratings: bool = False,
        enable_interpolation: bool = True,
        enable_same_dimensions_track_constraint: bool = False,
        enable_save_button: bool = False,
        enable_label_status_verified: bool = False,
        enable_3d_cuboid_rotation: bool = False,
        organization: Optional[str] = None,
        enable_confirm_on_commit: bool = False,
        archived: bool = False,
        enable_3d_region_of_interest: bool = False,
        region_of_interest: Optional[dict[str, Any]] = None,
        enable_object_linking: Optional[bool] = None,
        enable_object_link_category_restrictions: Optional[bool] = None,
        enable_extrapolation: Optional[bool] = None,
    ) -> Dataset:
        """Create a dataset: ``client.datasets.create(name, ...)``. Network: one request."""
        options = _options(locals(), drop=("self", "name"))
        return _as(Dataset, self.datasets.create(name, **options))

    def update_dataset(
        self,
        dataset_identifier: str,
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
        """Change a dataset: ``client.datasets.get(identifier, lazy=True).update(...)``.

        Network: one request (with nothing to change, a GET of the dataset).
        """
        fields = _given(**_options(locals(), drop=("self", "dataset_identifier")))
        self._shells.pop(dataset_identifier, None)  # its task type may change
        if not fields:
            return _as(Dataset, self.datasets.get(dataset_identifier))
        return _as(Dataset, self.datasets.get(dataset_identifier, lazy=True).update(**fields))

    def delete_dataset(self, dataset_identifier: str) -> None:
        """Delete a dataset: ``client.datasets.get(identifier, lazy=True).delete()``.

        Network: one request.
        """
        self._shells.pop(dataset_identifier, None)
        self.datasets.get(dataset_identifier, lazy=True).delete()

    def clone_dataset(
        self,
        dataset_identifier: str,
        new_name: Optional[str] = None,
        new_task_type: Union[TaskType, str, None] = None,
        new_public: Optional[bool] = None,
        organization: Optional[str] = None,
        clone_labels: bool = False,
    ) -> Dataset:
        """Clone a dataset: ``client.datasets.get(identifier, lazy=True).clone(...)``.

        Network: one request.
        """
        return _as(
            Dataset,
            self.datasets.get(dataset_identifier, lazy=True).clone(
                new_name=new_name,
                new_task_type=new_task_type,
                new_public=new_public,
                organization=organization,
                clone_labels=clone_labels,
            ),
        )

    # -- collaborators ---------------------------------------------------------------

    def get_dataset_collaborator(self, dataset_identifier: str, username: str) -> Collaborator:
        """Get a collaborator: ``dataset.collaborators.get(username)``. Network: one request."""
        return _as(
            Collaborator,
            self.datasets.get(dataset_identifier, lazy=True).collaborators.get(username),
        )

    def add_dataset_collaborator(
        self, dataset_identifier: str, username: str, role: Union[Role, str] = Role.LABELER
    ) -> Collaborator:
        """Add a collaborator: ``dataset.collaborators.add(username, role)``.

        Network: one request.
        """
        dataset = self.datasets.get(dataset_identifier, lazy=True)
        return _as(Collaborator, dataset.collaborators.add(username, role))

    def update_dataset_collaborator(
        self, dataset_identifier: str, username: str, role: Union[Role, str]
    ) -> Collaborator:
        """Change a role: ``dataset.collaborators.update(username, role)``.

        Network: one request.
        """
        dataset = self.datasets.get(dataset_identifier, lazy=True)
        return _as(Collaborator, dataset.collaborators.update(username, role))

    def delete_dataset_collaborator(self, dataset_identifier: str, username: str) -> None:
        """Remove a collaborator: ``dataset.collaborators.remove(username)``.

        Network: one request.
        """
        self.datasets.get(dataset_identifier, lazy=True).collaborators.remove(username)

    # -- samples ---------------------------------------------------------------------

    def get_samples(
        self,
        dataset_identifier: str,
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
        """Get one page of samples, sending the query the platform's client sends.

        Like the platform's client, this passes its arguments to the API as they are
        (``sort="created"``, ``metadata="key:value"`` strings as ``filters``, any
        ``per_page``), so the server, not the client, decides what it accepts; values are
        percent-encoded. The page is fetched through ``dataset.samples`` and loaded as
        its samples (``sample.label`` holds the included label). For checked lookups,
        use ``dataset.samples.filter(...)`` instead.

        Network: one request (the page).

        Raises:
            ValidationError: ``include_full_label`` without a ``labelset`` (as the
                platform's client).
        """
        if include_full_label and labelset is None:
            raise ValidationError("include_full_label: requires a labelset")
        query = {"per_page": _text(per_page), "page": _text(page)}
        if labelset is not None:
            query["labelset"] = _text(labelset)
            if include_full_label:
                query["include_full_label"] = "1"
        if name is not None:
            query["name__contains"] = _text(name)
        if metadata is not None:
            query["filters"] = _joined(metadata)
        if label_status is not None:
            query["label_status"] = _joined(label_status)
        query["sort"] = f"{'' if direction == 'asc' else '-'}{_text(sort)}"
        samples = self.datasets.get(dataset_identifier, lazy=True).samples
        # The manager's own fetch and load: one page, as the platform asks for it.
        return _as_list(Sample, [samples._load(item) for item in samples._fetch(query)])

    def get_sample(
        self, uuid: str, labelset: Optional[str] = None, include_signed_url: bool = False
    ) -> Sample:
        """Get a sample: ``client.samples.get(uuid, labelset, signed_urls)``.

        Network: one request.
        """
        return _as(
            Sample, self.samples.get(uuid, labelset=labelset, signed_urls=include_signed_url)
        )

    def add_sample(
        self,
        dataset_identifier: str,
        name: str,
        attributes: Any,
        metadata: Optional[dict[str, Any]] = None,
        priority: float = 0,
        assigned_labeler: Optional[str] = None,
        assigned_reviewer: Optional[str] = None,
        readme: str = "",
        enable_compression: bool = True,
    ) -> Sample:
        """Create a sample: ``dataset.samples.create(name, attributes, ...)``.

        ``enable_compression`` is accepted for compatibility; the body is always gzipped.

        Network: one request, plus one to learn the dataset's task type the first time
        (the attributes are checked against it).
        """
        options = _options(locals(), drop=("self", "dataset_identifier", "enable_compression"))
        return _as(Sample, self._checked_dataset(dataset_identifier).samples.create(**options))

    def add_samples(
        self,
        dataset_identifier: str,
        samples: Sequence[Union[Mapping[str, Any], Sample]],
        enable_compression: bool = True,
    ) -> list[Sample]:
        """Create samples: ``dataset.samples.bulk_create(samples)``.

        ``enable_compression`` is accepted for compatibility; bodies are always gzipped.

        Network: one request per 500 samples, plus one to learn the dataset's task type
        the first time.
        """
        return _as_list(
            Sample, self._checked_dataset(dataset_identifier).samples.bulk_create(samples)
        )

    def update_sample(
        self,
        uuid: str,
        name: Optional[str] = None,
        attributes: Any = None,
        metadata: Optional[dict[str, Any]] = None,
        priority: Optional[float] = None,
        assigned_labeler: Optional[str] = UNSET,
        assigned_reviewer: Optional[str] = UNSET,
        readme: Optional[str] = None,
        enable_compression: bool = True,
    ) -> Sample:
        """Change a sample: ``client.samples.get(uuid, lazy=True).update(...)``.

        ``assigned_labeler`` and ``assigned_reviewer`` are sent whenever passed, so an
        explicit None unassigns (:ref:`protocol-samples`). New attributes are checked
        against the sample's dataset (its task type is looked up, as `add_label` does).

        Network: one request (with nothing to change, a GET of the sample); with
        attributes, a GET of the sample first, plus one to load its dataset the first time.
        """
        fields = _given(
            name=name, attributes=attributes, metadata=metadata, priority=priority, readme=readme
        )
        if assigned_labeler is not UNSET:
            fields["assigned_labeler"] = assigned_labeler
        if assigned_reviewer is not UNSET:
            fields["assigned_reviewer"] = assigned_reviewer
        if not fields:
            return _as(Sample, self.samples.get(uuid))
        return _as(Sample, self.samples.get(uuid, lazy=True).update(**fields))

    def delete_sample(self, uuid: str) -> None:
        """Delete a sample: ``client.samples.get(uuid, lazy=True).delete()``.

        Network: one request.
        """
        self.samples.get(uuid, lazy=True).delete()

    def delete_samples(
        self, dataset_identifier: str, uuids: Sequence[str]
    ) -> DeleteSamplesResponse:
        """Delete up to 1000 samples by uuid: ``dataset.samples.delete_many(uuids)``.

        Unknown uuids are skipped by the server (``deleted_count`` says how many went).

        Network: one request.

        Raises:
            ValidationError: ``uuids`` is empty or holds more than 1000 uuids, as the
                platform's client refuses (``dataset.samples.delete_many`` chunks instead).
        """
        if not uuids:
            raise ValidationError("uuids: the list cannot be empty")
        if len(uuids) > BULK_DELETE_LIMIT:
            raise ValidationError(
                f"uuids: cannot delete more than {BULK_DELETE_LIMIT} samples at once, "
                f"got {len(uuids)}"
            )
        samples = self.datasets.get(dataset_identifier, lazy=True).samples
        return DeleteSamplesResponse(deleted_count=samples.delete_many(uuids))

    # -- labels ----------------------------------------------------------------------

    def get_label(
        self,
        sample_uuid: str,
        labelset: str = "ground-truth",
        transform_to_ego_coordinates: bool = False,
    ) -> Label:
        """Get a label: ``client.samples.get(uuid, lazy=True).labels.get(labelset)``.

        Network: one request.

        Raises:
            ValidationError: ``transform_to_ego_coordinates`` is True: segments-orm does
                not convert point cloud labels to ego coordinates (checked before
                sending, so nothing comes back in the wrong frame).
        """
        if transform_to_ego_coordinates:
            raise ValidationError(
                "transform_to_ego_coordinates: not supported by segments-orm; get the label "
                "in world coordinates and transform it with the sample's ego poses"
            )
        return _as(Label, self.samples.get(sample_uuid, lazy=True).labels.get(labelset))

    def add_label(
        self,
        sample_uuid: str,
        labelset: str,
        attributes: Any,
        label_status: Union[LabelStatus, str] = LabelStatus.PRELABELED,
        score: Optional[float] = None,
        enable_compression: bool = True,
    ) -> Label:
        """Create or replace a label: ``sample.labels.create(labelset, attributes, ...)``.

        The attributes are checked against the sample's dataset (its task type is looked
        up), as the platform does. Unlike the platform, a PRELABELED write (the default)
        never replaces a label a person worked on: it raises `LabelProtectedError`. A
        write with any other status (LABELED, REVIEWED, ...) says the caller means it,
        and replaces the label as the platform does.

        ``enable_compression`` is accepted for compatibility; the body is always gzipped.

        Network: two requests (a GET of the sample with its label, then the PUT), plus one
        to load the dataset the first time.
        """
        status = check_choice(label_status, LabelStatus, "label_status")
        return _as(
            Label,
            self.samples.get(sample_uuid, lazy=True).labels.create(
                labelset,
                attributes,
                label_status=status,
                score=score,
                overwrite=status != LabelStatus.PRELABELED.value,
            ),
        )

    def update_label(
        self,
        sample_uuid: str,
        labelset: str,
        attributes: Any = None,
        label_status: Union[LabelStatus, str, None] = None,
        score: Optional[float] = None,
        enable_compression: bool = True,
    ) -> Label:
        """Change a label: ``sample.labels.get(labelset, lazy=True).update(...)``.

        New attributes are checked against the sample's dataset (its task type is looked
        up first, one more request).

        ``enable_compression`` is accepted for compatibility; the body is always gzipped.

        Network: one request, two with attributes (with nothing to change, a GET of the
        label).
        """
        labels = self.samples.get(sample_uuid, lazy=True).labels
        fields = _given(attributes=attributes, label_status=label_status, score=score)
        if not fields:
            return _as(Label, labels.get(labelset))
        return _as(Label, labels.get(labelset, lazy=True).update(**fields))

    def delete_label(self, sample_uuid: str, labelset: str) -> None:
        """Delete a label: ``client.samples.get(uuid, lazy=True).labels.delete(labelset)``.

        Network: one request.
        """
        self.samples.get(sample_uuid, lazy=True).labels.delete(labelset)

    # -- labelsets -------------------------------------------------------------------

    def get_labelsets(self, dataset_identifier: str) -> list[Labelset]:
        """List labelsets: ``list(dataset.labelsets)``. Network: one request."""
        return _as_list(Labelset, self.datasets.get(dataset_identifier, lazy=True).labelsets.list())

    def get_labelset(self, dataset_identifier: str, name: str) -> Labelset:
        """Get a labelset: ``dataset.labelsets.get(name)``. Network: one request."""
        return _as(Labelset, self.datasets.get(dataset_identifier, lazy=True).labelsets.get(name))

    def add_labelset(self, dataset_identifier: str, name: str, description: str = "") -> Labelset:
        """Create a labelset: ``dataset.labelsets.create(name, description)``.

        Network: one request.
        """
        labelsets = self.datasets.get(dataset_identifier, lazy=True).labelsets
        return _as(Labelset, labelsets.create(name, description))

    def delete_labelset(self, dataset_identifier: str, name: str) -> None:
        """Delete a labelset: ``dataset.labelsets.get(name, lazy=True).delete()``.

        Network: one request.
        """
        self.datasets.get(dataset_identifier, lazy=True).labelsets.get(name, lazy=True).delete()

    # -- issues ----------------------------------------------------------------------

    def get_issues(self, dataset_identifier: str) -> list[Issue]:
        """List a dataset's issues: ``list(dataset.issues)``. Network: one request."""
        return _as_list(Issue, self.datasets.get(dataset_identifier, lazy=True).issues.list())

    def add_issue(
        self,
        sample_uuid: str,
        description: str,
        status: Union[IssueStatus, str] = IssueStatus.OPEN,
        anchor: Any = None,
    ) -> Issue:
        """Raise an issue: ``client.samples.get(uuid, lazy=True).issues.create(...)``.

        Network: one request.
        """
        issues = self.samples.get(sample_uuid, lazy=True).issues
        return _as(Issue, issues.create(description, status=status, anchor=anchor))

    def update_issue(
        self,
        uuid: str,
        description: Optional[str] = None,
        status: Union[IssueStatus, str, None] = None,
        anchor: Any = None,
    ) -> Issue:
        """Change an issue: ``Issue.shell(client, uuid).update(...)``.

        Network: one request.

        Raises:
            ValidationError: Nothing to change (the API cannot fetch one issue, so an
                empty update has nothing to return).
        """
        fields = _given(description=description, status=status, anchor=anchor)
        if not fields:
            raise ValidationError("update_issue: pass description, status or anchor")
        return _as(Issue, _OrmIssue.shell(self, uuid).update(**fields))

    def delete_issue(self, uuid: str) -> None:
        """Delete an issue: ``Issue.shell(client, uuid).delete()``. Network: one request."""
        _OrmIssue.shell(self, uuid).delete()

    # -- releases --------------------------------------------------------------------

    def get_releases(self, dataset_identifier: str) -> list[Release]:
        """List releases: ``list(dataset.releases)``. Network: one request."""
        return _as_list(Release, self.datasets.get(dataset_identifier, lazy=True).releases.list())

    def get_release(self, dataset_identifier: str, name: str) -> Release:
        """Get a release: ``dataset.releases.get(name)``. Network: one request."""
        return _as(Release, self.datasets.get(dataset_identifier, lazy=True).releases.get(name))

    def add_release(self, dataset_identifier: str, name: str, description: str = "") -> Release:
        """Start a release: ``dataset.releases.create(name, description)``.

        Network: one request. The release is PENDING: call ``wait()`` on it.
        """
        return _as(
            Release,
            self.datasets.get(dataset_identifier, lazy=True).releases.create(name, description),
        )

    def delete_release(self, dataset_identifier: str, name: str) -> None:
        """Delete a release: ``dataset.releases.get(name, lazy=True).delete()``.

        Network: one request.
        """
        self.datasets.get(dataset_identifier, lazy=True).releases.get(name, lazy=True).delete()

    # -- work units ------------------------------------------------------------------

    def get_workunits(
        self,
        dataset_identifier: str,
        sort: str = "created_at",
        direction: str = "desc",
        start: Optional[str] = None,
        end: Optional[str] = None,
        per_page: int = 1000,
        page: int = 1,
        include_session_time_metrics: bool = False,
    ) -> list[Workunit]:
        """Get one page of work units: ``dataset.workunits.filter(start=, end=)[a:b]``.

        Network: one request (the page).
        """
        workunits = self.datasets.get(dataset_identifier, lazy=True).workunits
        queryset: QuerySet[Any] = (
            workunits.with_session_time_metrics()
            if include_session_time_metrics
            else workunits.all()
        )
        queryset = queryset.filter(**_given(start=start, end=end))
        return _as_list(
            Workunit, _one_page(queryset.order_by(_ordering(sort, direction)), per_page, page)
        )

    # -- assets ----------------------------------------------------------------------

    def upload_asset(self, file: Union[IO[bytes], bytes, str], filename: str = "label.png") -> File:
        """Upload a file: ``client.assets.upload(file, filename)``.

        Network: two requests (the API, then the presigned upload).
        """
        return _as(File, self.assets.upload(file, filename))
