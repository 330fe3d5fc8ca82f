"""A busy connection watched by the poll: input that comes while its task runs waits for it.

The server's poll watches a connection whose task runs for input only as a sentinel (see
``_Channel``); what the client sends meanwhile is read after the answer, as waitress reads
it, and the worker then wakes the loop.
"""

from __future__ import annotations

import socket

import pytest

from segments_orm.emulator import EmulatorServer, Faults


def _answers(sock: socket.socket, count: int) -> list[bytes]:
    """Read ``count`` answers (status lines) off a keep-alive connection, bodies skipped."""
    stream = sock.makefile("rb")
    statuses = []
    for _ in range(count):
        statuses.append(stream.readline())
        length = 0
        while True:
            line = stream.readline()
            assert line, "the server hung up early"
            if line == b"\r\n":
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        assert len(stream.read(length)) == length
    return statuses


@pytest.fixture
def server():
    with EmulatorServer(faults=Faults(latency=0.05)) as served:
        yield served


def _head(server: EmulatorServer, path: str, extra: str = "") -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: APIKey {server.api_key}\r\n{extra}\r\n"
    ).encode()


def test_pipelined_requests_are_answered_in_order(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        # The second and third arrive while the first one's task holds its worker.
        sock.sendall(_head(server, "/user/") + _head(server, "/nothing/") + _head(server, "/user/"))
        statuses = _answers(sock, 3)
        assert [status.split()[1] for status in statuses] == [b"200", b"404", b"200"]
        # The connection stays usable, its next request read as before.
        sock.sendall(_head(server, "/user/"))
        assert _answers(sock, 1)[0].split()[1] == b"200"


def test_a_client_that_stops_sending_still_gets_its_answer(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(_head(server, "/user/"))
        sock.shutdown(socket.SHUT_WR)  # while the task runs: read after the answer
        assert _answers(sock, 1)[0].split()[1] == b"200"
        assert sock.recv(1) == b""  # then the server closes


def test_many_keep_alive_requests_of_one_client_are_all_answered(server):
    server.emulator.faults = Faults(latency=0.002)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        for _ in range(50):
            sock.sendall(_head(server, "/user/"))
            assert _answers(sock, 1)[0].split()[1] == b"200"
