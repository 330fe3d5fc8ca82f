"""The router's reading of the request target agrees with urllib's on every kind of target."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes, urlsplit

import pytest

from segments_orm.emulator._app import _path_segments, _raw_target

TARGETS = [
    "/labels/c97f0fd9-0894-4313-9dc8-352ef2faabe9/ground-truth/",
    "/datasets/demo/ds/samples/?per_page=10&page=2",
    "/datasets/demo/ds/samples?filters=a:b#frag",
    "/a#x?y",
    "/a?b#c?d",
    "/",
    "/?",
    "/a%2Fb/c%20d/",
    "/caf\u00e9/",
    "//host/path?q",
    "http://example.com/user?x=1",
    "/a\tb/c",
    "/a:b/c",
    "*",
]


@pytest.mark.parametrize("target", TARGETS)
def test_the_target_splits_as_urlsplit_splits_it(target: str) -> None:
    parts = urlsplit(target)
    assert _raw_target({"REQUEST_URI": target}) == (parts.path or "/", parts.query)


@pytest.mark.parametrize("path", [urlsplit(target).path or "/" for target in TARGETS])
def test_the_path_segments_are_the_decoded_parts_between_slashes(path: str) -> None:
    parts = path.encode("latin-1", "replace").split(b"/")
    if parts and parts[0] == b"":
        parts = parts[1:]
    if parts and parts[-1] == b"":
        parts = parts[:-1]
    expected = [unquote_to_bytes(part).decode("utf-8", "replace") for part in parts]
    assert _path_segments(path) == expected
