"""Bulk work over a bounded thread pool: results in input order, failures per item.

Bulk calls run their requests concurrently here; the only other requests in flight at
once are a queryset's page read ahead (``QuerySet._raw_pages``, a one-thread pool of its
own that uses `cancellable` from here). Each pool lives for one call and is always shut
down, even when the caller interrupts it. Throttling is
not handled here: every worker sends through the same `Transport`, whose shared gate
makes all of them wait after a 429 (so more workers never mean more 429s).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import queue
import sys
import threading
import warnings
from collections.abc import Sequence
from typing import Any, Callable, Generic, Optional, TypeVar, Union

import attrs

# BulkError lives with the other errors; it is re-exported here, where it was first.
from segments_orm.exceptions import BulkError, SegmentsError

__all__ = [
    "AbandonedError",
    "BulkError",
    "BulkResult",
    "Progress",
    "ProgressOption",
    "cancellable",
    "check_cancelled",
    "pause",
    "run_bulk",
]

T = TypeVar("T")
R = TypeVar("R")

# How often a bulk call collects its finished items (and moves its progress bar), in s.
_BATCH_INTERVAL = 0.05


class AbandonedError(SegmentsError):
    """The work was abandoned by its caller (for example a page read ahead, after ``break``)."""


# The cancel event of the work running on this thread, if it can be abandoned.
_scope = threading.local()


def cancellable(event: threading.Event) -> contextlib.AbstractContextManager[None]:
    """Run the body so that `check_cancelled` and `pause` give up once ``event`` is set.

    The transport checks before each attempt and sleeps through `pause`, so work that
    nobody waits for any more stops at its next retry instead of running to the end of
    its retry budget.
    """
    return _Cancellable(event)


class _Cancellable:
    """`cancellable`'s scope: a class, not a generator (entered once per bulk item)."""

    __slots__ = ("_event", "_previous")

    def __init__(self, event: threading.Event) -> None:
        self._event = event
        self._previous: Optional[threading.Event] = None

    def __enter__(self) -> None:
        self._previous = getattr(_scope, "event", None)
        _scope.event = self._event

    def __exit__(self, *exc_info: object) -> None:
        _scope.event = self._previous


def check_cancelled() -> None:
    """Raise `AbandonedError` if the work on this thread was abandoned."""
    event: Optional[threading.Event] = getattr(_scope, "event", None)
    if event is not None and event.is_set():
        raise AbandonedError("Abandoned by its caller")


def pause(seconds: float, sleep: Callable[[float], None]) -> None:
    """Sleep ``seconds`` with ``sleep``, or less if the work on this thread is abandoned."""
    event: Optional[threading.Event] = getattr(_scope, "event", None)
    if event is None:
        sleep(seconds)
    elif event.wait(seconds):
        raise AbandonedError("Abandoned by its caller")


@attrs.frozen
class BulkResult(Generic[R]):
    """The outcome of a bulk operation.

    Attributes:
        results: One entry per input item, in input order; None where it failed.
        errors: The error of each failed item, by its index in the input.
    """

    results: list[Optional[R]]
    errors: dict[int, SegmentsError]

    @property
    def ok(self) -> bool:
        """Tell whether every item succeeded."""
        return not self.errors

    def raise_for_errors(self, what: str = "items") -> list[R]:
        """Return the results, or raise `BulkError` if any item failed."""
        if self.errors:
            raise BulkError.from_result(self, what)
        return [r for r in self.results if r is not None]


# What a ``progress=`` argument takes: True/False to force a bar on or off, None to decide
# (a bar in Jupyter, or when tqdm is installed and stderr is a terminal), or a callable
# ``progress(done, total)`` called after each step, for pipeline loggers.
ProgressOption = Union[bool, None, Callable[[int, int], None]]


def _in_jupyter() -> bool:
    """Tell whether this runs in a Jupyter kernel (where stderr is no terminal)."""
    ipython = sys.modules.get("IPython")  # never imported here: only if already loaded
    get = getattr(ipython, "get_ipython", None)
    shell = get() if callable(get) else None
    return shell is not None and getattr(shell, "kernel", None) is not None


class Progress:
    """A progress bar (``tqdm.auto``: a widget in Jupyter), a callback, or nothing.

    The bar stays on screen when the work ends, so a long job leaves its record.

    Args:
        total: The number of steps.
        description: What is being done.
        enabled: True to force a bar, False to disable it, None to decide (in a Jupyter
            kernel, or on a terminal, when tqdm is installed), or a callable
            ``progress(done, total)`` to call after each step instead of a bar.
    """

    def __init__(self, total: int, description: str, enabled: ProgressOption = None) -> None:
        self._bar: Any = None
        self._callback: Optional[Callable[[int, int], None]] = None
        self._done = 0
        self._total = total
        if callable(enabled):
            self._callback = enabled
            return
        interactive = sys.stderr.isatty() or _in_jupyter()
        if enabled is False or (enabled is None and not interactive):
            return
        try:
            with warnings.catch_warnings():
                # Without ipywidgets, tqdm.auto falls back to a text bar (fine in Jupyter
                # too) and warns that widgets are missing: the bar is what matters.
                warnings.filterwarnings("ignore", message="IProgress not found")
                from tqdm.auto import tqdm
        except ImportError:
            return
        self._bar = tqdm(total=total, desc=description, unit="item", leave=True)

    def advance(self, steps: int = 1) -> None:
        """Move the bar forward (or tell the callback how far the work is)."""
        self._done += steps
        if self._bar is not None:
            self._bar.update(steps)
        elif self._callback is not None:
            self._callback(self._done, self._total)

    def note(self, text: str) -> None:
        """Show a short status next to the bar (for example a rate-limit wait)."""
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=True)

    def close(self) -> None:
        """Finish the bar (it stays on screen)."""
        if self._bar is not None:
            self._bar.close()


def run_bulk(
    function: Callable[[T], R],
    items: Sequence[T],
    *,
    max_workers: int,
    description: str = "items",
    progress: ProgressOption = None,
    weight: Optional[Callable[[T], int]] = None,
    transport: Any = None,
) -> BulkResult[R]:
    """Apply ``function`` to every item on at most ``max_workers`` threads.

    A `SegmentsError` from one item is recorded for that item and the others go on;
    any other exception is a bug and stops the whole operation (after the pool stops).

    Args:
        function: What to do with one item (typically one request).
        items: The inputs.
        max_workers: The bound on concurrent calls.
        description: What the items are, for the progress bar.
        progress: Show a progress bar (None: in Jupyter or on a terminal, when tqdm is
            installed), or a callable ``progress(done, total)``.
        weight: How many steps one item counts for on the bar (a chunk of 500 samples).
        transport: The transport the items go through; its retry and rate-limit waits
            are shown on the progress bar.

    Returns:
        The results in input order, with the failures by index.
    """
    results: list[Optional[R]] = [None] * len(items)
    errors: dict[int, SegmentsError] = {}
    total = sum(weight(i) for i in items) if weight else len(items)
    bar = Progress(total, description, progress)
    if not items:
        bar.close()
        return BulkResult(results, errors)

    def show_wait(seconds: float, reason: str) -> None:
        bar.note(f"waiting {seconds:.1f} s: {reason.split(':')[0][:40]}")

    if transport is not None:
        transport.add_wait_listener(show_wait)
    workers = max(1, min(max_workers, len(items)))
    pool = concurrent.futures.ThreadPoolExecutor(
        max_workers=workers, thread_name_prefix="segments-orm-bulk"
    )
    # One task per worker, each taking the next item as it finishes one: a task per item
    # cost ThreadPoolExecutor's submit, a future and its callbacks (~30 us an item in
    # B5's 2,000 label writes). Finished items are collected in batches, every
    # _BATCH_INTERVAL, at once when the last item finishes or one fails with a bug (any
    # exception but a SegmentsError), which stops the whole operation: no item starts
    # after it, nor after an interrupt of this thread.
    done: queue.SimpleQueue[tuple[int, Optional[bool], Any]] = queue.SimpleQueue()
    urgent = threading.Event()
    halt = threading.Event()
    finished_count = itertools.count(1)
    indexes = iter(range(len(items)))
    take = threading.Lock()

    def work() -> None:
        while not halt.is_set():
            with take:
                index = next(indexes, None)
            if index is None:
                return
            try:
                value: Any = function(items[index])
                outcome: Optional[bool] = True
            except SegmentsError as error:
                value, outcome = error, False
            except BaseException as error:  # a bug: recorded, then the run stops
                value, outcome = error, None
                halt.set()
            done.put((index, outcome, value))
            if next(finished_count) == len(items) or outcome is None:
                urgent.set()

    try:
        tasks = [pool.submit(work) for _ in range(workers)]
        pending = len(items)
        while pending:  # each item ends within its own time budget
            urgent.wait(_BATCH_INTERVAL)
            while pending:
                try:
                    index, outcome, value = done.get_nowait()
                except queue.Empty:
                    break
                pending -= 1
                if outcome is None:
                    raise value
                if outcome:
                    results[index] = value
                else:
                    errors[index] = value
                bar.advance(weight(items[index]) if weight else 1)
            if pending and done.empty() and all(task.done() for task in tasks):
                for task in tasks:
                    task.result()  # a worker's own failure, if any
                raise RuntimeError("bulk workers stopped with items left")  # pragma: no cover
    finally:
        # On an interrupt or a bug, no item starts; running ones finish (each is bounded
        # by the transport's timeout and retry budget).
        halt.set()
        pool.shutdown(wait=True)
        if transport is not None:
            transport.remove_wait_listener(show_wait)
        bar.close()
    return BulkResult(results, errors)
