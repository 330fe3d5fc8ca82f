"""Labels: one per sample and labelset; `LabelManager` per sample, bulk writes per dataset."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Union

from segments_orm._capabilities import Buildable, Deletable, Refreshable, Updatable
from segments_orm._concurrency import BulkError, BulkResult, ProgressOption
from segments_orm._fields import REQUIRED, fields_of
from segments_orm._pipeline import (
    BulkResults,
    Outcome,
    _InterruptedError,
    interrupted,
    mark_in_flight,
    run_items,
)
from segments_orm._values import check_optional_score, prefixed
from segments_orm.base import Manager, Resource, _field, _mutable_field, _resource
from segments_orm.enums import LabelStatus, TaskType
from segments_orm.exceptions import (
    BadRequestError,
    LabelProtectedError,
    NotFoundError,
    SegmentsError,
    ValidationError,
)
from segments_orm.resources import _attributes
from segments_orm.resources._checks import check_choice, check_name, choice_check
from segments_orm.resources._label_errors import LabelsetCheck

if TYPE_CHECKING:
    from segments_orm.resources.dataset import Dataset
    from segments_orm.resources.sample import Sample

__all__ = ["DatasetLabelManager", "Label", "LabelManager"]

DEFAULT_LABELSET = "ground-truth"


@_resource
class Label(Updatable, Deletable, Refreshable, Resource):
    """The label of one sample in one labelset.

    ``save()`` PUTs a new label and PATCHes only the changed fields of an existing one
    (unlike the platform's client, an edit never resets ``label_status``,
    :ref:`protocol-labels`).
    """

    sample_uuid: Optional[str] = _field(read_only=True)
    labelset: Optional[str] = _field(read_only=True)  # in the repr already, as identity
    label_type: Union[TaskType, str, None] = _field(read_only=True)
    # The create arguments (create=) are those of LabelManager.create and bulk_set items.
    label_status: Union[LabelStatus, str, None] = _field(
        show=True, check=choice_check(LabelStatus), create=LabelStatus.PRELABELED
    )
    _attributes: Any = _mutable_field(wire="attributes", typed=True, create=REQUIRED)
    score: Optional[float] = _field(check=check_optional_score, create=None)
    rating: Optional[float] = _field(read_only=True)
    created_at: Optional[dt.datetime] = _field(read_only=True)
    created_by: Optional[str] = _field(read_only=True)
    updated_at: Optional[dt.datetime] = _field(read_only=True)
    updated_by: Optional[str] = _field(read_only=True)
    reviewed_at: Optional[dt.datetime] = _field(read_only=True)
    reviewed_by: Optional[str] = _field(read_only=True)

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
            label_type = self._peek("label_type")
            return _attributes.load_label(str(label_type) if label_type else None, value)
        return value

    def _dump_field(self, public: str, value: Any) -> Any:
        if public == "attributes":
            task_type, categories = self._task_info()
            return _attributes.prepare_label(task_type, value, categories)
        return super()._dump_field(public, value)

    def _task_info(self) -> tuple[Optional[str], Optional[frozenset[int]]]:
        # Every label write is checked: a shell of a sample asks which dataset it is in.
        sample = (self._context or {}).get("sample")
        if sample is None and self.sample_uuid is not None:
            sample = self.client.samples.get(self.sample_uuid, lazy=True)
        if sample is not None:
            task_type, categories = sample._task_info(ask=True)
            if task_type:
                return task_type, categories
        label_type = self._peek("label_type")
        return (str(label_type) if label_type else None), None

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


#: The statuses of labels no person has worked on: a write may replace them.
REPLACEABLE = frozenset({LabelStatus.PRELABELED.value, LabelStatus.UNLABELED.value})


def _kept_because(existing: Optional[Mapping[str, Any]]) -> Optional[str]:
    """Say why an existing label must not be replaced, or None when it may be."""
    if existing is None:
        return None
    status = existing.get("label_status")
    if status is None or str(status) in REPLACEABLE:
        return None
    return f"the label is {status} (a person's work); pass overwrite=True to replace it"


# Listing a dataset's label statuses costs one request per 1000 samples; reading each
# label, one request per item over the workers. Past this many dataset samples per
# item written, the reads per item are cheaper.
_LIST_STATUSES_BELOW = 125
# The listing's page size: the API's largest (tests make it small to see several pages).
_STATUS_PAGE = 1000


def _listed_statuses(
    dataset: Dataset, jobs: list[tuple[dict[str, str], dict[str, Any]]], max_workers: int
) -> dict[str, Optional[str]]:
    """Return the label status of each sample of ``dataset`` (None: no label), when cheap.

    Empty when the items name several labelsets or the dataset is much larger than the
    batch: each item then reads its own label.
    """
    labelsets = {params["labelset"] for params, _ in jobs}
    total = dataset.samples_count
    if (
        len(labelsets) != 1
        or not isinstance(total, int)
        or total > _LIST_STATUSES_BELOW * len(jobs)
    ):
        return {}
    (labelset,) = labelsets
    found: dict[str, Optional[str]] = {}
    listing = dataset.samples.include_label(labelset).page_size(_STATUS_PAGE)
    try:
        # Raw pages: only two keys of each sample are read, so no Sample is built.
        for page in listing._raw_pages_at_once(max(total, len(jobs)), max_workers):
            for raw in page:
                uuid = raw.get("uuid") if isinstance(raw, dict) else None
                if not isinstance(uuid, str):
                    continue
                summary = raw.get("label")
                status = summary.get("label_status") if isinstance(summary, dict) else None
                found[uuid] = None if status is None else str(status)
    except BadRequestError:
        # The listing refuses a labelset that does not exist; each item then reads its own
        # label, and its PUT's 404 is explained (LabelsetCheck) like a single write's.
        return {}
    return found


def _label_body(
    task_type: Optional[str],
    categories: Optional[frozenset[int]],
    attributes: Any,
    label_status: Any,
    score: Any,
) -> dict[str, Any]:
    """Check and convert one label write; every problem is listed with its path."""

    def checked_attributes(value: Any, _: str) -> Any:
        return _attributes.prepare_label(task_type, value, categories)

    return fields_of(Label).create_body(
        {"attributes": attributes, "label_status": label_status, "score": score},
        {"attributes": checked_attributes},
        every_problem="Invalid label",
    )


class LabelManager(Buildable[Label], Manager[Label]):
    """The labels of one sample, by labelset (``sample.labels``): get, create, delete, new.

    The API cannot list a sample's labels, so this manager is not iterable: get one with
    ``get(labelset)``, or include labels in a sample query with ``include_label``.
    """

    model = Label
    item_name = "labels"

    def _new_defaults(self) -> dict[str, Any]:
        return {"sample_uuid": self._params["sample_uuid"]}

    def _sample(self) -> Optional[Sample]:
        return (self._context or {}).get("sample")

    def _params_for(self, labelset: str) -> dict[str, str]:
        return {"labelset": check_name(labelset, "labelset")}

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
            return self._load_shell({"sample_uuid": self._params["sample_uuid"], **params})
        data = self._request("GET", Label._path, params=params)
        return self._load(data)

    def create(
        self,
        labelset: str,
        attributes: Any,
        label_status: Union[LabelStatus, str] = LabelStatus.PRELABELED,
        score: Optional[float] = None,
        *,
        overwrite: bool = False,
    ) -> Label:
        """Create this sample's label in ``labelset``, or replace one nobody worked on.

        A label a person worked on (any status but PRELABELED or UNLABELED) is kept
        unless ``overwrite=True``: re-running a prelabel step never erases human work.

        Network: two requests: a GET of the sample with its label (its status, and the
        dataset's task type the attributes are checked against), then the PUT; plus one
        to load the dataset the first time.

        Args:
            labelset: The labelset, for example ``"ground-truth"``.
            attributes: The annotations (a dict or a typed model), checked against the
                dataset's task type and categories: required keys, shapes, no unknown
                top-level keys.
            label_status: The label's status.
            score: A model's confidence, for prelabels.
            overwrite: Replace the label whatever its status.

        Raises:
            ValidationError: The attributes or another argument are invalid.
            LabelProtectedError: The sample has a person's label there; nothing was sent.
            NotFoundError: There is no such sample.
        """
        params = self._params_for(labelset)
        check_choice(label_status, LabelStatus, "label_status")
        sample = self._sample() or self._client.samples.get(self._params["sample_uuid"], lazy=True)
        knows_dataset = sample._peek("dataset_full_name") is not None or bool(
            (sample._context or {}).get("dataset")
        )
        body: Optional[dict[str, Any]] = None
        if knows_dataset:  # checked before any request
            body = _label_body(*sample._task_info(), attributes, label_status, score)
        # The GET tells the label's status (and, for a shell, its dataset); with
        # overwrite=True and a known dataset nothing needs it.
        existing = None if overwrite and knows_dataset else sample._read_label(labelset)
        if body is None:
            body = _label_body(*sample._task_info(ask=True), attributes, label_status, score)
        reason = None if overwrite else _kept_because(existing)
        if reason is not None:
            uuid = self._params["sample_uuid"]
            raise LabelProtectedError(
                f"Kept the label of sample {uuid} in {labelset!r}: {reason}",
                sample_uuid=uuid,
                labelset=labelset,
                label_status=str((existing or {}).get("label_status")),
            )
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
    client's worker threads, with the shared rate-limit gate keeping 429s in check. Nor
    can it list a dataset's labels, so this manager is not iterable: read them with
    ``dataset.samples.include_label(labelset, full=True)``.
    """

    model = Label
    item_name = "labels"

    def bulk_set(
        self,
        items: Iterable[Any],
        labelset: str = DEFAULT_LABELSET,
        label_status: Union[LabelStatus, str] = LabelStatus.PRELABELED,
        score: Optional[float] = None,
        *,
        overwrite: bool = False,
        progress: ProgressOption = None,
    ) -> BulkResults[Label]:
        """Create or replace the label of many samples, concurrently.

        Every label is checked before any request. Then the labels' statuses are read
        (the dataset's samples with their label summaries, one request per 1000 samples,
        those pages at once; for a dataset much larger than the call, a GET per item),
        and one PUT per sample runs on up to the client's ``max_workers`` threads. A
        label a person worked on (any status but PRELABELED or UNLABELED) is skipped,
        unless ``overwrite=True``. A PUT is idempotent, so a failed call can simply be
        run again.

        Network: one request per item, plus the status reads above (and a GET of each
        label kept, to return it).

        Args:
            items: ``(sample, attributes)`` pairs, where ``sample`` is a `Sample` or a
                uuid, or dicts with ``sample`` (or ``sample_uuid``), ``attributes`` and
                optionally ``label_status``, ``score`` and ``labelset``.
            labelset: The labelset, unless an item names its own.
            label_status: The status, unless an item gives its own.
            score: The score, unless an item gives its own.
            overwrite: Replace labels whatever their status.
            progress: Show a progress bar (default: in Jupyter or on a terminal, when
                tqdm is installed), or a callable ``progress(done, total)``.

        Returns:
            A `BulkResults`: per item the label written (or, when skipped, the label
            kept), and ``outcomes`` ``"created"``, ``"replaced"`` or ``"skipped"``
            (``reasons`` says why).

        Raises:
            ValidationError: Some item is invalid (all problems listed, by input index);
                nothing was sent.
            BulkError: Some writes failed; ``.results`` has the `BulkResults` of the
                others and ``.errors`` the error of each failed item.
            BulkInterrupted: Ctrl-C: nothing more was sent; ``.results`` has what was done.
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
                problems.extend(prefixed(error, f"[{index}]."))
        if problems:
            raise ValidationError.from_errors(problems, "Invalid labels, nothing was sent")
        client = self._client
        labelsets = LabelsetCheck(dataset)
        statuses = _listed_statuses(dataset, jobs, client.max_workers)

        def put(job: tuple[dict[str, str], dict[str, Any]]) -> tuple[str, Label, Optional[str]]:
            params, body = job
            existing: Optional[dict[str, Any]]
            if params["sample_uuid"] in statuses:
                status = statuses[params["sample_uuid"]]
                existing = None if status is None else {"label_status": status}
            else:
                shell = client.samples.get(params["sample_uuid"], lazy=True)
                existing = shell._read_label(params["labelset"])
            reason = None if overwrite else _kept_because(existing)
            if reason is not None:
                # The sample the kept label is returned with: made only here, since most
                # writes keep nothing (a shell per item costs time in a bulk write).
                sample = client.samples.get(params["sample_uuid"], lazy=True)
                full = sample._read_label(params["labelset"]) or existing
                assert full is not None
                kept = Label._from_wire(client, full, {"sample": sample})
                return Outcome.SKIPPED, kept, reason
            url = client.api_url.endpoint(Label._path, params)
            try:
                data = client.transport.request("PUT", url, json_body=body, gzip=True)
            except NotFoundError as error:
                raise labelsets.explain(error, params["labelset"]) from error
            said = Outcome.CREATED if existing is None else Outcome.REPLACED
            return said, Label._from_wire(client, data), None

        def collect(outcome: BulkResult[tuple[str, Label, Optional[str]]]) -> BulkResults[Label]:
            labels: list[Optional[Label]] = []
            outcomes: list[str] = []
            reasons: dict[int, str] = {}
            for index, done in enumerate(outcome.results):
                if done is None:
                    labels.append(None)
                    outcomes.append(Outcome.FAILED if index in outcome.errors else Outcome.NOT_SENT)
                    continue
                said, label, reason = done
                labels.append(label)
                outcomes.append(said)
                if reason is not None:
                    reasons[index] = reason
            return BulkResults(labels, outcomes, reasons)

        try:
            outcome = run_items(put, jobs, client=client, description="labels", progress=progress)
        except _InterruptedError as stop:
            partial = mark_in_flight(collect(stop.finished), stop.in_flight)
            raise interrupted(stop, partial, "labels") from None
        results = collect(outcome)
        if outcome.errors:
            raise BulkError.from_result(BulkResult(results, outcome.errors), "labels")
        return results

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
        body = _label_body(task_type, categories, attributes, label_status, score)
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
