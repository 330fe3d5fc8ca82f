"""QuerySets over a fake API: laziness, paging, slicing, caching, validation, bulk work."""

from __future__ import annotations

import pytest
from orm_fakes import FakeApi, dataset_json, sample_json, samples

from segments_orm import Client
from segments_orm.exceptions import MultipleObjectsReturned, NotFoundError, ValidationError

SAMPLES = "datasets/jane/flowers/samples/"
BULK = "datasets/jane/flowers/samples_bulk/"


@pytest.fixture
def dataset(api: FakeApi, client: Client):
    api.on("GET", "datasets/jane/flowers/", dataset_json())
    loaded = client.datasets.get("jane/flowers")
    api.reset_calls()
    return loaded


def pages_fetched(api: FakeApi, path: str = SAMPLES) -> list[int]:
    return sorted(int(c.query["page"]) for c in api.requests_to("GET", path))


# -- laziness ----------------------------------------------------------------------------


def test_building_a_queryset_makes_no_request(api: FakeApi, dataset) -> None:
    query = (
        dataset.samples.filter(name__contains="cat", label_status=["LABELED", "REVIEWED"])
        .filter(metadata={"weather": "sunny"})
        .order_by("-created_at")
        .include_label("ground-truth", full=True)
        .page_size(10)
    )
    dataset.samples.all().filter(name="x").order_by("name").page_size(3).iterator()
    assert api.calls == []
    assert repr(query).endswith("(not fetched yet)>")


def test_builders_return_new_querysets_and_leave_the_original(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(3))
    base = dataset.samples.all()
    narrowed = base.filter(name__contains="s0")
    ordered = base.order_by("-created_at")
    sized = base.page_size(2)
    with_label = base.include_label("ground-truth")
    assert len({id(q) for q in (base, narrowed, ordered, sized, with_label)}) == 5
    assert api.calls == []
    list(base)
    (call,) = api.calls
    assert "name__contains" not in call.query
    assert "labelset" not in call.query
    assert call.query["sort"] == "name"  # the default ordering, so pages stay stable
    assert call.query["per_page"] == "1000"


# -- iteration ---------------------------------------------------------------------------


def test_iteration_reaches_the_end_carrying_filters_and_ordering(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(25))
    query = (
        dataset.samples.filter(name__contains="s", label_status="LABELED")
        .order_by("-created_at")
        .include_label("ground-truth", full=True)
        .page_size(10)
    )
    names = [s.name for s in query]
    assert names == [f"s{i:04d}" for i in range(25)]
    calls = api.requests_to("GET", SAMPLES)
    assert sorted(int(c.query["page"]) for c in calls) == [1, 2, 3]  # 3 is short: the end
    for call in calls:
        assert call.query["per_page"] == "10"
        assert call.query["name__contains"] == "s"
        assert call.query["label_status"] == "LABELED"
        assert call.query["sort"] == "-created_at"
        assert call.query["labelset"] == "ground-truth"
        assert call.query["include_full_label"] == "1"


def test_iteration_stops_on_an_empty_page(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(20), past_end="empty")
    assert len(list(dataset.samples.all().page_size(10))) == 20
    assert pages_fetched(api) == [1, 2, 3]


def test_iteration_stops_on_invalid_page(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(20), past_end="404")
    assert len(list(dataset.samples.all().page_size(10))) == 20
    assert pages_fetched(api) == [1, 2, 3]


def test_a_404_on_the_first_page_surfaces(api: FakeApi, client: Client) -> None:
    api.on("GET", "datasets/jane/gone/samples/", {"detail": "Not found."}, status=404)
    shell = client.datasets.get("jane/gone", lazy=True)
    with pytest.raises(NotFoundError):
        list(shell.samples.all())


def test_a_404_other_than_invalid_page_surfaces_past_page_one(api: FakeApi, dataset) -> None:
    def handler(call):
        if call.query["page"] == "1":
            return 200, samples(10)
        return 404, {"detail": "Not found."}

    api.on("GET", SAMPLES, handler=handler)
    with pytest.raises(NotFoundError):
        list(dataset.samples.all().page_size(10))


def test_early_stop_fetches_at_most_one_page_ahead(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(100))
    iterator = dataset.samples.all().page_size(10).iterator()
    first = next(iterator)
    assert first.name == "s0000"
    iterator.close()
    assert pages_fetched(api) in ([1], [1, 2])


# -- slicing -----------------------------------------------------------------------------


def test_slice_fetches_only_the_covering_pages(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(100))
    got = dataset.samples.all().page_size(10)[25:37]
    assert [s.name for s in got] == [f"s{i:04d}" for i in range(25, 37)]
    assert pages_fetched(api) == [3, 4]


def test_index_fetches_one_page(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(100))
    assert dataset.samples.all().page_size(10)[5].name == "s0005"
    assert pages_fetched(api) == [1]


def test_index_past_the_end_raises_index_error(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(3))
    with pytest.raises(IndexError):
        dataset.samples.all()[7]


def test_slice_with_step(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(30))
    got = dataset.samples.all().page_size(10)[0:6:2]
    assert [s.name for s in got] == ["s0000", "s0002", "s0004"]


@pytest.mark.parametrize("key", [-1, slice(-5, None), slice(0, -1), "a"])
def test_negative_or_bad_indexes_are_refused(api: FakeApi, dataset, key) -> None:
    with pytest.raises(ValidationError):
        dataset.samples.all()[key]
    assert api.calls == []


# -- get, first, exists, count -------------------------------------------------------------


def test_first_is_one_small_request(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(50))
    assert dataset.samples.order_by("-created_at").first().name == "s0000"
    (call,) = api.calls
    assert call.query["per_page"] == "1"
    assert call.query["sort"] == "-created_at"


def test_first_and_exists_of_nothing(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, [])
    assert dataset.samples.first() is None
    assert dataset.samples.exists() is False
    assert len(api.calls) == 2


def test_exists_is_one_request(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(50))
    assert dataset.samples.filter(name__contains="s").exists() is True
    assert len(api.calls) == 1


def test_get_by_exact_name_refines_the_substring_filter(api: FakeApi, dataset) -> None:
    api.on("GET", SAMPLES, [sample_json("cat.jpg"), sample_json("cat.jpg.bak")])
    found = dataset.samples.all().get(name="cat.jpg")
    assert found.name == "cat.jpg"
    (call,) = api.calls
    assert call.query["name__contains"] == "cat.jpg"


def test_get_of_nothing_and_of_several(api: FakeApi, dataset) -> None:
    api.on("GET", SAMPLES, [], query={"name__contains": "none"})
    api.on(
        "GET",
        SAMPLES,
        [sample_json("cat1"), sample_json("cat2")],
        query={"name__contains": "cat"},
    )
    with pytest.raises(NotFoundError):
        dataset.samples.all().get(name__contains="none")
    with pytest.raises(MultipleObjectsReturned):
        dataset.samples.all().get(name__contains="cat")
    assert len(api.calls) == 2


def test_count_pages_with_the_largest_page_size(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(2530))
    assert dataset.samples.all().page_size(10).count() == 2530
    calls = api.requests_to("GET", SAMPLES)
    assert {c.query["per_page"] for c in calls} == {"1000"}
    assert pages_fetched(api) == [1, 2, 3]


# -- caching -----------------------------------------------------------------------------


def test_list_caches_but_iterator_streams(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(5))
    query = dataset.samples.all()
    assert len(list(query)) == 5
    assert len(api.calls) == 1
    assert len(list(query)) == 5
    assert len(query) == 5
    assert query.count() == 5
    assert query[1].name == "s0001"
    assert query.first().name == "s0000"
    assert len(api.calls) == 1  # all served from the cache
    streamed = dataset.samples.all()
    list(streamed.iterator())
    list(streamed.iterator())
    assert len(api.calls) == 3


def test_repr_of_a_fetched_queryset_is_truncated(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(8))
    query = dataset.samples.filter(name__contains="s")
    list(query)
    text = repr(query)
    assert text.startswith("<QuerySet samples name__contains='s' [<Sample 's0000'>")
    assert "s0004" in text
    assert "s0005" not in text
    assert text.endswith(", ... 3 more]>")


# -- validation before any request -----------------------------------------------------------


def test_unknown_lookup_names_the_supported_ones(api: FakeApi, dataset) -> None:
    with pytest.raises(ValidationError) as raised:
        dataset.samples.filter(colour="red")
    message = str(raised.value)
    for name in ("colour", "label_status", "metadata", "name", "name__contains"):
        assert name in message
    assert api.calls == []


def test_unknown_ordering_names_the_supported_ones(api: FakeApi, dataset) -> None:
    with pytest.raises(ValidationError) as raised:
        dataset.samples.order_by("-colour")
    assert "created_at" in str(raised.value)
    assert api.calls == []


@pytest.mark.parametrize(
    "lookups",
    [
        {"label_status": "DONE"},
        {"label_status": ["LABELED", "nope"]},
        {"label_status": []},
        {"metadata": {"weather": "sunny,rainy"}},
        {"metadata": {"a:b": "c"}},
        {"metadata": {}},
        {"metadata": {"k": [1, 2]}},
        {"name__contains": ""},
        {"name": 3},
    ],
)
def test_invalid_lookup_values_are_refused(api: FakeApi, dataset, lookups) -> None:
    with pytest.raises(ValidationError):
        dataset.samples.filter(**lookups)
    assert api.calls == []


def test_label_status_and_metadata_encoding(api: FakeApi, dataset) -> None:
    from segments_orm.enums import LabelStatus

    api.paged(SAMPLES, [])
    query = dataset.samples.filter(
        label_status=[LabelStatus.LABELED, "REVIEWED"], metadata={"weather": "sunny", "n": 3}
    )
    list(query)
    (call,) = api.calls
    assert call.query["label_status"] == "LABELED,REVIEWED"
    assert call.query["filters"] == "weather:sunny,n:3"


@pytest.mark.parametrize("size", [0, 1001, 2.5, True])
def test_bad_page_sizes_are_refused(dataset, size) -> None:
    with pytest.raises(ValidationError):
        dataset.samples.all().page_size(size)


def test_dataset_filter_refuses_other_lookups(api: FakeApi, client: Client) -> None:
    with pytest.raises(ValidationError, match="owner"):
        client.datasets.filter(name="x")
    assert api.calls == []


def test_datasets_of_an_owner_page_through_their_url(api: FakeApi, client: Client) -> None:
    api.paged("users/acme/datasets/", [dataset_json(f"acme/d{i}") for i in range(3)])
    names = [d.full_name for d in client.datasets.filter(owner="acme").page_size(2)]
    assert names == ["acme/d0", "acme/d1", "acme/d2"]
    assert pages_fetched(api, "users/acme/datasets/") == [1, 2]


# -- client-side filters of whole collections ---------------------------------------------


def test_whole_collections_filter_on_the_client(api: FakeApi, dataset) -> None:
    api.on(
        "GET",
        "datasets/jane/flowers/releases/",
        [
            {"name": "v1", "status": "SUCCEEDED", "created_at": "2026-01-01T00:00:00Z"},
            {"name": "v2", "status": "PENDING", "created_at": "2026-01-02T00:00:00Z"},
            {"name": "v3", "status": "SUCCEEDED", "created_at": "2026-01-03T00:00:00Z"},
        ],
    )
    query = dataset.releases.filter(status="SUCCEEDED").order_by("-created_at")
    assert api.calls == []
    assert [r.name for r in query] == ["v3", "v1"]
    with pytest.raises(ValidationError, match="status"):
        dataset.releases.filter(colour="red")


# -- bulk work ---------------------------------------------------------------------------


def test_bulk_create_chunks_and_keeps_input_order(api: FakeApi, dataset) -> None:
    def handler(call):
        # Answer in reverse order: the result must still follow the input.
        return 201, [sample_json(body["name"]) for body in reversed(call.body)]

    api.on("POST", BULK, handler=handler)
    names = [f"n{i:03d}" for i in range(25)]
    items = [{"name": n, "attributes": {"image": {"url": f"https://x/{n}"}}} for n in names]
    created = dataset.samples.bulk_create(items, batch_size=10)
    assert [s.name for s in created] == names
    posts = api.requests_to("POST", BULK)
    assert sorted(len(p.body) for p in posts) == [5, 10, 10]
    sent = sorted(name for p in posts for name in (b["name"] for b in p.body))
    assert sent == names


def test_bulk_create_checks_everything_before_sending(api: FakeApi, dataset) -> None:
    items = [
        {"name": "ok", "attributes": {"image": {"url": "https://x/ok"}}},
        {"name": "no-attributes"},
        {"name": "ok", "attributes": {"image": {"url": "https://x/ok"}}},
    ]
    with pytest.raises(ValidationError) as raised:
        dataset.samples.bulk_create(items)
    assert any("[1]" in e for e in raised.value.errors)
    assert any("[2]" in e for e in raised.value.errors)
    assert api.calls == []


def test_queryset_delete_sends_uuids_in_chunks_of_1000(api: FakeApi, dataset) -> None:
    api.paged(SAMPLES, samples(2300))

    def handler(call):
        return 200, {"deleted_count": len(call.body["uuids"])}

    api.on("DELETE", BULK, handler=handler)
    deleted = dataset.samples.filter(name__contains="s").delete()
    assert deleted == 2300
    deletes = api.requests_to("DELETE", BULK)
    assert [len(d.body["uuids"]) for d in deletes] == [1000, 1000, 300]
    assert deletes[0].body["uuids"][0] == "uuid-s0000"
    assert len({u for d in deletes for u in d.body["uuids"]}) == 2300


def test_breaking_out_of_a_loop_leaves_no_page_thread(api: FakeApi, dataset) -> None:
    import threading

    api.paged(SAMPLES, samples(50))
    for sample in dataset.samples.all().page_size(10):
        assert sample.name == "s0000"
        break
    for sample in dataset.samples.all().page_size(10).iterator():
        assert sample.name == "s0000"
        break
    assert not [t for t in threading.enumerate() if t.name.startswith("segments-orm-page")]


def test_iterating_the_dataset_manager_pages_to_the_end(api: FakeApi, client: Client) -> None:
    api.paged("user/datasets/", [dataset_json(f"jane/d{i:04d}") for i in range(1530)])
    assert len([d.full_name for d in client.datasets]) == 1530
    assert pages_fetched(api, "user/datasets/") == [1, 2]
    assert client.datasets.count() == 1530
