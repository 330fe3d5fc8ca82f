"""A ~/.netrc entry for the API's host never replaces the API key (requests would)."""

from __future__ import annotations

from pathlib import Path

import pytest
from http_fakes import SECRET_KEY
from orm_fakes import FakeApi

from segments_orm import Client


def test_a_netrc_entry_for_the_api_host_does_not_replace_the_key(
    api: FakeApi, client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = client.api_url.root.host
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine {host} login someone password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    api.on("GET", "user", {"username": "jane"})
    client.users.me()
    (call,) = api.calls
    assert call.headers["Authorization"] == f"APIKey {SECRET_KEY}"
