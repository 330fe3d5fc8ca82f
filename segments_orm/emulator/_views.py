"""The JSON shapes of WIRE.md section 4, built from store rows.

segments-ai validates responses strictly with pydantic, so every required field is always
present and the fields it forbids to be null (``metadata``,
``enable_object_link_category_restrictions``, ``enable_extrapolation``) never are.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Optional

from segments_orm.emulator._store import Tx, load

__all__ = [
    "collaborator_json",
    "dataset_json",
    "full_name",
    "issue_json",
    "label_doc_json",
    "label_doc_text",
    "label_json",
    "label_text",
    "labelset_json",
    "release_json",
    "sample_json",
    "sample_text",
    "user_json",
    "workunit_json",
]

#: The label statuses counted in a dataset's ``label_stats``.
LABEL_STATUSES = (
    "REVIEWED",
    "REVIEWING_IN_PROGRESS",
    "LABELED",
    "LABELING_IN_PROGRESS",
    "REJECTED",
    "PRELABELED",
    "SKIPPED",
    "VERIFIED",
)

GROUND_TRUTH = "ground-truth"


def full_name(dataset: sqlite3.Row) -> str:
    """Return ``owner/name`` for a dataset row."""
    return f"{dataset['owner']}/{dataset['name']}"


def _basic_user(row: sqlite3.Row, *, with_email: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "username": row["username"],
        "created_at": row["created_at"],
        "is_organization": bool(row["is_organization"]),
    }
    if with_email:
        out["email"] = row["email"]
    return out


def user_json(tx: Tx, row: sqlite3.Row, *, private: bool = False) -> dict[str, Any]:
    """Return a User; ``private`` adds what only the user themselves may see."""
    out = _basic_user(row, with_email=private or bool(row["is_organization"]))
    if row["is_organization"]:
        members = tx.all(
            "SELECT u.*, m.role FROM memberships m JOIN users u ON u.username = m.username"
            " WHERE m.org = ? ORDER BY u.username",
            (row["username"],),
        )
        out["members"] = [
            {**_basic_user(member, with_email=False), "organization_role": member["role"]}
            for member in members
        ]
    if private:
        organizations = tx.all(
            "SELECT u.*, m.role FROM memberships m JOIN users u ON u.username = m.org"
            " WHERE m.username = ? ORDER BY u.username",
            (row["username"],),
        )
        out.update(
            webhooks_enabled=False,
            private_upload_count=0,
            public_upload_count=0,
            subscription="FREE",
            is_trial_expired=False,
            organizations=[
                {**_basic_user(org, with_email=True), "organization_role": org["role"]}
                for org in organizations
            ],
        )
    return out


def owner_json(tx: Tx, username: str, viewer: Optional[str]) -> dict[str, Any]:
    """Return the Owner of a dataset, with a user's email only for that user.

    As ``/users/{u}`` does: a public dataset must not show its owner's email to strangers.
    An organization's email is its public contact, shown to everyone.
    """
    row = tx.one("SELECT * FROM users WHERE username = ?", (username,))
    if row is None:  # the owner was deleted behind the emulator's back; stay valid
        return {"username": username, "created_at": "1970-01-01T00:00:00.000000Z"}
    out = {"username": username, "created_at": row["created_at"]}
    if viewer == username or row["is_organization"]:
        out["email"] = row["email"]
    return out


def labelset_json(row: sqlite3.Row) -> dict[str, Any]:
    """Return a Labelset."""
    return {
        "name": row["name"],
        "description": row["description"],
        "is_groundtruth": bool(row["is_groundtruth"]),
        "created_at": row["created_at"],
    }


def label_stats(tx: Tx, dataset_id: int) -> dict[str, int]:
    """Count the dataset's samples by ground-truth label status."""
    total = int(tx.scalar("SELECT COUNT(*) FROM samples WHERE dataset_id = ?", (dataset_id,)))
    counts = dict.fromkeys(LABEL_STATUSES, 0)
    for row in tx.all(
        "SELECT label_status, COUNT(*) AS n FROM labels WHERE dataset_id = ? AND labelset = ?"
        " GROUP BY label_status",
        (dataset_id, GROUND_TRUTH),
    ):
        counts[row["label_status"]] = int(row["n"])
    stats = dict(counts)
    stats["UNLABELED"] = total - sum(counts.values())
    stats["TOTAL"] = total
    return stats


def dataset_json(
    tx: Tx, row: sqlite3.Row, role: Optional[str], *, viewer: Optional[str]
) -> dict[str, Any]:
    """Return a full Dataset (lists carry full objects too, WIRE.md 4) as ``viewer`` sees it."""
    doc = load(row["doc"])
    dataset_id = row["id"]
    labelsets = tx.all("SELECT * FROM labelsets WHERE dataset_id = ? ORDER BY id", (dataset_id,))
    stats = label_stats(tx, dataset_id)
    return {
        "name": row["name"],
        "full_name": full_name(row),
        "owner": owner_json(tx, row["owner"], viewer),
        "public": bool(row["public"]),
        "created_at": row["created_at"],
        **doc,
        "label_stats": stats,
        "samples_count": stats["TOTAL"],
        "collaborators_count": int(
            tx.scalar("SELECT COUNT(*) FROM collaborators WHERE dataset_id = ?", (dataset_id,))
        ),
        "labelsets": [labelset_json(labelset) for labelset in labelsets],
        "role": role,
    }


def label_json(row: sqlite3.Row, task_type: str) -> dict[str, Any]:
    """Return a full Label."""
    return label_doc_json(
        row["sample_uuid"], row["labelset"], row["label_status"], load(row["doc"]), task_type
    )


def label_doc_json(
    sample_uuid: str, labelset: str, status: str, doc: dict[str, Any], task_type: str
) -> dict[str, Any]:
    """Return a full Label from the columns and the document of its row."""
    return {
        "sample_uuid": sample_uuid,
        "label_type": task_type,
        "label_status": status,
        "labelset": labelset,
        **doc,
    }


def sample_json(
    row: sqlite3.Row, dataset_full_name: str, label: Optional[dict[str, Any]] = None
) -> dict[str, Any]:
    """Return a Sample, with ``label`` already shaped (full or summary) or None."""
    doc = load(row["doc"])
    return {
        "uuid": row["uuid"],
        "name": row["name"],
        **doc,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "label": label,
        "issues": None,
        "dataset_full_name": dataset_full_name,
    }


#: Renders the parts of an answer built around stored text, as the answer's encoder would.
_encode = json.JSONEncoder(ensure_ascii=False).encode


def _members(doc: str) -> Optional[str]:
    """Return the members of a stored document's JSON object as text, None if not an object.

    A ``doc`` column holds an object as `dump` wrote it: its members spliced after others
    parse as the dict merge ``{..., **doc}`` builds (a later duplicate key wins there too).
    """
    if doc[:1] != "{" or doc[-1:] != "}":
        return None
    return doc[1:-1]


def label_text(row: sqlite3.Row, task_type: str) -> str:
    """Return `label_json` of the row as JSON text, its document's text spliced in."""
    text = label_doc_text(
        row["sample_uuid"], row["labelset"], row["label_status"], row["doc"], task_type
    )
    return _encode(label_json(row, task_type)) if text is None else text


def label_doc_text(
    sample_uuid: str, labelset: str, status: str, doc: str, task_type: str
) -> Optional[str]:
    """Return `label_doc_json` as JSON text around a document's stored text.

    Returns:
        The text, or None when the document is not stored as a plain object.
    """
    members = _members(doc)
    if members is None:
        return None
    head = (
        f'{{"sample_uuid": {_encode(sample_uuid)}, "label_type": {_encode(task_type)},'
        f' "label_status": {_encode(status)}, "labelset": {_encode(labelset)}'
    )
    return f"{head}, {members}}}" if members else f"{head}}}"


def sample_text(row: sqlite3.Row, dataset_full_name_text: str, label_text: str) -> str:
    """Return `sample_json` as JSON text, the sample's document spliced in.

    Args:
        row: The sample's row.
        dataset_full_name_text: The dataset's full name, already JSON text.
        label_text: The shaped label (or ``null``), already JSON text.
    """
    members = _members(row["doc"])
    if members is None:
        label = json.loads(label_text)
        return _encode(sample_json(row, json.loads(dataset_full_name_text), label))
    middle = f" {members}," if members else ""
    return (
        f'{{"uuid": {_encode(row["uuid"])}, "name": {_encode(row["name"])},{middle}'
        f' "created_at": {_encode(row["created_at"])},'
        f' "updated_at": {_encode(row["updated_at"])}, "label": {label_text},'
        f' "issues": null, "dataset_full_name": {dataset_full_name_text}}}'
    )


def collaborator_json(tx: Tx, username: str, role: str) -> dict[str, Any]:
    """Return a Collaborator with its full nested User."""
    row = tx.one("SELECT * FROM users WHERE username = ?", (username,))
    if row is None:
        user: dict[str, Any] = {
            "username": username,
            "created_at": "1970-01-01T00:00:00.000000Z",
            "is_organization": False,
        }
    else:
        user = user_json(tx, row)
    return {"user": user, "role": role}


def issue_json(row: sqlite3.Row, sample_name: str) -> dict[str, Any]:
    """Return an Issue."""
    doc = load(row["doc"])
    return {
        "uuid": row["uuid"],
        **doc,
        "sample_uuid": row["sample_uuid"],
        "sample_name": sample_name,
    }


def release_json(row: sqlite3.Row, base_url: str) -> dict[str, Any]:
    """Return a Release; its URL exists only once it succeeded (WIRE.md 13.1)."""
    doc = load(row["doc"])
    url = (
        f"{base_url}_emulator/releases/{row['uuid']}.json" if row["status"] == "SUCCEEDED" else None
    )
    return {
        "uuid": row["uuid"],
        "name": row["name"],
        "description": doc["description"],
        "release_type": "JSON",
        "attributes": {"url": url},
        "status": row["status"],
        "created_at": doc["created_at"],
        "samples_count": doc["samples_count"],
    }


def workunit_json(row: sqlite3.Row, with_metrics: bool) -> dict[str, Any]:
    """Return a Workunit."""
    doc = load(row["doc"])
    out = {"uuid": row["uuid"], "created_at": row["created_at"], **doc}
    if with_metrics:
        out["session_time_metrics"] = {"active_time": doc["time"], "inactive_time": 0}
    return out
