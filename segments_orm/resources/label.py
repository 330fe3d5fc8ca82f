"""Labels: one per sample and labelset; `LabelManager` per sample, bulk writes per dataset."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Union

from segments_orm._concurrency import BulkError, ProgressOption, run_bulk
from segments_orm.base import Manager, Resource, field, mutable_field, resource
from segments_orm.enums import LabelStatus, TaskType
from segments_orm.exceptions import NotFoundError, SegmentsError, ValidationError
from segments_orm.resources import _attributes
from segments_orm.resources._checks import check_choice, check_name, check_number
from segments_orm.resources._label_errors import LabelsetCheck

if TYPE_CHECKING:
    from segments_orm.resources.dataset import Dataset
    from segments_orm.resources.sample import Sample

__all__ = ["DatasetLabelManager", "Label", "LabelManager"]

DEFAULT_LABELSET = "ground-truth"


@resource
class Label(Resource):
    """The label of one sample in one labelset.

    ``save()`` PUTs a new label and PATCHes only the changed fields of an existing one
    (unlike the platform's client, an edit never resets ``label_status``,
    :ref:`protocol-labels`).
    """

    sample_uuid: Optional[str] = field(read_only=True)
    labelset: Optional[str] = field(read_only=True)  # in the repr already, as identity
    label_type: Union[TaskType, str, None] = field(read_only=True)
    label_status: Union[LabelStatus, str, None] = field(show=True)
    _attributes: Any = mutable_field(wire="attributes", typed=True)
    score: Optional[float] = field()
    rating: Optional[float] = field(read_only=True)
    created_at: Optional[dt.datetime] = field(read_only=True)
    created_by: Optional[str] = field(read_only=True)
    updated_at: Optional[dt.datetime] = field(read_only=True)
    updated_by: Optional[str] = field(read_only=True)
    reviewed_at: Optional[dt.datetime] = field(read_only=True)
    reviewed_by: Optional[str] = field(read_only=True)

    _path: ClassVar[str] = "labels/{sample_uuid}/{labelset}/"
    _patch_gzip: ClassVar[bool] = True  # as the platform does for update_label (WIRE 1.3)

    if TYPE_CHECKING:
        attributes: Any

    def _identity(self) -> tuple[Any, ...]:
        return (self.sample_uuid, self.labelset)

    def _url_params(self) -> dict[str, str]:
        return {
            "sample_uuid": check_name(self.sample_uuid, "sample_uuid"),
            "labelset": check_name(self.labelset, "labelset"),
        }

    def _load_field(self, public: str, value: Any) -> Any:
        if public == "attributes":
            return _attributes.load_label(str(self.label_type) if self.label_type else None, value)
        return value

    def _dump_field(self, public: str, value: Any) -> Any:
        if public == "attributes":
            task_type, categories = self._task_info()
            return _attributes.prepare_label(task_type, value, categories)
        if public == "label_status":
            return check_choice(value, LabelStatus, "label_status")
        if public == "score":
            return None if value is None else check_number(value, "score")
        return super()._dump_field(public, value)

    def _task_info(self) -> tuple[Optional[str], Optional[frozenset[int]]]:
        sample = (self._context or {}).get("sample")
        if sample is not None:
            task_type, categories = sample._task_info()
            if task_type:
                return task_type, categories
        return (str(self.label_type) if self.label_type else None), None

    @property
    def sample(self) -> Sample:
        """The sample this label belongs to (no request: a shell when not known)."""
        known = (self._context or {}).get("sample")
        if known is not None:
            return known  # type: ignore[no-any-return]
        return self.client.samples.get(self._url_params()["sample_uuid"], lazy=True)

    def _create(self) -> None:
        created = LabelManager(
            self.client, {"sample_uuid": check_name(self.sample_uuid, "sample_uuid")}, self._context
        ).create(
            check_name(self.labelset, "labelset"),
            self._attributes,
            label_status=self.label_status or LabelStatus.PRELABELED,
            score=self.score,
        )
        self._adopt(created)


class LabelManager(Manager[Label]):
    """The labels of one sample, by labelset (``sample.labels``)."""

    model = Label
    item_name = "labels"

    def _new_defaults(self) -> dict[str, Any]:
        return {"sample_uuid": self._params["sample_uuid"]}

    def _sample(self) -> Optional[Sample]:
        return (self._context or {}).get("sample")

    def _params_for(self, labelset: str) -> dict[str, str]:
        return {"labelset": check_name(labelset, "labelset")}

    def all(self) -> Any:
        """Refuse: the API has no endpoint listing a sample's labels; use ``get``."""
        raise ValidationError(
            "The API cannot list a sample's labels; get one with sample.labels.get(labelset), "
            "or include labels in a sample query with .include_label(labelset)"
        )

    def get(self, labelset: str = DEFAULT_LABELSET, *, lazy: bool = False) -> Label:
        """Get this sample's label in ``labelset``.

        Network: one request, or none with ``lazy=True``.

        Args:
            labelset: The labelset, ``ground-truth`` by default.
            lazy: Return a shell that knows only its sample and labelset: ``update()``
                PATCHes and ``delete()`` works without fetching the label first.

        Raises:
            NotFoundError: The sample has no label there (it is unlabeled).
        """
        params = self._params_for(labelset)
        if lazy:
            return self._load({"sample_uuid": self._params["sample_uuid"], **params})
        data = self._request("GET", Label._path, params=params)
        return self._load(data)

    def create(
        self,
        labelset: str,
        attributes: Any,
        label_status: Union[LabelStatus, str] = LabelStatus.PRELABELED,
        score: Optional[float] = None,
    ) -> Label:
        """Create or replace this sample's label in ``labelset`` (a PUT: safe to repeat).

        Network: one request (plus one to learn the dataset's task type when the sample
        was fetched on its own and its dataset is not loaded yet).

        Args:
            labelset: The labelset, for example ``"ground-truth"``.
            attributes: The annotations (a dict or a typed model), checked against the
                dataset's task type and categories.
            label_status: The label's status.
            score: A model's confidence, for prelabels.

        Raises:
            ValidationError: The attributes or another argument are invalid.
        """
        params = self._params_for(labelset)
        sample = self._sample()
        task_type, categories = sample._task_info() if sample is not None else (None, None)
        body: dict[str, Any] = {
            "label_status": check_choice(label_status, LabelStatus, "label_status"),
            "attributes": _attributes.prepare_label(task_type, attributes, categories),
        }
        if score is not None:
            body["score"] = check_number(score, "score")
        try:
            data = self._request("PUT", Label._path, params=params, json_body=body, gzip=True)
        except NotFoundError as error:
            raise LabelsetCheck(_dataset_of(sample)).explain(error, labelset) from error
        return self._load(data)

    def delete(self, labelset: str) -> None:
        """Delete this sample's label in ``labelset``.

        Network: one request.
        """
        self._request("DELETE", Label._path, params=self._params_for(labelset), expect="none")


class DatasetLabelManager(Manager[Label]):
    """Label writes across a dataset's samples (``dataset.labels``).

    The API has no bulk label endpoint: `bulk_set` sends one PUT per sample, on the
    client's worker threads, with the shared rate-limit gate keeping 429s in check.
    """

    model = Label
    item_name = "labels"

    def all(self) -> Any:
        """Refuse: the API cannot list a dataset's labels; query samples instead."""
        raise ValidationError(
            "The API cannot list labels; use dataset.samples.include_label(labelset, full=True)"
        )

    def bulk_set(
        self,
        items: Iterable[Any],
        labelset: str = DEFAULT_LABELSET,
        label_status: Union[LabelStatus, str] = LabelStatus.PRELABELED,
        score: Optional[float] = None,
        *,
        progress: ProgressOption = None,
    ) -> list[Label]:
        """Create or replace the label of many samples, concurrently.

        Every label is checked before any request; then one PUT per sample runs on up to
        the client's ``max_workers`` threads. A PUT is idempotent, so a failed call can
        simply be run again.

        Network: one request per item.

        Args:
            items: ``(sample, attributes)`` pairs, where ``sample`` is a `Sample` or a
                uuid, or dicts with ``sample`` (or ``sample_uuid``), ``attributes`` and
                optionally ``label_status``, ``score`` and ``labelset``.
            labelset: The labelset, unless an item names its own.
            label_status: The status, unless an item gives its own.
            score: The score, unless an item gives its own.
            progress: Show a progress bar (default: in Jupyter or on a terminal, when
                tqdm is installed), or a callable ``progress(done, total)``.

        Returns:
            The labels, in input order.

        Raises:
            ValidationError: Some item is invalid (all problems listed); nothing was sent.
            BulkError: Some writes failed; ``.results`` has the labels written (None for
                the failures) and ``.errors`` the error of each failed item.
        """
        dataset: Dataset = (self._context or {})["dataset"].ensure_loaded()
        task_type = str(dataset.task_type) if dataset.task_type else None
        categories = dataset.category_ids()
        if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
            raise ValidationError(
                f"items: expected a list of (sample, attributes) pairs or dicts, "
                f"got {type(items).__name__}"
            )
        jobs: list[tuple[dict[str, str], dict[str, Any]]] = []
        problems: list[str] = []
        for index, item in enumerate(items):
            try:
                jobs.append(self._job(item, labelset, label_status, score, task_type, categories))
            except ValidationError as error:
                problems.extend(f"[{index}].{e}" for e in error.errors)
        if problems:
            raise ValidationError.from_errors(problems, "Invalid labels, nothing was sent")
        client = self._client
        labelsets = LabelsetCheck(dataset)

        def put(job: tuple[dict[str, str], dict[str, Any]]) -> Label:
            params, body = job
            url = client.api_url.endpoint(Label._path, params)
            try:
                data = client.transport.request("PUT", url, json_body=body, gzip=True)
            except NotFoundError as error:
                raise labelsets.explain(error, params["labelset"]) from error
            return Label._from_wire(client, data)

        outcome = run_bulk(
            put,
            jobs,
            max_workers=client.max_workers,
            description="labels",
            progress=progress,
            transport=client.transport,
        )
        if outcome.errors:
            raise BulkError.from_result(outcome, "labels")
        return [label for label in outcome.results if label is not None]

    def _job(
        self,
        item: Any,
        labelset: str,
        label_status: Union[LabelStatus, str],
        score: Optional[float],
        task_type: Optional[str],
        categories: Optional[frozenset[int]],
    ) -> tuple[dict[str, str], dict[str, Any]]:
        if isinstance(item, Mapping):
            target = item.get("sample", item.get("sample_uuid"))
            attributes = item.get("attributes")
            labelset = item.get("labelset", labelset)
            label_status = item.get("label_status", label_status)
            score = item.get("score", score)
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            target, attributes = item
        else:
            raise ValidationError("expected a (sample, attributes) pair or a dict")
        uuid = getattr(target, "uuid", target)
        body: dict[str, Any] = {
            "label_status": check_choice(label_status, LabelStatus, "label_status"),
            "attributes": _attributes.prepare_label(task_type, attributes, categories),
        }
        if score is not None:
            body["score"] = check_number(score, "score")
        params = {
            "sample_uuid": check_name(uuid, "sample"),
            "labelset": check_name(labelset, "labelset"),
        }
        return params, body


def _dataset_of(sample: Optional[Sample]) -> Optional[Dataset]:
    """Return the sample's dataset when it can be had, for explaining a failed write."""
    if sample is None:
        return None
    try:
        return sample.dataset
    except SegmentsError:  # a shell whose dataset cannot be looked up: explain nothing
        return None
