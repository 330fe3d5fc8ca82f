"""Release.wait with an injected clock, and creates whose answer was lost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from http_fakes import API_ROOT, SECRET_KEY, FakeTime, connection_dropped, connection_refused
from orm_fakes import Call, FakeApi, dataset_json, release_json, sample_json

from segments_orm import Client
from segments_orm._transport import RetryPolicy
from segments_orm.exceptions import NetworkError, TimeoutError
from segments_orm.resources.release import ReleaseFailedError

RELEASES = "datasets/jane/flowers/releases/"


@pytest.fixture
def dataset(api: FakeApi, client: Client):
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    loaded = client.datasets.get("jane/flowers")
    api.reset_calls()
    return loaded


def statuses(api: FakeApi, *sequence: str) -> None:
    """Answer successive GETs of release v1 with ``sequence`` (the last one repeats)."""
    remaining = list(sequence)

    def handler(call: Call):
        status = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        return 200, release_json("v1", status)

    api.on("GET", RELEASES + "v1/", handler=handler)


def test_wait_polls_until_succeeded(api: FakeApi, dataset) -> None:
    api.on("POST", RELEASES, release_json("v1", "PENDING"), status=201)
    statuses(api, "PENDING", "PENDING", "SUCCEEDED")
    time = FakeTime()
    release = dataset.releases.create("v1")
    assert release.status == "PENDING"
    assert release.wait(timeout=60, poll=1, sleep=time.sleep, clock=time.clock) is release
    assert release.status == "SUCCEEDED"
    assert release.url == "https://files/x.json"
    assert len(api.requests_to("GET", RELEASES + "v1/")) == 3
    assert time.sleeps == [1.0, 1.5, 2.25]  # backing off


def test_wait_first_checks_after_a_quarter_second_then_backs_off_to_five(
    api: FakeApi, dataset
) -> None:
    api.on("POST", RELEASES, release_json("v1", "PENDING"), status=201)
    statuses(api, *["PENDING"] * 12, "SUCCEEDED")
    time = FakeTime()
    release = dataset.releases.create("v1").wait(sleep=time.sleep, clock=time.clock)
    assert release.status == "SUCCEEDED"
    assert time.sleeps[:3] == [0.25, 0.375, 0.5625]
    assert time.sleeps[-4:] == [5.0] * 4
    assert len([s for s in time.sleeps if s < 5]) == 8  # the first 12 s; then every 5 s


def test_wait_raises_when_the_release_failed(api: FakeApi, dataset) -> None:
    api.on("POST", RELEASES, release_json("v1", "PENDING"), status=201)
    statuses(api, "PENDING", "FAILED")
    time = FakeTime()
    release = dataset.releases.create("v1")
    with pytest.raises(ReleaseFailedError, match="v1"):
        release.wait(timeout=60, sleep=time.sleep, clock=time.clock)


def test_wait_raises_at_the_deadline(api: FakeApi, dataset) -> None:
    api.on("POST", RELEASES, release_json("v1", "PENDING"), status=201)
    statuses(api, "PENDING")
    time = FakeTime()
    release = dataset.releases.create("v1")
    with pytest.raises(TimeoutError, match="PENDING"):
        release.wait(timeout=10, poll=1, sleep=time.sleep, clock=time.clock)
    assert sum(time.sleeps) == pytest.approx(10)  # never sleeps past the deadline
    assert max(time.sleeps) <= 5


def test_download_before_success_is_refused(api: FakeApi, dataset) -> None:
    from segments_orm.exceptions import ValidationError

    api.on("POST", RELEASES, release_json("v1", "PENDING"), status=201)
    release = dataset.releases.create("v1")
    api.reset_calls()
    with pytest.raises(ValidationError, match="wait"):
        release.download()
    assert api.calls == []


# -- lost answers ------------------------------------------------------------------------


@pytest.fixture
def retrying_client(api: FakeApi) -> Iterator[Client]:
    """A client with the default retry policy (sleeping on a fake clock)."""
    time = FakeTime()
    made = Client(
        api_key=SECRET_KEY,
        api_url=API_ROOT,
        retry=RetryPolicy(sleep=time.sleep, clock=time.clock, random=lambda: 0.5),
        backend=api,
    )
    yield made
    made.close()


def commit_then_drop(api: FakeApi, path: str, store: list, make) -> None:
    """The first POST is committed (stored) but its answer is lost; later POSTs conflict."""

    def handler(call: Call):
        if any(item["name"] == call.body["name"] for item in store):
            return 400, {"detail": "An object with this name already exists."}
        store.append(make(call.body))
        raise connection_dropped()

    api.on("POST", path, handler=handler)


def test_lost_sample_create_returns_the_committed_sample(
    api: FakeApi, retrying_client: Client
) -> None:
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    dataset = retrying_client.datasets.get("jane/flowers")
    store: list = []
    path = "datasets/jane/flowers/samples/"
    commit_then_drop(api, path, store, lambda body: sample_json(body["name"]))

    def listing(call: Call):
        wanted = call.query.get("name__contains", "")
        page = int(call.query["page"])
        found = [s for s in store if wanted in s["name"]] if page == 1 else []
        return 200, found

    api.on("GET", path, handler=listing)
    sample = dataset.samples.create("a.jpg", {"image": {"url": "https://x/a.jpg"}})
    assert sample.name == "a.jpg"
    assert sample.uuid == "uuid-a.jpg"
    assert len(api.requests_to("POST", path)) == 1
    assert len(store) == 1


def test_lost_labelset_create_returns_the_committed_labelset(
    api: FakeApi, retrying_client: Client
) -> None:
    dataset = retrying_client.datasets.get("jane/flowers", lazy=True)
    store: list = []
    path = "datasets/jane/flowers/labelsets/"
    commit_then_drop(
        api,
        path,
        store,
        lambda body: {"name": body["name"], "description": body["description"]},
    )
    api.on("GET", path, handler=lambda call: (200, list(store)))
    labelset = dataset.labelsets.create("model-v2", description="predictions")
    assert labelset.name == "model-v2"
    assert labelset.description == "predictions"
    assert len(api.requests_to("POST", path)) == 1


def test_lost_release_create_returns_the_committed_release(
    api: FakeApi, retrying_client: Client
) -> None:
    dataset = retrying_client.datasets.get("jane/flowers", lazy=True)
    store: list = []
    commit_then_drop(api, RELEASES, store, lambda body: release_json(body["name"]))
    api.on("GET", RELEASES, handler=lambda call: (200, list(store)))
    release = dataset.releases.create("v1")
    assert release.name == "v1"
    assert release.status == "PENDING"
    assert len(api.requests_to("POST", RELEASES)) == 1


def test_create_that_never_reached_the_server_is_sent_again(api: FakeApi, client: Client) -> None:
    """A refused connection: nothing was committed, the lookup finds nothing, resend once."""
    dataset = client.datasets.get("jane/flowers", lazy=True)
    path = "datasets/jane/flowers/labelsets/"
    attempts: list = []

    def handler(call: Call):
        attempts.append(call)
        if len(attempts) == 1:
            raise connection_refused()
        return 201, {"name": call.body["name"], "description": ""}

    api.on("POST", path, handler=handler)
    api.on("GET", path, [])
    assert dataset.labelsets.create("m").name == "m"
    assert len(attempts) == 2


def test_http_errors_are_not_reconciled(api: FakeApi, client: Client) -> None:
    dataset = client.datasets.get("jane/flowers", lazy=True)
    path = "datasets/jane/flowers/labelsets/"
    api.on("POST", path, {"detail": "A server error occurred."}, status=500)
    with pytest.raises(NetworkError) as raised:
        dataset.labelsets.create("m")
    assert raised.value.status_code == 500
    assert api.requests_to("GET", path) == []
