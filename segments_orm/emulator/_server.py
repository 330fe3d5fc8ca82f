"""`EmulatorServer`: the emulator served over HTTP by a threaded werkzeug server."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from types import TracebackType
from typing import Any, Optional, Union

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from segments_orm.emulator._app import Emulator, SeedData
from segments_orm.emulator._faults import Faults

__all__ = ["EmulatorServer"]

logger = logging.getLogger("segments_orm.emulator")


class _RequestHandler(WSGIRequestHandler):
    # Set here so that werkzeug does not set it on its shared base class.
    protocol_version = "HTTP/1.1"

    def log(self, type: str, message: str, *args: Any) -> None:
        # werkzeug would attach a stderr handler to its logger and print every request.
        level = logging.WARNING if type == "error" else logging.DEBUG
        logger.log(level, message, *args)

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        logger.debug("%s %s", self.requestline, code)


class _Server(ThreadedWSGIServer):
    """A threaded server that tracks its connections so that stopping leaves no thread."""

    def __init__(self, host: str, port: int, app: Emulator) -> None:
        # Bind here rather than let werkzeug do it: werkzeug calls sys.exit() when the port
        # is taken, where a library must raise OSError.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, port))
            listener.listen(128)
            super().__init__(host, port, app, handler=_RequestHandler, fd=listener.fileno())
        finally:
            listener.close()  # werkzeug serves a duplicate of the descriptor
        self._connections: dict[threading.Thread, socket.socket] = {}
        self._connections_lock = threading.Lock()
        self._closing = False

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name="segments-emulator-connection",
            daemon=True,
        )
        with self._connections_lock:
            if self._closing:
                self.shutdown_request(request)
                return
            self._connections[thread] = request
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (the drop faults, Ctrl-C) are not server errors.
        logger.debug("error while serving %s", client_address, exc_info=True)

    def close_connections(self, timeout: float) -> None:
        """Hang up every open connection and wait for their threads to finish."""
        with self._connections_lock:
            self._closing = True
            connections = dict(self._connections)
        for sock in connections.values():
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in connections:
            thread.join(timeout)


class EmulatorServer:
    """Serve an `Emulator` on a free local port from a background thread.

    Use it as a context manager, or call `start` and `stop`::

        with EmulatorServer() as server:
            client = Client(api_key=server.api_key, api_url=server.url)

    Args:
        db: ``":memory:"`` (default) or an SQLite file path for a state that survives a
            restart.
        faults: Faults to inject from the start; change them later with
            ``server.emulator.faults``.
        host: The interface to listen on; keep the default loopback unless you mean to expose
            the emulator.
        port: The port; 0 picks a free one.
        seed: Accounts to create at start: a JSON seed file or its content
            (see `Emulator.load_seed`).
        release_delay: Seconds a new release stays PENDING.
    """

    def __init__(
        self,
        db: Union[str, os.PathLike[str]] = ":memory:",
        faults: Optional[Faults] = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: Optional[SeedData] = None,
        release_delay: float = 0.2,
    ) -> None:
        self.emulator = Emulator(db, release_delay=release_delay, seed=seed)
        self.emulator.faults = faults
        self._host = host
        self._port = port
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        """The root URL, with a trailing slash, e.g. ``http://127.0.0.1:54321/``."""
        if self._server is None:
            raise RuntimeError("the emulator server is not running")
        host = self._host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._server.port}/"

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._server is None:
            raise RuntimeError("the emulator server is not running")
        return int(self._server.port)

    @property
    def api_key(self) -> str:
        """The demo user's API key."""
        return self.emulator.api_key

    def start(self) -> EmulatorServer:
        """Bind the port and start serving in a background thread."""
        if self._server is not None:
            return self
        server = _Server(self._host, self._port, self.emulator)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="segments-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, hang up open connections, join every thread and close the database."""
        server, thread = self._server, self._thread
        if server is not None:
            if thread is not None:
                server.shutdown()
                thread.join()
            server.close_connections(timeout=5.0)
            server.server_close()
        self._server = None
        self._thread = None
        self.emulator.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"<EmulatorServer {where} db={self.emulator.store.path!r}>"
