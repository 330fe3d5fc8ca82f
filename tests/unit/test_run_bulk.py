"""run_bulk collects finished items in batches; what it returns and raises is unchanged.

Results come back in input order, SegmentsErrors per item, the bar moves once per item,
and a bug (any other exception) stops the whole operation at once: the items still
queued are never started.
"""

from __future__ import annotations

import threading
import time

import pytest

from segments_orm import _concurrency
from segments_orm.exceptions import NotFoundError


def test_results_in_input_order_errors_by_index_and_every_step_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    steps: list[int] = []
    monkeypatch.setattr(_concurrency.Progress, "advance", lambda self, n=1: steps.append(n))

    def work(item: int) -> int:
        time.sleep(0.001 * (item % 5))  # finish out of order
        if item % 7 == 3:
            raise NotFoundError(f"no {item}")
        return item * 2

    items = list(range(60))
    outcome = _concurrency.run_bulk(
        work, items, max_workers=4, progress=False, weight=lambda item: 1 + item % 2
    )
    assert outcome.results == [None if i % 7 == 3 else i * 2 for i in items]
    assert sorted(outcome.errors) == [i for i in items if i % 7 == 3]
    assert sorted(steps) == sorted(1 + i % 2 for i in items)


def test_a_bug_stops_the_operation_at_once() -> None:
    started: list[int] = []
    lock = threading.Lock()

    def work(item: int) -> int:
        with lock:
            started.append(item)
        if item == 0:
            raise RuntimeError("a bug")
        time.sleep(0.02)
        return item

    with pytest.raises(RuntimeError, match="a bug"):
        _concurrency.run_bulk(work, list(range(400)), max_workers=2, progress=False)
    # Queued items were dropped, not all run (2 workers, 20 ms each).
    assert len(started) < 50
