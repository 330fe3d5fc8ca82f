"""Fault injection and rate limiting: making the emulator fail the way the real service does."""

from __future__ import annotations

import fnmatch
import math
import random
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence
from typing import Optional, Union

__all__ = ["Decision", "Faults", "RateLimiter", "Stats"]

#: The statuses `Faults.error_rates` may inject, with the bodies they answer.
ERROR_BODIES: dict[int, str] = {
    429: "Request was throttled. Expected available in {retry_after} seconds.",
    500: "A server error occurred.",
    502: "502 Bad Gateway",
    503: "Service temporarily unavailable, try again later.",
    # The gateway's phrase: segments-ai maps "time-out" to its TimeoutError (WIRE.md 11.2).
    504: "504 Gateway Time-out",
}


class Decision:
    """What the faults decided for one request."""

    __slots__ = ("delay", "kind", "status")

    def __init__(self, delay: float, kind: Optional[str], status: Optional[int]) -> None:
        self.delay = delay
        #: None, ``"error"``, ``"drop"`` or ``"drop_after_commit"``.
        self.kind = kind
        self.status = status


class Faults:
    """A seeded plan of failures applied to the HTTP requests the emulator serves.

    Each request that matches ``routes`` first waits ``latency``, then draws once: with the
    probabilities of ``error_rates`` it answers that status without doing anything, with
    ``drop_rate`` it closes the connection without answering, and with
    ``drop_after_commit_rate`` it performs the request and then closes the connection, so the
    write happens but the client never learns it. The draws of one `Faults` come from a
    single seeded generator, so a sequential run of requests sees a reproducible sequence.

    Args:
        latency: Seconds to wait before answering: a fixed value, or ``(min, max)`` for a
            uniform draw. None for no delay.
        error_rates: Probability of each injected status, e.g. ``{429: 0.1, 503: 0.05}``.
            Supported statuses are 429, 500, 502, 503 and 504.
        drop_rate: Probability of closing the connection before handling the request.
        drop_after_commit_rate: Probability of closing the connection after handling it.
        retry_after: Seconds announced in the ``Retry-After`` header of injected 429s.
        seed: Seed of the random generator; None for an unseeded one.
        routes: Glob patterns of request paths the faults apply to, such as
            ``"/datasets/*/samples_bulk/"``; None for every path.

    Raises:
        ValueError: If a rate is outside [0, 1], the rates add up to more than 1, a status is
            not supported or the latency is negative.
    """

    def __init__(
        self,
        latency: Union[float, tuple[float, float], None] = None,
        error_rates: Optional[Mapping[int, float]] = None,
        drop_rate: float = 0.0,
        drop_after_commit_rate: float = 0.0,
        retry_after: int = 1,
        seed: Optional[int] = None,
        routes: Optional[Sequence[str]] = None,
    ) -> None:
        if isinstance(latency, (int, float)):
            bounds: Optional[tuple[float, float]] = (float(latency), float(latency))
        elif latency is None:
            bounds = None
        else:
            low, high = latency
            bounds = (float(low), float(high))
        if bounds is not None and (bounds[0] < 0 or bounds[1] < bounds[0]):
            raise ValueError(f"latency must be >= 0 and min <= max, got {latency!r}")
        rates = {int(status): float(rate) for status, rate in (error_rates or {}).items()}
        for status in rates:
            if status not in ERROR_BODIES:
                supported = sorted(ERROR_BODIES)
                raise ValueError(f"cannot inject status {status}; use one of {supported}")
        all_rates = [*rates.values(), float(drop_rate), float(drop_after_commit_rate)]
        if any(not 0.0 <= rate <= 1.0 for rate in all_rates):
            raise ValueError("every rate must be between 0 and 1")
        if sum(all_rates) > 1.0 + 1e-9:
            raise ValueError("the rates add up to more than 1")
        if retry_after < 0:
            raise ValueError("retry_after must be >= 0")
        self.latency = bounds
        self.error_rates = rates
        self.drop_rate = float(drop_rate)
        self.drop_after_commit_rate = float(drop_after_commit_rate)
        self.retry_after = int(retry_after)
        self.seed = seed
        self.routes = tuple(routes) if routes is not None else None
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"Faults(latency={self.latency!r}, error_rates={self.error_rates!r}, "
            f"drop_rate={self.drop_rate!r}, "
            f"drop_after_commit_rate={self.drop_after_commit_rate!r}, "
            f"retry_after={self.retry_after!r}, seed={self.seed!r}, routes={self.routes!r})"
        )

    def applies_to(self, path: str) -> bool:
        """Tell whether the faults cover a request path (trailing slash optional)."""
        if self.routes is None:
            return True
        candidates = {path, path.rstrip("/") + "/", path.rstrip("/") or "/"}
        return any(
            fnmatch.fnmatchcase(candidate, pattern)
            for pattern in self.routes
            for candidate in candidates
        )

    def decide(self, path: str) -> Decision:
        """Draw the fate of one request to ``path``."""
        if not self.applies_to(path):
            return Decision(0.0, None, None)
        with self._lock:
            delay = self._random.uniform(*self.latency) if self.latency else 0.0
            draw = self._random.random()
        threshold = 0.0
        for status in sorted(self.error_rates):
            threshold += self.error_rates[status]
            if draw < threshold:
                return Decision(delay, "error", status)
        threshold += self.drop_rate
        if draw < threshold:
            return Decision(delay, "drop", None)
        threshold += self.drop_after_commit_rate
        if draw < threshold:
            return Decision(delay, "drop_after_commit", None)
        return Decision(delay, None, None)


class RateLimiter:
    """A sliding-window limit of ``limit`` requests per ``period`` seconds, per client key.

    Its state is bounded: a client whose last request is older than the period holds no
    entry (they are swept out as the limiter is used), and past `max_clients` entries the
    least recently seen client is forgotten. The application only counts authenticated
    users and anonymous addresses, never unregistered keys.
    """

    #: Clients tracked at most.
    max_clients = 10_000

    def __init__(self, limit: int, period: float) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("the rate limit needs at least 1 request per a positive period")
        self.limit = int(limit)
        self.period = float(period)
        # Least recently seen first, so that both sweeps stop at the first live entry.
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._hits)

    def check(self, client: str) -> Optional[int]:
        """Record a request; return the seconds to wait when it is over the limit, else None."""
        now = time.monotonic()
        with self._lock:
            self._sweep(now)
            hits = self._hits.pop(client, None) or deque()
            self._hits[client] = hits
            while hits and now - hits[0] >= self.period:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, math.ceil(self.period - (now - hits[0])))
            hits.append(now)
            return None

    def _sweep(self, now: float) -> None:
        # Called with the lock held; amortised O(1): each entry is removed once.
        while self._hits:
            oldest_client, oldest = next(iter(self._hits.items()))
            stale = not oldest or now - oldest[-1] >= self.period
            if not stale and len(self._hits) < self.max_clients:
                break
            del self._hits[oldest_client]


#: The counters of `Stats`, in the order its snapshot lists them.
_COUNTERS = ("requests", "by_status", "faults", "rate_limited", "internal_errors")


class Stats:
    """Counters of what the emulator served; read them through `Emulator.stats`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.by_status: dict[int, int] = {}
        self.faults: dict[str, int] = {}
        self.rate_limited = 0
        self.internal_errors = 0

    def count_request(self) -> None:
        """Count one request received."""
        with self._lock:
            self.requests += 1

    def count_status(self, status: int) -> None:
        """Count one answer sent with ``status``."""
        with self._lock:
            self.by_status[status] = self.by_status.get(status, 0) + 1

    def count_fault(self, kind: str) -> None:
        """Count one injected fault of ``kind``."""
        with self._lock:
            self.faults[kind] = self.faults.get(kind, 0) + 1

    def count_rate_limited(self) -> None:
        """Count one request refused by the rate limit."""
        with self._lock:
            self.rate_limited += 1

    def count_internal_error(self) -> None:
        """Count one unexpected exception turned into a 500."""
        with self._lock:
            self.internal_errors += 1

    def snapshot(self) -> dict[str, object]:
        """Return a copy of the counters as plain data."""
        with self._lock:
            # The per-key tables are copied, under the lock: the snapshot must not change
            # (or be read half-changed) as requests are counted.
            counters = {name: getattr(self, name) for name in _COUNTERS}
            return {name: dict(v) if isinstance(v, dict) else v for name, v in counters.items()}
