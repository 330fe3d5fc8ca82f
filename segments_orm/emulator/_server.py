"""`EmulatorServer`: the emulator served over HTTP by waitress.

waitress reads requests with non-blocking I/O on one thread and runs the application on a
fixed pool of worker threads, so an idle or slow client costs a socket and a buffer, never a
worker: the emulator stays responsive to a shared team (or a hostile one) while each request
is parsed strictly (chunk sizes are validated and bodies capped as they arrive, before they
are handed over). What waitress does not do on its own is added here: every answer the server
layer produces is JSON like the application's, a request must arrive whole within a deadline,
the oldest idle connections make room when the connection limit is reached, and its log lines
go to the emulator's logger at DEBUG level.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import select
import socket
import sys
import threading
import time
from collections.abc import MutableMapping
from types import TracebackType
from typing import Any, Optional, Union
from urllib.parse import unquote_to_bytes

from waitress.adjustments import Adjustments
from waitress.buffers import OverflowableBuffer, ReadOnlyFileBasedBuffer
from waitress.channel import ClientDisconnected, HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.receiver import FixedStreamReceiver
from waitress.rfc7230 import TCHAR
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher, WSGITask
from waitress.utilities import build_http_date

from segments_orm.emulator._app import SOCKET_ENVIRON_KEY, Emulator, SeedData
from segments_orm.emulator._faults import Faults
from segments_orm.emulator._http import MAX_BODY_BYTES

__all__ = ["EmulatorServer"]

logger = logging.getLogger("segments_orm.emulator")


class _ServerLimits:
    """The server layer's bounds; a class so that tests can tighten them per server.

    Attributes:
        threads: Worker threads running the application (an injected latency holds one).
        connection_limit: Open connections at most; past it the oldest idle ones are closed.
        idle_timeout: Seconds a connection may stay idle between requests.
        request_timeout: Seconds a request may take to arrive whole once its first byte has.
        max_header_bytes: Request line plus headers (431 beyond).
        max_body_bytes: Request body as sent, chunked or not (400 beyond).
    """

    threads = 16
    connection_limit = 1000
    idle_timeout = 60.0
    request_timeout = 30.0
    max_header_bytes = 64 * 1024
    max_body_bytes = MAX_BODY_BYTES


class _DebugLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """waitress's messages, at DEBUG: a client's misbehaviour is not the server's warning."""

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        self.logger.log(logging.DEBUG, msg, *args, **kwargs)

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        return f"server: {msg}", kwargs


_LOG = _DebugLog(logger, {})


def _error_detail(error: Any) -> tuple[int, dict[str, Any]]:
    """Return the status and JSON body for one of waitress's framing errors."""
    code, reason = int(error.code), str(error.reason)
    if code == 413:
        # The application's own answer for the same limit, so in-process and served agree.
        return 400, {
            "detail": f"Request body exceeds {_ServerLimits.max_body_bytes} bytes.",
            "limit": "max_body_bytes",
        }
    body: dict[str, Any] = {"detail": f"{reason}: {error.body}"}
    if code == 431:
        body["limit"] = "max_header_bytes"
    return code, body


class _JsonErrorTask(ErrorTask):  # type: ignore[misc]
    """Answer a request waitress could not parse with a JSON body instead of plain text."""

    logger = _LOG

    def execute(self) -> None:
        status, body = _error_detail(self.request.error)
        payload = json.dumps(body).encode("utf-8")
        reason = self.request.error.reason if status == self.request.error.code else "Bad Request"
        self.status = f"{status} {reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(payload)
        self.write(payload)


@functools.lru_cache(maxsize=4)
def _http_date(second: int) -> str:
    return str(build_http_date(second))


#: The header fields the environ names without the "HTTP_" prefix, as WSGI says.
_UNPREFIXED = frozenset({"CONTENT_LENGTH", "CONTENT_TYPE"})


@functools.lru_cache(maxsize=64)
def _capitalised(name: str) -> str:
    # As waitress writes a field's name: each dash-separated part capitalised.
    return "-".join(part.capitalize() for part in name.split("-"))


def _name(field: tuple[str, str]) -> str:
    return field[0]


#: The fields whose presence makes waitress decide more than a plain answer's head.
_DECIDED = frozenset({"Connection", "Date", "Server", "Transfer-Encoding"})


class _Task(WSGITask):  # type: ignore[misc]
    """Run the application; give it the socket so that drop faults can hang up."""

    logger = _LOG

    def get_environment(self) -> dict[str, Any]:
        environ: Optional[dict[str, Any]] = self.environ  # type: ignore[has-type]
        if environ is not None:
            return environ
        channel = self.channel
        server = channel.server
        if server.adj.url_prefix:  # never set by this server; waitress knows its rules
            environ = super().get_environment()
        else:
            # The environ waitress builds (the tests compare the two), its fields that are
            # the same for every request of the server copied from one made once.
            request = self.request
            path = request.path
            if path[:2] == "//":  # waitress keeps one of the leading slashes
                path = "/" + path.lstrip("/")
            remote = channel.addr
            environ = server.environ_base.copy()
            environ["REMOTE_ADDR"] = environ["REMOTE_HOST"] = remote[0]
            environ["REMOTE_PORT"] = str(remote[1])
            environ["REQUEST_METHOD"] = request.command.upper()
            environ["SERVER_PROTOCOL"] = "HTTP/" + self.version
            environ["PATH_INFO"] = path
            environ["REQUEST_URI"] = request.request_uri
            environ["QUERY_STRING"] = request.query
            environ["wsgi.url_scheme"] = request.url_scheme
            environ["wsgi.errors"] = sys.stderr
            environ["wsgi.input"] = request.get_body_stream()
            for key, value in request.headers.items():
                environ.setdefault(key if key in _UNPREFIXED else "HTTP_" + key, value)
            environ["waitress.client_disconnected"] = channel.check_client_disconnected
            self.environ = environ
        environ[SOCKET_ENVIRON_KEY] = channel.socket
        return environ

    def write(self, data: bytes) -> None:
        # waitress sends the header and the body in two writes, so two sends, and the client
        # may wake twice for one answer. An answer whose whole body comes in one piece (as
        # every JSON answer does, its length announced) goes out in one write.
        wrote_header: bool = self.wrote_header  # type: ignore[has-type]
        if (
            self.complete
            and not wrote_header
            and data
            and self.content_length == len(data)
            and self.has_body
        ):
            head = self.build_response_header()
            self.wrote_header = True
            self.content_bytes_written += len(data)
            self.channel.write_soon(head + data)
            return
        super().write(data)

    def service(self) -> None:
        super().service()
        # Send the answer from this worker rather than leave it to the I/O thread: that
        # hand-off waits for the interpreter lock, up to a switch interval per answer when
        # the workers are busy. The channel still holds this request, so the I/O thread
        # only flushes under the same lock; if it has it, it is sending already.
        channel = self.channel
        if channel.connected and channel.total_outbufs_len and channel.outbuf_lock.acquire(False):
            try:
                with contextlib.suppress(OSError):
                    channel._flush_some(do_close=False)
            finally:
                channel.outbuf_lock.release()

    _keep_alive_without_body = False

    def build_response_header(self) -> bytes:
        # waitress closes the connection after every answer without a Content-Length,
        # including those that cannot have a body (204, 304): each asset upload (S3's 204)
        # then cost the client a new connection. They need no length to end, so keep
        # them open unless the client asked to close.
        asked_close = self.request.headers.get("CONNECTION", "").lower() == "close"
        has_body = self.has_body
        self._keep_alive_without_body = self.version == "1.1" and not has_body and not asked_close
        headers = self.response_headers
        if self.version == "1.1" and has_body and not asked_close:
            head = self._plain_head(headers)
            if head is not None:
                return head
        if not any(name.lower() == "date" for name, _ in headers):
            # The Date waitress would add (its text for the second the task started),
            # formatted once a second rather than once an answer.
            headers.append(("Date", _http_date(int(self.start_time))))
        try:
            return super().build_response_header()  # type: ignore[no-any-return]
        finally:
            self._keep_alive_without_body = False

    def _plain_head(self, headers: list[tuple[str, str]]) -> Optional[bytes]:
        """Return the head waitress writes for a plain answer, or None for another one.

        A plain answer is an HTTP/1.1 one with a body and its length, to a client that
        keeps the connection, whose application set none of the fields waitress decides
        (Connection, Date, Server, Transfer-Encoding): waitress then names each field in
        its capitalised form, adds Server and Date, sorts them by name and keeps the
        connection open. Built here without its general checks (the tests compare both).
        """
        named = [(_capitalised(name), value) for name, value in headers]
        names = [name for name, _ in named]
        if names.count("Content-Length") != 1 or not _DECIDED.isdisjoint(names):
            return None
        self.response_headers = named
        ident = self.channel.server.adj.ident
        if ident:
            named.append(("Server", ident))
        named.append(("Date", _http_date(int(self.start_time))))
        # Sorted by name only, so that fields of one name keep their order (as waitress).
        fields = "".join(f"{name}: {value}\r\n" for name, value in sorted(named, key=_name))
        return f"HTTP/1.1 {self.status}\r\n{fields}\r\n".encode("latin-1")

    def set_close_on_finish(self) -> None:
        if not self._keep_alive_without_body:
            super().set_close_on_finish()

    def execute(self) -> None:
        try:
            super().execute()
        except ConnectionError:
            # The application hung up on purpose (a drop fault): close without an answer.
            raise ClientDisconnected() from None


#: Header lines of waitress's grammar (RFC 7230 field-name ":" OWS field-value OWS), each
#: name without "_" (waitress drops such fields), in a block decoded as latin-1. What
#: follows the colon is any run of SP, HTAB, VCHAR and obs-text: that is OWS, a field
#: value (empty, or from a visible character to one) and OWS again.
_PLAIN_FIELDS = re.compile(f"(?:{TCHAR.replace('_', '')}+:[\t\x20-\x7e\x80-\xff]*\r\n)*")

#: A request line the quick path reads: an upper-case method, an origin-form target (one
#: leading "/", printable ASCII, so that urlsplit would neither strip nor refuse anything
#: of it) and HTTP/1.1.
_PLAIN_REQUEST_LINE = re.compile(rb"([A-Z]+) (/(?!/)[!-~]*) HTTP/1\.1")


class _Parser(HTTPRequestParser):  # type: ignore[misc]
    """waitress's request parser, reading a plain request head in one pass.

    waitress matches, strips, converts and stores each header line by itself, then cracks
    the request line and splits its target through urlsplit, which costs the I/O thread
    more than anything else a request makes it do. A plain head (an HTTP/1.1 request line
    with an origin-form target; every line a plain field of waitress's own grammar, each
    name given once; no transfer coding; a length of digits if any) is read here by one
    regular expression into the state waitress's parse_header leaves for it (the tests
    compare the two on plain and hostile heads). Any other head is parsed by waitress
    whole, errors included.
    """

    def parse_header(self, header_plus: bytes) -> None:
        first_line, separator, block = header_plus.partition(b"\r\n")
        first_line = first_line.rstrip()
        line = _PLAIN_REQUEST_LINE.fullmatch(first_line)
        while block.endswith(b"\r\n"):  # the blank lines that end the block
            block = block[:-2]
        text = block.decode("latin-1") + "\r\n"
        if not separator or line is None or _PLAIN_FIELDS.fullmatch(text) is None:
            super().parse_header(header_plus)
            return
        lines = text[:-2].split("\r\n")
        headers = {}
        for field in lines:
            name, _, value = field.partition(":")  # a name has no colon
            headers[name.upper().replace("-", "_")] = value.strip(" \t")
        length = headers.get("CONTENT_LENGTH", "0")
        if (
            len(headers) != len(lines)
            or "TRANSFER_ENCODING" in headers
            or not (length.isascii() and length.isdigit())
        ):
            super().parse_header(header_plus)
            return
        command, uri = line.groups()
        self.first_line = first_line
        self.headers = headers
        self.request_uri = uri.decode("latin-1")
        self.command = command.decode("latin-1")
        self.version = "1.1"
        # What waitress's split_uri gives for such a target: no scheme or host, the path
        # up to "?" (before "#") percent-decoded to latin-1 text.
        target, _, fragment = uri.partition(b"#")
        path, _, query = target.partition(b"?")
        self.proxy_scheme = self.proxy_netloc = ""
        self.path = unquote_to_bytes(path).decode("latin-1") if b"%" in path else path.decode()
        self.query = query.decode()
        self.fragment = fragment.decode()
        self.url_scheme = self.adj.url_scheme
        self.expect_continue = headers.get("EXPECT", "").lower() == "100-continue"
        if headers.get("CONNECTION", "").lower() == "close":
            self.connection_close = True
        self.content_length = int(length)
        if self.content_length > 0:
            self.body_rcv = FixedStreamReceiver(
                self.content_length, OverflowableBuffer(self.adj.inbuf_overflow)
            )


class _Channel(HTTPChannel):  # type: ignore[misc]
    """One connection; remembers when the request being received began."""

    parser_class = _Parser
    task_class = _Task
    error_task_class = _JsonErrorTask
    logger = _LOG
    request_started = 0.0

    def received(self, data: bytes) -> bool:
        if data and self.request is None:
            self.request_started = time.monotonic()
        return bool(super().received(data))

    def writable(self) -> bool:
        # While a task runs, its worker sends what it writes (send_bytes is 1) and, whatever
        # it leaves unsent, pulls the trigger when the task ends. waitress still reports the
        # channel writable meanwhile, but its handle_write cannot take the buffer's lock
        # from the writing worker, so poll() returns at once and the I/O thread spins (some
        # thirty loops a request), taking the interpreter lock from the very worker it waits
        # for. Past the high watermark the worker waits for this thread to drain the
        # buffer, so then the channel is writable as before.
        if (
            self.requests
            and self.total_outbufs_len <= self.adj.outbuf_high_watermark
            and not (self.will_close or self.close_when_flushed)
        ):
            return False
        return bool(super().writable())

    # --- the wake-up after a task ------------------------------------------------------
    #
    # waitress does not watch a channel while its task runs (it reads the next request only
    # once the answer is out), so when the task ends the worker pulls the trigger for the
    # I/O thread to watch the channel again: one more pass of the loop and two thread
    # switches per request. Instead, the I/O thread's poll watches a busy channel with
    # nothing to send for input, as a sentinel only: if the client sends (a pipelined
    # request, a hang-up) before the task ends, the channel is left alone until the worker
    # pulls the trigger as before; if not, the poll is already watching the channel when
    # the task ends, and the worker has no one to wake. Both sides decide under the
    # channel's requests lock, so that neither acts on what the other is changing.

    _watched = False  # the loop's latest poll watches this channel for input
    _held = False  # input came while busy: not watched again until the task ends

    def poll_flags(self) -> tuple[int, bool]:
        """Return the poll flags for this channel, and whether they are a sentinel's.

        Called by the I/O thread for each pass of its loop.
        """
        with self.requests_lock:
            flags = 0
            if self.readable():
                flags |= select.POLLIN | select.POLLPRI
            if self.writable():
                flags |= select.POLLOUT
            sentinel = False
            if not self.requests:
                self._held = False
            elif not (flags or self._held or self.will_close or self.close_when_flushed):
                sentinel = True
                flags = select.POLLIN
            # Until the next pass, whether the loop notices input here without being woken:
            # it polls for it, or it is past its poll and will ask this channel again.
            self._watched = bool(flags & select.POLLIN)
            return flags, sentinel

    def still_busy(self) -> bool:
        """Tell, when a sentinel's poll reports input, whether the task still runs.

        Called by the I/O thread. If it does, the channel is left alone until its worker
        wakes the thread; if it is done, the input is the next request, to read now.
        """
        with self.requests_lock:
            self._watched = False
            self._held = bool(self.requests)
            return self._held

    def watched_while_idle(self) -> bool:
        """Tell whether the I/O thread's poll watches this channel, now that it is idle.

        The worker asks when its task is done; if the lock is taken, it wakes the I/O
        thread as waitress would.
        """
        if not self.requests_lock.acquire(blocking=False):
            return False
        try:
            return bool(
                self._watched
                and self.connected
                and not self.requests
                and self.request is None
                and not (self.will_close or self.close_when_flushed or self.total_outbufs_len)
            )
        finally:
            self.requests_lock.release()

    def service(self) -> None:
        _SERVING.channel = self
        try:
            super().service()
        finally:
            _SERVING.channel = None


#: The channel whose request the current worker thread serves, if any.
_SERVING = threading.local()


class _Server(TcpWSGIServer):  # type: ignore[misc]
    """waitress's TCP server with request deadlines and eviction at the connection limit."""

    channel_class = _Channel
    logger = _LOG

    def __init__(self, app: Emulator, host: str, port: int, limits: type[_ServerLimits]) -> None:
        self.limits = limits
        adj = Adjustments(
            host=host,
            port=port,
            ipv6=":" in host,
            ipv4=":" not in host,
            threads=limits.threads,
            connection_limit=limits.connection_limit,
            channel_timeout=limits.idle_timeout,
            # maintenance (timeouts, eviction) runs this often from the I/O loop.
            cleanup_interval=1,
            max_request_header_size=limits.max_header_bytes,
            max_request_body_size=limits.max_body_bytes,
            # poll(), not select(): select() cannot watch descriptors past 1023.
            asyncore_use_poll=True,
            ident="segments-orm-emulator",
            clear_untrusted_proxy_headers=False,
        )
        dispatcher = ThreadedTaskDispatcher()
        dispatcher.logger = _LOG
        dispatcher.queue_logger = _LOG
        dispatcher.set_thread_count(limits.threads)
        try:
            super().__init__(app, adj=adj, dispatcher=dispatcher)
        except BaseException:
            # A port taken: waitress has made the socket already; do not leak it.
            if getattr(self, "socket", None) is not None:
                self.socket.close()
            dispatcher.shutdown(timeout=1)
            raise
        self._stopping = threading.Event()
        #: The environ's fields that every request of this server has the same.
        self.environ_base: dict[str, Any] = {
            "SERVER_PORT": str(self.effective_port),
            "SERVER_NAME": self.server_name,
            "SERVER_SOFTWARE": adj.ident,
            "SCRIPT_NAME": "",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.file_wrapper": ReadOnlyFileBasedBuffer,
            "wsgi.input_terminated": True,
        }

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        monotonic = time.monotonic()
        deadline = monotonic - self.limits.request_timeout
        channels = list(self.active_channels.values())
        waiting = [channel for channel in channels if not channel.requests]
        for channel in waiting:
            if channel.request is not None and channel.request_started < deadline:
                channel.will_close = True  # a request dripping in (slowloris)
        # At the limit, close the connections idle the longest (a quarter of the limit at a
        # time) so that new clients get in; waitress alone would stop accepting until the
        # idle timeout, leaving a flood of idle sockets in charge of the server.
        if len(self._map) >= self.limits.connection_limit:
            waiting.sort(key=lambda channel: channel.last_activity)
            for channel in waiting[: max(1, self.limits.connection_limit // 4)]:
                channel.will_close = True

    def readable(self) -> bool:
        # Also called once per loop: while at the limit, run maintenance every loop, not
        # only each cleanup interval, so that eviction keeps up with a flood.
        if len(self._map) >= self.limits.connection_limit:
            self.next_channel_cleanup = 0
        return bool(super().readable())

    def serve(self) -> None:
        """Run the I/O loop until `stop_serving`; then close every connection and worker."""
        from waitress import wasyncore

        try:
            # One turn of wasyncore.loop(timeout=0.1, map=..., use_poll=True, count=1).
            while not self._stopping.is_set():
                if self._map:
                    self._poll_once(0.1)
        finally:
            for channel in list(self.active_channels.values()):
                with contextlib.suppress(OSError):
                    channel.socket.shutdown(socket.SHUT_RDWR)
            self.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
            wasyncore.close_all(self._map)

    def _poll_once(self, timeout: float) -> None:
        """Run one pass of the I/O loop: wasyncore's poll2, with the channels' sentinels."""
        from waitress import wasyncore

        pollster = select.poll()
        sentinels = set()
        for fd, obj in list(self._map.items()):
            if isinstance(obj, _Channel):
                flags, sentinel = obj.poll_flags()
                if sentinel:
                    sentinels.add(fd)
            else:
                flags = 0
                if obj.readable():
                    flags |= select.POLLIN | select.POLLPRI
                if obj.writable() and not obj.accepting:  # never a listening socket
                    flags |= select.POLLOUT
            if flags:
                pollster.register(fd, flags)
        for fd, flags in pollster.poll(int(timeout * 1000)):
            obj = self._map.get(fd)
            if obj is None:
                continue
            if fd in sentinels and obj.still_busy():
                continue  # its worker will wake this thread when done
            wasyncore.readwrite(obj, flags)

    def pull_trigger(self) -> None:
        """Wake the I/O loop, unless a worker's channel is watched already (see _Channel)."""
        channel: Optional[_Channel] = getattr(_SERVING, "channel", None)
        if channel is not None and channel.watched_while_idle():
            return
        super().pull_trigger()

    def stop_serving(self) -> None:
        """Ask the loop to stop (from any thread); it notices within a tenth of a second."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self.pull_trigger()


class EmulatorServer:
    """Serve an `Emulator` on a free local port from a background thread.

    Use it as a context manager, or call `start` and `stop`::

        with EmulatorServer() as server:
            client = Client(api_key=server.api_key, api_url=server.url)

    The server is waitress: a fixed pool of worker threads, HTTP/1.1 keep-alive, idle and
    request deadlines, and strict request framing (see the emulator's documentation).

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

    _limits: type[_ServerLimits] = _ServerLimits

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
        host = self._host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._server is None:
            raise RuntimeError("the emulator server is not running")
        return int(self._server.effective_port)

    @property
    def api_key(self) -> str:
        """The demo user's API key."""
        return self.emulator.api_key

    def start(self) -> EmulatorServer:
        """Bind the port and start serving in a background thread.

        Raises:
            OSError: If the port cannot be bound (taken, or a bad host).
        """
        if self._server is not None:
            return self
        server = _Server(self.emulator, self._host, self._port, self._limits)
        self._server = server
        self._thread = threading.Thread(target=server.serve, name="segments-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, hang up open connections, join every thread and close the database."""
        server, thread = self._server, self._thread
        if server is not None:
            server.stop_serving()
            if thread is not None:
                thread.join()
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
