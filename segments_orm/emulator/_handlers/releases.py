"""The release handlers and the signed release file."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import time
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Response

from segments_orm.emulator._handlers._common import (
    Reply,
    _dataset,
    _dataset_by_id,
    _found,
    _in_dataset,
    _rank_on,
    _task_type,
)
from segments_orm.emulator._handlers.datasets import _RELEASE_UNSUPPORTED
from segments_orm.emulator._http import (
    ApiError,
    Ctx,
    Field,
    as_name,
    as_str,
    duplicate,
    not_found,
    validate,
)
from segments_orm.emulator._store import Tx, dump, load, now_iso
from segments_orm.emulator._views import (
    label_json,
    release_json,
)

#: Seconds a signed URL stays valid by default (`Emulator.signed_url_ttl`), as S3's default.
SIGNED_URL_TTL = 3600.0


def _signature(secret: bytes, release_uuid: str, user: str, expires: str) -> str:
    message = f"{release_uuid}\n{user}\n{expires}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _release_json(ctx: Ctx, row: sqlite3.Row) -> dict[str, Any]:
    """Return a Release whose file URL is signed for the caller, with an expiry."""
    body = release_json(row, ctx.base_url)
    url = body["attributes"]["url"]
    if url is not None:
        expires = str(int(time.time() + ctx.emulator.signed_url_ttl))
        signature = _signature(ctx.emulator.signing_secret, row["uuid"], ctx.username, expires)
        body["attributes"]["url"] = (
            f"{url}?X-Emulator-User={quote(ctx.username, safe='')}&X-Emulator-Expires={expires}"
            f"&X-Emulator-Signature={signature}"
        )
    return body


def _check_signed(ctx: Ctx, row: sqlite3.Row) -> None:
    """Refuse a release file URL that is unsigned, forged, expired, or whose user lost access.

    As S3 answers a presigned URL: 403 with the reason; the emulator's bodies are JSON.
    """
    query = ctx.query
    user = query.get("X-Emulator-User", "")
    expires = query.get("X-Emulator-Expires", "")
    given = query.get("X-Emulator-Signature", "")
    wanted = _signature(ctx.emulator.signing_secret, row["uuid"], user, expires)
    if not (user and expires and hmac.compare_digest(given, wanted)):
        raise ApiError(403, {"detail": "Access Denied: the signature does not match."})
    if not expires.isdigit() or time.time() >= int(expires):
        raise ApiError(403, {"detail": "Access Denied: Request has expired."})
    rank, _ = _rank_on(ctx.tx, _dataset_by_id(ctx.tx, row["dataset_id"]), user)
    if rank is None:
        raise ApiError(
            403, {"detail": "Access Denied: the URL's user can no longer read the dataset."}
        )


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
    return _refresh_release(ctx, _in_dataset(ctx, dataset, "releases", "name", "release"))


def list_releases(ctx: Ctx) -> Reply:
    """GET /datasets/{owner}/{name}/releases/."""
    dataset, _ = _dataset(ctx, "read")
    rows = ctx.tx.all("SELECT * FROM releases WHERE dataset_id = ? ORDER BY seq", (dataset["id"],))
    return 200, [_release_json(ctx, _refresh_release(ctx, row)) for row in rows]


def get_release(ctx: Ctx) -> Reply:
    """GET /datasets/{owner}/{name}/releases/{release}/."""
    dataset, _ = _dataset(ctx, "read")
    return 200, _release_json(ctx, _release_row(ctx, dataset))


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
    return 201, _release_json(ctx, row)


def delete_release(ctx: Ctx) -> Reply:
    """DELETE /datasets/{owner}/{name}/releases/{release}/."""
    dataset, _ = _dataset(ctx, "write_releases")
    row = _release_row(ctx, dataset)
    ctx.tx.run("DELETE FROM releases WHERE uuid = ?", (row["uuid"],))
    return 204, None


def release_file(ctx: Ctx) -> Reply:
    """GET /_emulator/releases/{uuid}.json: the release file, by its signed URL only."""
    release_uuid = ctx.params["file"]
    if release_uuid.endswith(".json"):
        release_uuid = release_uuid[: -len(".json")]
    row = _refresh_release(
        ctx, _found(ctx.tx.one("SELECT * FROM releases WHERE uuid = ?", (release_uuid,)))
    )
    if row["status"] != "SUCCEEDED" or row["content"] is None:
        raise not_found()
    _check_signed(ctx, row)
    return Response(bytes(row["content"]), status=200, content_type="application/json")
