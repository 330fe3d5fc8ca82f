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

import os
import time
from collections.abc import Iterator

import pytest
import vcr
from cassette_support import (
    CASSETTES,
    before_record_request,
    before_record_response,
    json_body_matcher,
)

import segments_orm as so
from segments_orm import query as query_module

# Replays talk to a loopback port where nothing listens: a request that escaped vcrpy
# fails at once instead of reaching anything.
REPLAY_URL = "http://127.0.0.1:9/"
REPLAY_KEY = "replay-key-not-a-secret"


def _record_mode(config: pytest.Config) -> str:
    chosen = config.getoption("--record-mode", default=None)
    if chosen:
        return str(chosen)
    return "rewrite" if os.environ.get("SEGMENTS_RECORD") == "1" else "none"


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
            # vcrpy records what goes through requests: the emulator must be on HTTP.
            request.applymarker(pytest.mark.segments_backend("http"))
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
        before_record_request=before_record_request(secrets),
        before_record_response=before_record_response(secrets),
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
