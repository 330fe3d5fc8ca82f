"""Record and replay the ORM's HTTP traffic with vcrpy (see README.rst here).

By default every test replays ``cassettes/<test name>.yaml`` with ``record_mode="none"``:
a request that is not on tape fails the test, and no server runs at all. With
``SEGMENTS_RECORD=1`` (or ``--record-mode=rewrite`` when pytest is pointed at this
directory) each cassette is deleted and recorded again, against a fresh emulator, or
against the real service when ``SEGMENTS_API_KEY`` and ``SEGMENTS_API_URL`` are set.

Matching is on method, path, query and the decoded body, never on host or port (the
emulator's port changes each run). The scenarios are deterministic given the recorded
answers: every uuid a request carries comes from an earlier answer on the same tape.
Bodies are still compared with uuids and timestamps masked, so a re-recorded tape never
depends on which ids a server happened to generate.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest
import vcr

import segments_orm as so
from segments_orm import query as query_module

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
# Replays talk to a loopback port where nothing listens: a request that escaped vcrpy
# fails at once instead of reaching anything.
REPLAY_URL = "http://127.0.0.1:9/"
REPLAY_KEY = "replay-key-not-a-secret"
REDACTED = "<REDACTED>"

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")
_BOUNDARY = re.compile(r"boundary=([^;\s]+)")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-mode",
        choices=("none", "rewrite"),
        default=None,
        help="cassette tests: 'none' replays (default), 'rewrite' records them again",
    )


def _record_mode(config: pytest.Config) -> str:
    chosen = config.getoption("--record-mode", default=None)
    if chosen:
        return str(chosen)
    return "rewrite" if os.environ.get("SEGMENTS_RECORD") == "1" else "none"


# -- scrubbing and matching --------------------------------------------------------------


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


def _before_record_request(secrets: list[str]) -> Callable[[Any], Any]:
    def before(request: Any) -> Any:
        # Store gzipped JSON decoded, so the tapes are readable and diffable.
        body = _gunzip(request.body)
        if body is not request.body:
            request.headers.pop("Content-Encoding", None)
        request.body = _scrub(body, secrets)
        request.uri = _scrub(request.uri, secrets)
        return request

    return before


def _before_record_response(secrets: list[str]) -> Callable[[dict], dict]:
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


# -- fixtures ----------------------------------------------------------------------------


class Session:
    """What a cassette test gets: the client, and how to wait without slowing replays."""

    def __init__(self, client: so.Client, recording: bool) -> None:
        self.client = client
        self.recording = recording

    def sleep(self, seconds: float) -> None:
        # A replayed release answers from tape: waiting between polls gains nothing.
        if self.recording:
            time.sleep(seconds)


@pytest.fixture
def _no_prefetch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fetch pages one after the other, never a page ahead on a background thread.

    With look-ahead, a loop that stops early may or may not have fetched the next page by
    the time it stops, so one recording could hold a request that the next run does not
    send, or the other way round. Sequential paging makes every run send exactly the
    requests of the tape. The paging logic under test is the same either way.
    """
    defaults = dict(query_module.QuerySet.__init__.__kwdefaults__ or {})
    defaults["prefetch"] = False
    monkeypatch.setattr(query_module.QuerySet.__init__, "__kwdefaults__", defaults)


@pytest.fixture
def cassette(request: pytest.FixtureRequest, _no_prefetch: None) -> Iterator[Session]:
    """Give a client whose traffic replays (or records) ``cassettes/<test name>.yaml``."""
    mode = _record_mode(request.config)
    path = CASSETTES / f"{request.node.name}.yaml"
    recording = mode == "rewrite"
    server = None
    if recording:
        real_key = os.environ.get("SEGMENTS_API_KEY")
        real_url = os.environ.get("SEGMENTS_API_URL")
        if real_key and real_url:
            key, url = real_key, real_url
        else:
            server = request.getfixturevalue("segments_emulator")
            server.emulator.release_delay = 0.05
            key, url = server.api_key, server.url
        path.unlink(missing_ok=True)
    else:
        if not path.exists():
            pytest.fail(f"no cassette {path.name}: record it (see tests/cassette/README.rst)")
        key, url = REPLAY_KEY, REPLAY_URL
    secrets = [key]  # grows with the key-like values answers carry
    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="all" if recording else "none",
        match_on=["method", "path", "query", "json_body"],
        filter_headers=["authorization", "cookie"],
        before_record_request=_before_record_request(secrets),
        before_record_response=_before_record_response(secrets),
        decode_compressed_response=True,
    )
    recorder.register_matcher("json_body", json_body_matcher)
    # One worker: bulk calls send their batches in input order, like the tape.
    client = so.Client(api_key=key, api_url=url, max_workers=1)
    with recorder.use_cassette(path.name):
        try:
            yield Session(client, recording)
        finally:
            client.close()
    if server is not None:
        assert server.emulator.stats.internal_errors == 0


@pytest.fixture
def owner(cassette: Session) -> str:
    """The username whose datasets the scenario creates (from the tape when replaying)."""
    return str(cassette.client.users.me().username)
