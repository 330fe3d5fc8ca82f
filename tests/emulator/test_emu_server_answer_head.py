"""The head of the server's answers: one Date of the current second, waitress's format."""

from __future__ import annotations

import email.utils
import socket
import time

from waitress.utilities import build_http_date

from segments_orm.emulator import EmulatorServer
from segments_orm.emulator._server import _http_date


def _raw_answer(url: str, request: bytes) -> bytes:
    host, port = url.split("//")[1].strip("/").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n\r\n", 1)[0]


def test_every_answer_has_one_date_of_its_second() -> None:
    with EmulatorServer() as server:
        heads = []
        for _ in range(3):
            before = int(time.time())
            head = _raw_answer(
                server.url, b"GET /api_status/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            heads.append((before, head, int(time.time())))
    for before, head, after in heads:
        dates = [line for line in head.split(b"\r\n") if line.lower().startswith(b"date:")]
        assert len(dates) == 1, head
        value = dates[0].split(b":", 1)[1].strip().decode()
        assert value in {build_http_date(second) for second in range(before, after + 1)}
        assert email.utils.parsedate_to_datetime(value).timestamp() >= before


def test_the_date_is_waitress_text_for_the_second() -> None:
    for second in (0, 1_700_000_000, int(time.time())):
        assert _http_date(second) == build_http_date(second) == build_http_date(second + 0.9)
