"""Local servers that never finish answering: for testing that every wait is bounded."""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Optional


class HungServer:
    """A loopback TCP server that accepts connections and then never completes an answer.

    Args:
        mode: ``"silent"`` reads the request and never writes a byte; ``"headers"`` answers
            a status line and headers announcing a JSON body, then stalls.
    """

    def __init__(self, mode: str = "silent") -> None:
        assert mode in ("silent", "headers")
        self.mode = mode
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections: list[socket.socket] = []
        self.requests_seen: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="hung-server", daemon=True)

    def __enter__(self) -> HungServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            self.connections.append(conn)
            conn.settimeout(0.5)
            head = self._read_head(conn)
            if head is not None:
                self.requests_seen.append(head)
            if self.mode == "headers":
                with contextlib.suppress(OSError):
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b'Content-Length: 1000\r\n\r\n{"partial": '
                    )

    @staticmethod
    def _read_head(conn: socket.socket) -> Optional[bytes]:
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            return data or None
        return data

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()
        for conn in self.connections:
            with contextlib.suppress(OSError):
                conn.close()
