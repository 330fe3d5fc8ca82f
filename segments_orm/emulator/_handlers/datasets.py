"""The dataset handlers: create, list, read, update, delete, clone."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping
from typing import Any

from segments_orm.emulator._handlers._common import (
    Reply,
    _can_create_in,
    _dataset,
    _dataset_by_id,
    _rank_on,
    authorize,
)
from segments_orm.emulator._http import (
    Ctx,
    Field,
    as_bool,
    as_int,
    as_name,
    as_object,
    as_str,
    duplicate,
    not_found,
    one_of,
    paginate,
    validate,
)
from segments_orm.emulator._shapes import json_checked
from segments_orm.emulator._store import Tx, dump, load, now_iso
from segments_orm.emulator._views import (
    GROUND_TRUTH,
    dataset_json,
    full_name,
)
from segments_orm.enums import Category, TaskType

_TASK_TYPES = [value for value in TaskType.values() if value]
_RELEASE_UNSUPPORTED = {"pointcloud-segmentation", "pointcloud-segmentation-sequence"}


def _category(value: Any) -> str:
    text = as_str(value)
    # The platform accepts custom categories (WIRE.md 8), even if segments-ai cannot read them.
    if text not in Category.values() and not text.startswith("custom-"):
        raise ValueError(f'"{text}" is not a valid choice.')
    return text


def _task_attributes(value: Any) -> dict[str, Any]:
    attributes = as_object(value)
    categories = attributes.get("categories")
    if categories is not None:
        if not isinstance(categories, list):
            raise ValueError("categories: Expected a list of items.")
        for index, category in enumerate(categories):
            if (
                not isinstance(category, dict)
                or not isinstance(category.get("name"), str)
                or isinstance(category.get("id"), bool)
                or not isinstance(category.get("id"), int)
            ):
                raise ValueError(f"categories[{index}]: a category needs an integer id and a name.")
    return attributes


#: Every dataset setting with its default; the order is the order of WIRE.md 3.1.
DATASET_DEFAULTS: dict[str, Any] = {
    "description": "",
    "task_type": "segmentation-bitmap",
    "task_attributes": {"format_version": "0.1", "categories": [{"name": "object", "id": 1}]},
    "category": "other",
    "readme": "",
    "metadata": {},
    "labeling_inactivity_timeout_seconds": 300,
    "enable_skip_labeling": True,
    "enable_skip_reviewing": False,
    "enable_ratings": False,
    "enable_interpolation": True,
    "enable_same_dimensions_track_constraint": False,
    "enable_save_button": False,
    "enable_label_status_verified": False,
    "enable_3d_cuboid_rotation": False,
    "enable_3d_region_of_interest": False,
    "enable_confirm_on_submit": False,
    "archived": False,
    "use_timestamps_for_interpolation": True,
    "enable_object_linking": False,
    "enable_object_link_category_restrictions": False,
    "enable_extrapolation": False,
    "region_of_interest": None,
    "noncollaborator_can_label": False,
    "noncollaborator_can_review": False,
    "cloned_from": None,
}

_DATASET_SETTINGS: dict[str, Field] = {
    "description": Field(as_str),
    "task_type": Field(one_of(_TASK_TYPES)),
    "task_attributes": Field(json_checked(_task_attributes)),
    "category": Field(_category),
    "public": Field(as_bool),
    "readme": Field(as_str),
    "metadata": Field(json_checked(as_object)),
    "labeling_inactivity_timeout_seconds": Field(as_int),
    "region_of_interest": Field(as_object, nullable=True),
    **{
        key: Field(as_bool)
        for key, default in DATASET_DEFAULTS.items()
        if isinstance(default, bool)
    },
}


def _dataset_name(value: Any) -> str:
    name = as_name(value)
    if "/" in name:
        raise ValueError("A dataset name may not contain '/'.")
    return name


def _create_dataset(
    tx: Tx, owner: str, name: str, settings: Mapping[str, Any], public: bool
) -> sqlite3.Row:
    """Insert a dataset with its ground-truth labelset; a taken name is a 400."""
    if tx.one("SELECT 1 FROM datasets WHERE owner = ? AND name = ?", (owner, name)):
        raise duplicate("Dataset")
    doc = {key: settings.get(key, default) for key, default in DATASET_DEFAULTS.items()}
    now = now_iso()
    dataset_id = tx.insert(
        "datasets",
        {"owner": owner, "name": name, "public": int(public), "created_at": now, "doc": dump(doc)},
    )
    tx.insert(
        "labelsets",
        {
            "dataset_id": dataset_id,
            "name": GROUND_TRUTH,
            "description": "",
            "is_groundtruth": 1,
            "created_at": now,
        },
    )
    return _dataset_by_id(tx, dataset_id)


def _add_dataset(ctx: Ctx, owner: str) -> Reply:
    body = ctx.object_body()
    values = validate(body, {"name": Field(_dataset_name, required=True), **_DATASET_SETTINGS})
    name = values.pop("name")
    public = bool(values.pop("public", False))
    row = _create_dataset(ctx.tx, owner, name, values, public)
    return 201, dataset_json(ctx.tx, row, "admin", viewer=ctx.username)


def add_my_dataset(ctx: Ctx) -> Reply:
    """POST /user/datasets/."""
    return _add_dataset(ctx, ctx.username)


def add_org_dataset(ctx: Ctx) -> Reply:
    """POST /organizations/{org}/datasets/."""
    _can_create_in(ctx, ctx.params["org"])
    return _add_dataset(ctx, ctx.params["org"])


def _list_datasets(ctx: Ctx, rows: list[sqlite3.Row]) -> Reply:
    visible = []
    for row in rows:
        rank, role = _rank_on(ctx.tx, row, ctx.username)
        if rank is not None:
            visible.append((row, role))
    page = paginate(visible, ctx.query)
    return 200, [dataset_json(ctx.tx, row, role, viewer=ctx.username) for row, role in page]


def list_my_datasets(ctx: Ctx) -> Reply:
    """GET /user/datasets/: what the caller owns, collaborates on, or sees as an org member."""
    rows = ctx.tx.all(
        "SELECT * FROM datasets WHERE owner = ?"
        " OR id IN (SELECT dataset_id FROM collaborators WHERE username = ?)"
        " OR owner IN (SELECT org FROM memberships WHERE username = ?) ORDER BY id",
        (ctx.username, ctx.username, ctx.username),
    )
    return _list_datasets(ctx, rows)


def list_user_datasets(ctx: Ctx) -> Reply:
    """GET /users/{username}/datasets/: that account's datasets the caller may see."""
    username = ctx.params["username"]
    if ctx.tx.one("SELECT 1 FROM users WHERE username = ?", (username,)) is None:
        raise not_found()
    rows = ctx.tx.all("SELECT * FROM datasets WHERE owner = ? ORDER BY id", (username,))
    return _list_datasets(ctx, rows)


def get_dataset(ctx: Ctx) -> Reply:
    """GET /datasets/{owner}/{name}/."""
    row, role = _dataset(ctx, "read")
    return 200, dataset_json(ctx.tx, row, role, viewer=ctx.username)


def update_dataset(ctx: Ctx) -> Reply:
    """PATCH /datasets/{owner}/{name}/: set the given settings; the name cannot change."""
    row, role = _dataset(ctx, "update_dataset")
    values = validate(ctx.object_body(), _DATASET_SETTINGS)
    doc = load(row["doc"])
    public = values.pop("public", bool(row["public"]))
    if public != bool(row["public"]):
        authorize(ctx, row, "change_visibility")
    doc.update(values)
    ctx.tx.run(
        "UPDATE datasets SET doc = ?, public = ? WHERE id = ?", (dump(doc), int(public), row["id"])
    )
    return 200, dataset_json(ctx.tx, _dataset_by_id(ctx.tx, row["id"]), role, viewer=ctx.username)


def delete_dataset(ctx: Ctx) -> Reply:
    """DELETE /datasets/{owner}/{name}/: everything under it goes too (foreign-key cascade)."""
    row, _ = _dataset(ctx, "delete_dataset")
    ctx.tx.run("DELETE FROM datasets WHERE id = ?", (row["id"],))
    return 204, None


def clone_dataset(ctx: Ctx) -> Reply:
    """POST /datasets/{owner}/{name}/clone/ (WIRE.md 3.3)."""
    source, _ = _dataset(ctx, "read")
    if not source["public"]:
        authorize(ctx, source, "clone_private")
    values = validate(
        ctx.object_body(),
        {
            "name": Field(_dataset_name),
            "task_type": Field(one_of(_TASK_TYPES)),
            "public": Field(as_bool),
            "owner": Field(as_name),
            "clone_labels": Field(as_bool),
        },
    )
    owner = values.get("owner", ctx.username)
    _can_create_in(ctx, owner)
    settings = load(source["doc"])
    settings["cloned_from"] = full_name(source)
    if "task_type" in values:
        settings["task_type"] = values["task_type"]
    clone = _create_dataset(
        ctx.tx,
        owner,
        values.get("name", f"{source['name']}-clone"),
        settings,
        values.get("public", False),
    )
    tx = ctx.tx
    for labelset in tx.all(
        "SELECT * FROM labelsets WHERE dataset_id = ? AND name != ? ORDER BY id",
        (source["id"], GROUND_TRUTH),
    ):
        tx.insert(
            "labelsets",
            {
                "dataset_id": clone["id"],
                "name": labelset["name"],
                "description": labelset["description"],
                "is_groundtruth": 0,
                "created_at": now_iso(),
            },
        )
    clone_labels = values.get("clone_labels", False)
    samples = tx.all("SELECT * FROM samples WHERE dataset_id = ? ORDER BY seq", (source["id"],))
    for sample in samples:
        tx.check_deadline()
        doc = load(sample["doc"])
        doc["created_by"] = ctx.username
        new_uuid = str(uuid.uuid4())
        now = now_iso()
        tx.insert(
            "samples",
            {
                "uuid": new_uuid,
                "dataset_id": clone["id"],
                "name": sample["name"],
                "created_at": now,
                "updated_at": now,
                "doc": dump(doc),
            },
        )
        if clone_labels:
            for label in tx.all("SELECT * FROM labels WHERE sample_uuid = ?", (sample["uuid"],)):
                tx.insert(
                    "labels",
                    {
                        "sample_uuid": new_uuid,
                        "labelset": label["labelset"],
                        "dataset_id": clone["id"],
                        "label_status": label["label_status"],
                        "doc": label["doc"],
                    },
                )
    return 201, dataset_json(tx, clone, "admin", viewer=ctx.username)
