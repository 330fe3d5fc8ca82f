"""Chained filters AND, as in Django; contradictions cost no request; small reads stay small."""

from __future__ import annotations

import threading

import pytest
from orm_fakes import FakeApi, dataset_json, samples

from segments_orm import Client
from segments_orm._transport import RetryPolicy
from segments_orm.exceptions import ValidationError

SAMPLES = "datasets/jane/flowers/samples/"


@pytest.fixture
def dataset(api: FakeApi, client: Client):
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    loaded = client.datasets.get("jane/flowers")
    api.reset_calls()
    return loaded


def test_chained_label_status_filters_keep_the_statuses_in_both(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(3))
    query = dataset.samples.filter(label_status=["LABELED", "REVIEWED"]).filter(
        label_status=["REVIEWED", "SKIPPED"]
    )
    list(query)
    assert {c.query["label_status"] for c in api.calls} == {"REVIEWED"}


def test_contradicting_filters_match_nothing_without_a_request(api: FakeApi, dataset) -> None:
    contradictions = [
        dataset.samples.filter(label_status="LABELED").filter(label_status="REVIEWED"),
        dataset.samples.filter(metadata={"k": 0}).filter(metadata={"k": 1}),
        dataset.samples.filter(name="cat.jpg", name__contains="zzz"),
        dataset.samples.filter(name__contains="zzz").filter(name="cat.jpg"),
    ]
    for query in contradictions:
        assert list(query) == []
        assert query.count() == 0
        assert query.first() is None
    assert api.calls == []


def test_chained_metadata_filters_are_united(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(2))
    list(dataset.samples.filter(metadata={"k": 0}).filter(metadata={"j": 1}))
    assert {c.query["filters"] for c in api.calls} == {"k:0,j:1"}


def test_name_and_a_substring_of_it_send_the_exact_name(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(3))
    list(dataset.samples.filter(name="s0001", name__contains="0001"))
    assert {c.query["name__contains"] for c in api.calls} == {"s0001"}


def test_a_second_value_the_api_cannot_take_is_refused(api: FakeApi, dataset) -> None:
    with pytest.raises(ValidationError, match="name__contains: already filtered"):
        dataset.samples.filter(name__contains="s00").filter(name__contains="cat")
    assert api.calls == []


def test_whole_collections_and_their_filters_too(api: FakeApi, dataset) -> None:
    api.on(
        "GET",
        "datasets/jane/flowers/issues/",
        [
            {"uuid": "i1", "status": "OPEN", "description": "a"},
            {"uuid": "i2", "status": "CLOSED", "description": "b"},
        ],
    )
    assert [i.uuid for i in dataset.issues.filter(status="OPEN").filter(status="OPEN")] == ["i1"]
    assert list(dataset.issues.filter(status="OPEN").filter(status="CLOSED")) == []


def test_a_lookup_value_is_copied_when_the_filter_is_built(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(1))
    wanted = {"weather": "sunny"}
    query = dataset.samples.filter(metadata=wanted)
    wanted["weather"] = "rain"
    list(query)
    assert {c.query["filters"] for c in api.calls} == {"weather:sunny"}


def test_a_small_slice_asks_for_a_small_page(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(50))
    assert [s.name for s in dataset.samples.all()[1:3]] == ["s0001", "s0002"]
    (call,) = api.calls
    assert (call.query["per_page"], call.query["page"]) == ("3", "1")


def test_get_asks_for_two_at_most(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(1))
    dataset.samples.filter(label_status="LABELED").get()
    (call,) = api.calls
    assert call.query["per_page"] == "2"


def test_breaking_out_abandons_the_page_read_ahead_instead_of_retrying_it(
    api: FakeApi, client: Client
) -> None:
    # Page 2 keeps answering 503 with a Retry-After: a read-ahead nobody waits for any more
    # must give up at its next wait, not sleep through the retry budget.
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    first = samples(2)
    started = threading.Event()

    def answer(call):
        if call.query["page"] == "1":
            return 200, first
        started.set()
        return 503, {"detail": "busy"}

    api.on("GET", SAMPLES, handler=answer)
    retrying = Client(
        api_key="k" * 40,
        api_url="https://api.example/",
        retry=RetryPolicy(max_attempts=10, backoff=30.0, max_backoff=30.0, total=600.0),
        backend=api,
    )
    try:
        dataset = retrying.datasets.get("jane/flowers")
        for sample in dataset.samples.all().page_size(2).iterator():
            assert started.wait(10)  # the read-ahead has been sent and failed once
            break
        # Had the read-ahead slept through its retries (30 s each), we would still be here.
        assert sample.name == "s0000"
    finally:
        retrying.close()
    page_two = [c for c in api.requests_to("GET", SAMPLES) if c.query["page"] == "2"]
    assert len(page_two) == 1
    assert not [t for t in threading.enumerate() if t.name.startswith("segments-orm-page")]


def test_filtering_datasets_by_owner_on_a_queryset_says_where_to_do_it(
    api: FakeApi, client: Client
) -> None:
    for build in (
        lambda: client.datasets.all().filter(owner="jane"),
        lambda: client.datasets.filter(owner="jane").filter(owner="john"),
    ):
        with pytest.raises(ValidationError, match=r"client\.datasets\.filter\(owner=\.\.\.\)"):
            build()
    assert api.calls == []


def test_a_server_capping_the_page_size_is_still_read_to_the_end(
    api: FakeApi, dataset
) -> None:
    # A server whose pages hold at most 100 items, whatever per_page asks (WIRE.md 10).
    items = samples(250)

    def capped(call):
        page = int(call.query["page"])
        chunk = items[(page - 1) * 100 : page * 100]
        if not chunk and page > 1:
            return 404, {"detail": "Invalid page."}
        return 200, chunk

    api.on("GET", SAMPLES, handler=capped)
    assert len(list(dataset.samples.all().iterator())) == 250
    assert dataset.samples.count() == 250


def test_a_short_page_of_an_odd_size_ends_iteration_without_another_request(
    api: FakeApi, dataset
) -> None:
    api.paged(SAMPLES, samples(37))
    list(dataset.samples.all())
    assert [c.query["page"] for c in api.calls] == ["1"]
