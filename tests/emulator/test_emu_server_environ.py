"""The emulator server's WSGI environ is the one waitress's own task builds."""

from __future__ import annotations

from typing import Any

import pytest
from waitress.task import WSGITask

from segments_orm.emulator._app import SOCKET_ENVIRON_KEY
from segments_orm.emulator._server import _Channel, _Task


def _parsed(channel: _Channel, data: bytes) -> Any:
    request = channel.parser_class(channel.adj)
    while data and not request.completed:  # as the channel feeds it
        data = data[request.received(data) :]
    assert request.completed
    assert request.error is None
    return request


HEADS = {
    "b5": b"PUT /labels/u/ground-truth/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Encoding: gzip\r\nContent-Length: 3\r\nAuthorization: APIKey k\r\n\r\nabc",
    "delete with a query": b"DELETE /a?b=1&c HTTP/1.1\r\nAccept: */*\r\n\r\n",
    "slashes": b"GET ///a//b HTTP/1.1\r\nHost: x\r\n\r\n",
    "percent": b"GET /a%2Fb%20c HTTP/1.1\r\nHost: x\r\n\r\n",
    "http/1.0": b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "repeated and underscored": b"GET / HTTP/1.1\r\nX-A: 1\r\nX-A: 2\r\nX_B: 3\r\n\r\n",
    "chunked": b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "absolute": b"GET http://h:1/p?q HTTP/1.1\r\nHost: h\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(HEADS))
def test_the_environ_is_waitresss(channel: _Channel, name: str) -> None:
    request = _parsed(channel, HEADS[name])
    ours = _Task(channel, request).get_environment()
    theirs = WSGITask(channel, request).get_environment()
    assert ours.pop(SOCKET_ENVIRON_KEY) is channel.socket
    stream, their_stream = ours.pop("wsgi.input"), theirs.pop("wsgi.input")
    if request.body_rcv is not None:
        assert stream is their_stream
        assert stream.read() == b"abc"
    else:  # a request without a body gets a new empty stream each time it asks for one
        assert type(stream) is type(their_stream)
        assert stream.read() == their_stream.read() == b""
    assert ours == theirs


def test_the_environ_is_built_once_per_task(channel: _Channel) -> None:
    request = _parsed(channel, HEADS["b5"])
    task = _Task(channel, request)
    assert task.get_environment() is task.get_environment()
