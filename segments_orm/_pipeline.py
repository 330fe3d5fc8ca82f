"""What bulk calls return and how they stop: per-item outcomes and interruptible runs.

Every bulk write (``samples.bulk_create``, ``labels.bulk_set``, ``assets.upload_many``)
returns a `BulkResults`: the objects in input order plus, per input item, what happened
to it (created, existing, updated, replaced, skipped, uploaded, reused). They all run
their requests through `run_items`, which adds to `segments_orm._concurrency.run_bulk`
what a pipeline needs: a progress callback, and an interrupt (Ctrl-C, or an exception
from the callback) that stops sending at once and hands back the partial result in a
`BulkInterrupted`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Sequence
from typing import Any, Callable, Generic, Optional, TypeVar

from segments_orm._concurrency import BulkResult, ProgressOption, cancellable, run_bulk
from segments_orm.exceptions import SegmentsError, ValidationError

__all__ = [
    "BulkInterrupted",
    "BulkResults",
    "Outcome",
    "run_items",
]

T = TypeVar("T")
R = TypeVar("R")


#: ``progress(done, total)``: called after each item (or batch) of a bulk call finishes.
class Outcome:
    """The words of `BulkResults.outcomes` (plain strings, compared with ``==``)."""

    CREATED = "created"  #: the object did not exist and was created
    EXISTING = "existing"  #: it existed already and was left as it was
    UPDATED = "updated"  #: it existed and its changed fields were written
    REPLACED = "replaced"  #: a label that existed was replaced
    SKIPPED = "skipped"  #: nothing was written; `BulkResults.reasons` says why
    UPLOADED = "uploaded"  #: a file was uploaded
    REUSED = "reused"  #: a file already uploaded (in this call or the journal) was reused
    FAILED = "failed"  #: the write failed; the error is in ``BulkError.errors``
    NOT_SENT = "not sent"  #: the call was interrupted before this item was sent
    #: sent when the call was interrupted, answer not received: it may have been written
    IN_FLIGHT = "in flight"


class BulkResults(list[Any], Generic[R]):
    """The objects of a bulk call, in input order, and what happened to each input item.

    It is a list (one entry per input item, so existing code that iterates over the
    result keeps working); failed or unsent items are None.

    Attributes:
        outcomes: One `Outcome` word per input item.
        reasons: Why an item was skipped (or not sent), by input index.
    """

    def __init__(
        self,
        items: Sequence[Optional[R]],
        outcomes: Sequence[str],
        reasons: Optional[dict[int, str]] = None,
    ) -> None:
        super().__init__(items)
        self.outcomes: list[str] = list(outcomes)
        self.reasons: dict[int, str] = dict(reasons or {})

    def of(self, outcome: str) -> list[R]:
        """Return the objects whose outcome is ``outcome`` (``results.of("created")``)."""
        return [item for item, said in zip(self, self.outcomes) if said == outcome]

    def counts(self) -> dict[str, int]:
        """Return how many items had each outcome (``{"created": 3, "existing": 2}``)."""
        found: dict[str, int] = {}
        for said in self.outcomes:
            found[said] = found.get(said, 0) + 1
        return found

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"<BulkResults {len(self)} items: {parts or 'none'}>"


class BulkInterrupted(KeyboardInterrupt):
    """A bulk call was interrupted (Ctrl-C); what was done before is in ``results``.

    It is a `KeyboardInterrupt`, so scripts stop as they would, and ``except
    KeyboardInterrupt`` still catches it.

    Attributes:
        results: The `BulkResults` so far: outcome ``"not sent"`` for the items that
            were not sent, ``"in flight"`` for those whose requests were on their way
            (they may have been written: a re-run with ``on_existing`` or a journal
            settles them), None for their objects.
    """

    def __init__(self, message: str, results: BulkResults[Any]) -> None:
        super().__init__(message)
        self.results = results


class _InterruptedError(Exception):
    """Internal: run_items was interrupted; carries the items finished so far."""

    def __init__(
        self, finished: BulkResult[Any], cause: BaseException, in_flight: set[int]
    ) -> None:
        super().__init__("interrupted")
        self.finished = finished
        self.cause = cause
        self.in_flight = in_flight  # started, not finished: maybe written


def run_items(
    function: Callable[[T], R],
    items: Sequence[T],
    *,
    client: Any,
    description: str,
    progress: ProgressOption = None,
    weight: Optional[Callable[[T], int]] = None,
) -> BulkResult[R]:
    """Run ``function`` over ``items`` on the client's workers; stop at once when told.

    Args:
        function: One item's work (one or a few requests).
        items: The prepared items (already validated: nothing here can be refused).
        client: The `Client`, for its worker count and transport.
        description: What the items are, for the progress bar.
        progress: True/False/None for the tqdm bar (see `run_bulk`), or a callback
            ``progress(done, total)`` called after each item, on a worker thread.
        weight: How many units one item counts for (samples in a batch).

    Returns:
        The results in input order and the errors by index.

    Raises:
        _InterruptedError: A KeyboardInterrupt (or any exception from the callback) stopped
            the run; no item starts after it, and the work in flight gives up at its
            next request. The caller turns it into `BulkInterrupted`.
    """
    stop = threading.Event()
    finished: dict[int, R] = {}
    started: set[int] = set()
    total = sum(weight(i) for i in items) if weight else len(items)
    done = [0]
    lock = threading.Lock()
    callback = progress if callable(progress) else None

    def guarded(pair: tuple[int, T]) -> R:
        index, item = pair
        if stop.is_set():
            raise _NotStartedError("stopped before this item started")
        started.add(index)
        with cancellable(stop):
            result = function(item)
        finished[index] = result
        if callback is not None:
            with lock:
                done[0] += weight(item) if weight else 1
                count = done[0]
            try:
                callback(count, total)
            except BaseException:
                stop.set()  # before anything else starts: no request after the interrupt
                raise
        return result

    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["outcome"] = run_bulk(
                guarded,
                list(enumerate(items)),
                max_workers=client.max_workers,
                description=description,
                progress=False if callback is not None else progress,
                weight=(lambda pair: weight(pair[1])) if weight else None,
                transport=client.transport,
            )
        except BaseException as error:  # the callback's KeyboardInterrupt, or a bug
            box["error"] = error

    # The pool runs on a thread of its own so that this (main) thread stays free to take
    # Ctrl-C at once: it then stops new items and cancels the requests in flight at their
    # next attempt, instead of waiting for every running item to finish its requests.
    runner = threading.Thread(target=run, name="segments-orm-bulk-runner", daemon=True)
    runner.start()
    try:
        while runner.is_alive():  # ends with the run, itself bounded by the timeouts
            runner.join(0.05)
    except BaseException as error:  # KeyboardInterrupt
        stop.set()
        runner.join()
        box["error"] = error
    if "error" in box:
        stop.set()
        results: list[Optional[R]] = [finished.get(i) for i in range(len(items))]
        raise _InterruptedError(BulkResult(results, {}), box["error"], started - set(finished))
    outcome: BulkResult[R] = box["outcome"]
    errors = {i: e for i, e in outcome.errors.items() if not isinstance(e, _NotStartedError)}
    return BulkResult(outcome.results, errors)


class _NotStartedError(SegmentsError):
    """Internal: an item that was never started because the run was stopped."""


def mark_in_flight(results: BulkResults[Any], indexes: Iterable[int]) -> BulkResults[Any]:
    """Say ``"in flight"`` for the unfinished items among ``indexes`` (input indexes)."""
    for index in indexes:
        if results.outcomes[index] == Outcome.NOT_SENT:
            results.outcomes[index] = Outcome.IN_FLIGHT
    return results


def interrupted(error: _InterruptedError, results: BulkResults[Any], what: str) -> BaseException:
    """Return the exception to raise for an interrupted bulk call.

    A KeyboardInterrupt becomes `BulkInterrupted` with ``results``; any other exception
    (raised by the caller's progress callback) is returned as it was, with the partial
    results attached as ``partial_results``.
    """
    cause = error.cause
    done = sum(1 for said in results.outcomes if said not in (Outcome.NOT_SENT, Outcome.IN_FLIGHT))
    if isinstance(cause, KeyboardInterrupt):
        return BulkInterrupted(
            f"Interrupted: {done} of {len(results)} {what} were done (see .results); "
            "nothing more was sent",
            results,
        )
    # An exception class with __slots__ has no room for it: then it goes without.
    with contextlib.suppress(AttributeError):
        cause.partial_results = results  # type: ignore[attr-defined]
    return cause


def check_on_existing(value: Any) -> Optional[str]:
    """Return a valid ``on_existing`` mode (None, "skip", "update" or "error")."""
    if value is not None and value not in ("skip", "update", "error"):
        raise ValidationError(f"on_existing: expected 'skip', 'update' or 'error', got {value!r}")
    return value  # type: ignore[no-any-return]
