"""Bad input to every route of the emulator's router table (not a hand-written list):
malformed, mis-encoded and hostile bodies, bad query strings, unknown methods and unknown
paths always answer a 4xx with a JSON body, never a 500, and change nothing.

test_emu_bad_input.py covers the write routes with field-level checks; this file walks
`segments_orm.emulator._app.ROUTES` so a new route is covered the day it is added.
"""

from __future__ import annotations

import gzip
import re
from typing import Any

import pytest

from segments_orm.emulator._app import ROUTES

TABLES = (
    "users",
    "api_keys",
    "memberships",
    "datasets",
    "collaborators",
    "samples",
    "labels",
    "labelsets",
    "issues",
    "releases",
    "workunits",
    "assets",
)


def state(server: Any) -> dict[str, list[tuple[Any, ...]]]:
    with server.emulator.store.transaction() as tx:
        return {
            table: [tuple(row) for row in tx.all(f"SELECT * FROM {table} ORDER BY rowid")]
            for table in TABLES
        }


@pytest.fixture
def values(server: Any, api: Any) -> dict[str, str]:
    """One of everything, and the value of every route placeholder that finds it."""
    server.emulator.add_user("john")
    api.dataset("flowers", task_type="vector")
    sample = api.sample("demo/flowers", "a.jpg")
    api.label(sample["uuid"])
    issue = api.post(f"samples/{sample['uuid']}/issues/", json={"description": "x"}).json()
    api.post("datasets/demo/flowers/labelsets/", json={"name": "extra"})
    release = api.post("datasets/demo/flowers/releases/", json={"name": "r"}).json()
    api.post("datasets/demo/flowers/collaborators/", json={"user": "john", "role": "labeler"})
    asset = api.post("assets/", json={"filename": "a.png"}).json()
    key = asset["presignedPostFields"]["fields"]["key"]
    return {
        "owner": "demo",
        "name": "flowers",
        "org": "demo",
        "username": "john",
        "uuid": sample["uuid"],
        "issue_uuid": issue["uuid"],
        "labelset": "ground-truth",
        "release": "r",
        "key": key,
        "file": f"{release['uuid']}.json",
    }


def fill(pattern: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1).rstrip("*")
        if name == "uuid" and pattern.startswith("/issues/"):
            return values["issue_uuid"]
        return values[name]

    return re.sub(r"\{([^}]+)\}", one, pattern).lstrip("/") + "/"


ENDPOINTS = [(route.pattern, method) for route in ROUTES for method in route.methods]

# Bodies no handler may accept. Encoding errors are refused before any handler runs, so
# they apply to every route; the rest apply where the handler reads a body.
ENCODING_ERRORS = {
    "truncated gzip": (gzip.compress(b'{"name": "x"}')[:-6], {"Content-Encoding": "gzip"}),
    "not gzip": (b'{"name": "x"}', {"Content-Encoding": "gzip"}),
    "gzip of garbage": (b"\x1f\x8b\x08\x00" + b"\x00" * 20, {"Content-Encoding": "gzip"}),
    "unknown encoding": (b"{}", {"Content-Encoding": "br"}),
}
JSON_ERRORS = {
    "malformed json": b'{"name": ',
    "nan": b'{"name": "x", "priority": NaN}',
    "infinity": b'{"name": "x", "priority": -Infinity}',
    "not utf-8": b'{"name": "\xff\xfe"}',
    "utf-16": '{"name": "x"}'.encode("utf-16"),
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "deep object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "huge number": b'{"name": "x", "priority": 1' + b"0" * 5000 + b"}",
    "huge float": b'{"name": "x", "priority": 1e999}',
    "trailing garbage": b'{"name": "x"} {"name": "y"}',
    "lone surrogate": b'{"name": "\\ud800"}',
}
# Routes whose handler reads the body (DRF parses request.data only where it is used).
READS_BODY = {
    (route.pattern, method)
    for route in ROUTES
    for method in route.methods
    if method in ("POST", "PUT", "PATCH") and not route.multipart
} | {("/datasets/{owner}/{name}/samples_bulk", "DELETE")}


def assert_json_4xx(response: Any, what: Any) -> None:
    assert 400 <= response.status_code < 500, (what, response.status_code, response.text[:200])
    body = response.json()
    assert isinstance(body, (dict, list)), what


@pytest.mark.parametrize(("pattern", "method"), ENDPOINTS)
def test_encoding_errors_on_every_route(server, api, values, pattern, method):
    path = fill(pattern, values)
    before = state(server)
    for kind, (body, headers) in ENCODING_ERRORS.items():
        response = api.request(
            method, path, data=body, headers={"Content-Type": "application/json", **headers}
        )
        assert_json_4xx(response, (kind, method, path))
    assert state(server) == before
    assert server.emulator.stats.internal_errors == 0


@pytest.mark.parametrize(("pattern", "method"), sorted(READS_BODY))
def test_malformed_json_on_every_route_that_reads_a_body(server, api, values, pattern, method):
    path = fill(pattern, values)
    before = state(server)
    for kind, body in JSON_ERRORS.items():
        for encoded, headers in ((body, {}), (gzip.compress(body), {"Content-Encoding": "gzip"})):
            response = api.request(
                method,
                path,
                data=encoded,
                headers={"Content-Type": "application/json", **headers},
            )
            assert_json_4xx(response, (kind, method, path))
    assert state(server) == before
    assert server.emulator.stats.internal_errors == 0


WRONG_SHAPES = [[], [1, "x"], "text", 42, True, None, {"": None}, {"name": {"$ne": 1}}]


@pytest.mark.parametrize(("pattern", "method"), sorted(READS_BODY))
def test_wrong_shapes_never_cause_a_server_error(server, api, values, pattern, method):
    path = fill(pattern, values)
    for body in WRONG_SHAPES:
        response = api.request(method, path, json=body)
        assert response.status_code < 500, (method, path, body, response.text[:200])
        if response.content:
            response.json()
    assert server.emulator.stats.internal_errors == 0


@pytest.mark.parametrize(("pattern", "method"), ENDPOINTS)
def test_unknown_methods_are_405_json(server, api, values, pattern, method):
    path = fill(pattern, values)
    route = next(r for r in ROUTES if r.pattern == pattern)
    before = state(server)
    for other in ("PROPFIND", "TRACE", "CONNECT", "FOO", "PUT", "PATCH", "POST", "DELETE"):
        if other in route.methods:
            continue
        response = api.request(other, path, json={})
        if route.auth == "none" and other in ("CONNECT",):
            continue  # werkzeug's own handling of CONNECT on a storage URL
        assert response.status_code == 405, (other, path, response.status_code)
        assert "detail" in response.json()
        assert set(response.headers["Allow"].split(", ")) == set(route.methods)
    assert state(server) == before


UNKNOWN_PATHS = [
    "nope/",
    "datasets/",
    "datasets/demo/",
    "datasets/demo/flowers/nope/",
    "datasets/demo/flowers/samples/extra/",
    "labels/",
    "samples/",
    "users/",
    "organizations/demo/",
    "_emulator/",
    "_emulator/releases/",
    "%00/",
    "datasets/%ff%fe/",
    "..%2F..%2Fetc/passwd",
    "a" * 5000 + "/",
]


@pytest.mark.parametrize("path", UNKNOWN_PATHS)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_unknown_paths_are_404_json(server, api, values, method, path):
    before = state(server)
    response = api.request(method, path, json={})
    assert response.status_code == 404, (method, path, response.status_code)
    assert response.json() == {"detail": "Not found."}
    assert state(server) == before


BAD_QUERIES = [
    "page=-1",
    "page=abc",
    "page=99999999999999999999999",
    "per_page=0",
    "per_page=abc",
    "per_page=99999999999999999999",
    "sort=%ff",
    "name__contains=%ff%fe",
    "label_status=NOPE",
    "metadata=no-colon",
    "labelset=%00",
    "created_at__gte=yesterday",
    "a=" + "x" * 10000,
    "%zz=%zz",
]


@pytest.mark.parametrize("pattern", [route.pattern for route in ROUTES if "GET" in route.methods])
def test_bad_query_strings_never_cause_a_server_error(server, api, values, pattern):
    path = fill(pattern, values)
    before = state(server)
    for query in BAD_QUERIES:
        response = api.get(f"{path}?{query}")
        assert response.status_code < 500, (path, query, response.text[:200])
        if response.status_code >= 400:
            assert_json_4xx(response, (path, query))
    assert server.emulator.stats.internal_errors == 0
    # A GET never writes (a release's first read may settle its status: compare the rest).
    after = state(server)
    assert {k: v for k, v in after.items() if k != "releases"} == {
        k: v for k, v in before.items() if k != "releases"
    }


MULTIPART_GARBAGE = [
    (b"not multipart at all", {"Content-Type": "multipart/form-data; boundary=xyz"}),
    (
        b"--xyz\r\nContent-Disposition: form-data\r\n\r\n",
        {"Content-Type": "multipart/form-data; boundary=xyz"},
    ),
    (b"--xyz--\r\n", {"Content-Type": "multipart/form-data; boundary=xyz"}),
    (b"{}", {"Content-Type": "application/json"}),
    (b"key=unknown", {"Content-Type": "application/x-www-form-urlencoded"}),
    (b"", {"Content-Type": "multipart/form-data"}),
]


@pytest.mark.parametrize("case", range(len(MULTIPART_GARBAGE)))
def test_garbage_uploads_to_the_storage_route_are_4xx(server, anonymous, values, case):
    body, headers = MULTIPART_GARBAGE[case]
    before = state(server)
    response = anonymous.post("_emulator/s3/", data=body, headers=headers)
    assert_json_4xx(response, case)
    assert state(server) == before
