"""Capability URLs expire as S3's do: presigned upload forms and signed release file URLs.

`Emulator.signed_url_ttl` sets their lifetime; a negative one issues them already expired,
so no test waits on a clock.
"""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from segments_orm.emulator._handlers import AWS_FIELDS


def _upload(file: dict) -> requests.Response:
    fields = file["presignedPostFields"]["fields"]
    data = {name: fields[name] for name in AWS_FIELDS}
    return requests.post(
        file["presignedPostFields"]["url"], data=data, files={"file": b"png"}, timeout=10
    )


def test_a_presigned_form_expires_with_its_policy(server, api):
    before = time.time()
    fresh = api.post("assets/", json={"filename": "a.png"}).json()
    policy = json.loads(base64.b64decode(fresh["presignedPostFields"]["fields"]["policy"]))
    assert policy["expiration"] > time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(before + 3500))
    assert _upload(fresh).status_code == 204

    server.emulator.signed_url_ttl = -1  # issued with an expiry in the past
    stale = api.post("assets/", json={"filename": "b.png"}).json()
    refused = _upload(stale)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Invalid according to Policy: Policy expired."}
    assert requests.get(stale["url"], timeout=10).status_code == 404  # nothing stored


@pytest.fixture
def release(server, api):
    server.emulator.release_delay = 0
    api.dataset("flowers", task_type="vector")
    api.sample("demo/flowers", "a.jpg")
    made = api.post("datasets/demo/flowers/releases/", json={"name": "v1"})
    assert made.status_code == 201, made.text
    return "datasets/demo/flowers/releases/v1/"


def _url(caller, path: str) -> str:
    body = caller.get(path).json()
    assert body["status"] == "SUCCEEDED", body
    return str(body["attributes"]["url"])


def test_a_release_url_is_signed_with_an_expiry_and_works_until_then(server, api, release):
    url = _url(api, release)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Emulator-User"] == ["demo"]
    assert int(query["X-Emulator-Expires"][0]) > time.time() + 3500
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["dataset"]["name"] == "flowers"


def test_an_expired_release_url_is_refused(server, api, release):
    server.emulator.signed_url_ttl = -1
    answer = requests.get(_url(api, release), timeout=10)
    assert answer.status_code == 403
    assert answer.json() == {"detail": "Access Denied: Request has expired."}


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url: url.split("?")[0],  # unsigned
        lambda url: url.replace("X-Emulator-Expires=", "X-Emulator-Expires=9"),  # extended
        lambda url: url.replace("X-Emulator-User=demo", "X-Emulator-User=john"),  # lent
    ],
)
def test_a_forged_release_url_is_refused(server, api, release, tamper):
    answer = requests.get(tamper(_url(api, release)), timeout=10)
    assert answer.status_code == 403
    assert answer.json() == {"detail": "Access Denied: the signature does not match."}


def test_a_release_url_stops_working_for_a_labeler_removed_from_the_dataset(
    server, api, keyed, release
):
    labeler = keyed(server.emulator.add_user("lab"))
    added = api.post(
        "datasets/demo/flowers/collaborators/", json={"user": "lab", "role": "labeler"}
    )
    assert added.status_code == 201, added.text
    url = _url(labeler, release)
    assert requests.get(url, timeout=10).status_code == 200
    assert api.delete("datasets/demo/flowers/collaborators/lab").status_code == 204
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 403
    assert answer.json() == {
        "detail": "Access Denied: the URL's user can no longer read the dataset."
    }
    # The owner's own URL still works.
    assert requests.get(_url(api, release), timeout=10).status_code == 200


def test_reset_restores_the_default_lifetime(server):
    server.emulator.signed_url_ttl = 5
    server.emulator.reset()
    assert server.emulator.signed_url_ttl == 3600
