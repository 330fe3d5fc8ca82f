"""The tapes themselves: no secret is ever written, and replay refuses unknown requests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from vcr.errors import CannotOverwriteExistingCassetteException

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
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
