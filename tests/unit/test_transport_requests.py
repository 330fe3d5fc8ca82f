"""What goes on the wire: headers, the key's reach, bodies, timeouts, and decoding answers."""

from __future__ import annotations

import gzip
import json
from typing import Any, Callable

import pytest
import requests
from http_fakes import SECRET_KEY, FakeBackend, assert_no_secret
from yarl import URL

from segments_orm import ConnectionFailed
from segments_orm import exceptions as errors
from segments_orm._transport import PROTOCOL_VERSION, Transport, encode_json
from segments_orm._urls import ApiUrl
from segments_orm._version import __version__

API = URL("https://api.segments.ai/datasets/jane/flowers/")
MakeTransport = Callable[..., Transport]


def test_api_request_headers(make_transport: MakeTransport, adapter: FakeBackend) -> None:
    transport = make_transport()
    adapter.reply(200, json={"name": "flowers"})
    assert transport.request("GET", API) == {"name": "flowers"}

    headers = adapter.sent[0].headers
    assert headers["Authorization"] == f"APIKey {SECRET_KEY}"
    assert headers["X-source"] == "python-sdk"
    assert headers["Segments-SDK-Version"] == PROTOCOL_VERSION
    assert headers["User-Agent"].startswith(f"segments-orm/{__version__}")
    assert "Content-Type" not in headers


def test_key_goes_only_to_the_api_origin(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    transport = make_transport()
    for _ in range(3):
        adapter.reply(200, json={})
    transport.request("GET", URL("https://files.example/releases/x.json"))
    transport.request("GET", URL("http://api.segments.ai/datasets/"))  # other scheme
    transport.request("GET", URL("https://api.segments.ai:8443/datasets/"))  # other port
    for sent in adapter.sent:
        assert "Authorization" not in sent.headers


def test_key_not_sent_with_prefix_root_to_other_paths_of_origin(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    # Same origin, the key goes: the origin, not the path prefix, is the trust boundary.
    transport = make_transport(api_url="https://example.com/api/")
    adapter.reply(200, json={})
    transport.request("GET", URL("https://example.com/api/user"))
    assert adapter.sent[0].headers["Authorization"] == f"APIKey {SECRET_KEY}"


def test_download_never_sends_the_key_even_to_the_api_origin(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    transport = make_transport()
    adapter.reply(200, b"\x89PNG...")
    adapter.reply(200, b'{"dataset":{}}')
    assert transport.download("https://api.segments.ai/_files/a.png") == b"\x89PNG..."
    assert transport.download("https://files.example/r.json") == b'{"dataset":{}}'
    for sent in adapter.sent:
        assert "Authorization" not in sent.headers
        assert sent.timeout is not None


def test_download_refuses_non_http(make_transport: MakeTransport, adapter: FakeBackend) -> None:
    transport = make_transport()
    with pytest.raises(errors.ValidationError):
        transport.download("file:///etc/passwd")
    assert adapter.sent == []


def test_download_error_maps_status(make_transport: MakeTransport, adapter: FakeBackend) -> None:
    transport = make_transport()
    adapter.reply(403, "<Error><Code>AccessDenied</Code></Error>")
    with pytest.raises(errors.AuthorizationError):
        transport.download("https://files.example/r.json")


def test_post_multipart_sends_every_field_and_no_key(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    transport = make_transport()
    adapter.reply(204)
    fields = {"key": "assets/jane/x.png", "policy": "eyJ", "x-amz-security-token": "tok"}
    transport.post_multipart(
        "https://api.segments.ai/_upload/", fields, "x.png", b"PNGDATA", "image/png"
    )

    sent = adapter.sent[0]
    assert sent.method == "POST"
    assert "Authorization" not in sent.headers
    assert "X-source" not in sent.headers
    assert sent.headers["Content-Type"].startswith("multipart/form-data")
    body = sent.raw
    assert isinstance(body, bytes)
    for name, value in fields.items():
        assert f'name="{name}"'.encode() in body
        assert value.encode() in body
    assert b'filename="x.png"' in body
    assert b"Content-Type: image/png" in body
    assert b"PNGDATA" in body
    assert sent.timeout is not None


def test_post_multipart_non_json_success_is_fine(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    # S3 answers an XML document (WIRE.md 15.9): that is success, not a decoding error.
    transport = make_transport()
    adapter.reply(201, "<PostResponse><Key>k</Key></PostResponse>")
    transport.post_multipart("https://s3.example/", {"key": "k"}, "a.bin", b"x")


def test_post_multipart_retried_after_a_dropped_connection(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    from http_fakes import connection_dropped

    transport = make_transport()
    adapter.fail(connection_dropped())
    adapter.reply(204)
    transport.post_multipart("https://s3.example/", {"key": "k"}, "a.bin", b"x")
    assert len(adapter.sent) == 2


def test_json_body_is_compact_with_content_type(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    transport = make_transport()
    adapter.reply(201, json={"ok": 1})
    transport.request("POST", API, json_body={"name": "flowers", "tags": ["a", "é"]})
    sent = adapter.sent[0]
    assert sent.headers["Content-Type"] == "application/json"
    assert "Content-Encoding" not in sent.headers
    assert (
        sent.raw
        == json.dumps({"name": "flowers", "tags": ["a", "é"]}, separators=(",", ":")).encode()
    )


def test_gzip_body(make_transport: MakeTransport, adapter: FakeBackend) -> None:
    transport = make_transport()
    adapter.reply(201, json={"ok": 1})
    payload = {"name": "violet.jpg", "attributes": {"image": {"url": "https://x/v.jpg"}}}
    transport.request("POST", API, json_body=payload, gzip=True)
    sent = adapter.sent[0]
    assert sent.headers["Content-Encoding"] == "gzip"
    assert sent.headers["Content-Type"] == "application/json"
    assert json.loads(gzip.decompress(sent.raw)) == payload


def test_delete_without_body_sends_none(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    transport = make_transport()
    adapter.reply(204)
    assert transport.request("DELETE", API, expect="optional") is None
    assert not adapter.sent[0].raw
    assert "Content-Type" not in adapter.sent[0].headers


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"score": float("nan")}, "score"),
        (
            {"attributes": {"annotations": [{"points": [[1.0, float("inf")]]}]}},
            "attributes.annotations[0].points[0][1]",
        ),
        ([1.0, -float("inf")], "[1]"),
        (float("nan"), "(the body)"),
    ],
)
def test_nan_and_infinity_refused_before_sending(
    make_transport: MakeTransport, adapter: FakeBackend, payload: Any, path: str
) -> None:
    transport = make_transport()
    for gzip_body in (False, True):
        with pytest.raises(errors.ValidationError) as caught:
            transport.request("POST", API, json_body=payload, gzip=gzip_body)
        assert str(caught.value).startswith(f"{path}:")
    assert adapter.sent == []


def test_unencodable_body_refused() -> None:
    with pytest.raises(errors.ValidationError, match="cannot be encoded"):
        encode_json({"when": object()})


def test_timeout_always_passed(make_transport: MakeTransport, adapter: FakeBackend) -> None:
    transport = make_transport(timeout=(3, 30))
    adapter.reply(200, json={})
    adapter.reply(200, json={})
    transport.request("GET", API)
    transport.request("GET", API, timeout=7)
    assert adapter.sent[0].timeout == (3.0, 30.0)
    assert adapter.sent[1].timeout == 7.0


def test_default_timeout_is_finite(adapter: FakeBackend) -> None:
    transport = Transport(SECRET_KEY, ApiUrl("https://api.segments.ai/"), backend=adapter)
    adapter.reply(200, json={})
    transport.request("GET", API)
    timeout = adapter.sent[0].timeout
    assert timeout is not None
    assert all(0 < part < float("inf") for part in timeout)
    transport.close()


@pytest.mark.parametrize(
    "bad", [None, 0, -1, float("inf"), float("nan"), (5, None), (0, 5), True, "5", [5, 60]]
)
def test_bad_timeouts_refused(
    make_transport: MakeTransport, adapter: FakeBackend, bad: Any
) -> None:
    with pytest.raises(errors.ValidationError, match="timeout"):
        Transport(SECRET_KEY, ApiUrl("https://api.segments.ai/"), timeout=bad)
    transport = make_transport()
    if bad is None:
        return  # None per call means "the transport's timeout"
    with pytest.raises(errors.ValidationError, match="timeout"):
        transport.request("GET", API, timeout=bad)
    assert adapter.sent == []


@pytest.mark.parametrize("body", [b"", b"   ", b"<html>OK</html>", b"{truncated"])
def test_non_json_success_raises_network_error(
    make_transport: MakeTransport, adapter: FakeBackend, body: bytes
) -> None:
    transport = make_transport()
    adapter.reply(200, body)
    with pytest.raises(errors.NetworkError) as caught:
        transport.request("GET", API)
    assert not isinstance(caught.value, json.JSONDecodeError)
    assert not isinstance(caught.value, requests.JSONDecodeError)
    assert caught.value.status_code == 200
    assert caught.value.url == str(API)
    assert_no_secret(caught.value)


def test_optional_accepts_empty_but_not_garbage(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    transport = make_transport()
    adapter.reply(204)
    adapter.reply(200, "not json")
    assert transport.request("DELETE", API, expect="optional") is None
    with pytest.raises(errors.NetworkError):
        transport.request("DELETE", API, expect="optional")


def test_expect_bytes_and_none(make_transport: MakeTransport, adapter: FakeBackend) -> None:
    transport = make_transport()
    adapter.reply(200, b"\x00\x01")
    adapter.reply(200, b"ignored")
    assert transport.request("GET", API, expect="bytes") == b"\x00\x01"
    assert transport.request("GET", API, expect="none") is None


def test_http_error_carries_request_details(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    transport = make_transport()
    adapter.reply(404, json={"detail": "Not found."})
    with pytest.raises(errors.NotFoundError) as caught:
        transport.request("get", API)
    error = caught.value
    assert error.status_code == 404
    assert error.method == "GET"
    assert error.url == str(API)
    assert error.body == {"detail": "Not found."}
    assert_no_secret(error)


def test_connection_error_is_wrapped_without_secret(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    from http_fakes import connection_refused

    transport = make_transport(max_attempts=1)
    adapter.fail(connection_refused())
    with pytest.raises(errors.NetworkError) as caught:
        transport.request("GET", API)
    assert "could not connect" in str(caught.value)
    assert isinstance(caught.value.cause, ConnectionFailed)
    assert_no_secret(caught.value)


def test_closed_transport_refuses(make_transport: MakeTransport, adapter: FakeBackend) -> None:
    transport = make_transport()
    transport.close()
    transport.close()  # twice is fine
    with pytest.raises(errors.NetworkError, match="closed"):
        transport.request("GET", API)
    with pytest.raises(errors.NetworkError, match="closed"):
        transport.download("https://files.example/x")
    assert adapter.sent == []


def test_requests_are_counted(make_transport: MakeTransport, adapter: FakeBackend) -> None:
    transport = make_transport()
    adapter.reply(503, json={})
    adapter.reply(200, json={})
    transport.request("GET", API)
    assert transport.requests_sent == 2


def test_repr_has_no_key(make_transport: MakeTransport) -> None:
    transport = make_transport()
    assert SECRET_KEY not in repr(transport)
    assert "api.segments.ai" in repr(transport)


def test_redirects_not_followed_for_writes(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    # requests would replay a POST redirected by 302 as a GET without its body.
    transport = make_transport()
    adapter.reply(302, b"", headers={"Location": "https://api.segments.ai/elsewhere/"})
    with pytest.raises(errors.NetworkError):
        transport.request("POST", API, json_body={"a": 1})
    assert len(adapter.sent) == 1


def test_file_urls_go_out_byte_for_byte(
    make_transport: MakeTransport, adapter: FakeBackend
) -> None:
    # A presigned URL is signed as issued: re-encoding its query would change it.
    signed = (
        "https://bucket.s3.example/releases/a%20b.json?X-Amz-Credential=AKIA%2F20240107%2Fs3"
        "&X-Amz-Signature=ab%2Bcd%3D&response-content-disposition=attachment%3B%20x"
    )
    transport = make_transport()
    adapter.reply(200, b"{}")
    adapter.reply(204)
    transport.download(signed)
    transport.post_multipart(signed, {"key": "k"}, "a.bin", b"x")
    assert [sent.url for sent in adapter.sent] == [signed, signed]
