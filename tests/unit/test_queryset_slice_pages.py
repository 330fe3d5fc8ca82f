"""A slice fetches only the pages that cover it (API.md 5), read-ahead included."""

from __future__ import annotations

import threading
from typing import Any

from segments_orm.query import FilterSchema, QuerySet


def make_queryset(total: int) -> tuple[QuerySet[int], list[int]]:
    asked: list[int] = []
    lock = threading.Lock()

    def fetch(query: dict[str, str]) -> list[Any]:
        page, per_page = int(query["page"]), int(query["per_page"])
        with lock:
            asked.append(page)
        return list(range(total))[(page - 1) * per_page : page * per_page]

    return QuerySet(fetch, lambda raw: raw, FilterSchema(paged=True)), asked


def test_a_slice_ending_on_a_full_page_asks_for_no_further_page() -> None:
    for _ in range(20):  # the read-ahead runs on a thread: give a race many chances
        queryset, asked = make_queryset(total=10)
        assert queryset.page_size(2)[2:4] == [2, 3]
        assert asked == [2]


def test_a_slice_across_pages_asks_for_exactly_the_covering_pages() -> None:
    queryset, asked = make_queryset(total=10)
    assert queryset.page_size(3)[2:7] == [2, 3, 4, 5, 6]
    assert asked == [1, 2, 3]


def test_an_open_slice_still_reads_to_the_end() -> None:
    queryset, asked = make_queryset(total=5)
    assert queryset.page_size(2)[1:] == [1, 2, 3, 4]
    assert asked == [1, 2, 3]
