"""The requests backend's own answer and connection classes behave as http.client's do.

`_Response` reads a plain header block without the email parser, and `_put_header`
writes a header pair it checked once as it is: each test runs http.client's class and
ours on the same bytes (plain answers, hostile ones, random ones) and compares all they
make of them: status, version, framing, the header message, the body read, or the error.
"""

from __future__ import annotations

import http.client
import io
from typing import Any

import pytest
import requests
import urllib3
from hypothesis import given, settings
from hypothesis import strategies as st

from segments_orm._requests_backend import (
    RequestsBackend,
    _case_insensitive,
    _Connection,
    _HTTPPool,
    _HTTPSConnection,
    _HTTPSPool,
    _merged_headers,
    _pairs,
    _Response,
)

# The default alphabet of st.text(), every character but the surrogates, spelled without
# its UTF-8 codec (see tests/meta/test_suite_setup.py: 3 s of CPU per fresh worker).
CHARS = st.characters(exclude_categories=("Cs",))


class _Socket:
    """A socket whose answer is ``raw`` (all http.client's response reads of a socket)."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(io.BytesIO(self.raw))


def _outcome(cls: type, raw: bytes, method: str = "GET") -> tuple[Any, ...]:
    """Everything a response of ``cls`` makes of ``raw``, or the error it raises."""
    response = cls(_Socket(raw), method=method)
    try:
        response.begin()
    except Exception as error:
        return ("error", type(error), str(error))
    message = response.msg
    state = (
        response.status,
        response.reason,
        response.version,
        response.chunked,
        response.length,
        response.will_close,
        type(message),
        list(message._headers),
        message.items(),
        [type(defect) for defect in message.defects],
        message.get_payload(),
        message.get_unixfrom(),
        message.preamble,
        message.epilogue,
        message.get_default_type(),
    )
    try:
        body: Any = response.read()
    except Exception as error:
        body = ("error", type(error), str(error))
    return (*state, body)


def _same(raw: bytes, method: str = "GET") -> tuple[Any, ...]:
    ours = _outcome(_Response, raw, method)
    assert ours == _outcome(http.client.HTTPResponse, raw, method)
    return ours


PLAIN = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
    b"Date: Tue, 01 Dec 2026 21:00:00 GMT\r\nServer: waitress\r\n\r\n{}"
)

ANSWERS = [
    PLAIN,
    PLAIN.replace(b"\r\n", b"\n"),  # bare line feeds
    b"HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nX-Empty:\r\nX-Pad: \t v \t\r\n"
    b"Content-Length: 1\r\n\r\nab",
    b"HTTP/1.1 201 Created\r\nContent-Length: 3\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nabc",
    # folded, non-ASCII, control characters, no colon, empty name, a mail "From " line
    b"HTTP/1.1 200 OK\r\nX-Fold: a\r\n  b\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n continued-first: x\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Latin: caf\xe9\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Cr: a\rb\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Del: a\x7fb\r\nX-Nul: \x00\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nno colon here\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n: empty name\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nFrom nobody\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX Space: a\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Odd!#$%&'*+-.^_`|~(){}[]<>\"?=,@/\\: v\r\nContent-Length: 0\r\n\r\n",
    # framing: chunked, lengths, bodiless statuses and methods, closing
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n"
    b"2\r\nab\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n1\r\na\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\nabc",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\nabc",
    b"HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\nabc",
    b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nab",
    b"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\nab",
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
    b"HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 1\r\n\r\na",
    b"HTTP/1.1 200 OK\r\n\r\nno length, no close",
    b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\na",
    b"HTTP/1.0 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 1\r\n\r\na",
    b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\na",
    b"HTTP/1.0 200 OK\r\nProxy-Connection: keep-alive\r\nContent-Length: 1\r\n\r\na",
    b"HTTP/0.9 200 OK\r\nContent-Length: 1\r\n\r\na",
    b"HTTP/1.7 200 OK\r\nContent-Length: 1\r\n\r\na",
    # 1xx answers before the real one, and a 1xx that is the answer
    b"HTTP/1.1 100 Continue\r\nX-Skipped: 1\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n" + PLAIN,
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n" + b"X: y\r\n" * 101 + b"\r\n" + PLAIN,
    # the status line
    b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1   404   Not   Found  \r\nContent-Length: 0\r\n\r\n",
    b"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
    b"ICY 200 OK\r\n\r\n",
    b"HTTP/1.1 2000 OK\r\n\r\n",
    b"HTTP/1.1 abc OK\r\n\r\n",
    b"",
    b"HTTP/1.1 200 " + b"r" * 70000 + b"\r\n\r\n",
    # limits and truncation
    b"HTTP/1.1 200 OK\r\nX-Long: " + b"v" * 65530 + b"\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Long: " + b"v" * 65600 + b"\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 99 + b"\r\n",
    b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 100 + b"\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 0",
    b"HTTP/1.1 200 OK\r\nX-Last: no line end",
]


@pytest.mark.parametrize("raw", ANSWERS, ids=range(len(ANSWERS)))
def test_an_answer_reads_as_http_client_reads_it(raw: bytes) -> None:
    _same(raw)


@pytest.mark.parametrize("method", ["HEAD", "GET", "PUT"])
def test_a_head_answer_has_no_body(method: str) -> None:
    assert _same(PLAIN, method)[4] == (0 if method == "HEAD" else 2)


def test_a_plain_block_does_not_go_through_the_email_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import email.parser

    calls: list[str] = []
    real = email.parser.Parser.parsestr

    def counted(self: Any, text: str, headersonly: bool = False) -> Any:
        calls.append(text)
        return real(self, text, headersonly)

    monkeypatch.setattr(email.parser.Parser, "parsestr", counted)
    _outcome(_Response, PLAIN)
    assert calls == []
    _outcome(_Response, ANSWERS[4])  # folded: the email parser reads it
    assert len(calls) == 1


_LINE_CHARS = st.sampled_from(
    [b"a", b"Z", b"-", b":", b" ", b"\t", b"\r", b"\n", b"\r\n", b"\xe9", b"\x7f", b"\x00", b"F"]
)
_NAMES = st.sampled_from(
    [b"Content-Length", b"Transfer-Encoding", b"Connection", b"X-A", b"From ", b"", b" X", b"x y"]
)
_VALUES = st.sampled_from([b"0", b"5", b"chunked", b"close", b"keep-alive", b"-1", b" 3 ", b""])


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK", b"HTTP/1.1 204 X", b"HTTP/1.1 100 C"]),
    st.lists(
        st.tuples(
            _NAMES,
            st.sampled_from([b":", b": ", b":\t", b""]),
            _VALUES,
            st.lists(_LINE_CHARS, max_size=4),
        ),
        max_size=8,
    ),
    st.sampled_from([b"\r\n", b"\n", b""]),
    st.binary(max_size=12),
)
def test_random_answers_read_as_http_client_reads_them(
    status: bytes, fields: list[Any], end: bytes, body: bytes
) -> None:
    lines = [
        name + colon + value + b"".join(extra) + b"\r\n" for name, colon, value, extra in fields
    ]
    _same(status + b"\r\n" + b"".join(lines) + end + body)


# -- header lines -------------------------------------------------------------------------


class _Sent:
    """What a connection writes, with no socket: ``endheaders`` keeps the request's bytes."""

    @staticmethod
    def lines(cls: type, headers: list[tuple[Any, ...]]) -> list[Any]:
        connection = cls("example.invalid", 80)
        written: list[Any] = []
        connection.send = written.append  # type: ignore[method-assign]
        for _ in range(3):  # the first time checks each pair; later times reuse them
            connection.putrequest("PUT", "/x/", skip_host=True, skip_accept_encoding=True)
            for header in headers:
                try:
                    connection.putheader(*header)
                except Exception as error:
                    written.append(("error", type(error), str(error)))
            connection.endheaders()
            # As if the answer had been read: the connection may send its next request.
            connection._HTTPConnection__state = "Idle"
        return written


HEADER_SETS = [
    [("Host", "example.invalid"), ("Content-Length", "12"), ("User-Agent", "segments-orm/x")],
    [("X-A", "1"), ("X-A", "1"), ("x-a", "2"), ("X-Empty", ""), ("X-Latin", "café")],
    [("Accept-Encoding", urllib3.util.SKIP_HEADER), ("X-Bad", urllib3.util.SKIP_HEADER)],
    [("X-Multi", "a", "b"), ("X-Int", 3), (b"X-Bytes", b"v")],  # type: ignore[list-item]
    [("Bad Name", "v"), ("X-Bad-Value", "a\r\nInjected: 1"), ("X-Lead", " v"), ("X-Ok", "v")],
    [("X-Unicode", "\u20ac"), ("X-Ok", "v")],
]


@pytest.mark.parametrize("headers", HEADER_SETS, ids=range(len(HEADER_SETS)))
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (_Connection, urllib3.connection.HTTPConnection),
        (_HTTPSConnection, urllib3.connection.HTTPSConnection),
    ],
)
def test_header_lines_are_written_as_urllib3_writes_them(
    ours: type, theirs: type, headers: list[tuple[Any, ...]]
) -> None:
    assert _Sent.lines(ours, headers) == _Sent.lines(theirs, headers)


def test_a_header_out_of_turn_fails_as_http_client_fails() -> None:
    connection = _Connection("example.invalid", 80)
    connection.send = lambda data: None  # type: ignore[method-assign]
    connection.putrequest("GET", "/", skip_host=True, skip_accept_encoding=True)
    connection.putheader("X-A", "1")
    connection.endheaders()
    with pytest.raises(http.client.CannotSendHeader):
        connection.putheader("X-A", "1")  # a pair it knows, after the headers were sent


# -- where our classes are used ------------------------------------------------------------


def test_the_backends_pools_make_our_connections() -> None:
    backend = RequestsBackend()
    try:
        manager = backend.session.get_adapter("http://x/").poolmanager
        http_pool = manager.connection_from_url("http://127.0.0.1:1/")
        https_pool = manager.connection_from_url("https://127.0.0.1:1/")
        assert type(http_pool) is _HTTPPool
        assert type(https_pool) is _HTTPSPool
        assert http_pool.ConnectionCls is _Connection
        assert https_pool.ConnectionCls is _HTTPSConnection
        # urllib3's own table is untouched: other pool managers make urllib3's pools.
        assert urllib3.PoolManager().pool_classes_by_scheme["http"] is (
            urllib3.connectionpool.HTTPConnectionPool
        )
    finally:
        backend.close()


def test_a_replaced_connection_class_is_made_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    # vcrpy replaces urllib3's pool's class with its recorder while a cassette is in use.
    class Recorder(urllib3.connection.HTTPConnection):
        pass

    monkeypatch.setattr(urllib3.connectionpool.HTTPConnectionPool, "ConnectionCls", Recorder)
    assert _HTTPPool("127.0.0.1", 1).ConnectionCls is Recorder
    assert _HTTPSPool("127.0.0.1", 1).ConnectionCls is _HTTPSConnection


def test_a_session_still_takes_user_adapters() -> None:
    backend = RequestsBackend()
    try:
        adapter = requests.adapters.HTTPAdapter()
        backend.session.mount("http://", adapter)
        assert backend.session.get_adapter("http://x/") is adapter
    finally:
        backend.close()


# -- header tables -----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Accept", "accept", "X-A", "x-a", "B"]),
            st.none() | st.text(CHARS, max_size=3),
        )
    ),
    st.lists(
        st.tuples(
            st.sampled_from(["Accept", "ACCEPT", "X-A", "C"]),
            st.none() | st.text(CHARS, max_size=3),
        )
    ),
)
def test_merged_headers_are_requests_merge(session: list[Any], request: list[Any]) -> None:
    session_headers = requests.structures.CaseInsensitiveDict(session)
    ours = _merged_headers(session_headers, dict(request))
    theirs = requests.sessions.merge_setting(
        dict(request), session_headers, dict_class=requests.structures.CaseInsensitiveDict
    )
    assert list(ours.items()) == list(theirs.items())
    assert list(_pairs(ours)) == list(theirs.items())
    copied = ours.copy()
    assert list(copied.items()) == list(ours.items())
    copied["X-New"] = "1"
    assert "X-New" not in ours  # a copy, not the same table


def test_answer_headers_are_requests_table() -> None:
    pairs = [("Content-Type", "a"), ("content-type", "b"), ("X-A", "1")]
    ours = _case_insensitive(pairs)
    assert type(ours) is requests.structures.CaseInsensitiveDict
    assert list(ours.items()) == list(requests.structures.CaseInsensitiveDict(pairs).items())
    assert ours["CONTENT-TYPE"] == "b"


def test_a_credential_line_is_never_remembered() -> None:
    key_line = ("Authorization", "APIKey sk-never-kept-0123")
    connection = _Connection("example.invalid", 80)
    sent: list[bytes] = []
    connection.send = sent.append  # type: ignore[method-assign]
    for _ in range(2):
        connection.putrequest("GET", "/", skip_host=True, skip_accept_encoding=True)
        connection.putheader("X-A", "1")
        connection.putheader(*key_line)
        connection.endheaders()
        connection._HTTPConnection__state = "Idle"
    assert all(b"APIKey sk-never-kept-0123" in data for data in sent)
    assert "sk-never-kept" not in repr(vars(connection))


def test_a_built_response_is_requests_own() -> None:
    def answer() -> urllib3.HTTPResponse:
        return urllib3.HTTPResponse(
            body=io.BytesIO(b"{}"),
            headers=urllib3.HTTPHeaderDict(
                [("Content-Type", "application/json; charset=latin-1"), ("X-A", "1"), ("x-a", "2")]
            ),
            status=201,
            reason="Created",
            preload_content=False,
        )

    backend = RequestsBackend()
    try:
        adapter = backend.session.get_adapter("http://x/")
        prepared = requests.Request("PUT", "http://127.0.0.1:1/a/", data=b"{}").prepare()
        ours = adapter.build_response(prepared, answer())
        theirs = requests.adapters.HTTPAdapter.build_response(adapter, prepared, answer())
        assert vars(ours).keys() == vars(theirs).keys()
        for name in vars(ours):
            mine, requests_own = getattr(ours, name), getattr(theirs, name)
            if name == "raw":
                continue
            if name == "headers":
                assert type(mine) is type(requests_own)
                assert list(mine.items()) == list(requests_own.items())
            elif name == "cookies":
                assert type(mine) is type(requests_own)
                assert list(mine) == list(requests_own) == []
            else:
                assert mine == requests_own, name
    finally:
        backend.close()
