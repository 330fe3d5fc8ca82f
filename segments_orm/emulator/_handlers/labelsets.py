"""The labelset handlers of a dataset."""

from __future__ import annotations

import sqlite3
from typing import Any

from segments_orm.emulator._handlers._common import (
    Reply,
    _dataset,
    _in_dataset,
    _labelset_exists,
)
from segments_orm.emulator._http import ApiError, Ctx, Field, as_name, as_str, duplicate, validate
from segments_orm.emulator._store import now_iso
from segments_orm.emulator._views import labelset_json


def _labelset_attributes(value: Any) -> Any:
    # segments-ai sends the legacy string "{}" (WIRE.md 3.7); objects are accepted too.
    if isinstance(value, (str, dict)):
        return value
    raise ValueError("Expected an object or a JSON string.")


def list_labelsets(ctx: Ctx) -> Reply:
    """GET /datasets/{owner}/{name}/labelsets/."""
    dataset, _ = _dataset(ctx, "read")
    rows = ctx.tx.all("SELECT * FROM labelsets WHERE dataset_id = ? ORDER BY id", (dataset["id"],))
    return 200, [labelset_json(row) for row in rows]


def _labelset_row(ctx: Ctx, dataset: sqlite3.Row) -> sqlite3.Row:
    return _in_dataset(ctx, dataset, "labelsets", "name", "labelset")


def get_labelset(ctx: Ctx) -> Reply:
    """GET /datasets/{owner}/{name}/labelsets/{labelset}/."""
    dataset, _ = _dataset(ctx, "read")
    return 200, labelset_json(_labelset_row(ctx, dataset))


def add_labelset(ctx: Ctx) -> Reply:
    """POST /datasets/{owner}/{name}/labelsets/."""
    dataset, _ = _dataset(ctx, "write_labelsets")
    values = validate(
        ctx.object_body(),
        {
            "name": Field(as_name, required=True),
            "description": Field(as_str, nullable=True),
            "attributes": Field(_labelset_attributes, nullable=True),
        },
    )
    if _labelset_exists(ctx.tx, dataset["id"], values["name"]):
        raise duplicate("Labelset")
    ctx.tx.insert(
        "labelsets",
        {
            "dataset_id": dataset["id"],
            "name": values["name"],
            "description": values.get("description") or "",
            "is_groundtruth": 0,
            "created_at": now_iso(),
        },
    )
    ctx.params["labelset"] = values["name"]
    return 201, labelset_json(_labelset_row(ctx, dataset))


def delete_labelset(ctx: Ctx) -> Reply:
    """DELETE /datasets/{owner}/{name}/labelsets/{labelset}/ with the labels in it."""
    dataset, _ = _dataset(ctx, "write_labelsets")
    row = _labelset_row(ctx, dataset)
    if row["is_groundtruth"]:
        raise ApiError(400, {"detail": "The ground-truth labelset cannot be deleted."})
    ctx.tx.run(
        "DELETE FROM labels WHERE dataset_id = ? AND labelset = ?", (dataset["id"], row["name"])
    )
    ctx.tx.run("DELETE FROM labelsets WHERE id = ?", (row["id"],))
    return 204, None
