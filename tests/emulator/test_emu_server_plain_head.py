"""The head the server writes for an answer is the one waitress writes, plain or not."""

from __future__ import annotations

from typing import Any

import pytest
from waitress.task import WSGITask

from segments_orm.emulator._server import _Channel, _Task

JSON = [("Content-Type", "application/json"), ("Content-Length", "12")]
ANSWERS = {
    "plain": ("201 CREATED", JSON),
    "an extra field": ("401 UNAUTHORIZED", [*JSON, ("WWW-Authenticate", "APIKey")]),
    "lower-case names": ("200 OK", [("content-type", "a/b"), ("content-length", "3")]),
    "fields of one name": ("200 OK", [*JSON, ("X-A", "2"), ("Allow", "GET"), ("X-A", "1")]),
    "no length": ("200 OK", [("Content-Type", "application/json")]),
    "two lengths": ("200 OK", [*JSON, ("Content-Length", "12")]),
    "own date": ("200 OK", [*JSON, ("Date", "Thu, 01 Jan 1970 00:00:00 GMT")]),
    "own server": ("200 OK", [*JSON, ("Server", "other")]),
    "own connection": ("200 OK", [*JSON, ("Connection", "close")]),
    "chunked": ("200 OK", [("Transfer-Encoding", "chunked")]),
    "no body": ("204 NO CONTENT", []),
    "not modified": ("304 NOT MODIFIED", [("Content-Length", "0")]),
}
REQUESTS = {
    "http/1.1": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "http/1.1 close": b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
    "http/1.0": b"GET / HTTP/1.0\r\n\r\n",
    "http/1.0 keep-alive": b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
}


def _task(task_class: type, channel: _Channel, request: bytes, answer: tuple) -> Any:
    parsed = channel.parser_class(channel.adj)
    parsed.received(request)
    task = task_class(channel, parsed)
    task.start_time = 1_700_000_000.5
    task.status, headers = answer
    task.response_headers = list(headers)
    return task


@pytest.mark.parametrize("request_name", sorted(REQUESTS))
@pytest.mark.parametrize("answer_name", sorted(ANSWERS))
def test_the_head_is_waitresss(channel: _Channel, request_name: str, answer_name: str) -> None:
    ours = _task(_Task, channel, REQUESTS[request_name], ANSWERS[answer_name])
    theirs = _task(WSGITask, channel, REQUESTS[request_name], ANSWERS[answer_name])
    ours_head = ours.build_response_header()
    theirs_head = theirs.build_response_header()
    if ours.has_body or request_name not in ("http/1.1",):
        # An answer without a body keeps an HTTP/1.1 connection open (see _Task), else
        # everything is waitress's.
        assert ours_head == theirs_head
        assert ours.close_on_finish == theirs.close_on_finish
        assert sorted(ours.response_headers) == sorted(theirs.response_headers)
    else:
        assert ours_head == theirs_head.replace(b"Connection: close\r\n", b"")
        assert not ours.close_on_finish
