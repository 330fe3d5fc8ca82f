"""The label handlers, and the work units label writes record."""

from __future__ import annotations

import functools
import sqlite3
import uuid
from typing import Any, Callable, Optional

from segments_orm.emulator._handlers._common import (
    REVIEW_STATUSES,
    Reply,
    _label_row,
    _labelset_exists,
    _sample_with_role,
    _task_type,
    authorize_status,
)
from segments_orm.emulator._http import (
    Ctx,
    Field,
    JsonText,
    as_number,
    as_object,
    not_found,
    one_of,
    validate,
)
from segments_orm.emulator._shapes import check_label_attributes, may_hold_wide_integers
from segments_orm.emulator._store import dump, load, now_iso
from segments_orm.emulator._views import label_doc_text, label_json
from segments_orm.enums import LabelStatus

_WRITABLE_STATUSES = [status for status in LabelStatus.values() if status != "UNLABELED"]


def _label_attributes_for(
    task_type: str, wide_integers: bool = True
) -> Callable[[Any], dict[str, Any]]:
    """Build the converter that checks label attributes against the task type's shape.

    ``wide_integers`` False says the body holds no integer past 64 bits (see
    `may_hold_wide_integers`), so the walk that looks for one is skipped.
    """

    def convert(value: Any) -> dict[str, Any]:
        attributes = as_object(value)
        check_label_attributes(task_type, attributes, wide_integers=wide_integers)
        return attributes

    return convert


# Built once per kind of write: a spec is read, never changed, and there are few task types.
@functools.lru_cache(maxsize=128)
def _label_spec(task_type: str, *, partial: bool, wide_integers: bool = True) -> dict[str, Field]:
    return {
        "label_status": Field(one_of(_WRITABLE_STATUSES)),
        "attributes": Field(_label_attributes_for(task_type, wide_integers), required=not partial),
        "score": Field(as_number, nullable=True),
        "rating": Field(as_number, nullable=True),
    }


def _label_target(ctx: Ctx, action: str) -> tuple[sqlite3.Row, sqlite3.Row, str, Optional[str]]:
    sample, dataset, role = _sample_with_role(ctx, ctx.params["uuid"], action)
    labelset = ctx.params["labelset"]
    if not _labelset_exists(ctx.tx, dataset["id"], labelset):
        raise not_found()
    return sample, dataset, labelset, role


def _write_label(ctx: Ctx, *, replace: bool) -> Reply:
    sample, dataset, role = _sample_with_role(ctx, ctx.params["uuid"], "write_labels")
    labelset = ctx.params["labelset"]
    # The labelset (404 if the dataset has none of that name) and the label already
    # there, if any, in one query: a label's columns are never null.
    # A replacement keeps only the creation fields of the label it replaces: SQLite reads
    # them out of its document rather than Python decoding all of it.
    found = ctx.tx.one(
        "SELECT l.label_status, l.doc, json_extract(l.doc, '$.created_at') AS created_at,"
        " json_extract(l.doc, '$.created_by') AS created_by FROM labelsets s LEFT JOIN labels l"
        " ON l.sample_uuid = ? AND l.labelset = s.name WHERE s.dataset_id = ? AND s.name = ?",
        (sample["uuid"], dataset["id"], labelset),
    )
    if found is None:
        raise not_found()
    existing = None if found["doc"] is None else found
    task_type = _task_type(dataset)
    spec = _label_spec(
        task_type, partial=not replace, wide_integers=may_hold_wide_integers(ctx.body)
    )
    values = validate(ctx.object_body(), spec, source_bytes=len(ctx.body))
    if "label_status" in values:
        authorize_status(role, values["label_status"])
    now = now_iso()
    if existing is None and not replace:
        raise not_found()
    if existing is None or replace:
        doc: dict[str, Any] = {
            "attributes": None,
            "score": None,
            "rating": None,
            "created_at": now,
            "created_by": ctx.username,
            "reviewed_at": None,
            "reviewed_by": None,
        }
        if existing is not None:
            doc["created_at"] = existing["created_at"]
            doc["created_by"] = existing["created_by"]
        status = values.get("label_status", "PRELABELED")
    else:
        doc = load(existing["doc"])
        status = values.get("label_status", existing["label_status"])
    for key in ("attributes", "score", "rating"):
        if key in values:
            doc[key] = values[key]
    doc["updated_at"] = now
    doc["updated_by"] = ctx.username
    if "label_status" in values and status in REVIEW_STATUSES:
        doc["reviewed_at"] = now
        doc["reviewed_by"] = ctx.username
    stored = dump(doc)
    ctx.tx.run(
        "INSERT INTO labels (sample_uuid, labelset, dataset_id, label_status, doc)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (sample_uuid, labelset)"
        " DO UPDATE SET label_status = excluded.label_status, doc = excluded.doc",
        (sample["uuid"], labelset, dataset["id"], status, stored),
    )
    _record_workunit(ctx, dataset, sample, status, now)
    # The answer is what was just stored, its document's text spliced in rather than the
    # attributes encoded a second time.
    answer = label_doc_text(sample["uuid"], labelset, status, stored, task_type)
    assert answer is not None  # dump wrote an object
    return (201 if replace else 200), JsonText(answer)


def _record_workunit(
    ctx: Ctx, dataset: sqlite3.Row, sample: sqlite3.Row, status: str, now: str
) -> None:
    """Record one workunit per label write, by the writing user (WIRE.md 4 Workunit)."""
    ctx.tx.run(
        "INSERT INTO workunits (uuid, dataset_id, created_at, doc) VALUES (?, ?, ?, ?)",
        (
            str(uuid.uuid4()),
            dataset["id"],
            now,
            dump(
                {
                    "created_by": ctx.username,
                    "work_type": "reviewing" if status in REVIEW_STATUSES else "labeling",
                    "next_label_status": status,
                    "time": 0,
                    "inactive_time": 0,
                    "sample_uuid": sample["uuid"],
                    "sample_name": sample["name"],
                    "label_rating": None,
                }
            ),
        ),
    )


def get_label(ctx: Ctx) -> Reply:
    """GET /labels/{uuid}/{labelset}/: 404 when the sample is unlabeled there."""
    sample, dataset, labelset, _ = _label_target(ctx, "read")
    row = _label_row(ctx.tx, sample["uuid"], labelset)
    if row is None:
        raise not_found()
    return 200, label_json(row, _task_type(dataset))


def put_label(ctx: Ctx) -> Reply:
    """PUT /labels/{uuid}/{labelset}/: create or replace."""
    return _write_label(ctx, replace=True)


def patch_label(ctx: Ctx) -> Reply:
    """PATCH /labels/{uuid}/{labelset}/: merge the given fields into the existing label."""
    return _write_label(ctx, replace=False)


def delete_label(ctx: Ctx) -> Reply:
    """DELETE /labels/{uuid}/{labelset}/."""
    sample, _, labelset, _ = _label_target(ctx, "write_labels")
    if not ctx.tx.run(
        "DELETE FROM labels WHERE sample_uuid = ? AND labelset = ?", (sample["uuid"], labelset)
    ):
        raise not_found()
    return 204, None
