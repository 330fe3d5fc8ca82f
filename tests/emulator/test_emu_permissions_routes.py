"""The permission matrix, route by route from the router table.

test_emu_permissions.py checks each role against each *action*; this file checks the
routes themselves: every route of the table answers a stranger 404 on a private dataset
(never a 403 that would reveal it exists), every authenticated route answers 401 without
a key, every write route is exercised by the role matrix, and cloning follows the
documented rules for each role.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_emu_permissions import ACTIONS, ALLOWED, DENIED, perform, snapshot
from test_emu_permissions import world as world  # the role fixture, shared

from segments_orm.emulator._app import ROUTES, _find_route, _path_segments

NOT_FOUND = {"detail": "Not found."}


@pytest.fixture
def private(server: Any, api: Any) -> dict[str, str]:
    """A private dataset of demo's with one of everything; the values of every placeholder."""
    server.emulator.add_user("other")
    api.dataset("flowers", task_type="vector")
    sample = api.sample("demo/flowers", "a.jpg")
    api.label(sample["uuid"])
    issue = api.post(f"samples/{sample['uuid']}/issues/", json={"description": "x"}).json()
    api.post("datasets/demo/flowers/labelsets/", json={"name": "extra"})
    api.post("datasets/demo/flowers/releases/", json={"name": "r"})
    api.post("datasets/demo/flowers/collaborators/", json={"user": "other", "role": "labeler"})
    return {
        "owner": "demo",
        "name": "flowers",
        "org": "demo",
        "username": "other",
        "uuid": sample["uuid"],
        "issue_uuid": issue["uuid"],
        "labelset": "extra",
        "release": "r",
    }


def fill(pattern: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1).rstrip("*")
        if name == "uuid" and pattern.startswith("/issues/"):
            return values["issue_uuid"]
        return values[name]

    return re.sub(r"\{([^}]+)\}", one, pattern).lstrip("/") + "/"


def dataset_scoped(pattern: str) -> bool:
    """Routes that reach into one dataset (directly or through a sample, label or issue)."""
    return pattern.startswith(("/datasets/", "/samples/", "/labels/", "/issues/"))


SCOPED = [
    (route.pattern, method)
    for route in ROUTES
    if route.auth == "required" and dataset_scoped(route.pattern)
    for method in sorted(route.methods)
]
AUTHENTICATED = [
    (route.pattern, method)
    for route in ROUTES
    if route.auth == "required"
    for method in sorted(route.methods)
]


@pytest.mark.parametrize(("pattern", "method"), SCOPED)
def test_a_private_dataset_is_404_to_a_stranger_on_every_route(
    server, private, keyed, pattern, method
):
    stranger = keyed(server.emulator.add_user("stranger"))
    path = fill(pattern, private)
    before = snapshot(server)
    response = stranger.request(method, path, json={"name": "x", "description": "x"})
    assert response.status_code == 404, (method, path, response.status_code, response.text)
    assert response.json() == NOT_FOUND
    assert snapshot(server) == before


@pytest.mark.parametrize(("pattern", "method"), AUTHENTICATED)
def test_every_authenticated_route_refuses_no_key_and_a_wrong_key(
    server, private, keyed, pattern, method
):
    path = fill(pattern, {**private, "org": "demo"})
    before = snapshot(server)
    response = keyed(None).request(method, path, json={})
    assert response.status_code == 401, (method, path)
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    response = keyed(server.api_key[:-1] + "x").request(method, path, json={})
    assert response.status_code == 401, (method, path)
    assert response.json() == {"detail": "Invalid token."}
    assert snapshot(server) == before


# Write routes the role matrix does not reach through perform(), each with its own test.
COVERED_ELSEWHERE = {
    ("/datasets/{owner}/{name}/clone", "POST"): "test_clone_follows_the_matrix (here)",
    ("/user/datasets", "POST"): "any key may create its own datasets",
    ("/organizations/{org}/datasets", "POST"): "test_org_dataset_creation_needs_org_admin",
    ("/assets", "POST"): "test_assets_need_only_a_key",
    ("/_emulator/s3", "POST"): "storage: no auth by design (presigned)",
}


def test_every_write_route_is_in_the_role_matrix(server, world, monkeypatch):
    caller, dataset, sample_uuid, issue_uuid = world("owner")
    hit: set[tuple[str, str]] = set()
    original = type(caller).request

    def recording(self, method, path, **kwargs):
        found = _find_route(_path_segments("/" + path.split("?")[0]))
        if found is not None:
            hit.add((found[0].pattern, method))
        return original(self, method, path, **kwargs)

    monkeypatch.setattr(type(caller), "request", recording)
    for action in ACTIONS:
        perform(action, caller, dataset, sample_uuid, issue_uuid)
    writes = {
        (route.pattern, method) for route in ROUTES for method in route.methods if method != "GET"
    }
    assert len(hit) >= 15  # the recording saw the matrix's requests
    missing = writes - hit - set(COVERED_ELSEWHERE)
    assert not missing, f"write routes no role test exercises: {sorted(missing)}"


# Who may clone a dataset into their own account: anyone who may read a public one; for a
# private one, whoever could publish it (the clone is its cloner's to publish).
CLONE_STATUS = {
    role: (
        401
        if role == "anonymous"
        else 404
        if role == "stranger_private"
        else 201
        if role in ("owner", "org_admin", "admin", "stranger_public")
        else 403
    )
    for role in ALLOWED
}


@pytest.mark.parametrize("role", list(ALLOWED))
def test_clone_follows_the_matrix(server, world, role):
    caller, dataset, _, _ = world(role)
    before = snapshot(server)["datasets"]
    response = caller.post(f"datasets/{dataset}/clone/", json={"name": "copy"})
    expected = CLONE_STATUS[role]
    assert response.status_code == expected, (role, response.text)
    if expected == 201:
        assert response.json()["full_name"].endswith("/copy")
    else:
        assert snapshot(server)["datasets"] == before
    # Cloning into the organization needs its admin role, whatever one's role on the source.
    response = caller.post(f"datasets/{dataset}/clone/", json={"name": "copy2", "owner": "acme"})
    if role == "anonymous":
        assert response.status_code == 401
    elif role == "stranger_private":
        assert response.status_code == 404
    elif role in ("org_admin", "owner"):  # the world makes demo, the owner, acme's admin
        assert response.status_code == 201, response.text
    elif CLONE_STATUS[role] == 403:  # refused on the source already
        assert response.status_code == 403, (role, response.text)
    else:
        assert response.status_code == 403, (role, response.text)


def test_denied_statuses_are_documented_for_every_role():
    # The matrix names every caller of the emulator's docstring table.
    assert set(ALLOWED) == {
        "owner",
        "org_admin",
        "admin",
        "manager",
        "reviewer",
        "labeler",
        "org_member",
        "stranger_public",
        "stranger_private",
        "anonymous",
    }
    assert DENIED == {"stranger_private": 404, "anonymous": 401}
