"""The emulator's header parser leaves exactly the state waitress's own parser leaves."""

from __future__ import annotations

from typing import Any

import pytest
from waitress.adjustments import Adjustments
from waitress.parser import HTTPRequestParser

from segments_orm.emulator._server import _Parser

LINE = b"PUT /labels/c97f0fd9-0894-4313-9dc8-352ef2faabe9/ground-truth/?x=1 HTTP/1.1"
B5 = [
    b"Host: 127.0.0.1:36751",
    b"User-Agent: segments-orm/0.1.0 (segments-ai/1.33.0 protocol) python-requests/2.34.2",
    b"Accept-Encoding: gzip, deflate",
    b"Accept: */*",
    b"Connection: keep-alive",
    b"X-source: python-sdk",
    b"Content-Type: application/json",
    b"Content-Encoding: gzip",
    b"Content-Length: 168",
    b"Authorization: APIKey 3f5b068455e1bd9d3e4d9c1cf7773208b2d47a1f",
]

BLOCKS = {
    "b5": [LINE, *B5],
    "get without a body": [b"GET /user HTTP/1.1", b"Host: x", b"Accept: */*"],
    "no field": [b"GET / HTTP/1.1"],
    "http/1.0 keep-alive": [b"GET / HTTP/1.0", b"Connection: Keep-Alive", b"Host: x"],
    "http/1.0": [b"GET / HTTP/1.0", b"Host: x"],
    "close": [LINE, b"Connection: close", b"Content-Length: 2"],
    "chunked": [LINE, b"Transfer-Encoding: chunked", b"Host: x"],
    "chunked, in capitals and spaced": [LINE, b"Transfer-Encoding:   CHUNKED  ", b"Host: x"],
    "gzip transfer coding": [LINE, b"Transfer-Encoding: gzip, chunked"],
    "unknown transfer coding": [LINE, b"Transfer-Encoding: chunked, gzip"],
    "expect": [LINE, b"Expect: 100-continue", b"Content-Length: 5"],
    "empty values": [LINE, b"Expect:", b"X-Empty:   ", b"Content-Length: 0"],
    "bad length": [LINE, b"Content-Length: 1x"],
    "negative length": [LINE, b"Content-Length: -1"],
    "repeated field": [LINE, b"Accept: a", b"Accept: b", b"Content-Length: 1"],
    "repeated length": [LINE, b"Content-Length: 1", b"Content-Length: 1"],
    "repeated, case apart": [LINE, b"X-A: 1", b"x-a: 2"],
    "underscore": [LINE, b"X_Forwarded_For: 1.2.3.4", b"Content_Length: 9", b"Host: x"],
    "folded line": [LINE, b"X-A: 1", b" continued", b"Host: x"],
    "folded first": [LINE, b" X-A: 1"],
    "bare cr": [LINE, b"X-A: 1\rX-B: 2"],
    "bare lf": [LINE, b"X-A: 1\nX-B: 2"],
    "space before colon": [LINE, b"Host : x"],
    "no colon": [LINE, b"Host x"],
    "empty name": [LINE, b": x"],
    "tabs and spaces": [LINE, b"X-A:\t a  b\t ", b"X-B:\t\t"],
    "latin-1": [LINE, "X-Name: caf\u00e9 \u00ff".encode("latin-1")],
    "control character": [LINE, b"X-A: a\x01b"],
    "delete character": [LINE, b"X-A: a\x7fb"],
    "bad request line": [b"PUT  /x HTTP/1.1", b"Host: x"],
    "bad version": [b"PUT /x HTTP/9", b"Host: x"],
    "absolute target": [b"GET http://example.com:80/a?b#c HTTP/1.1", b"Host: x"],
    "double slash target": [b"GET //a/b?c HTTP/1.1", b"Host: x"],
    "trailing space on the request line": [b"GET / HTTP/1.1  ", b"Host: x"],
    "percent-encoded target": [b"GET /labels/u/a%2Fb%20c/?q=%41 HTTP/1.1", b"Host: x"],
    "fragment": [b"GET /a?b#c?d HTTP/1.1", b"Host: x"],
    "fragment before query": [b"GET /a#b?c HTTP/1.1", b"Host: x"],
    "colon in the path": [b"GET /a:b/c HTTP/1.1", b"Host: x"],
    "lower-case method": [b"put /x HTTP/1.1", b"Host: x"],
    "non-ascii target": [b"GET /caf\xe9 HTTP/1.1", b"Host: x"],
    "control in the target": [b"GET /a\x01b HTTP/1.1", b"Host: x"],
    "tab in the target": [b"GET /a\tb HTTP/1.1", b"Host: x"],
    "length with leading zeros": [LINE, b"Content-Length: 0012"],
    "length of latin-1 digits": [LINE, b"Content-Length: \xb2"],
    "length with a sign": [LINE, b"Content-Length: +5"],
    "zero length": [LINE, b"Content-Length: 0"],
    "head": [b"HEAD /user HTTP/1.1", b"Host: x", b"Connection: close"],
    "expect in capitals": [LINE, b"Expect: 100-CONTINUE", b"Content-Length: 5"],
    "every protocol field": [
        LINE,
        b"Expect: 100-continue",
        b"Content-Length: 3",
        b"Connection: close",
        b"Host: x",
    ],
}


def _state(parser_class: type[HTTPRequestParser], header_plus: bytes) -> dict[str, Any]:
    parser = parser_class(Adjustments())
    try:
        parser.parse_header(header_plus)
        raised = None
    except Exception as error:  # noqa: BLE001 - the error is part of what is compared
        raised = (type(error), error.args)
    state = {key: value for key, value in vars(parser).items() if key not in ("adj", "body_rcv")}
    state["header order"] = list(parser.headers)
    receiver = parser.body_rcv
    state["body"] = None if receiver is None else (type(receiver), vars(receiver).get("remain"))
    state["raised"] = raised
    return state


@pytest.mark.parametrize("name", sorted(BLOCKS))
@pytest.mark.parametrize("ending", [b"\r\n\r\n", b"\r\n", b""])
def test_the_parser_leaves_the_state_waitress_leaves(name: str, ending: bytes) -> None:
    header_plus = b"\r\n".join(BLOCKS[name]) + ending
    assert _state(_Parser, header_plus) == _state(HTTPRequestParser, header_plus)


def test_the_plain_block_takes_the_quick_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # The B5 head is read in one pass: waitress's parser is not called for it.
    seen: list[bytes] = []
    original = HTTPRequestParser.parse_header

    def spy(self: HTTPRequestParser, header_plus: bytes) -> None:
        seen.append(header_plus)
        original(self, header_plus)

    monkeypatch.setattr(HTTPRequestParser, "parse_header", spy)
    parser = _Parser(Adjustments())
    parser.parse_header(b"\r\n".join(BLOCKS["b5"]) + b"\r\n\r\n")
    assert seen == []
    assert parser.headers["AUTHORIZATION"].startswith("APIKey ")
    assert parser.content_length == 168
    # A head it does not read is waitress's whole.
    parser = _Parser(Adjustments())
    parser.parse_header(b"\r\n".join(BLOCKS["http/1.0"]))
    assert seen == [b"\r\n".join(BLOCKS["http/1.0"])]
