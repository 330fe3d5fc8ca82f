"""Datasets: the `Dataset` resource, its relations, and the root `DatasetManager`."""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Union

import attrs

from segments_orm._capabilities import Deletable, Listable, Refreshable, Updatable, relation
from segments_orm._fields import REQUIRED, fields_of, optional
from segments_orm._state import State
from segments_orm._urls import split_dataset_identifier
from segments_orm._values import check_json_object
from segments_orm.base import Manager, Resource, _field, _lookup, _mutable_field, _resource
from segments_orm.enums import Category, TaskType
from segments_orm.exceptions import NotFoundError, ValidationError
from segments_orm.query import FilterSchema, Lookup, QuerySet
from segments_orm.resources import _attributes
from segments_orm.resources._checks import (
    check_bool,
    check_category,
    check_choice,
    check_mapping,
    check_name,
    check_text,
    choice_check,
    minimum_check,
)

if TYPE_CHECKING:
    from segments_orm.resources.collaborator import CollaboratorManager
    from segments_orm.resources.issue import DatasetIssueManager
    from segments_orm.resources.label import DatasetLabelManager
    from segments_orm.resources.labelset import LabelsetManager
    from segments_orm.resources.release import ReleaseManager
    from segments_orm.resources.sample import SampleManager
    from segments_orm.resources.workunit import WorkunitManager

__all__ = ["Dataset", "DatasetManager", "Owner"]

# The task attributes the platform's client sends when none are given (WIRE.md 9).
DEFAULT_TASK_ATTRIBUTES: dict[str, Any] = {
    "format_version": "0.1",
    "categories": [{"name": "object", "id": 1}],
}


@attrs.define(slots=True, kw_only=True)
class Owner:
    """The owner of a dataset, as the dataset reports it."""

    username: Optional[str] = None
    created_at: Optional[dt.datetime] = None
    email: Optional[str] = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def __str__(self) -> str:
        return self.username or ""


def _check_task_attributes(value: Any, _: str) -> Any:
    return _attributes.prepare_task_attributes(value)


def _flag(create: Optional[bool]) -> Any:
    """Declare a dataset's on/off setting, a create argument defaulting to ``create``."""
    return _field(check=optional(check_bool), create=create)


@_resource
class Dataset(Updatable, Deletable, Refreshable, Resource):
    """A dataset: samples to label, with a task type, categories and collaborators.

    Get one with ``client.datasets.get("owner/name")``; create one with
    ``client.datasets.create(...)``. Its relations are managers:
    ``samples``, ``labelsets``, ``releases``, ``issues``, ``collaborators``, ``workunits``.
    """

    # The create arguments (create=) are those of DatasetManager.create and the facade's
    # add_dataset (tests/meta/test_field_table.py). Updates may send None (null).
    name: Optional[str] = _field(read_only=True, check=check_name, create=REQUIRED)
    full_name: Optional[str] = _field(read_only=True)
    description: Optional[str] = _field(check=optional(check_text), create="")
    task_type: Union[TaskType, str, None] = _field(
        show=True, check=optional(choice_check(TaskType)), create=TaskType.SEGMENTATION_BITMAP
    )
    _task_attributes: Any = _mutable_field(
        wire="task_attributes", typed=True, check=optional(_check_task_attributes), create=None
    )
    category: Union[Category, str, None] = _field(
        check=optional(check_category), create=Category.OTHER
    )
    public: Optional[bool] = _field(check=optional(check_bool), create=False)
    archived: Optional[bool] = _field(check=optional(check_bool), create=False)
    owner: Optional[Owner] = _field(read_only=True)
    created_at: Optional[dt.datetime] = _field(read_only=True)
    cloned_from: Optional[str] = _field(read_only=True)
    readme: Optional[str] = _field(check=optional(check_text), create="")
    _metadata: Optional[dict[str, Any]] = _mutable_field(
        wire="metadata", check=optional(check_json_object), create=None
    )
    label_stats: Optional[dict[str, Any]] = _field(read_only=True)
    samples_count: Union[int, str, None] = _field(read_only=True, show="samples")
    collaborators_count: Optional[int] = _field(read_only=True)
    # The wire's "labelsets" summary; ``labelsets`` is the manager.
    labelset_summaries: Optional[list[Any]] = _field(wire="labelsets", read_only=True)
    role: Optional[str] = _field(read_only=True)
    labeling_inactivity_timeout_seconds: Optional[int] = _field(
        check=optional(minimum_check(0)), create=300
    )
    enable_ratings: Optional[bool] = _flag(False)
    enable_skip_labeling: Optional[bool] = _flag(True)
    enable_skip_reviewing: Optional[bool] = _flag(False)
    enable_save_button: Optional[bool] = _flag(False)
    enable_label_status_verified: Optional[bool] = _flag(False)
    enable_same_dimensions_track_constraint: Optional[bool] = _flag(False)
    enable_3d_region_of_interest: Optional[bool] = _flag(False)
    enable_3d_cuboid_rotation: Optional[bool] = _flag(False)
    enable_confirm_on_submit: Optional[bool] = _flag(False)
    enable_interpolation: Optional[bool] = _flag(True)
    use_timestamps_for_interpolation: Optional[bool] = _field()
    # Left to the server's default when None.
    enable_object_linking: Optional[bool] = _flag(None)
    enable_object_link_category_restrictions: Optional[bool] = _flag(None)
    enable_extrapolation: Optional[bool] = _flag(None)
    noncollaborator_can_label: Optional[bool] = _field()
    noncollaborator_can_review: Optional[bool] = _field()
    insights_urls: Optional[dict[str, str]] = _field(read_only=True)
    _region_of_interest: Optional[dict[str, Any]] = _mutable_field(
        wire="region_of_interest", check=optional(check_mapping), create=None
    )

    _path: ClassVar[str] = "datasets/{owner}/{name}/"

    # Typed declarations of the properties added by @resource, for type checkers.
    if TYPE_CHECKING:
        task_attributes: Any
        metadata: dict[str, Any]
        region_of_interest: Optional[dict[str, Any]]

    def _identity(self) -> tuple[Any, ...]:
        return (self.full_name,)

    def _url_params(self) -> dict[str, str]:
        owner, name = split_dataset_identifier(self.full_name, "full_name")
        return {"owner": owner, "name": name}

    def _load_field(self, public: str, value: Any) -> Any:
        if public == "task_attributes":
            return _attributes.load_task_attributes(value)
        return value

    def _repr_html_(self) -> str:
        """Render the label-status counts as a bar, then the fields (for notebooks)."""
        from segments_orm._html import dataset_bar

        bar = dataset_bar(str(self.full_name), self._peek("label_stats"))
        return bar + super()._repr_html_()

    # -- relations (no request until used) ---------------------------------------------

    def _manager(self, name: str) -> Any:
        return _lookup(name)(self.client, self._url_params(), {"dataset": self})

    @relation
    def samples(self) -> SampleManager:
        """The samples of this dataset (a manager: filter, create, bulk_create, ...)."""
        return self._manager("SampleManager")  # type: ignore[no-any-return]

    @relation
    def labelsets(self) -> LabelsetManager:
        """The labelsets of this dataset."""
        return self._manager("LabelsetManager")  # type: ignore[no-any-return]

    @relation
    def labels(self) -> DatasetLabelManager:
        """Label writes across this dataset's samples (``bulk_set``)."""
        return self._manager("DatasetLabelManager")  # type: ignore[no-any-return]

    @relation
    def releases(self) -> ReleaseManager:
        """The releases of this dataset."""
        return self._manager("ReleaseManager")  # type: ignore[no-any-return]

    @relation
    def issues(self) -> DatasetIssueManager:
        """The issues of this dataset's samples."""
        return self._manager("DatasetIssueManager")  # type: ignore[no-any-return]

    @relation
    def collaborators(self) -> CollaboratorManager:
        """The collaborators of this dataset: add, get, remove."""
        return self._manager("CollaboratorManager")  # type: ignore[no-any-return]

    @relation
    def workunits(self) -> WorkunitManager:
        """The work units (labeling and reviewing sessions) of this dataset."""
        return self._manager("WorkunitManager")  # type: ignore[no-any-return]

    @property
    def owner_name(self) -> str:
        """The owner's username, from the full name (no request)."""
        return self._url_params()["owner"]

    def category_ids(self) -> Optional[frozenset[int]]:
        """Return the ids of this dataset's categories, or None when not loaded."""
        if self._task_attributes is None:
            return None
        return _attributes.category_ids(self._task_attributes)

    def save(self) -> Dataset:
        """Save this dataset (see `Resource.save`).

        Network: one request, or none when nothing changed.
        """
        super().save()
        self._forget_shared_copy()
        return self

    def refresh(self) -> Dataset:
        """Fetch this dataset again, in place. Network: one request."""
        super().refresh()
        self._forget_shared_copy()
        return self

    def delete(self) -> None:
        """Delete this dataset and everything in it. Network: one request."""
        super().delete()
        self._forget_shared_copy()

    def _forget_shared_copy(self) -> None:
        # The client shares one copy per dataset to check writes against its task type
        # and categories; after a change through this object that copy is stale.
        if self._client is not None:
            self._client._forget_dataset(self.full_name, fresh=self)

    def ensure_loaded(self) -> Dataset:
        """Fetch this dataset if it is a shell (``get(..., lazy=True)``); else do nothing.

        Network: one request for a shell, none otherwise.
        """
        if self._state is State.SHELL:
            with _LOADING:  # many workers may ask at once: one GET, not one each
                if self._state is State.SHELL:
                    self.refresh()
        return self

    def clone(
        self,
        new_name: Optional[str] = None,
        new_task_type: Union[TaskType, str, None] = None,
        new_public: Optional[bool] = None,
        organization: Optional[str] = None,
        clone_labels: bool = False,
    ) -> Dataset:
        """Copy this dataset's samples (and labels, if asked) into a new dataset.

        Network: one request.

        Args:
            new_name: The clone's name; ``"<name>-clone"`` by default.
            new_task_type: The clone's task type; the original's by default.
            new_public: The clone's visibility; private by default.
            organization: Put the clone in this organization instead of your account.
            clone_labels: Copy the labels too.

        Returns:
            The new dataset.
        """
        body: dict[str, Any] = {
            "name": check_name(new_name, "new_name")
            if new_name is not None
            else f"{self._url_params()['name']}-clone"
        }
        if new_task_type is not None:
            body["task_type"] = check_choice(new_task_type, TaskType, "new_task_type")
        if new_public is not None:
            body["public"] = check_bool(new_public, "new_public")
        if organization is not None:
            body["owner"] = check_name(organization, "organization")
        body["clone_labels"] = check_bool(clone_labels, "clone_labels")
        data = self._request("POST", "datasets/{owner}/{name}/clone/", json_body=body)
        return Dataset._from_wire(self.client, data)

    def _repr_label(self) -> str:
        return self.full_name or "(new)"


_LOADING = threading.Lock()


def _default_task_attributes(value: Any, _: str) -> Any:
    return _attributes.prepare_task_attributes(DEFAULT_TASK_ATTRIBUTES if value is None else value)


def _owner_on_a_queryset(value: Any) -> dict[str, str]:
    # The owner picks another endpoint (users/{owner}/datasets/), which only the manager
    # can do: say where to put the filter instead of calling it unsupported.
    raise ValidationError(
        "owner: filter datasets by owner on the manager, client.datasets.filter(owner=...), "
        "not on a queryset (the owner chooses which list is read)"
    )


_DATASET_SCHEMA = FilterSchema(paged=True, lookups={"owner": Lookup(_owner_on_a_queryset)})


class DatasetManager(Listable[Dataset], Manager[Dataset]):
    """The datasets you can see: iterate, filter by owner, get, create."""

    model = Dataset
    list_path = "user/datasets/"
    schema = _DATASET_SCHEMA
    item_name = "datasets"

    def filter(self, **lookups: Any) -> QuerySet[Dataset]:
        """Return the datasets of one user or organization (``owner="jane"``).

        Raises:
            ValidationError: A lookup other than ``owner``, or an invalid owner.
        """
        unknown = sorted(set(lookups) - {"owner"})
        if unknown:
            raise ValidationError(
                f"Unsupported filter {', '.join(unknown)} for datasets; supported: owner"
            )
        if "owner" not in lookups:
            return self.all()
        owner = check_name(lookups["owner"], "owner")
        return _OwnerDatasetManager(self._client, {"owner": owner}).all()

    def get(self, identifier: str, *, lazy: bool = False) -> Dataset:
        """Get a dataset by ``"owner/name"``.

        Network: one request, or none with ``lazy=True``.

        Args:
            identifier: The dataset's full name, ``"owner/name"``.
            lazy: Return a shell that knows only its name: its relations and
                ``delete()`` work without fetching it; ``refresh()`` loads it.

        Raises:
            ValidationError: The identifier is not ``"owner/name"``.
            NotFoundError: There is no such dataset, or it is private to others.
        """
        owner, name = split_dataset_identifier(identifier)
        if lazy:
            return Dataset._shell(self._client, {"name": name, "full_name": f"{owner}/{name}"})
        data = self._request("GET", Dataset._path, params={"owner": owner, "name": name})
        return Dataset._from_wire(self._client, data)

    def create(
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
        enable_3d_region_of_interest: bool = False,
        enable_confirm_on_submit: bool = False,
        archived: bool = False,
        region_of_interest: Optional[dict[str, Any]] = None,
        enable_object_linking: Optional[bool] = None,
        enable_object_link_category_restrictions: Optional[bool] = None,
        enable_extrapolation: Optional[bool] = None,
        organization: Optional[str] = None,
    ) -> Dataset:
        """Create a dataset in your account, or in ``organization``.

        Network: one request.

        Args:
            name: The dataset's name (unique per owner).
            description: A one-line description.
            task_type: What is labeled (`TaskType`); decides the attribute models.
            task_attributes: Categories and attribute definitions, as a dict or
                `segments_orm.types.TaskAttributes`; one category ``object`` by default.
            category: The dataset category (`Category`, or ``"custom-..."``).
            public: Whether everyone can see it.
            readme: Markdown shown on the dataset's page.
            metadata: Any JSON object.
            labeling_inactivity_timeout_seconds: Idle seconds before a labeler counts as
                inactive (timing metrics only).
            enable_skip_labeling: Show the skip button when labeling.
            enable_skip_reviewing: Show the skip button when reviewing.
            enable_ratings: Enable star ratings of labels.
            enable_interpolation: Interpolate labels in sequences.
            enable_same_dimensions_track_constraint: Keep a cuboid track's dimensions.
            enable_save_button: Show a save button for unfinished work.
            enable_label_status_verified: Add the "Verified" label status.
            enable_3d_cuboid_rotation: Allow pitch and roll on cuboids.
            enable_3d_region_of_interest: Enable a 3D region of interest.
            enable_confirm_on_submit: Ask for confirmation when submitting.
            archived: Create it archived.
            region_of_interest: The 3D region of interest.
            enable_object_linking: Allow linking objects (server default when None).
            enable_object_link_category_restrictions: Restrict links by category.
            enable_extrapolation: Enable extrapolation in sequences.
            organization: Create it in this organization.

        A create whose answer was lost (the connection dropped after sending) is
        reconciled: the dataset is looked up by name before sending again.

        Raises:
            ValidationError: An argument is invalid (checked before sending).
            AlreadyExistsError: You already have a dataset with this name.
        """
        values = {k: v for k, v in locals().items() if k not in ("self", "organization")}
        body = fields_of(Dataset).create_body(values, {"task_attributes": _default_task_attributes})
        # A legacy key the platform's client always sends (WIRE.md 3.1, 15.20).
        body["data_type"] = "IMAGE"
        if organization is None:
            template, params = "user/datasets/", {}
        else:
            template, params = (
                "organizations/{org}/datasets/",
                {"org": check_name(organization, "organization")},
            )

        def post() -> Dataset:
            data = self._request("POST", template, params=params, json_body=body)
            return Dataset._from_wire(self._client, data)

        def find() -> Optional[Dataset]:
            owner = organization or self._client.users.me().username
            try:
                return self.get(f"{owner}/{name}")
            except NotFoundError:
                return None

        return self._create_reconciled(post, find)


class _OwnerDatasetManager(Listable[Dataset], Manager[Dataset]):
    """The datasets of one user or organization (``client.datasets.filter(owner=...)``)."""

    model = Dataset
    list_path = "users/{owner}/datasets/"
    schema = _DATASET_SCHEMA
    item_name = "datasets"
