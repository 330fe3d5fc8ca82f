"""The permission matrix of the emulator's docstring, role by role, route by route."""

from __future__ import annotations

import pytest

ACTIONS = [
    "read",
    "read_collaborators",
    "update_dataset",
    "write_samples",
    "write_labels",
    "review_labels",
    "write_labelsets",
    "write_releases",
    "write_issues",
    "delete_issues",
    "write_collaborators",
    "change_visibility",
    "clone_private",
    "delete_dataset",
]

ALL = set(ACTIONS)
# Who may let the data out (publish it, clone it while private) is who could publish it.
MANAGER = ALL - {"write_collaborators", "change_visibility", "clone_private", "delete_dataset"}
REVIEWER = {"read", "write_labels", "review_labels", "write_issues"}
LABELER = REVIEWER - {"review_labels"}

#: role -> actions allowed; everything else answers ``DENIED[role]``.
ALLOWED = {
    "owner": ALL,
    "org_admin": ALL,
    "admin": ALL - {"delete_dataset"},
    "manager": MANAGER,
    "reviewer": REVIEWER,
    "labeler": LABELER,
    "org_member": {"read"},
    # A public dataset is anyone's to clone: its data is already out.
    "stranger_public": {"read", "clone_private"},
    "stranger_private": set(),
    "anonymous": set(),
}
DENIED = {"stranger_private": 404, "anonymous": 401}


@pytest.fixture
def world(server, api, keyed):
    """Build a dataset with one of everything, and a caller with the role under test."""
    emulator = server.emulator
    caller_key = emulator.add_user("caller")
    emulator.add_user("other")
    emulator.add_user("third")
    emulator.add_organization("acme")
    emulator.add_member("acme", "demo", "admin")

    def build(role):
        owner = "acme" if role in ("org_admin", "org_member") else None
        public = role == "stranger_public"
        dataset = api.dataset("flowers", owner=owner, public=public)["full_name"]
        sample = api.sample(dataset, "a.jpg")
        api.label(sample["uuid"])
        issue = api.post(f"samples/{sample['uuid']}/issues/", json={"description": "x"}).json()
        api.post(f"datasets/{dataset}/labelsets/", json={"name": "extra"})
        api.post(f"datasets/{dataset}/releases/", json={"name": "r"})
        api.post(f"datasets/{dataset}/collaborators/", json={"user": "other", "role": "labeler"})
        if role in ("admin", "manager", "reviewer", "labeler"):
            response = api.post(
                f"datasets/{dataset}/collaborators/", json={"user": "caller", "role": role}
            )
            assert response.status_code == 201
        if role == "org_admin":
            emulator.add_member("acme", "caller", "admin")
        if role == "org_member":
            emulator.add_member("acme", "caller", "labeler")
        key = {"owner": server.api_key, "anonymous": None}.get(role, caller_key)
        return keyed(key), dataset, sample["uuid"], issue["uuid"]

    return build


def perform(action, caller, dataset, sample_uuid, issue_uuid, public=False):
    """Run the requests of one action and return their statuses."""
    ds = f"datasets/{dataset}"
    label = f"labels/{sample_uuid}/ground-truth/"
    calls = {
        "read": lambda: [
            caller.get(f"{ds}/"),
            caller.get(f"{ds}/samples/"),
            caller.get(f"samples/{sample_uuid}/"),
            caller.get(label),
            caller.get(f"{ds}/labelsets/"),
            caller.get(f"{ds}/issues/"),
            caller.get(f"{ds}/releases/r/"),
            caller.get(f"{ds}/workunits/"),
        ],
        "read_collaborators": lambda: [caller.get(f"{ds}/collaborators/other")],
        "update_dataset": lambda: [caller.patch(f"{ds}/", json={"description": "new"})],
        "write_samples": lambda: [
            caller.post(f"{ds}/samples/", json={"name": "b", "attributes": {"image": {}}}),
            caller.post(f"{ds}/samples_bulk/", json=[{"name": "c", "attributes": {"image": {}}}]),
            caller.patch(f"samples/{sample_uuid}/", json={"priority": 3}),
            caller.delete(f"{ds}/samples_bulk/", json={"uuids": ["unknown"]}),
            caller.delete(f"samples/{sample_uuid}/"),
        ],
        "write_labels": lambda: [
            caller.patch(label, json={"label_status": "LABELED"}),
            caller.put(label, json={"attributes": {"annotations": []}}),
            caller.delete(label),
        ],
        "review_labels": lambda: (
            [
                caller.patch(label, json={"label_status": status})
                for status in ("REVIEWING_IN_PROGRESS", "REVIEWED", "REJECTED", "VERIFIED")
            ]
            + [
                caller.put(
                    label, json={"label_status": "REVIEWED", "attributes": {"annotations": []}}
                )
            ]
        ),
        "write_labelsets": lambda: [
            caller.post(f"{ds}/labelsets/", json={"name": "new"}),
            caller.delete(f"{ds}/labelsets/extra/"),
        ],
        "write_releases": lambda: [
            caller.post(f"{ds}/releases/", json={"name": "new"}),
            caller.delete(f"{ds}/releases/r/"),
        ],
        "write_issues": lambda: [
            caller.post(f"samples/{sample_uuid}/issues/", json={"description": "y"}),
            caller.patch(f"issues/{issue_uuid}/", json={"status": "CLOSED"}),
        ],
        "delete_issues": lambda: [caller.delete(f"issues/{issue_uuid}/")],
        "write_collaborators": lambda: [
            caller.post(f"{ds}/collaborators/", json={"user": "third", "role": "labeler"}),
            caller.patch(f"{ds}/collaborators/other", json={"role": "reviewer"}),
            caller.delete(f"{ds}/collaborators/other"),
        ],
        "change_visibility": lambda: [caller.patch(f"{ds}/", json={"public": not public})],
        "clone_private": lambda: [
            caller.post(f"{ds}/clone/", json={"name": "copy", "clone_labels": True, "public": True})
        ],
        "delete_dataset": lambda: [caller.delete(f"{ds}/")],
    }
    return calls[action]()


def snapshot(server):
    with server.emulator.store.transaction() as tx:
        return {
            table: tx.all(f"SELECT * FROM {table}")
            for table in (
                "datasets",
                "samples",
                "labels",
                "labelsets",
                "issues",
                "releases",
                "collaborators",
            )
        }


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", list(ALLOWED))
def test_permission_matrix(server, world, role, action):
    caller, dataset, sample_uuid, issue_uuid = world(role)
    allowed = action in ALLOWED[role]
    before = None if allowed else [tuple(r) for rows in snapshot(server).values() for r in rows]
    public = role == "stranger_public"
    responses = perform(action, caller, dataset, sample_uuid, issue_uuid, public)
    for response in responses:
        if allowed:
            assert response.status_code < 300, (
                response.request.method,
                response.url,
                response.text,
            )
        else:
            expected = DENIED.get(role, 403)
            assert response.status_code == expected, (response.request.method, response.url)
            if expected == 403:
                assert response.json() == {
                    "detail": "You do not have permission to perform this action."
                }
            elif expected == 404:
                assert response.json() == {"detail": "Not found."}
    if not allowed:
        after = [tuple(r) for rows in snapshot(server).values() for r in rows]
        assert after == before  # a refused request writes nothing


def test_private_dataset_does_not_appear_in_lists(server, api, keyed):
    john = keyed(server.emulator.add_user("john"))
    api.dataset("secret")
    assert john.get("users/demo/datasets/").json() == []
    assert john.get("user/datasets/").json() == []


def test_public_dataset_is_listed_for_strangers(server, api, keyed):
    john = keyed(server.emulator.add_user("john"))
    api.dataset("open", public=True)
    assert [d["name"] for d in john.get("users/demo/datasets/").json()] == ["open"]
    assert john.get("datasets/demo/open/").json()["role"] is None


def test_role_is_reported_on_the_dataset(server, api, keyed):
    john = keyed(server.emulator.add_user("john"))
    api.dataset("flowers")
    api.post("datasets/demo/flowers/collaborators/", json={"user": "john", "role": "manager"})
    assert john.get("datasets/demo/flowers/").json()["role"] == "manager"
    assert api.get("datasets/demo/flowers/").json()["role"] == "admin"


def test_assets_need_only_a_key(server, keyed):
    john = keyed(server.emulator.add_user("john"))
    body = john.post("assets/", json={"filename": "a.png"}).json()
    assert body["presignedPostFields"]["fields"]["key"].startswith("assets/john/")


def test_a_manager_may_send_the_visibility_unchanged(server, world):
    # The platform's update_dataset sends every argument given; an unchanged public flag
    # alongside other settings is no publication.
    caller, dataset, _, _ = world("manager")
    response = caller.patch(f"datasets/{dataset}/", json={"public": False, "description": "d"})
    assert response.status_code == 200, response.text
    assert response.json()["public"] is False
    assert caller.patch(f"datasets/{dataset}/", json={"public": True}).status_code == 403


def test_a_labeler_keeps_the_non_review_statuses(server, world):
    caller, _, sample_uuid, _ = world("labeler")
    label = f"labels/{sample_uuid}/ground-truth/"
    for status in ("LABELING_IN_PROGRESS", "LABELED", "SKIPPED", "PRELABELED"):
        response = caller.patch(label, json={"label_status": status})
        assert response.status_code == 200, (status, response.text)
    assert caller.patch(label, json={"label_status": "REVIEWED"}).status_code == 403
    assert caller.get(label).json()["label_status"] == "PRELABELED"


def test_the_owners_email_is_shown_only_to_the_owner(server, api, keyed):
    stranger = keyed(server.emulator.add_user("stranger"))
    api.dataset("open", public=True)
    assert api.get("datasets/demo/open/").json()["owner"]["email"] == "demo@example.com"
    seen = [
        stranger.get("datasets/demo/open/").json()["owner"],
        stranger.get("users/demo/datasets/").json()[0]["owner"],
        stranger.post("datasets/demo/open/clone/", json={"name": "mine"}).json()["owner"],
    ]
    assert "email" not in seen[0] and "email" not in seen[1]
    assert seen[2]["username"] == "stranger" and seen[2]["email"] == "stranger@example.com"
    assert "email" not in stranger.get("users/demo").json()


def test_an_organizations_email_stays_public(server, api, keyed):
    server.emulator.add_organization("acme", "hello@acme.org")
    server.emulator.add_member("acme", "demo", "admin")
    stranger = keyed(server.emulator.add_user("stranger"))
    api.dataset("open", owner="acme", public=True)
    assert stranger.get("datasets/acme/open/").json()["owner"]["email"] == "hello@acme.org"
