"""The tapes themselves: no secret is ever written, and replay refuses unknown requests."""

from __future__ import annotations

import gzip
import json
import re

import pytest
import yaml
from cassette_support import (
    CASSETTES,
    REDACTED,
    before_record_request,
    before_record_response,
    json_body_matcher,
)
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.request import Request

# The emulator's keys are 40 hex digits (secrets.token_hex(20)); real keys are long tokens.
KEY_PATTERN = re.compile(rb"(?<![0-9a-fA-F])[0-9a-f]{40}(?![0-9a-fA-F])")
_CREDENTIALS = rb"(x-amz-signature|x-amz-security-token|x-amz-credential|policy)"
FORBIDDEN = [
    re.compile(rb"APIKey "),
    # Presigned upload credentials, in JSON answers and in the multipart upload itself.
    re.compile(rb'"' + _CREDENTIALS + rb'": "(?!<REDACTED>)'),
    re.compile(rb'name="' + _CREDENTIALS + rb'"\r\n\r\n(?!<REDACTED>)'),
]


def tapes() -> list:
    return sorted(CASSETTES.glob("*"))


def test_there_are_cassettes_to_replay() -> None:
    assert len([p for p in tapes() if p.suffix == ".yaml"]) >= 4


@pytest.mark.parametrize("path", tapes(), ids=lambda p: p.name)
def test_no_secret_is_recorded(path) -> None:
    raw = path.read_bytes()
    texts = [raw]
    # Bodies that are not UTF-8 are stored as base64 (!!binary): scan them decoded too.
    for interaction in yaml.safe_load(raw).get("interactions", []):
        request, response = interaction["request"], interaction["response"]
        names = {name.lower() for name in request.get("headers", {})}
        assert "authorization" not in names
        assert "cookie" not in names
        assert "set-cookie" not in {n.lower() for n in response.get("headers", {})}
        for body in (request.get("body"), response.get("body", {}).get("string")):
            if isinstance(body, bytes):
                texts.append(body)
            elif isinstance(body, str):
                texts.append(body.encode())
    for text in texts:
        assert not KEY_PATTERN.search(text), f"an API-key-like value in {path.name}"
        for pattern in FORBIDDEN:
            assert not pattern.search(text), f"{pattern.pattern!r} in {path.name}"


def test_a_request_not_on_tape_fails(cassette) -> None:
    client = cassette.client
    assert client.users.me().username  # the only request on this tape
    if cassette.recording:
        return
    with pytest.raises(CannotOverwriteExistingCassetteException):
        client.datasets.get("nobody/never-recorded")


# -- the matcher and the scrubbers ---------------------------------------------------------

UUID_A = "863120b0-bb3a-40c8-a3e5-9b5985e5e353"
UUID_B = "d65ae86a-8329-443f-8345-588dba4ec8c2"


def request(body, *, gzipped: bool = False, path: str = "/x/") -> Request:
    raw = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": "application/json"}
    if gzipped:
        raw = gzip.compress(raw)
        headers["Content-Encoding"] = "gzip"
    return Request("POST", "http://127.0.0.1:1" + path, raw, headers)


def test_matcher_decodes_gzip_and_ignores_key_order() -> None:
    json_body_matcher(request({"a": 1, "b": [1, 2]}), request({"b": [1, 2], "a": 1}, gzipped=True))


def test_matcher_masks_server_generated_uuids_and_timestamps() -> None:
    recorded = request({"uuids": [UUID_A], "at": "2026-01-01T00:00:00.123Z"})
    live = request({"uuids": [UUID_B], "at": "2027-05-05T10:10:10Z"})
    json_body_matcher(recorded, live)


@pytest.mark.parametrize(
    "other", [{"name": "b.jpg"}, {"name": "a.jpg", "priority": 1}, None, [{"name": "a.jpg"}]]
)
def test_matcher_refuses_other_bodies(other) -> None:
    with pytest.raises(AssertionError):
        json_body_matcher(request({"name": "a.jpg"}), request(other))


def test_scrubbers_redact_the_key_and_key_like_values() -> None:
    key = "0123456789abcdef0123456789abcdef01234567"
    secrets = [key]
    answer = {
        "status": {"code": 201, "message": "CREATED"},
        "headers": {"Set-Cookie": ["session=1"], "Content-Type": ["application/json"]},
        "body": {
            "string": json.dumps(
                {"fields": {"x-amz-signature": "s1gn", "policy": "p0l1cy", "acl": "public-read"}}
            ).encode()
        },
    }
    scrubbed = before_record_response(secrets)(answer)
    text = scrubbed["body"]["string"].decode()
    assert "s1gn" not in text
    assert "p0l1cy" not in text
    assert "public-read" in text
    assert "Set-Cookie" not in scrubbed["headers"]
    upload = Request("POST", "http://h/up/", b"sig=s1gn&key=" + key.encode(), {})
    scrubbed_request = before_record_request(secrets)(upload)
    assert scrubbed_request.body == f"sig={REDACTED}&key={REDACTED}".encode()
