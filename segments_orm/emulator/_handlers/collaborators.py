"""The collaborator handlers of a dataset."""

from __future__ import annotations

import sqlite3

from segments_orm.emulator._handlers._common import Reply, _dataset, _in_dataset
from segments_orm.emulator._http import (
    ApiError,
    Ctx,
    Field,
    as_name,
    bad_request,
    one_of,
    validate,
)
from segments_orm.emulator._store import now_iso
from segments_orm.emulator._views import (
    collaborator_json,
)
from segments_orm.enums import Role

_ROLES = Role.values()


def _collaborator(ctx: Ctx, dataset: sqlite3.Row) -> sqlite3.Row:
    return _in_dataset(ctx, dataset, "collaborators", "username", "username")


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
