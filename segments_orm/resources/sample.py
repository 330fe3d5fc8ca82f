"""Samples: the `Sample` resource, the dataset's `SampleManager`, and bulk work."""

from __future__ import annotations

import datetime as dt
import uuid as _uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Union

import attrs

from segments_orm._capabilities import (
    Buildable,
    Deletable,
    Listable,
    Refreshable,
    Updatable,
    relation,
)
from segments_orm._concurrency import BulkError, BulkResult, ProgressOption
from segments_orm._converter import structure
from segments_orm._fields import REQUIRED, fields_of, optional
from segments_orm._pipeline import (
    BulkResults,
    Outcome,
    _InterruptedError,
    check_on_existing,
    interrupted,
    mark_in_flight,
    run_items,
)
from segments_orm._state import State, write_clean
from segments_orm._values import check_json_object, check_priority, prefixed, to_json
from segments_orm.base import (
    Manager,
    Resource,
    _field,
    _html_text,
    _lookup,
    _mutable_field,
    _resource,
)
from segments_orm.enums import LabelStatus
from segments_orm.exceptions import (
    AlreadyExistsError,
    NetworkError,
    SegmentsError,
    ValidationError,
)
from segments_orm.query import (
    FilterSchema,
    Lookup,
    QuerySet,
    encode_choice,
    encode_text,
    merge_choices,
    merge_mappings,
)
from segments_orm.resources import _attributes
from segments_orm.resources._checks import (
    check_int,
    check_name,
    check_optional_name,
    check_text,
)

if TYPE_CHECKING:
    from segments_orm.resources.dataset import Dataset
    from segments_orm.resources.issue import SampleIssueManager
    from segments_orm.resources.label import Label, LabelManager

__all__ = ["LabelSummary", "Sample", "SampleLookup", "SampleManager", "SampleQuerySet"]

BULK_DELETE_LIMIT = 1000  # uuids per request, the platform's cap (WIRE.md 3.5)
DEFAULT_BATCH_SIZE = 500


@attrs.define(slots=True, kw_only=True)
class LabelSummary:
    """The label summary a sample listing includes with ``include_label(labelset)``."""

    label_status: Union[LabelStatus, str, None] = None
    score: Optional[float] = None
    updated_at: Optional[dt.datetime] = None
    created_by: Optional[str] = None
    reviewed_by: Optional[str] = None
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)


@_resource
class Sample(Updatable, Deletable, Refreshable, Resource):
    """One item to label: an image, a sequence, a point cloud, or several sensors.

    Relations: ``dataset`` (no request when known), ``labels`` and ``issues`` (managers),
    and ``label``, the label a query included with ``include_label``.
    """

    uuid: Optional[str] = _field(read_only=True)
    # The create arguments (create=) are those of SampleManager.create and the facade's
    # add_sample (tests/meta/test_field_table.py); their checks serve every write.
    name: Optional[str] = _field(check=check_name, create=REQUIRED)
    _attributes: Any = _mutable_field(wire="attributes", typed=True, create=REQUIRED)
    _metadata: Optional[dict[str, Any]] = _mutable_field(
        wire="metadata", check=check_json_object, create=None
    )
    priority: Optional[float] = _field(check=check_priority, create=0)
    readme: Optional[str] = _field(check=optional(check_text), create="")
    # An explicit None unassigns (sent as null, WIRE.md 3.5).
    assigned_labeler: Optional[str] = _field(check=check_optional_name, create=None)
    assigned_reviewer: Optional[str] = _field(check=check_optional_name, create=None)
    created_at: Optional[dt.datetime] = _field(read_only=True)
    created_by: Optional[str] = _field(read_only=True)
    dataset_full_name: Optional[str] = _field(read_only=True)
    # The raw label of a query's include_label; the ``label`` property structures it.
    _label: Any = _field(wire="label", read_only=True)
    # (``label`` is a property below; shown in the repr via _repr_label when present.)
    # The wire's "issues" list; ``issues`` is the manager.
    embedded_issues: Optional[list[Any]] = _field(wire="issues", read_only=True)

    _path: ClassVar[str] = "samples/{uuid}/"
    _patch_gzip: ClassVar[bool] = True  # as the platform does for update_sample (WIRE 1.3)

    if TYPE_CHECKING:
        attributes: Any
        metadata: dict[str, Any]

    def _identity(self) -> tuple[Any, ...]:
        return (self.uuid,)

    def _repr_label(self) -> str:
        name = self._peek("name")  # a shell knows only its uuid
        return f"{name!r}" if name is not None else str(self.uuid)

    def _html_row(self) -> dict[str, str]:
        row = super()._html_row()
        included = self.label  # a query's include_label: show its status as a column
        if included is not None:
            row["label_status"] = _html_text(included.label_status)
        return row

    def _url_params(self) -> dict[str, str]:
        return {"uuid": check_name(self.uuid, "uuid")}

    # -- notebooks ---------------------------------------------------------------------

    def _repr_html_(self) -> str:
        """Render the image with its label drawn over it, then the fields (for notebooks).

        Network: the image (to read its size), the label's bitmap for segmentation
        labels, and the ground-truth label unless a query included the full label;
        the dataset once if it is not loaded. A failed request leaves a note instead.
        A shell shows the fields it knows (``refresh()`` it to see the image).
        """
        from segments_orm import _html

        if self._state is State.SHELL:
            return super()._repr_html_()

        task_attributes = None
        try:
            dataset = self.dataset.ensure_loaded()
            task_attributes = dataset._wire_value("task_attributes", dataset._task_attributes)
        except SegmentsError:  # unbound or unreachable: palette colours, no names
            pass

        def download(url: str) -> bytes:
            return self.client.transport.download(url)

        return _html.sample_figure(
            name=str(self.name if self.name is not None else self.uuid),
            attributes=self._json_field("attributes", "_attributes"),
            label=self._html_label(),
            task_attributes=task_attributes,
            download=download,
            details=f"<details><summary>fields</summary>{super()._repr_html_()}</details>",
        )

    def _html_label(self) -> Optional[dict[str, Any]]:
        """Return the label to draw: the one a query included, else the ground truth."""
        included = self._json_field("label", "_label")
        if isinstance(included, dict) and "attributes" in included:
            return included
        if self._client is None or self.uuid is None:
            return included if isinstance(included, dict) else None
        try:
            return self.labels.get(
                str((included or {}).get("labelset") or "ground-truth")
            ).to_dict()
        except SegmentsError:  # unlabeled (404), or unreachable: draw nothing
            return included if isinstance(included, dict) else None

    def _html_card(self) -> tuple[Optional[str], str, str]:
        """Return (image URL, name, label status) for a queryset's thumbnail grid."""
        from segments_orm._html import image_url

        included = self.label
        status = _html_text(included.label_status) if included is not None else ""
        name = str(self.name if self.name is not None else self.uuid)
        return image_url(self._json_field("attributes", "_attributes")), name, status

    # -- typed attributes --------------------------------------------------------------

    def _known_task_type(self) -> Optional[str]:
        dataset = (self._context or {}).get("dataset")
        # Listed from a dataset shell, it is not known: the attributes are guessed.
        task_type = dataset._peek("task_type") if dataset is not None else None
        return str(task_type) if task_type else None

    def _load_field(self, public: str, value: Any) -> Any:
        if public == "attributes":
            return _attributes.load_sample(self._known_task_type(), value)
        return value

    def _dump_field(self, public: str, value: Any) -> Any:
        if public == "attributes":  # checked against the dataset's task type
            return _attributes.prepare_sample(self._task_info()[0], value)
        return super()._dump_field(public, value)

    # -- relations ---------------------------------------------------------------------

    @property
    def dataset(self) -> Dataset:
        """The dataset of this sample: the one it was listed from, or a lazy shell.

        Network: none, except for a sample shell (``get(uuid, lazy=True)``), which asks
        the API once which dataset it is in.
        """
        known = (self._context or {}).get("dataset")
        full_name = self._peek("dataset_full_name")
        if known is not None and (full_name is None or known.full_name == full_name):
            return known  # type: ignore[no-any-return]
        if full_name is None:
            if self._state is State.NEW or self.uuid is None:
                raise ValidationError("A new sample has no dataset until it is created")
            # A shell (samples.get(uuid, lazy=True)) learns its dataset from the API once;
            # only that field is taken, so unsaved changes on the shell stay.
            answer = self._request("GET")
            told = answer.get("dataset_full_name") if isinstance(answer, Mapping) else None
            if not isinstance(told, str):
                raise NetworkError("The API did not say which dataset this sample belongs to")
            write_clean(self, "dataset_full_name", told)
            full_name = told
        return self.client._dataset_shell(full_name)

    def _task_info(self, *, ask: bool = True) -> tuple[Optional[str], Optional[frozenset[int]]]:
        """Return the dataset's task type and category ids, fetching a shell once.

        A sample shell that does not know its dataset (``samples.get(uuid, lazy=True)``,
        the facade's writes by uuid) is asked (one GET of the sample), so that every
        write of attributes or a label is checked against its task type, as the platform
        checks it; with ``ask=False`` it is not, and gets (None, None).
        """
        if self._peek("dataset_full_name") is None and (self._context or {}).get("dataset") is None:
            if not ask or self.uuid is None:
                return None, None
            self._read_label(None)
        try:
            dataset = self.dataset.ensure_loaded()
        except ValidationError:
            return None, None
        task_type = str(dataset.task_type) if dataset.task_type else None
        return task_type, dataset.category_ids()

    def _read_label(self, labelset: Optional[str]) -> Optional[dict[str, Any]]:
        """GET this sample (with its label in ``labelset``); learn its dataset on the way.

        Network: one request.

        Returns:
            The raw label in ``labelset``, or None when the sample has none there.
        """
        query = {"labelset": check_name(labelset, "labelset")} if labelset else None
        answer = self._request("GET", query=query)
        if not isinstance(answer, Mapping):
            raise NetworkError("The API did not answer GET /samples/{uuid}/ with an object")
        told = answer.get("dataset_full_name")
        if self._peek("dataset_full_name") is None and isinstance(told, str):
            write_clean(self, "dataset_full_name", told)
        label = answer.get("label")
        return dict(label) if isinstance(label, Mapping) else None

    @relation
    def labels(self) -> LabelManager:
        """The labels of this sample, one per labelset: get, create."""
        return _lookup("LabelManager")(  # type: ignore[no-any-return]
            self.client, {"sample_uuid": self._url_params()["uuid"]}, {"sample": self}
        )

    @relation
    def issues(self) -> SampleIssueManager:
        """The issues of this sample: create, and list (from the dataset's issues)."""
        return _lookup("SampleIssueManager")(  # type: ignore[no-any-return]
            self.client, {"uuid": self._url_params()["uuid"]}, {"sample": self}
        )

    @property
    def label(self) -> Union[Label, LabelSummary, None]:
        """The label a query included (``include_label``): full, or a summary."""
        raw = self._label
        if raw is None or isinstance(raw, (LabelSummary, _lookup("Label"))):
            return raw
        if not isinstance(raw, Mapping):
            return None
        built: Union[Label, LabelSummary]
        if "sample_uuid" in raw or "attributes" in raw:
            built = _lookup("Label")._from_wire(self._client, raw, {"sample": self})
        else:
            built = structure(raw, LabelSummary)
        # Built once and kept: an edit made through sample.label must be the one saved.
        write_clean(self, "_label", built)
        return built

    def _create(self) -> None:
        dataset = (self._context or {}).get("dataset")
        if dataset is None:
            raise ValidationError("A new Sample is created with dataset.samples.create(...)")
        created = dataset.samples.create(**fields_of(Sample).create_values(self))
        self._adopt(created)


_LABEL_STATUSES = LabelStatus.values()


def _encode_metadata(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not value:
        raise ValidationError("metadata: expected a non-empty dict like {'weather': 'sunny'}")
    pairs = []
    for key, item in value.items():
        if not isinstance(key, str) or not key or any(c in key for c in ",:"):
            raise ValidationError(
                f"metadata: the key {key!r} must be a non-empty string without ',' or ':' "
                "(the API's filter syntax is key:value,key:value)"
            )
        if isinstance(item, bool):
            text = "true" if item else "false"
        elif isinstance(item, (str, int, float)):
            text = str(item)
        else:
            raise ValidationError(f"metadata[{key!r}]: expected a string or a number")
        if "," in text:
            raise ValidationError(f"metadata[{key!r}]: a filter value cannot contain ','")
        pairs.append(f"{key}:{text}")
    return {"filters": ",".join(pairs)}


def _name_equals(sample: Any, wanted: Any) -> bool:
    return bool(sample.name == wanted)


def _normalize_names(lookups: dict[str, Any]) -> Optional[dict[str, Any]]:
    # ``name`` and ``name__contains`` both travel as the API's one name__contains filter:
    # with the exact name known, the substring is decided here, without the API.
    if "name" in lookups and "name__contains" in lookups:
        if lookups["name__contains"] not in lookups["name"]:
            return None
        return {k: v for k, v in lookups.items() if k != "name__contains"}
    return lookups


SAMPLE_SCHEMA = FilterSchema(
    lookups={
        "name__contains": Lookup(encode_text("name__contains", "name__contains")),
        # The API only has a substring filter; exactness is checked on the client.
        "name": Lookup(encode_text("name__contains", "name"), post_filter=_name_equals),
        "label_status": Lookup(encode_choice("label_status", _LABEL_STATUSES), merge=merge_choices),
        "metadata": Lookup(_encode_metadata, merge=merge_mappings),
    },
    normalize=_normalize_names,
    orderings=frozenset({"name", "created_at", "priority", "updated_at", "gt_label__updated_at"}),
    default_ordering="name",
    paged=True,
)


class SampleQuerySet(QuerySet[Sample]):
    """A queryset of samples, with label inclusion and bulk deletion."""

    __slots__ = ()

    def include_label(
        self, labelset: str = "ground-truth", *, full: bool = False
    ) -> SampleQuerySet:
        """Return a queryset whose samples carry their label in ``labelset`` (``sample.label``).

        Args:
            labelset: The labelset whose label to include.
            full: Include the full label with its attributes, not just a summary.
        """
        check_name(labelset, "labelset")
        options = {"labelset": labelset}
        if full:
            options["include_full_label"] = "1"
        return self.with_options(**options)  # type: ignore[return-value]

    def delete(self) -> int:
        """Delete every sample of this queryset, 1000 per request.

        Network: the pages of the query, then one request per 1000 samples; when the
        server reports fewer deletions than asked (an answer lost and replayed), the
        pages of the dataset, to count what is really gone.

        Returns:
            How many of the queryset's samples are gone: the server's state after the
            call, not what the answers this process happened to receive said.
        """
        uuids = [s.uuid for s in self.iterator() if s.uuid]
        manager: SampleManager = self._owner
        reported = manager.delete_many(uuids)
        if reported >= len(uuids):
            return reported
        # Fewer than asked: an answer was lost and its replay found the samples gone
        # already (or someone else deleted some). Count on the server what is left.
        remaining = {s.uuid for s in manager.all().iterator()}
        return sum(1 for uuid in uuids if uuid not in remaining)


class SampleManager(Listable[Sample], Buildable[Sample], Manager[Sample]):
    """The samples of one dataset: filter, get, create, bulk_create, delete."""

    model = Sample
    list_path = "datasets/{owner}/{name}/samples/"
    schema = SAMPLE_SCHEMA
    item_name = "samples"
    queryset_class = SampleQuerySet

    def all(self) -> SampleQuerySet:
        """Return a lazy queryset over every sample (ordered by name)."""
        return super().all()  # type: ignore[return-value]

    def filter(self, **lookups: Any) -> SampleQuerySet:
        """Return samples matching every lookup (no request yet).

        Lookups: ``name__contains``, ``name`` (exact), ``label_status`` (one or a list of
        `LabelStatus`), ``metadata`` (a dict of exact values).

        Raises:
            ValidationError: An unsupported lookup or an invalid value.
        """
        return super().filter(**lookups)  # type: ignore[return-value]

    def order_by(self, key: str) -> SampleQuerySet:
        """Return samples in an order (``-`` prefix to reverse).

        Keys: name, created_at, priority, updated_at, gt_label__updated_at.
        """
        return super().order_by(key)  # type: ignore[return-value]

    def include_label(
        self, labelset: str = "ground-truth", *, full: bool = False
    ) -> SampleQuerySet:
        """Return every sample with its label in ``labelset`` (see `SampleQuerySet`)."""
        return self.all().include_label(labelset, full=full)

    def _dataset(self) -> Dataset:
        return (self._context or {})["dataset"]  # type: ignore[no-any-return]

    def _task_type(self) -> Optional[str]:
        dataset = self._dataset().ensure_loaded()
        return str(dataset.task_type) if dataset.task_type else None

    def _body(self, task_type: Optional[str], values: Mapping[str, Any]) -> dict[str, Any]:
        """Return a create's body: the create arguments (the field table's), then others."""
        table = fields_of(Sample)

        def attributes(value: Any, _: str) -> Any:
            return _attributes.prepare_sample(task_type, value)

        body = table.create_body(values, {"attributes": attributes})
        for key, value in values.items():
            if key not in table.create_names:
                # Keys we do not know are sent, not dropped, under the same value rule.
                body.setdefault(key, to_json(value, key))
        return body

    def create(
        self,
        name: str,
        attributes: Any,
        metadata: Optional[dict[str, Any]] = None,
        priority: float = 0,
        assigned_labeler: Optional[str] = None,
        assigned_reviewer: Optional[str] = None,
        readme: str = "",
    ) -> Sample:
        """Create a sample.

        Network: one request (plus one to load the dataset's task type if this dataset
        is an unloaded shell). A create whose answer was lost is reconciled: the sample
        is looked up by name before sending again, so there is never a duplicate.

        Args:
            name: The sample's name, unique in the dataset.
            attributes: What to label (``{"image": {"url": ...}}`` or a typed model),
                checked against the dataset's task type.
            metadata: Any JSON object.
            priority: Higher is labeled first.
            assigned_labeler: A username to assign the labeling to.
            assigned_reviewer: A username to assign the review to.
            readme: Notes for the labeler.

        Raises:
            ValidationError: An argument or the attributes are invalid.
            AlreadyExistsError: The dataset has a sample with this name.
        """
        body = self._body(self._task_type(), _arguments(locals()))

        def post() -> Sample:
            return self._load(self._request("POST", json_body=body, gzip=True))

        return self._create_reconciled(post, lambda: self.filter(name=name).first())

    def get(self, uuid: Optional[str] = None, *, lazy: bool = False, **lookups: Any) -> Sample:
        """Get one sample of this dataset by uuid, or by lookups (``get(name="a.jpg")``).

        A positional argument is always a uuid: a name there (``get("a.jpg")``) is refused
        before any request, with the ``get(name=...)`` form to use instead, rather than
        guessed at (a name may look like anything).

        Network: one request, or none with ``lazy=True``.

        Raises:
            ValidationError: ``uuid`` is not a uuid, or both a uuid and lookups were given.
            NotFoundError: No sample matches.
            MultipleObjectsReturned: Several samples match the lookups.
        """
        if lookups:
            if uuid is not None or lazy:
                raise ValidationError("get: pass a uuid, or lookups, not both")
            return self.filter(**lookups).get()
        check_name(uuid, "uuid")
        assert uuid is not None
        try:
            _uuid.UUID(uuid)
        except ValueError:
            raise ValidationError(
                f"get({uuid!r}): a positional argument is a sample's uuid, and {uuid!r} is not"
                f" one; to get a sample by name, use get(name={uuid!r})"
            ) from None
        if lazy:
            return self._load_shell({"uuid": uuid, "dataset_full_name": self._dataset().full_name})
        return self._load(self._request("GET", Sample._path, params={"uuid": uuid}))

    def bulk_create(
        self,
        samples: Iterable[Union[Mapping[str, Any], Sample]],
        batch_size: int = DEFAULT_BATCH_SIZE,
        *,
        on_existing: Optional[str] = None,
        progress: ProgressOption = None,
    ) -> BulkResults[Sample]:
        """Create many samples, ``batch_size`` per request, several requests at a time.

        Every sample is checked and converted (the value rule of docs/pipelines.rst)
        before anything is sent: one invalid item sends nothing.

        Network: with ``on_existing``, first the dataset's samples (one request per page)
        to know which names exist; then one request per batch of new samples, and with
        ``"update"`` one PATCH per existing sample that changed, on up to the client's
        ``max_workers`` threads.

        Args:
            samples: Dicts with ``name`` and ``attributes`` (and optionally
                ``metadata``, ``priority``, ``assigned_labeler``, ...), or unsaved
                `Sample` objects.
            batch_size: Samples per request (1 to 1000).
            on_existing: What to do with a name the dataset has already: ``"skip"``
                (leave it), ``"update"`` (write the fields the item gives that differ),
                ``"error"`` (raise `AlreadyExistsError` before sending anything). None
                (the default) sends every item and takes the API's answer, which returns
                an existing name unchanged; a sample that existed with the same fields
                is then reported as created, since the answer cannot tell.
            progress: Show a progress bar (default: in Jupyter or on a terminal, when
                tqdm is installed), or a callable ``progress(done, total)``.

        Returns:
            A `BulkResults`: the samples in input order, and ``outcomes`` saying per item
            ``"created"``, ``"existing"`` or ``"updated"``.

        Raises:
            ValidationError: Any sample is invalid (every problem is listed, with its
                input index: ``[95].metadata.v: NaN is not valid JSON``); nothing was sent.
            AlreadyExistsError: With ``on_existing="error"``, some names exist; nothing
                was sent.
            BulkError: Some requests failed; ``.results`` is the `BulkResults` of the
                others and ``.errors`` the error of each failed item, by input index.
            BulkInterrupted: Ctrl-C: nothing more was sent; ``.results`` has what was done.
        """
        batch = check_int(batch_size, "batch_size", minimum=1)
        if batch > 1000:
            raise ValidationError("batch_size: at most 1000 samples per request")
        mode = check_on_existing(on_existing)
        if isinstance(samples, (str, bytes, Mapping)) or not isinstance(samples, Iterable):
            raise ValidationError(
                f"samples: expected a list of samples, got {type(samples).__name__}"
            )
        task_type = self._task_type()
        prepared: list[tuple[dict[str, Any], Mapping[str, Any]]] = []
        problems: list[str] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(samples):
            try:
                body, as_mapping = self._bulk_body(task_type, item)
            except ValidationError as error:
                problems.extend(prefixed(error, f"[{index}]."))
                prepared.append(({}, {}))
                continue
            if body["name"] in seen:
                problems.append(
                    f"[{index}].name: {body['name']!r} is also the name of sample "
                    f"[{seen[body['name']]}]; names are unique in a dataset"
                )
            seen[body["name"]] = index
            prepared.append((body, as_mapping))
        if problems:
            raise ValidationError.from_errors(problems, "Invalid samples, nothing was sent")
        existing: dict[str, Sample] = {}
        if mode is not None and prepared:
            existing = {s.name: s for s in self.all().iterator() if s.name in seen}
        if mode == "error" and existing:
            taken = [f"[{seen[n]}].name: {n!r} exists already" for n in sorted(existing)]
            raise AlreadyExistsError(
                f"{len(taken)} of {len(prepared)} samples exist already, nothing was sent:\n"
                + "\n".join(f"  {t}" for t in taken)
            )
        return self._bulk_send(prepared, existing, mode, batch, progress)

    def _bulk_send(
        self,
        prepared: list[tuple[dict[str, Any], Mapping[str, Any]]],
        existing: dict[str, Sample],
        mode: Optional[str],
        batch: int,
        progress: ProgressOption,
    ) -> BulkResults[Sample]:
        count = len(prepared)
        results: list[Optional[Sample]] = [None] * count
        outcomes = [Outcome.NOT_SENT] * count
        errors: dict[int, SegmentsError] = {}
        new = [i for i, (body, _) in enumerate(prepared) if body["name"] not in existing]
        patches: list[tuple[int, dict[str, Any]]] = []
        for index, (body, item) in enumerate(prepared):
            found = existing.get(body["name"])
            if found is None:
                continue
            results[index], outcomes[index] = found, Outcome.EXISTING
            changes = _changes(found, body, _given(item, body)) if mode == "update" else {}
            if changes:
                patches.append((index, changes))
        jobs: list[tuple[str, Any]] = [
            ("batch", new[i : i + batch]) for i in range(0, len(new), batch)
        ]
        jobs.extend(("patch", patch) for patch in patches)

        def work(job: tuple[str, Any]) -> list[tuple[int, Sample]]:
            kind, what = job
            if kind == "patch":
                index, changes = what
                uuid = check_name(results[index].uuid, "uuid")
                data = self._request(
                    "PATCH", Sample._path, params={"uuid": uuid}, json_body=changes, gzip=True
                )
                return [(index, self._load(data))]
            # Replaying a batch is safe: existing names come back unchanged, so a batch
            # whose answer was lost (a dropped connection, a gateway error) is resent.
            data = self._request(
                "POST",
                "datasets/{owner}/{name}/samples_bulk/",
                json_body=[prepared[i][0] for i in what],
                gzip=True,
                replayable=True,
            )
            if not isinstance(data, list):
                raise NetworkError("The server did not answer samples_bulk with a list")
            by_name = {raw.get("name"): raw for raw in data if isinstance(raw, Mapping)}
            answered = []
            for index in what:
                raw = by_name.get(prepared[index][0]["name"])
                if raw is None:
                    raise NetworkError(
                        f"The server did not return the sample {prepared[index][0]['name']!r}"
                    )
                answered.append((index, self._load(raw)))
            return answered

        def take(outcome: BulkResult[list[tuple[int, Sample]]]) -> list[tuple[int, Sample]]:
            late: list[tuple[int, Sample]] = []
            for job_index, job in enumerate(jobs):
                kind, what = job
                indexes = [what[0]] if kind == "patch" else what
                error = outcome.errors.get(job_index)
                if error is not None:
                    for index in indexes:
                        errors[index] = error
                        outcomes[index] = Outcome.FAILED
                for index, sample in outcome.results[job_index] or []:
                    results[index] = sample
                    if kind == "patch":
                        outcomes[index] = Outcome.UPDATED
                    elif _same(sample, *prepared[index]):
                        outcomes[index] = Outcome.CREATED
                    else:
                        # Created by someone else since (or before, without on_existing).
                        outcomes[index] = Outcome.EXISTING
                        late.append((index, sample))
            return late

        try:
            late = take(self._run(work, jobs, progress))
            if mode == "update":
                # Names that appeared between the listing and the batch: update them too.
                more = []
                for index, sample in late:
                    body, item = prepared[index]
                    changes = _changes(sample, body, _given(item, body))
                    if changes:
                        more.append(("patch", (index, changes)))
                if more:
                    jobs = more
                    take(self._run(work, jobs, progress))
        except _InterruptedError as stop:
            take(stop.finished)
            flying = [
                index
                for job in stop.in_flight
                for index in ([jobs[job][1][0]] if jobs[job][0] == "patch" else jobs[job][1])
            ]
            partial = mark_in_flight(BulkResults(results, outcomes), flying)
            raise interrupted(stop, partial, "samples") from None
        final = BulkResults(results, outcomes)
        if errors:
            raise BulkError.from_result(BulkResult(final, errors), "samples")
        return final

    def _run(
        self, work: Any, jobs: list[tuple[str, Any]], progress: Any
    ) -> BulkResult[list[tuple[int, Sample]]]:
        return run_items(
            work,
            jobs,
            client=self._client,
            description="samples",
            progress=progress,
            weight=lambda job: len(job[1]) if job[0] == "batch" else 1,
        )

    def _bulk_body(
        self, task_type: Optional[str], item: Union[Mapping[str, Any], Sample]
    ) -> tuple[dict[str, Any], Mapping[str, Any]]:
        """Return an item's request body and the item as a mapping (see `_given`)."""
        table = fields_of(Sample)
        if isinstance(item, Sample):
            item = table.create_values(item)
        if type(item) is not dict and not isinstance(item, Mapping):
            raise ValidationError(f"expected a dict or a Sample, got {type(item).__name__}")
        missing = [name for name in table.required_creates if name not in item]
        if missing:
            raise ValidationError(
                f"{missing[0]}: required", errors=[f"{m}: required" for m in missing]
            )
        return self._body(task_type, item), item

    def delete_many(self, uuids: Sequence[str]) -> int:
        """Delete samples of this dataset by uuid, 1000 per request.

        Unknown uuids are skipped by the server, and not counted.

        Network: one request per 1000 uuids (more when retried); when a request had to
        be sent again (its answer was lost: the first may have deleted them already),
        the pages of the dataset, to count what is really gone.

        Returns:
            How many samples were deleted: the server's answers, and for a request sent
            more than once, how many of its uuids are no longer in the dataset (there a
            uuid that never was a sample cannot be told from one the lost attempt
            deleted, and counts as deleted).

        Raises:
            BulkError: A request failed after earlier ones succeeded; it has
                ``deleted_count`` and ``pending_uuids`` (what was not deleted).
        """
        if isinstance(uuids, (str, bytes)) or not isinstance(uuids, Iterable):
            raise ValidationError(f"uuids: expected a list of uuids, got {type(uuids).__name__}")
        checked = [check_name(u, f"uuids[{i}]") for i, u in enumerate(uuids)]
        deleted = 0
        # The uuids of requests sent more than once: counted on the server afterwards.
        # The transport replays a DELETE whose answer was lost, and the replay's answer
        # counts only what the first attempt had left. (Requests of other threads on this
        # client can make a request look replayed: then it is only counted the slow way.)
        replayed: set[str] = set()
        transport = self._client.transport
        for start in range(0, len(checked), BULK_DELETE_LIMIT):
            chunk = checked[start : start + BULK_DELETE_LIMIT]
            sent_before = transport.requests_sent
            try:
                answer = self._request(
                    "DELETE",
                    "datasets/{owner}/{name}/samples_bulk/",
                    json_body={"uuids": chunk},
                    expect="optional",
                )
            except SegmentsError as error:
                if start == 0:
                    raise
                # Earlier chunks are gone already: say how many, and which are left.
                deleted += self._count_gone(replayed)
                pending = checked[start:]
                failure = BulkError(
                    f"Deleted {deleted} samples, then failed on the next {len(chunk)}: "
                    f"{error} ({len(pending)} uuids were not deleted; they are in "
                    ".pending_uuids)",
                    [],
                    {start: error},
                )
                failure.deleted_count = deleted  # type: ignore[attr-defined]
                failure.pending_uuids = pending  # type: ignore[attr-defined]
                raise failure from error
            if transport.requests_sent - sent_before > 1:
                replayed.update(chunk)
            elif isinstance(answer, dict) and isinstance(answer.get("deleted_count"), int):
                deleted += answer["deleted_count"]
        return deleted + self._count_gone(replayed)

    def _count_gone(self, uuids: set[str]) -> int:
        """Count how many of ``uuids`` are not samples of this dataset. Network: pages."""
        if not uuids:
            return 0
        remaining = {s.uuid for s in self.all().iterator()}
        return len(uuids - remaining)


def _arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """Return a create's arguments (its ``locals()``, taken first) without ``self``."""
    return {name: value for name, value in arguments.items() if name != "self"}


def _given(item: Mapping[str, Any], body: Mapping[str, Any]) -> frozenset[str]:
    """Return the keys of ``body`` the item itself gave (not a create default).

    Computed when an answer is sorted (created, existing, updated), not while the items
    are checked: checking every item comes before the first request (P2).
    """
    return frozenset(k for k, v in item.items() if v is not None and k in body)


def _same(sample: Sample, body: Mapping[str, Any], item: Mapping[str, Any]) -> bool:
    """Tell whether the server's sample holds what ``body`` sent (for created vs existing)."""
    return not _changes(sample, body, _given(item, body) | {"attributes"})


def _changes(sample: Sample, body: Mapping[str, Any], given: frozenset[str]) -> dict[str, Any]:
    """Return the fields of ``body`` the item gave that differ from the server's sample."""
    changes = {}
    for key in sorted(given):
        if key == "name":
            continue
        if hasattr(type(sample), key):
            current = sample._wire_value(key, getattr(sample, key))
        else:  # a key this model does not know: what the server sent back for it
            current = sample.extra.get(key)
        if current != body[key]:
            changes[key] = body[key]
    return changes


class SampleLookup:
    """Samples by uuid, whatever their dataset (``client.samples``)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __repr__(self) -> str:
        return "<SampleLookup>"

    def get(
        self,
        uuid: str,
        labelset: Optional[str] = None,
        signed_urls: bool = False,
        *,
        lazy: bool = False,
    ) -> Sample:
        """Get a sample by uuid.

        Network: one request, or none with ``lazy=True``.

        Args:
            uuid: The sample's uuid.
            labelset: Include the sample's full label in this labelset (``sample.label``).
            signed_urls: Ask for signed URLs of the sample's files.
            lazy: Return a shell that knows only its uuid; its ``labels`` and ``delete()``
                work without fetching it.

        Raises:
            NotFoundError: There is no such sample, or it is not visible to you.
        """
        check_name(uuid, "uuid")
        if lazy:
            return Sample._shell(self._client, {"uuid": uuid})
        query: dict[str, str] = {}
        if labelset is not None:
            query["labelset"] = check_name(labelset, "labelset")
        if signed_urls:
            query["include_signed_urls"] = "1"
        url = self._client.api_url.endpoint(Sample._path, {"uuid": uuid}, query)
        data = self._client.transport.request("GET", url)
        return Sample._from_wire(self._client, data)
