"""The requests backend reads the proxy and CA bundle variables once per origin.

requests reads them on every request (scanning the whole environment twice); the session
keeps what it read per scheme, host and port, and applies it as requests would.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests.utils

from segments_orm._requests_backend import RequestsBackend


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = requests.utils.get_environ_proxies

    def counted(url: str, no_proxy: Any = None) -> dict[str, str]:
        seen.append(url)
        return real(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.utils, "get_environ_proxies", counted)
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "storage.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/corporate-ca.pem")
    return seen


def settings(backend: RequestsBackend, url: str) -> Any:
    session = backend.session
    return session.merge_environment_settings(url, {}, True, None, None)


def test_the_environment_applies_as_requests_applies_it(reads):
    backend = RequestsBackend()
    try:
        api = settings(backend, "https://api.example/datasets/jane/flowers/")
        # requests passes NO_PROXY along as "no"; the adapter ignores it.
        assert api["proxies"] == {"https": "http://proxy.example:3128", "no": "storage.example"}
        assert api["verify"] == "/etc/corporate-ca.pem"
        assert api["stream"] is True
        assert "https" not in settings(backend, "https://storage.example/a.png")["proxies"]
        # requests' own session agrees on both.
        plain = requests.Session()
        for url in ("https://api.example/x/", "https://storage.example/a.png"):
            expected = plain.merge_environment_settings(url, {}, True, None, None)
            assert settings(backend, url) == expected
        plain.close()
    finally:
        backend.close()


def test_it_is_read_once_per_origin(reads):
    backend = RequestsBackend()
    try:
        for page in range(20):
            settings(backend, f"https://api.example/datasets/jane/flowers/samples/?page={page}")
        settings(backend, "https://storage.example/a.png")
        settings(backend, "https://storage.example/b.png")
        settings(backend, "https://api.example:8443/x/")
    finally:
        backend.close()
    assert [url.split("/")[2] for url in reads] == [
        "api.example",
        "storage.example",
        "api.example:8443",
    ]


def test_explicit_settings_win_and_trust_env_false_reads_nothing(reads):
    backend = RequestsBackend()
    try:
        session = backend.session
        given = session.merge_environment_settings(
            "https://api.example/x/", {"https": "http://mine:1"}, None, False, "client.pem"
        )
        assert given["proxies"]["https"] == "http://mine:1"
        assert (given["verify"], given["cert"], given["stream"]) == (False, "client.pem", False)
        plain = requests.Session()
        expected = plain.merge_environment_settings(
            "https://api.example/x/", {"https": "http://mine:1"}, None, False, "client.pem"
        )
        plain.close()
        assert given == expected
        session.trust_env = False
        reads.clear()
        assert settings(backend, "https://other.example/")["proxies"] == {}
        assert reads == []
    finally:
        backend.close()
