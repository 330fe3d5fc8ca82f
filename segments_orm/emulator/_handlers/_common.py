"""The permission check and the row lookups every handler module shares."""

from __future__ import annotations

import functools
import sqlite3
from typing import Any, Optional, Union

from werkzeug.wrappers import Response

from segments_orm.emulator._http import (
    Ctx,
    forbidden,
    not_found,
)
from segments_orm.emulator._store import Tx, load

Reply = Union[tuple[int, Any], Response]

# --- permissions ------------------------------------------------------------------------

#: Ranks of access to a dataset; the permission matrix is in `segments_orm.emulator`'s docstring.
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
    # Who could publish the dataset: making it public, or cloning a private one (the clone
    # is its cloner's to publish), lets its data out of the owner's hands.
    "change_visibility": ADMIN,
    "clone_private": ADMIN,
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


#: Label statuses only a reviewer (or a manager and up) may set: a labeler's own work is
#: not theirs to approve.
REVIEW_STATUSES = frozenset({"REVIEWING_IN_PROGRESS", "REVIEWED", "REJECTED", "VERIFIED"})


def authorize_status(role: Optional[str], status: str) -> None:
    """Refuse a review status to a caller whose role on the dataset is ``labeler``."""
    if role == "labeler" and status in REVIEW_STATUSES:
        raise forbidden()


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


def _found(row: Optional[sqlite3.Row]) -> sqlite3.Row:
    """Return the row a lookup found; answer 404 when it found none."""
    if row is None:
        raise not_found()
    return row


def _dataset(ctx: Ctx, action: str) -> tuple[sqlite3.Row, Optional[str]]:
    """Find the dataset named by the route's ``owner``/``name`` and authorize ``action``."""
    sql = "SELECT * FROM datasets WHERE owner = ? AND name = ?"
    row = _found(ctx.tx.one(sql, (ctx.params["owner"], ctx.params["name"])))
    return row, authorize(ctx, row, action)


def _dataset_by_id(tx: Tx, dataset_id: int) -> sqlite3.Row:
    return _found(tx.one("SELECT * FROM datasets WHERE id = ?", (dataset_id,)))


def _in_dataset(ctx: Ctx, dataset: sqlite3.Row, table: str, key: str, param: str) -> sqlite3.Row:
    """Find the row of ``table`` in ``dataset`` whose ``key`` is the route's ``param``; or 404.

    The lookup of a dataset's collaborator, labelset or release by the last part of its
    URL. ``table`` and ``key`` are the handlers' own constants, never request data.
    """
    sql = f"SELECT * FROM {table} WHERE dataset_id = ? AND {key} = ?"
    return _found(ctx.tx.one(sql, (dataset["id"], ctx.params[param])))


def _sample(ctx: Ctx, sample_uuid: str, action: str) -> tuple[sqlite3.Row, sqlite3.Row]:
    """Find a sample by uuid and authorize ``action`` on its dataset."""
    row, dataset, _ = _sample_with_role(ctx, sample_uuid, action)
    return row, dataset


def _sample_with_role(
    ctx: Ctx, sample_uuid: str, action: str
) -> tuple[sqlite3.Row, sqlite3.Row, Optional[str]]:
    """Find a sample by uuid, authorize ``action`` on its dataset, and return the role too."""
    row = _found(_sample_row(ctx.tx, sample_uuid))
    dataset = _dataset_by_id(ctx.tx, row["dataset_id"])
    return row, dataset, authorize(ctx, dataset, action)


def _task_type(dataset: sqlite3.Row) -> str:
    doc: str = dataset["doc"]
    if len(doc) <= _TASK_TYPE_CACHE_DOC_CHARS:
        return _task_type_of(doc)
    return str(load(doc)["task_type"])


#: Dataset documents up to this many characters have their task type remembered (64 of
#: them at most, so at most 4 MiB held): a label write needs it, and parsing the document
#: to find it cost as much as checking the label.
_TASK_TYPE_CACHE_DOC_CHARS = 16 * 1024


@functools.lru_cache(maxsize=64)
def _task_type_of(doc: str) -> str:
    return str(load(doc)["task_type"])


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
