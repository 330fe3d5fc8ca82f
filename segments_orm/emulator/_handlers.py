"""The endpoint handlers of WIRE.md section 2, and the one permission check they share.

A handler takes the request's `Ctx` and returns ``(status, json_body)``; ``None`` as the body
means an empty answer (the 204s of DELETE). It raises `ApiError` for anything else. Handlers
run inside the request's transaction, so raising after a write undoes the write.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import mimetypes
import os
import sqlite3
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional, Union, overload

from werkzeug.wrappers import Response

from segments_orm.emulator._http import (
    ApiError,
    Ctx,
    Field,
    as_bool,
    as_int,
    as_list,
    as_name,
    as_number,
    as_object,
    as_str,
    bad_request,
    duplicate,
    forbidden,
    not_found,
    one_of,
    paginate,
    validate,
)
from segments_orm.emulator._store import Tx, dump, load, now_iso
from segments_orm.emulator._views import (
    GROUND_TRUTH,
    collaborator_json,
    dataset_json,
    full_name,
    issue_json,
    label_json,
    label_summary_json,
    labelset_json,
    release_json,
    sample_json,
    user_json,
    workunit_json,
)
from segments_orm.enums import Category, IssueStatus, LabelStatus, Role, TaskType

__all__ = ["Reply"]

Reply = Union[tuple[int, Any], Response]

# --- permissions ------------------------------------------------------------------------

#: Ranks of access to a dataset; the permission matrix is in the package docstring.
READER, LABELER, MANAGER, ADMIN, OWNER = 0, 1, 2, 3, 4
_COLLABORATOR_RANKS = {"labeler": LABELER, "reviewer": LABELER, "manager": MANAGER, "admin": ADMIN}

#: The lowest rank each action needs.
_REQUIRED_RANK = {
    "read": READER,
    "write_labels": LABELER,
    "write_issues": LABELER,
    "read_collaborators": MANAGER,
    "write_samples": MANAGER,
    "write_labelsets": MANAGER,
    "write_releases": MANAGER,
    "delete_issues": MANAGER,
    "update_dataset": MANAGER,
    "write_collaborators": ADMIN,
    "delete_dataset": OWNER,
}


def _rank_on(tx: Tx, dataset: sqlite3.Row, username: str) -> tuple[Optional[int], Optional[str]]:
    """Return the caller's rank on a dataset (None: invisible) and the role to report."""
    if username == dataset["owner"]:
        return OWNER, "admin"
    ranks: list[tuple[int, Optional[str]]] = []
    membership = tx.one(
        "SELECT role FROM memberships WHERE org = ? AND username = ?",
        (dataset["owner"], username),
    )
    if membership is not None:
        # Organization admins may do everything on the organization's datasets; any other
        # member may read them (the "plain member" of the matrix).
        if membership["role"] == "admin":
            ranks.append((OWNER, "admin"))
        else:
            ranks.append((READER, None))
    collaborator = tx.one(
        "SELECT role FROM collaborators WHERE dataset_id = ? AND username = ?",
        (dataset["id"], username),
    )
    if collaborator is not None:
        ranks.append((_COLLABORATOR_RANKS[collaborator["role"]], collaborator["role"]))
    if ranks:
        return max(ranks, key=lambda rank_role: rank_role[0])
    return (READER, None) if dataset["public"] else (None, None)


def authorize(ctx: Ctx, dataset: sqlite3.Row, action: str) -> Optional[str]:
    """Check that the caller may perform ``action`` on ``dataset``; return their role.

    A dataset the caller cannot see answers 404, never 403, so that private datasets do not
    leak their existence (WIRE.md 11.3).
    """
    rank, role = _rank_on(ctx.tx, dataset, ctx.username)
    if rank is None:
        raise not_found()
    if rank < _REQUIRED_RANK[action]:
        raise forbidden()
    return role


def _can_create_in(ctx: Ctx, owner: str) -> None:
    """Check that the caller may create datasets owned by ``owner`` (themselves or an org)."""
    if owner == ctx.username:
        return
    account = ctx.tx.one("SELECT * FROM users WHERE username = ?", (owner,))
    if account is None:
        raise not_found()
    membership = ctx.tx.one(
        "SELECT role FROM memberships WHERE org = ? AND username = ?", (owner, ctx.username)
    )
    if not account["is_organization"] or membership is None or membership["role"] != "admin":
        raise forbidden()


# --- lookups ----------------------------------------------------------------------------


def _dataset(ctx: Ctx, action: str) -> tuple[sqlite3.Row, Optional[str]]:
    """Find the dataset named by the route's ``owner``/``name`` and authorize ``action``."""
    row = ctx.tx.one(
        "SELECT * FROM datasets WHERE owner = ? AND name = ?",
        (ctx.params["owner"], ctx.params["name"]),
    )
    if row is None:
        raise not_found()
    return row, authorize(ctx, row, action)


def _dataset_by_id(tx: Tx, dataset_id: int) -> sqlite3.Row:
    row = tx.one("SELECT * FROM datasets WHERE id = ?", (dataset_id,))
    if row is None:
        raise not_found()
    return row


def _sample(ctx: Ctx, sample_uuid: str, action: str) -> tuple[sqlite3.Row, sqlite3.Row]:
    """Find a sample by uuid and authorize ``action`` on its dataset."""
    row = _sample_row(ctx.tx, sample_uuid)
    if row is None:
        raise not_found()
    dataset = _dataset_by_id(ctx.tx, row["dataset_id"])
    authorize(ctx, dataset, action)
    return row, dataset


def _task_type(dataset: sqlite3.Row) -> str:
    return str(load(dataset["doc"])["task_type"])


def _sample_row(tx: Tx, sample_uuid: str) -> Optional[sqlite3.Row]:
    return tx.one("SELECT * FROM samples WHERE uuid = ?", (sample_uuid,))


def _label_row(tx: Tx, sample_uuid: str, labelset: str) -> Optional[sqlite3.Row]:
    return tx.one(
        "SELECT * FROM labels WHERE sample_uuid = ? AND labelset = ?", (sample_uuid, labelset)
    )


def _labelset_exists(tx: Tx, dataset_id: int, name: str) -> bool:
    return (
        tx.one("SELECT 1 FROM labelsets WHERE dataset_id = ? AND name = ?", (dataset_id, name))
        is not None
    )


# --- users ------------------------------------------------------------------------------


def api_status(ctx: Ctx) -> Reply:
    """Answer the client's construction-time probe (WIRE.md 1.6)."""
    return 200, {}


def get_me(ctx: Ctx) -> Reply:
    """GET /user."""
    row = ctx.tx.one("SELECT * FROM users WHERE username = ?", (ctx.username,))
    if row is None:
        raise not_found()
    return 200, user_json(ctx.tx, row, private=True)


def get_user(ctx: Ctx) -> Reply:
    """GET /users/{username}."""
    row = ctx.tx.one("SELECT * FROM users WHERE username = ?", (ctx.params["username"],))
    if row is None:
        raise not_found()
    return 200, user_json(ctx.tx, row, private=row["username"] == ctx.username)


# --- datasets ---------------------------------------------------------------------------

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
    "task_attributes": Field(_task_attributes),
    "category": Field(_category),
    "public": Field(as_bool),
    "readme": Field(as_str),
    "metadata": Field(as_object),
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
    return 201, dataset_json(ctx.tx, row, "admin")


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
    return 200, [dataset_json(ctx.tx, row, role) for row, role in page]


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
    return 200, dataset_json(ctx.tx, row, role)


def update_dataset(ctx: Ctx) -> Reply:
    """PATCH /datasets/{owner}/{name}/: set the given settings; the name cannot change."""
    row, role = _dataset(ctx, "update_dataset")
    values = validate(ctx.object_body(), _DATASET_SETTINGS)
    doc = load(row["doc"])
    public = values.pop("public", bool(row["public"]))
    doc.update(values)
    ctx.tx.run(
        "UPDATE datasets SET doc = ?, public = ? WHERE id = ?", (dump(doc), int(public), row["id"])
    )
    return 200, dataset_json(ctx.tx, _dataset_by_id(ctx.tx, row["id"]), role)


def delete_dataset(ctx: Ctx) -> Reply:
    """DELETE /datasets/{owner}/{name}/: everything under it goes too (foreign-key cascade)."""
    row, _ = _dataset(ctx, "delete_dataset")
    ctx.tx.run("DELETE FROM datasets WHERE id = ?", (row["id"],))
    return 204, None


def clone_dataset(ctx: Ctx) -> Reply:
    """POST /datasets/{owner}/{name}/clone/ (WIRE.md 3.3)."""
    source, _ = _dataset(ctx, "read")
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
    return 201, dataset_json(tx, clone, "admin")


# --- collaborators ----------------------------------------------------------------------

_ROLES = Role.values()


def _collaborator(ctx: Ctx, dataset: sqlite3.Row) -> sqlite3.Row:
    row = ctx.tx.one(
        "SELECT * FROM collaborators WHERE dataset_id = ? AND username = ?",
        (dataset["id"], ctx.params["username"]),
    )
    if row is None:
        raise not_found()
    return row


def add_collaborator(ctx: Ctx) -> Reply:
    """POST /datasets/{owner}/{name}/collaborators/."""
    dataset, _ = _dataset(ctx, "write_collaborators")
    values = validate(
        ctx.object_body(),
        {"user": Field(as_name, required=True), "role": Field(one_of(_ROLES))},
    )
    username = values["user"]
    role = values.get("role", "labeler")
    user = ctx.tx.one("SELECT * FROM users WHERE username = ?", (username,))
    if user is None:
        # DRF's SlugRelatedField message; segments-ai maps "does not exist" to NotFoundError.
        raise bad_request("user", f"Object with username={username} does not exist.")
    if user["is_organization"] or username == dataset["owner"]:
        raise ApiError(400, {"detail": f"{username} cannot be added as collaborator."})
    if ctx.tx.one(
        "SELECT 1 FROM collaborators WHERE dataset_id = ? AND username = ?",
        (dataset["id"], username),
    ):
        raise ApiError(400, {"detail": f"{username} is already a collaborator."})
    ctx.tx.insert(
        "collaborators",
        {"dataset_id": dataset["id"], "username": username, "role": role, "created_at": now_iso()},
    )
    return 201, collaborator_json(ctx.tx, username, role)


def get_collaborator(ctx: Ctx) -> Reply:
    """GET /datasets/{owner}/{name}/collaborators/{username}."""
    dataset, _ = _dataset(ctx, "read_collaborators")
    row = _collaborator(ctx, dataset)
    return 200, collaborator_json(ctx.tx, row["username"], row["role"])


def update_collaborator(ctx: Ctx) -> Reply:
    """PATCH /datasets/{owner}/{name}/collaborators/{username}."""
    dataset, _ = _dataset(ctx, "write_collaborators")
    row = _collaborator(ctx, dataset)
    values = validate(ctx.object_body(), {"role": Field(one_of(_ROLES))})
    role = values.get("role", row["role"])
    ctx.tx.run(
        "UPDATE collaborators SET role = ? WHERE dataset_id = ? AND username = ?",
        (role, dataset["id"], row["username"]),
    )
    return 200, collaborator_json(ctx.tx, row["username"], role)


def delete_collaborator(ctx: Ctx) -> Reply:
    """DELETE /datasets/{owner}/{name}/collaborators/{username}."""
    dataset, _ = _dataset(ctx, "write_collaborators")
    row = _collaborator(ctx, dataset)
    ctx.tx.run(
        "DELETE FROM collaborators WHERE dataset_id = ? AND username = ?",
        (dataset["id"], row["username"]),
    )
    return 204, None


# --- samples ----------------------------------------------------------------------------

_SAMPLE_SHAPES: dict[str, tuple[str, type]] = {
    "segmentation-bitmap": ("image", dict),
    "segmentation-bitmap-highres": ("image", dict),
    "bboxes": ("image", dict),
    "vector": ("image", dict),
    "keypoints": ("image", dict),
    "image-segmentation-sequence": ("frames", list),
    "image-vector-sequence": ("frames", list),
    "pointcloud-cuboid": ("pcd", dict),
    "pointcloud-segmentation": ("pcd", dict),
    "pointcloud-vector": ("pcd", dict),
    "pointcloud-cuboid-sequence": ("frames", list),
    "pointcloud-segmentation-sequence": ("frames", list),
    "pointcloud-vector-sequence": ("frames", list),
    "multisensor-sequence": ("sensors", list),
}


def _sample_attributes_for(task_type: str) -> Callable[[Any], dict[str, Any]]:
    """Build the converter that checks sample attributes against the task type (WIRE.md 5)."""
    key, kind = _SAMPLE_SHAPES.get(task_type, ("", dict))

    def convert(value: Any) -> dict[str, Any]:
        attributes = as_object(value)
        if key and not isinstance(attributes.get(key), kind):
            shape = "an object" if kind is dict else "a list"
            raise ValueError(f"A {task_type} sample needs '{key}' as {shape}.")
        return attributes

    return convert


def _sample_spec(task_type: str, *, partial: bool) -> dict[str, Field]:
    return {
        "name": Field(as_name, required=not partial),
        "attributes": Field(_sample_attributes_for(task_type), required=not partial),
        "metadata": Field(as_object, nullable=True),
        "priority": Field(as_number),
        "readme": Field(as_str, nullable=True),
        "assigned_labeler": Field(as_str, nullable=True),
        "assigned_reviewer": Field(as_str, nullable=True),
    }


def _check_assignees(tx: Tx, values: Mapping[str, Any]) -> None:
    for key in ("assigned_labeler", "assigned_reviewer"):
        username = values.get(key)
        if (
            username is not None
            and tx.one("SELECT 1 FROM users WHERE username = ?", (username,)) is None
        ):
            raise bad_request(key, f"User {username} not found.")


def _insert_sample(ctx: Ctx, dataset: sqlite3.Row, values: Mapping[str, Any]) -> sqlite3.Row:
    doc = {
        "attributes": values["attributes"],
        "metadata": values.get("metadata") or {},
        "priority": values.get("priority", 0.0),
        "readme": values.get("readme") or "",
        "assigned_labeler": values.get("assigned_labeler"),
        "assigned_reviewer": values.get("assigned_reviewer"),
        "created_by": ctx.username,
    }
    now = now_iso()
    sample_uuid = str(uuid.uuid4())
    ctx.tx.insert(
        "samples",
        {
            "uuid": sample_uuid,
            "dataset_id": dataset["id"],
            "name": values["name"],
            "created_at": now,
            "updated_at": now,
            "doc": dump(doc),
        },
    )
    row = _sample_row(ctx.tx, sample_uuid)
    assert row is not None
    return row


def add_sample(ctx: Ctx) -> Reply:
    """POST /datasets/{owner}/{name}/samples/: a taken name is an AlreadyExists 400."""
    dataset, _ = _dataset(ctx, "write_samples")
    values = validate(ctx.object_body(), _sample_spec(_task_type(dataset), partial=False))
    _check_assignees(ctx.tx, values)
    if ctx.tx.one(
        "SELECT 1 FROM samples WHERE dataset_id = ? AND name = ?", (dataset["id"], values["name"])
    ):
        raise duplicate("Sample")
    row = _insert_sample(ctx, dataset, values)
    return 201, sample_json(row, full_name(dataset))


def add_samples(ctx: Ctx) -> Reply:
    """POST /datasets/{owner}/{name}/samples_bulk/: existing names come back unchanged."""
    dataset, _ = _dataset(ctx, "write_samples")
    items = ctx.json()
    if not isinstance(items, list):
        raise ApiError(400, {"non_field_errors": ['Expected a list of items but got type "dict".']})
    spec = _sample_spec(_task_type(dataset), partial=False)
    errors: list[dict[str, Any]] = []
    cleaned: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            errors.append({"non_field_errors": ["Invalid data. Expected a dictionary."]})
            continue
        try:
            cleaned.append(validate(item, spec))
            errors.append({})
        except ApiError as error:
            errors.append(error.body)
    if any(errors):
        raise ApiError(400, errors)
    name = full_name(dataset)
    out = []
    for values in cleaned:
        _check_assignees(ctx.tx, values)
        row = ctx.tx.one(
            "SELECT * FROM samples WHERE dataset_id = ? AND name = ?",
            (dataset["id"], values["name"]),
        )
        if row is None:
            row = _insert_sample(ctx, dataset, values)
        out.append(sample_json(row, name))
    return 201, out


def _metadata_matches(value: Any, wanted: str) -> bool:
    if isinstance(value, bool):
        return wanted.lower() == str(value).lower()
    if isinstance(value, (int, float)):
        try:
            return float(wanted) == value
        except ValueError:
            return False
    return str(value) == wanted


_SAMPLE_SORTS: dict[str, Callable[[sqlite3.Row, dict[str, Any], Optional[sqlite3.Row]], Any]] = {
    "name": lambda row, doc, label: row["name"],
    "created_at": lambda row, doc, label: row["created_at"],
    "created": lambda row, doc, label: row["created_at"],
    "updated_at": lambda row, doc, label: row["updated_at"],
    "priority": lambda row, doc, label: float(doc.get("priority") or 0),
    "gt_label__updated_at": lambda row, doc, label: (
        load(label["doc"]).get("updated_at", "") if label is not None else ""
    ),
}


def list_samples(ctx: Ctx) -> Reply:
    """GET /datasets/{owner}/{name}/samples/ with the filters of WIRE.md 3.4."""
    dataset, _ = _dataset(ctx, "read")
    query = ctx.query
    tx = ctx.tx
    labelset_param = query.get("labelset") or None
    labelset = labelset_param or GROUND_TRUTH
    if labelset_param is not None and not _labelset_exists(tx, dataset["id"], labelset):
        raise bad_request("labelset", f"Labelset {labelset} does not exist.")
    statuses: Optional[set[str]] = None
    if query.get("label_status"):
        statuses = set()
        for status in query["label_status"].split(","):
            status = status.strip().upper()
            if status not in LabelStatus.values():
                raise bad_request("label_status", f'"{status}" is not a valid choice.')
            statuses.add(status)
    filters: list[tuple[str, str]] = []
    if query.get("filters"):
        for pair in query["filters"].split(","):
            key, colon, value = pair.partition(":")
            if not colon or not key:
                raise bad_request("filters", f'Expected key:value pairs, got "{pair}".')
            filters.append((key, value))
    sort = query.get("sort", "name")
    descending = sort.startswith("-")
    sort_key = _SAMPLE_SORTS.get(sort.lstrip("-"))
    if sort_key is None:
        raise bad_request(
            "sort", f'"{sort}" is not a valid choice; use one of {sorted(_SAMPLE_SORTS)}.'
        )
    contains = query.get("name__contains")

    labels = {
        row["sample_uuid"]: row
        for row in tx.all(
            "SELECT * FROM labels WHERE dataset_id = ? AND labelset = ?", (dataset["id"], labelset)
        )
    }
    column = _SQL_SAMPLE_SORTS.get(sort.lstrip("-"))
    if column is not None and not contains and not filters and statuses is None:
        # The plain listing: SQLite sorts and cuts the page, so a page costs O(page), not
        # a decode of every sample of the dataset (20 pages of 20,000 samples took
        # seconds each, hiding the clients' own costs in the benchmarks).
        page = paginate(_SampleRows(tx, dataset["id"], column, descending, labels), query)
        return 200, _sample_page_json(query, dataset, labelset_param, page)
    selected = []
    for row in tx.all("SELECT * FROM samples WHERE dataset_id = ? ORDER BY seq", (dataset["id"],)):
        if contains and contains not in row["name"]:
            continue
        doc = load(row["doc"])
        metadata = doc.get("metadata") or {}
        if any(
            key not in metadata or not _metadata_matches(metadata[key], value)
            for key, value in filters
        ):
            continue
        label = labels.get(row["uuid"])
        if statuses is not None:
            status = label["label_status"] if label is not None else "UNLABELED"
            if status not in statuses:
                continue
        selected.append((row, doc, label))
    # Stable sorts: ties keep creation order, whatever the direction.
    selected.sort(key=lambda item: sort_key(*item), reverse=descending)
    page = paginate(selected, query)
    return 200, _sample_page_json(query, dataset, labelset_param, page)


def _sample_page_json(
    query: Mapping[str, str],
    dataset: sqlite3.Row,
    labelset_param: Optional[str],
    page: list[tuple[sqlite3.Row, Any, Optional[sqlite3.Row]]],
) -> list[dict[str, Any]]:
    name = full_name(dataset)
    full = query.get("include_full_label") in ("1", "true", "True")
    task_type = _task_type(dataset)
    out = []
    for row, _doc, label in page:
        shaped = None
        if labelset_param is not None and label is not None:
            shaped = label_json(label, task_type) if full else label_summary_json(label)
        out.append(sample_json(row, name, shaped))
    return out


# Sorts on a column of the samples table (the others read the document or the label).
_SQL_SAMPLE_SORTS = {
    "name": "name",
    "created_at": "created_at",
    "created": "created_at",
    "updated_at": "updated_at",
}


class _SampleRows(Sequence[tuple[sqlite3.Row, Any, Optional[sqlite3.Row]]]):
    """A dataset's samples in a column's order, read from SQLite one slice at a time.

    Ties keep creation order in both directions, as the stable sort of the general path.
    """

    def __init__(
        self,
        tx: Tx,
        dataset_id: int,
        column: str,
        descending: bool,
        labels: Mapping[str, sqlite3.Row],
    ) -> None:
        self._tx = tx
        self._dataset_id = dataset_id
        self._order = f"{column} {'DESC' if descending else 'ASC'}, seq ASC"
        self._labels = labels

    def __len__(self) -> int:
        return int(
            self._tx.scalar(
                "SELECT COUNT(*) FROM samples WHERE dataset_id = ?", (self._dataset_id,)
            )
        )

    @overload
    def __getitem__(self, index: int) -> tuple[sqlite3.Row, Any, Optional[sqlite3.Row]]: ...

    @overload
    def __getitem__(
        self, index: slice
    ) -> Sequence[tuple[sqlite3.Row, Any, Optional[sqlite3.Row]]]: ...

    def __getitem__(self, index: Union[int, slice]) -> Any:
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop, step = index.indices(len(self))
        if step != 1:
            raise ValueError("only contiguous slices")
        rows = self._tx.all(
            f"SELECT * FROM samples WHERE dataset_id = ? ORDER BY {self._order} LIMIT ? OFFSET ?",
            (self._dataset_id, max(0, stop - start), start),
        )
        return [(row, None, self._labels.get(row["uuid"])) for row in rows]


def _sign_urls(value: Any) -> Any:
    """Fill the ``signed_url`` of every URL object; the emulator's URLs need no signature."""
    if isinstance(value, list):
        return [_sign_urls(item) for item in value]
    if not isinstance(value, dict):
        return value
    signed = {key: _sign_urls(item) for key, item in value.items()}
    if isinstance(signed.get("url"), str) and not signed.get("signed_url"):
        signed["signed_url"] = signed["url"]
    return signed


def get_sample(ctx: Ctx) -> Reply:
    """GET /samples/{uuid}/, with the full label of ``labelset`` when asked."""
    row, dataset = _sample(ctx, ctx.params["uuid"], "read")
    labelset = ctx.query.get("labelset")
    signed = ctx.query.get("include_signed_urls") in ("1", "true", "True")
    if labelset and "?" in labelset:
        # segments-ai sends "?labelset=x?include_signed_urls=1" when given both (WIRE.md 3.5).
        labelset, _, rest = labelset.partition("?")
        signed = signed or rest.replace(" ", "") in ("include_signed_urls=1",)
    label = None
    if labelset:
        label_row = _label_row(ctx.tx, row["uuid"], labelset)
        if label_row is not None:
            label = label_json(label_row, _task_type(dataset))
    body = sample_json(row, full_name(dataset), label)
    if signed:
        body["attributes"] = _sign_urls(body["attributes"])
    return 200, body


def update_sample(ctx: Ctx) -> Reply:
    """PATCH /samples/{uuid}/: set the given fields; ``null`` unassigns a labeler/reviewer."""
    row, dataset = _sample(ctx, ctx.params["uuid"], "write_samples")
    values = validate(ctx.object_body(), _sample_spec(_task_type(dataset), partial=True))
    _check_assignees(ctx.tx, values)
    name = values.pop("name", row["name"])
    if name != row["name"] and ctx.tx.one(
        "SELECT 1 FROM samples WHERE dataset_id = ? AND name = ?", (dataset["id"], name)
    ):
        raise duplicate("Sample")
    doc = load(row["doc"])
    for key, value in values.items():
        if key == "metadata":
            value = value or {}
        elif key == "readme":
            value = value or ""
        doc[key] = value
    ctx.tx.run(
        "UPDATE samples SET name = ?, doc = ?, updated_at = ? WHERE uuid = ?",
        (name, dump(doc), now_iso(), row["uuid"]),
    )
    updated = _sample_row(ctx.tx, row["uuid"])
    assert updated is not None
    return 200, sample_json(updated, full_name(dataset))


def delete_sample(ctx: Ctx) -> Reply:
    """DELETE /samples/{uuid}/."""
    row, _ = _sample(ctx, ctx.params["uuid"], "write_samples")
    ctx.tx.run("DELETE FROM samples WHERE uuid = ?", (row["uuid"],))
    return 204, None


def delete_samples(ctx: Ctx) -> Reply:
    """DELETE /datasets/{owner}/{name}/samples_bulk/: unknown uuids are skipped (max 1000)."""
    dataset, _ = _dataset(ctx, "write_samples")
    values = validate(ctx.object_body(), {"uuids": Field(as_list, required=True)})
    uuids = values["uuids"]
    if not uuids:
        raise bad_request("uuids", "This list may not be empty.")
    if len(uuids) > 1000:
        raise bad_request("uuids", "Ensure this field has no more than 1000 elements.")
    if not all(isinstance(item, str) for item in uuids):
        raise bad_request("uuids", "Every item must be a string.")
    deleted = 0
    for sample_uuid in dict.fromkeys(uuids):
        deleted += ctx.tx.run(
            "DELETE FROM samples WHERE uuid = ? AND dataset_id = ?", (sample_uuid, dataset["id"])
        )
    return 200, {"deleted_count": deleted}


# --- labels -----------------------------------------------------------------------------

_WRITABLE_STATUSES = [status for status in LabelStatus.values() if status != "UNLABELED"]
_REVIEW_STATUSES = {"REVIEWED", "REJECTED", "VERIFIED", "REVIEWING_IN_PROGRESS"}


def _label_attributes(value: Any) -> dict[str, Any]:
    attributes = as_object(value)
    for key in ("annotations", "frames", "sensors"):
        if key in attributes and not isinstance(attributes[key], list):
            raise ValueError(f"'{key}' must be a list.")
    return attributes


def _label_spec(*, partial: bool) -> dict[str, Field]:
    return {
        "label_status": Field(one_of(_WRITABLE_STATUSES)),
        "attributes": Field(_label_attributes, required=not partial),
        "score": Field(as_number, nullable=True),
        "rating": Field(as_number, nullable=True),
    }


def _label_target(ctx: Ctx, action: str) -> tuple[sqlite3.Row, sqlite3.Row, str]:
    sample, dataset = _sample(ctx, ctx.params["uuid"], action)
    labelset = ctx.params["labelset"]
    if not _labelset_exists(ctx.tx, dataset["id"], labelset):
        raise not_found()
    return sample, dataset, labelset


def _write_label(ctx: Ctx, *, replace: bool) -> Reply:
    sample, dataset, labelset = _label_target(ctx, "write_labels")
    values = validate(ctx.object_body(), _label_spec(partial=not replace))
    existing = _label_row(ctx.tx, sample["uuid"], labelset)
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
            previous = load(existing["doc"])
            doc["created_at"] = previous["created_at"]
            doc["created_by"] = previous["created_by"]
        status = values.get("label_status", "PRELABELED")
    else:
        doc = load(existing["doc"])
        status = values.get("label_status", existing["label_status"])
    for key in ("attributes", "score", "rating"):
        if key in values:
            doc[key] = values[key]
    doc["updated_at"] = now
    doc["updated_by"] = ctx.username
    if "label_status" in values and status in _REVIEW_STATUSES:
        doc["reviewed_at"] = now
        doc["reviewed_by"] = ctx.username
    ctx.tx.run(
        "INSERT INTO labels (sample_uuid, labelset, dataset_id, label_status, doc)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (sample_uuid, labelset)"
        " DO UPDATE SET label_status = excluded.label_status, doc = excluded.doc",
        (sample["uuid"], labelset, dataset["id"], status, dump(doc)),
    )
    _record_workunit(ctx, dataset, sample, status)
    row = _label_row(ctx.tx, sample["uuid"], labelset)
    assert row is not None
    return (201 if replace else 200), label_json(row, _task_type(dataset))


def _record_workunit(ctx: Ctx, dataset: sqlite3.Row, sample: sqlite3.Row, status: str) -> None:
    """Record one workunit per label write, by the writing user (WIRE.md 4 Workunit)."""
    ctx.tx.insert(
        "workunits",
        {
            "uuid": str(uuid.uuid4()),
            "dataset_id": dataset["id"],
            "created_at": now_iso(),
            "doc": dump(
                {
                    "created_by": ctx.username,
                    "work_type": "reviewing" if status in _REVIEW_STATUSES else "labeling",
                    "next_label_status": status,
                    "time": 0,
                    "inactive_time": 0,
                    "sample_uuid": sample["uuid"],
                    "sample_name": sample["name"],
                    "label_rating": None,
                }
            ),
        },
    )


def get_label(ctx: Ctx) -> Reply:
    """GET /labels/{uuid}/{labelset}/: 404 when the sample is unlabeled there."""
    sample, dataset, labelset = _label_target(ctx, "read")
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
    sample, _, labelset = _label_target(ctx, "write_labels")
    if not ctx.tx.run(
        "DELETE FROM labels WHERE sample_uuid = ? AND labelset = ?", (sample["uuid"], labelset)
    ):
        raise not_found()
    return 204, None


# --- labelsets --------------------------------------------------------------------------


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
    row = ctx.tx.one(
        "SELECT * FROM labelsets WHERE dataset_id = ? AND name = ?",
        (dataset["id"], ctx.params["labelset"]),
    )
    if row is None:
        raise not_found()
    return row


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


# --- issues -----------------------------------------------------------------------------

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
    if row is None:
        raise not_found()
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
    row = ctx.tx.one("SELECT * FROM issues WHERE uuid = ?", (ctx.params["uuid"],))
    if row is None:
        raise not_found()
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


# --- releases ---------------------------------------------------------------------------


def _python_timestamp(iso: str) -> str:
    # The release file shows Python's str(datetime) form (WIRE.md 13.3).
    moment = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return str(moment)


def _release_file(
    tx: Tx, dataset: sqlite3.Row, name: str, description: str, created_at: str
) -> tuple[bytes, int]:
    """Snapshot a dataset as the release file of WIRE.md 13.3; return it and its sample count."""
    doc = load(dataset["doc"])
    task_type = doc["task_type"]
    labelsets = tx.all("SELECT * FROM labelsets WHERE dataset_id = ? ORDER BY id", (dataset["id"],))
    labels: dict[str, dict[str, Any]] = {}
    for row in tx.all("SELECT * FROM labels WHERE dataset_id = ?", (dataset["id"],)):
        labels.setdefault(row["sample_uuid"], {})[row["labelset"]] = label_json(row, task_type)
    samples = []
    for row in tx.all("SELECT * FROM samples WHERE dataset_id = ? ORDER BY seq", (dataset["id"],)):
        sample_doc = load(row["doc"])
        by_labelset = labels.get(row["uuid"], {})
        samples.append(
            {
                "uuid": row["uuid"],
                "name": row["name"],
                "attributes": sample_doc["attributes"],
                "metadata": sample_doc.get("metadata") or {},
                "created_at": row["created_at"],
                "created_by": sample_doc.get("created_by"),
                "priority": sample_doc.get("priority", 0),
                "labels": {ls["name"]: by_labelset.get(ls["name"]) for ls in labelsets},
            }
        )
    content = {
        "name": name,
        "description": description,
        "created_at": _python_timestamp(created_at),
        "dataset": {
            "name": dataset["name"],
            "owner": dataset["owner"],
            "created_at": dataset["created_at"],
            "task_type": task_type,
            "task_attributes": doc["task_attributes"],
            "labelsets": [
                {"name": ls["name"], "description": ls["description"]} for ls in labelsets
            ],
            "samples": samples,
        },
    }
    return json.dumps(content, ensure_ascii=False).encode("utf-8"), len(samples)


def _refresh_release(ctx: Ctx, row: sqlite3.Row) -> sqlite3.Row:
    """Finish a pending release whose build time has come (the lazy background build)."""
    if row["status"] != "PENDING" or time.time() < row["ready_at"]:
        return row
    ctx.tx.run("UPDATE releases SET status = outcome WHERE uuid = ?", (row["uuid"],))
    refreshed = ctx.tx.one("SELECT * FROM releases WHERE uuid = ?", (row["uuid"],))
    assert refreshed is not None
    return refreshed


def _release_row(ctx: Ctx, dataset: sqlite3.Row) -> sqlite3.Row:
    row = ctx.tx.one(
        "SELECT * FROM releases WHERE dataset_id = ? AND name = ?",
        (dataset["id"], ctx.params["release"]),
    )
    if row is None:
        raise not_found()
    return _refresh_release(ctx, row)


def list_releases(ctx: Ctx) -> Reply:
    """GET /datasets/{owner}/{name}/releases/."""
    dataset, _ = _dataset(ctx, "read")
    rows = ctx.tx.all("SELECT * FROM releases WHERE dataset_id = ? ORDER BY seq", (dataset["id"],))
    return 200, [release_json(_refresh_release(ctx, row), ctx.base_url) for row in rows]


def get_release(ctx: Ctx) -> Reply:
    """GET /datasets/{owner}/{name}/releases/{release}/."""
    dataset, _ = _dataset(ctx, "read")
    return 200, release_json(_release_row(ctx, dataset), ctx.base_url)


def add_release(ctx: Ctx) -> Reply:
    """POST /datasets/{owner}/{name}/releases/: answered PENDING with no URL (WIRE.md 13.1).

    The snapshot is taken now; the release turns SUCCEEDED (or FAILED for point-cloud
    segmentation) on the first read after the emulator's ``release_delay``.
    """
    dataset, _ = _dataset(ctx, "write_releases")
    values = validate(
        ctx.object_body(),
        {"name": Field(as_name, required=True), "description": Field(as_str, nullable=True)},
    )
    if ctx.tx.one(
        "SELECT 1 FROM releases WHERE dataset_id = ? AND name = ?", (dataset["id"], values["name"])
    ):
        raise duplicate("Release")
    description = values.get("description") or ""
    created_at = now_iso()
    content, samples_count = _release_file(ctx.tx, dataset, values["name"], description, created_at)
    failed = _task_type(dataset) in _RELEASE_UNSUPPORTED
    release_uuid = str(uuid.uuid4())
    ctx.tx.insert(
        "releases",
        {
            "uuid": release_uuid,
            "dataset_id": dataset["id"],
            "name": values["name"],
            "status": "PENDING",
            "outcome": "FAILED" if failed else "SUCCEEDED",
            "ready_at": time.time() + ctx.emulator.release_delay,
            "doc": dump(
                {
                    "description": description,
                    "created_at": created_at,
                    "samples_count": samples_count,
                }
            ),
            "content": None if failed else content,
        },
    )
    ctx.params["release"] = values["name"]
    row = ctx.tx.one("SELECT * FROM releases WHERE uuid = ?", (release_uuid,))
    assert row is not None
    return 201, release_json(row, ctx.base_url)


def delete_release(ctx: Ctx) -> Reply:
    """DELETE /datasets/{owner}/{name}/releases/{release}/."""
    dataset, _ = _dataset(ctx, "write_releases")
    row = _release_row(ctx, dataset)
    ctx.tx.run("DELETE FROM releases WHERE uuid = ?", (row["uuid"],))
    return 204, None


def release_file(ctx: Ctx) -> Reply:
    """GET /_emulator/releases/{uuid}.json: the release file, public like a presigned URL."""
    release_uuid = ctx.params["file"]
    if release_uuid.endswith(".json"):
        release_uuid = release_uuid[: -len(".json")]
    row = ctx.tx.one("SELECT * FROM releases WHERE uuid = ?", (release_uuid,))
    if row is None:
        raise not_found()
    row = _refresh_release(ctx, row)
    if row["status"] != "SUCCEEDED" or row["content"] is None:
        raise not_found()
    return Response(bytes(row["content"]), status=200, content_type="application/json")


# --- workunits --------------------------------------------------------------------------


def _moment(field: str, text: str) -> datetime:
    text = text.strip().replace("Z", "+00:00")
    # A raw "+01:00" offset arrives as " 01:00", since '+' means a space in a query string.
    candidates = [text]
    if len(text) > 19 and text[19] == " ":
        candidates.append(f"{text[:19]}+{text[20:]}")
    for candidate in candidates:
        try:
            moment = datetime.fromisoformat(candidate)
            break
        except ValueError:
            continue
    else:
        raise bad_request(field, "Datetime has wrong format. Use YYYY-MM-DDTHH:MM:SS.")
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def list_workunits(ctx: Ctx) -> Reply:
    """GET /datasets/{owner}/{name}/workunits/ (WIRE.md 3.8), newest first by default."""
    dataset, _ = _dataset(ctx, "read")
    query = ctx.query
    sort = query.get("sort", "-created_at")
    if sort.lstrip("-") != "created_at":
        raise bad_request("sort", f'"{sort}" is not a valid choice; use created_at.')
    start = _moment("start", query["start"]) if query.get("start") else None
    end = _moment("end", query["end"]) if query.get("end") else None
    rows = ctx.tx.all("SELECT * FROM workunits WHERE dataset_id = ? ORDER BY seq", (dataset["id"],))
    selected = []
    for row in rows:
        created = _moment("created_at", row["created_at"])
        if (start is not None and created < start) or (end is not None and created > end):
            continue
        selected.append(row)
    if sort.startswith("-"):
        selected.reverse()
    with_metrics = query.get("include_session_time_metrics") in ("1", "true", "True")
    return 200, [workunit_json(row, with_metrics) for row in paginate(selected, query)]


# --- assets -----------------------------------------------------------------------------

#: The eight presigned fields segments-ai requires and forwards (WIRE.md 4 AWSFields).
AWS_FIELDS = (
    "acl",
    "Content-Type",
    "key",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "policy",
    "x-amz-signature",
)


def content_type_for(filename: str) -> str:
    """Guess a content type from a file name's extension."""
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


def add_asset(ctx: Ctx) -> Reply:
    """POST /assets/: issue a presigned upload to the emulator's own object store."""
    values = validate(ctx.object_body(), {"filename": Field(as_name, required=True)})
    filename = values["filename"]
    asset_uuid = str(uuid.uuid4())
    extension = os.path.splitext(filename)[1].lower()
    key = f"assets/{ctx.username}/{asset_uuid}{extension}"
    content_type = content_type_for(filename)
    moment = datetime.now(timezone.utc)
    amz_date = moment.strftime("%Y%m%dT%H%M%SZ")
    policy_doc = {
        "expiration": (moment + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "conditions": [
            {"bucket": "segments-emulator"},
            {"key": key},
            {"acl": "public-read"},
            {"Content-Type": content_type},
        ],
    }
    policy = base64.b64encode(json.dumps(policy_doc).encode()).decode()
    signature = hmac.new(ctx.emulator.signing_secret, policy.encode(), hashlib.sha256).hexdigest()
    fields = {
        "acl": "public-read",
        "Content-Type": content_type,
        "key": key,
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": f"EMULATORACCESSKEY/{amz_date[:8]}/us-east-1/s3/aws4_request",
        "x-amz-date": amz_date,
        "policy": policy,
        "x-amz-signature": signature,
        # Like real S3 with STS credentials; segments-ai drops it (WIRE.md 12), so it is
        # checked only when submitted.
        "x-amz-security-token": base64.b64encode(os.urandom(24)).decode(),
    }
    created_at = now_iso()
    ctx.tx.insert(
        "assets",
        {
            "key": key,
            "uuid": asset_uuid,
            "owner": ctx.username,
            "filename": filename,
            "content_type": content_type,
            "fields": dump(fields),
            "created_at": created_at,
            "content": None,
        },
    )
    return 201, {
        "uuid": asset_uuid,
        "filename": filename,
        "url": f"{ctx.base_url}_emulator/s3/{key}",
        "created_at": created_at,
        "presignedPostFields": {"url": f"{ctx.base_url}_emulator/s3/", "fields": fields},
    }


def upload_object(ctx: Ctx) -> Reply:
    """POST /_emulator/s3/: the presigned multipart upload; no auth, 204 like S3."""
    form = ctx.request.form
    key = form.get("key")
    row = ctx.tx.one("SELECT * FROM assets WHERE key = ?", (key,)) if key else None
    if row is None:
        raise ApiError(403, {"detail": "Invalid according to Policy: unknown key."})
    issued = load(row["fields"])
    for name in AWS_FIELDS:
        if form.get(name) != issued[name]:
            raise ApiError(
                403, {"detail": f"Invalid according to Policy: Policy Condition failed: {name}"}
            )
    token = form.get("x-amz-security-token")
    if token is not None and token != issued["x-amz-security-token"]:
        raise ApiError(403, {"detail": "The provided token is malformed or otherwise invalid."})
    upload = ctx.request.files.get("file")
    if upload is None:
        raise bad_request("file", "No file was submitted.")
    ctx.tx.run("UPDATE assets SET content = ? WHERE key = ?", (upload.read(), key))
    return 204, None


def get_object(ctx: Ctx) -> Reply:
    """GET /_emulator/s3/{key}: an uploaded asset, public, with its content type."""
    row = ctx.tx.one("SELECT * FROM assets WHERE key = ?", (ctx.params["key"],))
    if row is None or row["content"] is None:
        raise not_found()
    return Response(bytes(row["content"]), status=200, content_type=row["content_type"])
