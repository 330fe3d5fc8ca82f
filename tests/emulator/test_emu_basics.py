"""Routing, authentication and the user endpoints, over real HTTP."""

from __future__ import annotations

import pytest


def test_api_status_answers_without_a_key(anonymous):
    response = anonymous.get("api_status/?lib_version=1.33.0")
    assert response.status_code == 200
    assert response.json() == {}


def test_api_status_rejects_a_wrong_key(keyed):
    response = keyed("not-a-key").get("api_status/?lib_version=1.33.0")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


@pytest.mark.parametrize("path", ["user", "user/datasets/", "datasets/demo/x/", "assets/"])
def test_missing_credentials_is_401(anonymous, path):
    response = anonymous.get(path)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_wrong_key_is_401_invalid_token(keyed):
    response = keyed("0" * 40).get("user")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_other_scheme_counts_as_no_credentials(anonymous, server):
    response = anonymous.get("user", headers={"Authorization": f"Bearer {server.api_key}"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_scheme_without_key_is_401(anonymous):
    response = anonymous.get("user", headers={"Authorization": "APIKey "})
    assert response.status_code == 401
    assert "detail" in response.json()


def test_get_me(api):
    response = api.get("user")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "demo"
    assert body["is_organization"] is False
    assert body["created_at"].endswith("Z")
    assert body["organizations"] == []


def test_get_me_lists_organizations(server, api):
    server.emulator.add_organization("acme")
    server.emulator.add_member("acme", "demo", "admin")
    body = api.get("user").json()
    assert [(org["username"], org["organization_role"]) for org in body["organizations"]] == [
        ("acme", "admin")
    ]


def test_get_user_by_name_and_organization(server, api, user_api):
    user_api("john")
    server.emulator.add_organization("acme")
    server.emulator.add_member("acme", "john", "manager")
    john = api.get("users/john")
    assert john.status_code == 200
    assert john.json()["username"] == "john"
    assert "email" not in john.json()  # private to the user
    acme = api.get("users/acme").json()
    assert acme["is_organization"] is True
    assert acme["members"][0]["username"] == "john"


def test_unknown_user_is_404(api):
    response = api.get("users/nobody")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("path", ["user", "user/", "users/demo", "users/demo/"])
def test_trailing_slash_is_optional_and_never_redirected(api, path):
    response = api.get(path)
    assert response.status_code == 200
    assert response.json()["username"] == "demo"


def test_post_without_trailing_slash_is_not_redirected(api):
    response = api.post("user/datasets", json={"name": "flowers"})
    assert response.status_code == 201


def test_unknown_route_is_404_json(api):
    for path in ("nothing/here/", "datasets/onlyone/", "datasets//x/", "labels/"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found."}


def test_wrong_method_is_405(api):
    response = api.post("user")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}
    assert "GET" in response.headers["Allow"]


def test_delete_answers_204_with_empty_body(api):
    api.dataset("flowers")
    response = api.delete("datasets/demo/flowers/")
    assert response.status_code == 204
    assert response.content == b""


def test_json_content_type_on_answers(api):
    response = api.get("user")
    assert response.headers["Content-Type"].startswith("application/json")


def test_admin_interface_validates(server):
    emulator = server.emulator
    key = emulator.add_user("john", "john@x.org")
    assert key
    assert key != server.api_key
    with pytest.raises(ValueError, match="taken"):
        emulator.add_user("john")
    with pytest.raises(ValueError, match="invalid username"):
        emulator.add_user("a/b")
    emulator.add_organization("acme")
    with pytest.raises(ValueError, match="no user"):
        emulator.add_member("acme", "nobody", "admin")
    with pytest.raises(ValueError, match="no organization"):
        emulator.add_member("john", "demo", "admin")
    with pytest.raises(ValueError, match="unknown role"):
        emulator.add_member("acme", "john", "boss")
    second = emulator.issue_api_key("john")
    assert second != key
    with pytest.raises(ValueError, match="no user"):
        emulator.issue_api_key("nobody")
    with pytest.raises(ValueError, match="already registered"):
        emulator.issue_api_key("john", second)


def test_issued_keys_all_authenticate(server, keyed):
    first = server.emulator.add_user("john")
    second = server.emulator.issue_api_key("john")
    for key in (first, second):
        assert keyed(key).get("user").json()["username"] == "john"


def test_reset_keeps_only_the_demo_user_and_key(server, api):
    server.emulator.add_user("john")
    api.dataset("flowers")
    server.emulator.reset()
    assert api.get("user").status_code == 200
    assert api.get("users/john").status_code == 404
    assert api.get("user/datasets/").json() == []


def test_seed_data(server, keyed):
    server.emulator.load_seed(
        {
            "users": [{"username": "john", "api_key": "john-key"}],
            "organizations": [{"name": "acme", "members": [{"username": "john", "role": "admin"}]}],
        }
    )
    john = keyed("john-key")
    assert john.get("user").json()["organizations"][0]["username"] == "acme"


def test_unexpected_exceptions_answer_json_500_and_are_counted(server, api, monkeypatch, caplog):
    from segments_orm.emulator import _app

    route = next(route for route in _app.ROUTES if route.pattern == "/user")

    def broken(ctx):
        raise RuntimeError("boom")

    monkeypatch.setitem(route.methods, "GET", broken)
    with caplog.at_level("ERROR", logger="segments_orm.emulator"):
        response = api.get("user")
    assert response.status_code == 500
    assert response.json() == {"detail": "A server error occurred."}
    assert server.emulator.stats.internal_errors == 1
    assert "boom" in caplog.text
    assert server.api_key not in caplog.text
    server.emulator.reset()  # the fixture checks that no other test hits a 500


def test_the_app_works_under_any_wsgi_server(server):
    # Without the RAW_URI of werkzeug's server, the path is re-derived from PATH_INFO.
    from werkzeug.test import Client

    from segments_orm.emulator import Emulator

    emulator = Emulator(release_delay=0)
    try:
        client = Client(emulator)
        headers = {"Authorization": f"APIKey {emulator.api_key}"}
        response = client.post("/user/datasets/", json={"name": "flowers"}, headers=headers)
        assert response.status_code == 201
        response = client.get("/datasets/demo/flowers", headers=headers)
        assert response.get_json()["full_name"] == "demo/flowers"
        created = client.post(
            "/datasets/demo/flowers/labelsets/", json={"name": "naïve x"}, headers=headers
        )
        assert created.status_code == 201
        fetched = client.get("/datasets/demo/flowers/labelsets/na%C3%AFve%20x/", headers=headers)
        assert fetched.get_json()["name"] == "naïve x"
    finally:
        emulator.close()


def _every_authenticated_endpoint():
    from segments_orm.emulator._app import ROUTES

    for route in ROUTES:
        if route.auth != "required":
            continue
        path = route.pattern
        for placeholder in ("{owner}", "{name}", "{username}", "{org}", "{uuid}", "{file}"):
            path = path.replace(placeholder, "x")
        path = path.replace("{labelset*}", "ls").replace("{release*}", "r").replace("{key*}", "k")
        for method in route.methods:
            yield method, path + "/"


@pytest.mark.parametrize(("method", "path"), list(_every_authenticated_endpoint()))
def test_every_api_endpoint_needs_credentials(anonymous, keyed, method, path):
    response = anonymous.request(method, path, json={})
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    response = keyed("not-a-real-key").request(method, path, json={})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
