"""The emulator's multipart parser reads what werkzeug reads, and keeps connections open.

`WholeBodyFormParser` replaced werkzeug's streaming parser for asset uploads (it compiled
two regular expressions per upload); these tests hold it to werkzeug's results on the
bodies clients send and on malformed ones, and check that an upload's 204 answer no
longer closes the connection (each upload cost a new one).
"""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest

from segments_orm._transport import _multipart
from segments_orm.emulator import EmulatorServer
from segments_orm.emulator._multipart import WholeBodyFormParser
from werkzeug.wrappers import Request


def _parse(body: bytes, content_type: str, ours: bool) -> tuple[Any, Any]:
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    request = Request(environ)
    if ours:
        request.form_data_parser_class = WholeBodyFormParser
    form = list(request.form.items(multi=True))
    files = [
        (key, f.filename, f.content_type, f.read()) for key, f in request.files.items(multi=True)
    ]
    return form, files


def _same(body: bytes, content_type: str) -> tuple[Any, Any]:
    theirs = _parse(body, content_type, ours=False)
    ours = _parse(body, content_type, ours=True)
    assert ours == theirs
    return ours


@pytest.mark.parametrize(
    "filename", ["photo.jpg", 'quote"d.png', "per%cent.jpg", "ünï cödé.jpg", "a\\b.jpg"]
)
def test_upload_bodies_parse_as_werkzeug_parses_them(filename: str) -> None:
    fields = {"key": "assets/u/1.jpg", "policy": "eyJ4IjoxfQ==", "empty": "", "text": "é ✓"}
    content = b"\r\n--not-the-boundary\r\n" + bytes(range(256)) * 40
    body, content_type = _multipart(fields, filename, content, "image/jpeg")
    form, files = _same(body, content_type)
    assert dict(form) == fields
    assert files[0][0] == "file" and files[0][3] == content


def test_requests_encoded_forms_parse_as_werkzeug_parses_them() -> None:
    # How segments-ai sends the upload: requests' own multipart encoding.
    import requests

    prepared = requests.Request(
        "POST",
        "http://127.0.0.1/",
        data={"key": "k", "acl": "public-read"},
        files={"file": ("a.jpg", b"\x00\xffdata", "image/jpeg")},
    ).prepare()
    body = prepared.body
    assert isinstance(body, bytes)
    form, files = _same(body, prepared.headers["Content-Type"])
    assert dict(form) == {"key": "k", "acl": "public-read"}
    assert files == [("file", "a.jpg", "image/jpeg", b"\x00\xffdata")]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"garbage without any boundary",
        b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nno close delimiter',
        b'--B\r\nContent-Disposition: form-data; name="a"\r\nno end of headers--B--',
        b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B--\r\nepilogue',
        b'preamble\r\n--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B--',
        b'--B\r\nContent-Disposition: form-data; name="a"; filename="x"\r\n\r\n\r\n--B--\r\n',
    ],
)
def test_malformed_and_unusual_bodies_read_as_werkzeug_reads_them(body: bytes) -> None:
    _same(body, "multipart/form-data; boundary=B")


def test_too_many_parts_are_refused_as_werkzeug_refuses_them() -> None:
    parts = b"".join(
        b'--B\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % i for i in range(1001)
    )
    body = parts + b"--B--\r\n"
    for ours in (False, True):
        with pytest.raises(Exception) as caught:
            _parse(body, "multipart/form-data; boundary=B", ours)
        assert getattr(caught.value, "code", None) == 413


def test_an_upload_answer_keeps_the_connection_open(caplog: pytest.LogCaptureFixture) -> None:
    import requests

    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")

    with EmulatorServer() as server:
        session = requests.Session()
        try:
            for _ in range(3):
                answer = session.post(
                    f"{server.url}assets/",
                    json={"filename": "a.jpg"},
                    headers={"Authorization": f"APIKey {server.api_key}"},
                    timeout=10,
                )
                presigned = answer.json()["presignedPostFields"]
                upload = session.post(
                    presigned["url"],
                    data=presigned["fields"],
                    files={"file": ("a.jpg", b"abc")},
                    timeout=10,
                )
                assert upload.status_code == 204
                assert "close" not in upload.headers.get("Connection", "").lower()
            opened = [r for r in caplog.records if "Starting new" in r.getMessage()]
            assert len(opened) == 1  # six requests, one connection
            closing = session.post(
                presigned["url"],
                data=presigned["fields"],
                files={"file": ("a.jpg", b"abc")},
                headers={"Connection": "close"},
                timeout=10,
            )
            assert closing.status_code == 204
            assert closing.headers.get("Connection", "").lower() == "close"
        finally:
            session.close()
