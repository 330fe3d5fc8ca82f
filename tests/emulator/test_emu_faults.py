"""Fault injection and the rate limit."""

from __future__ import annotations

import pytest
import requests

from segments_orm.emulator import Faults


def statuses(api, count, path="user"):
    return [api.get(path).status_code for _ in range(count)]


def test_seeded_error_rates_produce_the_expected_kinds(server, api):
    server.emulator.faults = Faults(error_rates={429: 0.3, 503: 0.2}, retry_after=2, seed=7)
    responses = [api.get("user") for _ in range(200)]
    seen = [r.status_code for r in responses]
    assert set(seen) == {200, 429, 503}
    faults = server.emulator.stats.faults
    assert faults["429"] == seen.count(429)
    assert faults["503"] == seen.count(503)
    # Loose bounds on a binomial draw; the seed makes the exact counts reproducible anyway.
    assert 30 < seen.count(429) < 90
    assert 15 < seen.count(503) < 65
    for response in responses:
        if response.status_code == 429:
            assert response.headers["Retry-After"] == "2"
            assert response.json() == {
                "detail": "Request was throttled. Expected available in 2 seconds."
            }
        elif response.status_code == 503:
            assert "detail" in response.json()


def test_the_same_seed_replays_the_same_sequence(server, api):
    server.emulator.faults = Faults(error_rates={500: 0.25, 502: 0.25}, seed=42)
    first = statuses(api, 60)
    server.emulator.faults = Faults(error_rates={500: 0.25, 502: 0.25}, seed=42)
    assert statuses(api, 60) == first


def test_injected_errors_do_not_write(server, api):
    server.emulator.faults = Faults(error_rates={503: 1.0})
    assert api.post("user/datasets/", json={"name": "flowers"}).status_code == 503
    server.emulator.faults = None
    assert api.get("datasets/demo/flowers/").status_code == 404


def test_gateway_timeout_uses_the_gateway_phrase(server, api):
    server.emulator.faults = Faults(error_rates={504: 1.0})
    response = api.get("user")
    assert response.status_code == 504
    assert "time-out" in response.text.lower()


def test_drop_closes_the_connection_without_answer(server, api):
    server.emulator.faults = Faults(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        api.get("user")
    assert server.emulator.stats.faults["drop"] == 1
    server.emulator.faults = None
    assert api.get("user").status_code == 200


def test_drop_before_commit_does_not_write(server, api):
    server.emulator.faults = Faults(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        api.post("user/datasets/", json={"name": "flowers"})
    server.emulator.faults = None
    assert api.get("datasets/demo/flowers/").status_code == 404


def test_drop_after_commit_writes_then_hangs_up(server, api):
    server.emulator.faults = Faults(drop_after_commit_rate=1.0, routes=["/user/datasets/"])
    with pytest.raises(requests.ConnectionError):
        api.post("user/datasets/", json={"name": "flowers"})
    assert server.emulator.stats.faults["drop_after_commit"] == 1
    # Other routes are untouched, and the write happened.
    assert api.get("datasets/demo/flowers/").status_code == 200


def test_routes_limit_the_faults(server, api):
    api.dataset("flowers")
    server.emulator.faults = Faults(error_rates={503: 1.0}, routes=["/datasets/*/samples_bulk/"])
    assert api.get("user").status_code == 200
    items = [{"name": "a", "attributes": {"image": {"url": "u"}}}]
    assert api.post("datasets/demo/flowers/samples_bulk/", json=items).status_code == 503
    # The trailing slash is optional in paths and patterns alike.
    assert api.post("datasets/demo/flowers/samples_bulk", json=items).status_code == 503
    assert api.get("datasets/demo/flowers/samples/").json() == []


def test_latency_is_counted(server, api):
    server.emulator.faults = Faults(latency=(0.001, 0.002), seed=1)
    assert statuses(api, 5) == [200] * 5
    assert server.emulator.stats.faults["latency"] == 5


def test_faults_are_per_server_attribute_and_removable(server, api):
    server.emulator.faults = Faults(error_rates={500: 1.0})
    assert api.get("user").status_code == 500
    server.emulator.faults = None
    assert api.get("user").status_code == 200


def test_faults_never_touch_the_admin_interface(server):
    server.emulator.faults = Faults(drop_rate=1.0)
    key = server.emulator.add_user("john")
    server.emulator.add_organization("acme")
    server.emulator.add_member("acme", "john", "admin")
    assert server.emulator.issue_api_key("john") != key


def test_stats_count_requests_and_statuses(server, api):
    api.get("user")
    api.get("users/nobody")
    stats = server.emulator.stats
    assert stats.requests == 2
    assert stats.by_status == {200: 1, 404: 1}
    assert stats.as_dict()["faults"] == {}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"error_rates": {429: 0.7, 503: 0.7}},
        {"error_rates": {418: 0.1}},
        {"drop_rate": -0.1},
        {"drop_rate": 1.5},
        {"latency": (0.5, 0.1)},
        {"latency": -1},
        {"retry_after": -1},
    ],
)
def test_faults_reject_impossible_settings(kwargs):
    with pytest.raises(ValueError, match=r"rate|status|latency|retry_after"):
        Faults(**kwargs)


def test_faults_repr_names_its_settings():
    text = repr(Faults(error_rates={429: 0.1}, seed=7, routes=["/user"]))
    assert "429" in text
    assert "seed=7" in text
    assert "/user" in text


def test_rate_limit_per_key(server, api, user_api):
    server.emulator.rate_limit = (3, 60)
    assert server.emulator.rate_limit == (3, 60.0)
    assert statuses(api, 3) == [200, 200, 200]
    refused = api.get("user")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["detail"].startswith("Request was throttled.")
    assert server.emulator.stats.rate_limited == 1
    # Another key has its own budget.
    assert user_api("john").get("user").status_code == 200
    # The presigned object store is not the API and is not limited.
    assert api.get("_emulator/s3/assets/demo/none.png").status_code == 404
    server.emulator.rate_limit = None
    assert api.get("user").status_code == 200


def test_reset_clears_faults_and_rate_limit(server, api):
    server.emulator.faults = Faults(error_rates={500: 1.0})
    server.emulator.rate_limit = (1, 60)
    server.emulator.reset()
    assert statuses(api, 3) == [200, 200, 200]
