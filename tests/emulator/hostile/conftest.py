"""A server in its own process per test module, so that an attack that crashes it fails the
test (instead of taking the pytest run down) and its memory can be read from /proc."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import pytest
import requests

SERVE = Path(__file__).with_name("_serve.py")

#: The server's peak resident memory may not pass this during any attack (it idles at ~50 MB;
#: before these bounds, one 4 KB gzip body took it to ~900 MB).
MAX_RSS_MB = 300


class HostileTarget:
    """The server process under attack, its control line, and a well-behaved client."""

    def __init__(self, **settings: Any) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SERVE), json.dumps(settings)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=os.getcwd(),
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        if not first:
            raise RuntimeError(f"the server did not start: {self.process.stderr.read()}")
        info = json.loads(first)
        self.url: str = info["url"]
        self.key: str = info["key"]
        self.pid: int = info["pid"]
        self.port = int(self.url.rstrip("/").rsplit(":", 1)[1])
        self.normal = requests.Session()
        self.normal.headers["Authorization"] = f"APIKey {self.key}"

    def command(self, line: str) -> Any:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def alive(self) -> bool:
        return self.process.poll() is None

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmHWM in /proc status")

    def normal_request_works(self, timeout: float = 1.0) -> None:
        """A normal client's request completes within ``timeout`` (a fresh connection)."""
        response = requests.get(
            f"{self.url}user", headers={"Authorization": f"APIKey {self.key}"}, timeout=timeout
        )
        assert response.status_code == 200, response.text

    def check_healthy(self) -> None:
        """The server is up, served no 500, and stayed under the memory bound."""
        assert self.alive(), f"the server died: exit {self.process.returncode}"
        self.normal_request_works()
        stats = self.command("stats")
        assert stats["internal_errors"] == 0, stats
        assert self.peak_rss_mb() < MAX_RSS_MB

    def stop(self) -> str:
        """Stop the server and return what it wrote on stderr."""
        if self.alive():
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.flush()
        try:
            _, err = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate(timeout=5)
        return err


def start_target(**settings: Any) -> HostileTarget:
    return HostileTarget(**settings)


@pytest.fixture(scope="module")
def target():
    server = start_target()
    yield server
    err = server.stop()
    # "no spurious log lines": attacks are the clients' business, not server warnings.
    assert "LOG" not in err, err


def json_answer(raw: bytes) -> Optional[tuple[int, dict]]:
    """Parse a raw HTTP answer into (status, JSON body); None when the server closed."""
    if not raw:
        return None
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"content-type: application/json" in head.lower(), raw[:400]
    return status, json.loads(body)
