"""The emulator is lenient where the platform is: odd query values give a default, not a 400.

The platform's own ``test_resource_api.py`` sends shifted arguments
(``per_page=desc&labelset=<owner/name>&filters=UNLABELED&sort=-None``) and the service
answers 200 with a list; these tests pin each of those rules on its own.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def flowers(api):
    api.dataset("flowers", task_type="vector")
    for name in ("b.jpg", "c.jpg", "a.jpg"):
        sample = api.sample("demo/flowers", name, metadata={"k": name[0]})
    api.label(sample["uuid"], "LABELED")  # a.jpg
    return "demo/flowers"


def names(response):
    assert response.status_code == 200, response.text
    return [row["name"] for row in response.json()]


BASE = "datasets/demo/flowers/samples/"


def test_the_platform_suites_shifted_query_answers_a_list(api, flowers):
    query = "?per_page=desc&page=1&labelset=demo/flowers&filters=UNLABELED&sort=-None"
    response = api.get(BASE + query)
    assert names(response) == ["a.jpg", "b.jpg", "c.jpg"]
    # An unknown labelset has no labels: no sample carries one.
    assert [row["label"] for row in response.json()] == [None, None, None]


@pytest.mark.parametrize("per_page", ["desc", "0", "-3", "", "1.5"])
def test_a_page_size_that_is_not_a_positive_integer_gives_the_default(api, flowers, per_page):
    assert names(api.get(BASE + f"?per_page={per_page}")) == ["a.jpg", "b.jpg", "c.jpg"]


def test_a_page_size_over_the_maximum_is_still_refused(api, flowers):
    # Cutting it silently would make a client take the short page for the last one.
    response = api.get(BASE + "?per_page=1001")
    assert response.status_code == 400
    assert "per_page" in response.json()


@pytest.mark.parametrize("sort", ["None", "-None", "color", "-", ""])
def test_an_unknown_sort_key_gives_the_default_order(api, flowers, sort):
    assert names(api.get(BASE + f"?sort={sort}")) == ["a.jpg", "b.jpg", "c.jpg"]


def test_a_known_sort_key_still_sorts(api, flowers):
    assert names(api.get(BASE + "?sort=-name")) == ["c.jpg", "b.jpg", "a.jpg"]
    assert names(api.get(BASE + "?sort=-created")) == ["a.jpg", "c.jpg", "b.jpg"]


def test_filter_items_without_a_colon_are_ignored(api, flowers):
    assert names(api.get(BASE + "?filters=UNLABELED")) == ["a.jpg", "b.jpg", "c.jpg"]
    assert names(api.get(BASE + "?filters=UNLABELED,k:b")) == ["b.jpg"]
    assert names(api.get(BASE + "?filters=,:x,k:c")) == ["c.jpg"]


def test_an_unknown_labelset_lists_every_sample_as_unlabeled(api, flowers):
    response = api.get(BASE + "?labelset=nope&label_status=UNLABELED&include_full_label=1")
    assert names(response) == ["a.jpg", "b.jpg", "c.jpg"]
    assert names(api.get(BASE + "?labelset=nope&label_status=LABELED")) == []
    # The ground-truth labelset still sees a.jpg's label.
    assert names(api.get(BASE + "?labelset=ground-truth&label_status=LABELED")) == ["a.jpg"]


def test_an_unknown_label_status_is_still_refused(api, flowers):
    response = api.get(BASE + "?label_status=DONE")
    assert response.status_code == 400
    assert list(response.json()) == ["label_status"]


def test_workunits_with_an_unknown_sort_key_come_newest_first(api, flowers):
    sample = api.get(BASE + "?per_page=1").json()[0]
    api.label(sample["uuid"], "REVIEWED")  # a second workunit, after the fixture's
    base = "datasets/demo/flowers/workunits/"
    newest_first = api.get(base + "?sort=-created_at").json()
    assert len(newest_first) == 2
    assert api.get(base + "?sort=name").json() == newest_first
    assert api.get(base + "?sort=created_at").json() == newest_first[::-1]
