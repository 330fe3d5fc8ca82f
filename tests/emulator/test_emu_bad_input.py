"""Malformed input always gets a 4xx JSON answer and leaves the state unchanged."""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# The default alphabet of st.text(), every character but the surrogates, spelled without
# its UTF-8 codec: for that codec hypothesis encodes all 1.1 million code points once per
# process on a fresh checkout (about 3 s of CPU in each test worker).
CHARS = st.characters(exclude_categories=("Cs",))


@pytest.fixture
def flowers(api):
    api.dataset("flowers", task_type="vector")
    sample = api.sample("demo/flowers", "a.jpg")
    api.label(sample["uuid"])
    return sample


def state(server):
    with server.emulator.store.transaction() as tx:
        return {
            table: [tuple(row) for row in tx.all(f"SELECT * FROM {table} ORDER BY rowid")]
            for table in (
                "users",
                "datasets",
                "samples",
                "labels",
                "labelsets",
                "issues",
                "releases",
                "collaborators",
                "workunits",
                "assets",
            )
        }


def write_routes(sample_uuid):
    return [
        ("POST", "user/datasets/"),
        ("PATCH", "datasets/demo/flowers/"),
        ("POST", "datasets/demo/flowers/clone/"),
        ("POST", "datasets/demo/flowers/collaborators/"),
        ("POST", "datasets/demo/flowers/samples/"),
        ("POST", "datasets/demo/flowers/samples_bulk/"),
        ("DELETE", "datasets/demo/flowers/samples_bulk/"),
        ("PATCH", f"samples/{sample_uuid}/"),
        ("PUT", f"labels/{sample_uuid}/ground-truth/"),
        ("PATCH", f"labels/{sample_uuid}/ground-truth/"),
        ("POST", "datasets/demo/flowers/labelsets/"),
        ("POST", f"samples/{sample_uuid}/issues/"),
        ("POST", "datasets/demo/flowers/releases/"),
        ("POST", "assets/"),
    ]


BAD_BODIES = {
    "malformed json": (b'{"name": ', {}),
    "truncated gzip": (gzip.compress(b'{"name": "x"}')[:-6], {"Content-Encoding": "gzip"}),
    "not gzip": (b'{"name": "x"}', {"Content-Encoding": "gzip"}),
    "nan": (b'{"name": "x", "priority": NaN, "score": NaN}', {}),
    "not utf-8": (b'{"name": "\xff\xfe"}', {}),
    "scalar": (b"42", {}),
    "unknown encoding": (b"{}", {"Content-Encoding": "br"}),
}


@pytest.mark.parametrize("kind", list(BAD_BODIES))
def test_malformed_bodies_are_4xx_json_and_change_nothing(server, api, flowers, kind):
    body, headers = BAD_BODIES[kind]
    before = state(server)
    for method, path in write_routes(flowers["uuid"]):
        response = api.request(
            method, path, data=body, headers={"Content-Type": "application/json", **headers}
        )
        assert 400 <= response.status_code < 500, (kind, method, path, response.text)
        assert isinstance(response.json(), (dict, list)), (kind, method, path)
    assert state(server) == before


WRONG_TYPES = [
    ("POST", "user/datasets/", {"name": 3}),
    ("POST", "user/datasets/", {"name": ""}),
    ("POST", "user/datasets/", {"name": "a/b"}),
    ("POST", "user/datasets/", {"name": "x", "public": "yes"}),
    ("POST", "user/datasets/", {"name": "x", "task_type": "painting"}),
    ("POST", "user/datasets/", {"name": "x", "category": "cats"}),
    ("POST", "user/datasets/", {"name": "x", "metadata": []}),
    ("POST", "user/datasets/", {"name": "x", "labeling_inactivity_timeout_seconds": "5"}),
    ("POST", "user/datasets/", {"name": "x", "task_attributes": {"categories": [{"id": "1"}]}}),
    ("POST", "user/datasets/", {"name": "x", "metadata": None}),
    ("PATCH", "datasets/demo/flowers/", {"enable_ratings": 1}),
    ("PATCH", "datasets/demo/flowers/", {"task_type": "???"}),
    ("POST", "datasets/demo/flowers/clone/", {"clone_labels": "true"}),
    ("POST", "datasets/demo/flowers/collaborators/", {"user": ["x"]}),
    ("POST", "datasets/demo/flowers/samples/", {"name": "b", "attributes": []}),
    (
        "POST",
        "datasets/demo/flowers/samples/",
        {"name": "b", "attributes": {"image": {}}, "priority": "hi"},
    ),
    (
        "POST",
        "datasets/demo/flowers/samples/",
        {"name": "b", "attributes": {"image": {}}, "metadata": "m"},
    ),
    (
        "POST",
        "datasets/demo/flowers/samples_bulk/",
        [{"name": "b", "attributes": {"image": {}}}, 7],
    ),
    ("DELETE", "datasets/demo/flowers/samples_bulk/", {"uuids": "abc"}),
    ("DELETE", "datasets/demo/flowers/samples_bulk/", {"uuids": [1, 2]}),
    ("PATCH", "samples/{uuid}/", {"name": None}),
    ("PATCH", "samples/{uuid}/", {"priority": True}),
    ("PUT", "labels/{uuid}/ground-truth/", {"attributes": {}, "label_status": "labeled"}),
    ("PATCH", "labels/{uuid}/ground-truth/", {"score": [1]}),
    ("POST", "datasets/demo/flowers/labelsets/", {"name": "x", "attributes": 5}),
    ("POST", "samples/{uuid}/issues/", {"description": 5}),
    ("POST", "samples/{uuid}/issues/", {"description": "x", "status": "open"}),
    ("POST", "datasets/demo/flowers/releases/", {"name": ["v1"]}),
    ("POST", "assets/", {"filename": 5}),
]


@pytest.mark.parametrize(("method", "path", "body"), WRONG_TYPES)
def test_wrong_types_and_unknown_enums_are_field_level_400s(
    server, api, flowers, method, path, body
):
    before = state(server)
    response = api.request(method, path.format(uuid=flowers["uuid"]), json=body)
    assert response.status_code == 400, response.text
    errors = response.json()
    if isinstance(errors, dict):
        assert all(isinstance(messages, list) for messages in errors.values()), errors
    assert state(server) == before


def test_page_size_over_the_maximum_is_400(api, flowers):
    response = api.get("datasets/demo/flowers/samples/?per_page=1001")
    assert response.status_code == 400
    assert list(response.json()) == ["per_page"]


@pytest.mark.parametrize("page", ["0", "-1", "two"])
def test_bad_page_number_is_invalid_page(api, flowers, page):
    response = api.get(f"datasets/demo/flowers/samples/?page={page}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_oversized_body_is_400(server, api, flowers, monkeypatch):
    from segments_orm.emulator import _app

    monkeypatch.setattr(_app, "MAX_BODY_BYTES", 1000)
    before = state(server)
    big = {"name": "big", "attributes": {"image": {"url": "u" * 2000}}}
    response = api.post("datasets/demo/flowers/samples/", json=big)
    assert response.status_code == 400
    assert "exceeds" in response.json()["detail"]
    bomb = gzip.compress(json.dumps(big).encode())  # small on the wire, large once inflated
    assert len(bomb) < 1000
    response = api.post(
        "datasets/demo/flowers/samples/",
        data=bomb,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert state(server) == before


def test_empty_body_counts_as_empty_object(api, flowers):
    response = api.post("user/datasets/", data=b"", headers={"Content-Type": "application/json"})
    assert response.json() == {"name": ["This field is required."]}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(CHARS, max_size=8),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(CHARS, max_size=8), children, max_size=3)
        ),
        max_leaves=8,
    )
)
def test_arbitrary_json_never_causes_a_server_error(server, api, flowers, body):
    for method, path in write_routes(flowers["uuid"]):
        response = api.request(method, path, json=body)
        assert response.status_code < 500, (method, path, body, response.text)
        if response.content:
            response.json()
    assert server.emulator.stats.internal_errors == 0
