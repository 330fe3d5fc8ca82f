"""Scrubbing and matching for the cassette tests (imported by ``conftest.py`` and tests)."""

from __future__ import annotations

import contextlib
import gzip
import json
import re
from pathlib import Path
from typing import Any, Callable

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
REDACTED = "<REDACTED>"

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
_BOUNDARY = re.compile(r"boundary=([^;\s]+)")


# --------------------------------------------------------------


def _gunzip(body: Any) -> Any:
    if isinstance(body, bytes) and body[:2] == b"\x1f\x8b":
        return gzip.decompress(body)
    return body


# JSON keys whose values are credentials: presigned upload fields, tokens, keys.
_KEY_LIKE = re.compile(r"signature|token|credential|policy|secret|password|api_?key", re.I)


def _collect_key_like(value: Any, found: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and item and _KEY_LIKE.search(str(key)):
                found.append(item)
            else:
                _collect_key_like(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_key_like(item, found)


def _scrub(text: Any, secrets: list[str]) -> Any:
    for secret in secrets:
        if isinstance(text, bytes):
            text = text.replace(secret.encode(), REDACTED.encode())
        elif isinstance(text, str):
            text = text.replace(secret, REDACTED)
    return text


def before_record_request(secrets: list[str]) -> Callable[[Any], Any]:
    def before(request: Any) -> Any:
        # Store gzipped JSON decoded, so the tapes are readable and diffable.
        body = _gunzip(request.body)
        if body is not request.body:
            request.headers.pop("Content-Encoding", None)
        request.body = _scrub(body, secrets)
        request.uri = _scrub(request.uri, secrets)
        return request

    return before


def before_record_response(secrets: list[str]) -> Callable[[dict], dict]:
    """Drop cookies and redact the API key and every key-like JSON value of answers.

    A redacted value is also added to ``secrets``, so the request that sends it back
    (the presigned upload's fields) is redacted the same way, and still matches.
    """

    def before(response: dict) -> dict:
        headers = response.get("headers", {})
        for name in list(headers):
            if name.lower() in ("set-cookie", "authorization"):
                del headers[name]
        body = response.get("body", {})
        text = body.get("string")
        if text:
            with contextlib.suppress(ValueError):
                _collect_key_like(json.loads(text), secrets)
            body["string"] = _scrub(text, secrets)
        return response

    return before


def _normalized_body(request: Any) -> Any:
    body = _gunzip(request.body)
    if body in (None, b"", ""):
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    content_type = request.headers.get("Content-Type", "") or ""
    if "multipart/form-data" in content_type:
        found = _BOUNDARY.search(content_type)
        if found:
            text = text.replace(found.group(1), "BOUNDARY")  # random per request
    try:
        value: Any = json.loads(text)
        text = json.dumps(value, sort_keys=True)
    except ValueError:
        pass
    text = _UUID.sub("<uuid>", text)
    return _TIMESTAMP.sub("<timestamp>", text)


def json_body_matcher(recorded: Any, live: Any) -> None:
    """Match bodies decoded (gzip, JSON key order), with uuids and timestamps masked."""
    assert _normalized_body(recorded) == _normalized_body(live)
