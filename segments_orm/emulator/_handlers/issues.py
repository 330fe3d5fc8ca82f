"""The issue handlers of a sample."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from segments_orm.emulator._handlers._common import (
    Reply,
    _dataset,
    _dataset_by_id,
    _found,
    _sample,
    authorize,
)
from segments_orm.emulator._http import (
    Ctx,
    Field,
    as_object,
    as_str,
    one_of,
    validate,
)
from segments_orm.emulator._store import dump, load, now_iso
from segments_orm.emulator._views import (
    issue_json,
)
from segments_orm.enums import IssueStatus

_ANCHOR_TYPES = ("basic", "track", "sceneAttribute", "location")


def _anchor(value: Any) -> dict[str, Any]:
    anchor = as_object(value)
    if anchor.get("type") not in _ANCHOR_TYPES:
        raise ValueError(f'type: "{anchor.get("type")}" is not a valid choice.')
    return anchor


_ISSUE_SPEC = {
    "description": Field(as_str),
    "status": Field(one_of(IssueStatus.values())),
    "anchor": Field(_anchor, nullable=True),
}


def _issue_reply(ctx: Ctx, issue_uuid: str, status: int) -> Reply:
    row = ctx.tx.one(
        "SELECT i.*, s.name AS sample_name FROM issues i JOIN samples s ON s.uuid = i.sample_uuid"
        " WHERE i.uuid = ?",
        (issue_uuid,),
    )
    row = _found(row)
    return status, issue_json(row, row["sample_name"])


def add_issue(ctx: Ctx) -> Reply:
    """POST /samples/{uuid}/issues/."""
    sample, dataset = _sample(ctx, ctx.params["uuid"], "write_issues")
    spec = {**_ISSUE_SPEC, "description": Field(as_str, required=True)}
    values = validate(ctx.object_body(), spec)
    now = now_iso()
    doc = {
        "description": values["description"],
        "status": values.get("status", "OPEN"),
        "created_at": now,
        "updated_at": now,
        "created_by": ctx.username,
        "updated_by": ctx.username,
        "comments": [],
    }
    if values.get("anchor") is not None:
        doc["anchor"] = values["anchor"]
    issue_uuid = str(uuid.uuid4())
    ctx.tx.insert(
        "issues",
        {
            "uuid": issue_uuid,
            "dataset_id": dataset["id"],
            "sample_uuid": sample["uuid"],
            "doc": dump(doc),
        },
    )
    return _issue_reply(ctx, issue_uuid, 201)


def _issue(ctx: Ctx, action: str) -> sqlite3.Row:
    row = _found(ctx.tx.one("SELECT * FROM issues WHERE uuid = ?", (ctx.params["uuid"],)))
    authorize(ctx, _dataset_by_id(ctx.tx, row["dataset_id"]), action)
    return row


def get_issue(ctx: Ctx) -> Reply:
    """GET /issues/{uuid}/ (not used by segments-ai, but handy)."""
    row = _issue(ctx, "read")
    return _issue_reply(ctx, row["uuid"], 200)


def update_issue(ctx: Ctx) -> Reply:
    """PATCH /issues/{uuid}/."""
    row = _issue(ctx, "write_issues")
    values = validate(ctx.object_body(), _ISSUE_SPEC)
    doc = load(row["doc"])
    for key, value in values.items():
        if key == "anchor" and value is None:
            doc.pop("anchor", None)
        else:
            doc[key] = value
    doc["updated_at"] = now_iso()
    doc["updated_by"] = ctx.username
    ctx.tx.run("UPDATE issues SET doc = ? WHERE uuid = ?", (dump(doc), row["uuid"]))
    return _issue_reply(ctx, row["uuid"], 200)


def delete_issue(ctx: Ctx) -> Reply:
    """DELETE /issues/{uuid}/."""
    row = _issue(ctx, "delete_issues")
    ctx.tx.run("DELETE FROM issues WHERE uuid = ?", (row["uuid"],))
    return 204, None


def list_issues(ctx: Ctx) -> Reply:
    """GET /datasets/{owner}/{name}/issues/: the whole list, oldest first."""
    dataset, _ = _dataset(ctx, "read")
    rows = ctx.tx.all(
        "SELECT i.*, s.name AS sample_name FROM issues i JOIN samples s ON s.uuid = i.sample_uuid"
        " WHERE i.dataset_id = ? ORDER BY i.seq",
        (dataset["id"],),
    )
    return 200, [issue_json(row, row["sample_name"]) for row in rows]
