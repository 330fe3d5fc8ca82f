"""The asset upload form and the emulated object storage behind it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import mimetypes
import os
import uuid
from datetime import datetime, timedelta, timezone

from werkzeug.wrappers import Response

from segments_orm.emulator._handlers._common import Reply
from segments_orm.emulator._http import (
    ApiError,
    Ctx,
    Field,
    as_name,
    bad_request,
    not_found,
    validate,
)
from segments_orm.emulator._store import dump, load, now_iso

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


_EXPIRATION_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _policy_expired(policy: str) -> bool:
    """Whether a presigned policy's expiration has passed, as S3 checks at upload."""
    expiration = json.loads(base64.b64decode(policy))["expiration"]
    moment = datetime.strptime(expiration, _EXPIRATION_FORMAT).replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc) >= moment


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
    expires = moment + timedelta(seconds=ctx.emulator.signed_url_ttl)
    policy_doc = {
        "expiration": expires.strftime(_EXPIRATION_FORMAT),
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
    if _policy_expired(issued["policy"]):
        raise ApiError(403, {"detail": "Invalid according to Policy: Policy expired."})
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
