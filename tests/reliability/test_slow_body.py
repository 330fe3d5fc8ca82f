"""A server that drips its answer cannot hold a call past the retry policy's budget.

The read timeout bounds each wait for data, so a server sending a few bytes a second
never trips it; the call's total budget (`RetryPolicy.total`) must still end the call.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

import segments_orm as so

# Ten pieces of 8 bytes, one every DRIP seconds: the whole body takes 1 s, far below the
# read timeout of each wait (2 s) and far above the budget of the first test (0.4 s).
DRIP = 0.1
BODY = b'{"username":"jane","created_at":"2024-01-01T00:00:00Z","is_organization":false}'


@pytest.fixture
def dripping_server() -> Iterator[str]:
    """Answer every request with headers at once, then the body 8 bytes every DRIP s."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                conn.sendall(head + b"Content-Length: %d\r\n\r\n" % len(BODY))
                for start in range(0, len(BODY), 8):
                    if stop.wait(DRIP):
                        return
                    try:
                        conn.sendall(BODY[start : start + 8])
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()


def test_a_dripping_answer_ends_in_timeout_error_within_the_budget(dripping_server: str) -> None:
    budget = 0.4
    client = so.Client(
        api_key="k" * 40,
        api_url=dripping_server,
        timeout=(2, 2),
        retry=so.RetryPolicy(max_attempts=1, total=budget),
    )
    started = time.monotonic()
    with pytest.raises(so.TimeoutError, match="time budget"):
        client.users.me()
    elapsed = time.monotonic() - started
    client.close()
    # The whole body needs 1 s; the budget plus one read wait (0.1 s) and slack is the bound.
    assert elapsed < budget + 2.5


def test_a_body_that_arrives_within_the_budget_is_read_whole(dripping_server: str) -> None:
    client = so.Client(
        api_key="k" * 40,
        api_url=dripping_server,
        timeout=(2, 2),
        retry=so.RetryPolicy(max_attempts=1, total=30),
    )
    assert client.users.me().username == "jane"
    client.close()
