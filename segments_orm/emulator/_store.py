"""The emulator's state in SQLite: one connection, one lock, one transaction per request.

A single connection guarded by a re-entrant lock is the simplest design that is both correct
for ``:memory:`` (which cannot be shared between connections) and atomic per request: a
request runs inside `Store.transaction`, which commits everything the handler wrote or rolls
all of it back when the handler raises. Requests are therefore serialised while they touch the
database; latency injection and network I/O happen outside the lock.

Entities keep their searchable keys in columns and the rest of their fields in a JSON ``doc``
column, so that adding a field to a response does not need a schema migration.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Optional

__all__ = ["DEMO_USERNAME", "Store", "Tx", "now_iso"]

DEMO_USERNAME = "demo"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    email TEXT,
    is_organization INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    key TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS memberships (
    org TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (org, username)
);
CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    public INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (owner, name)
);
CREATE TABLE IF NOT EXISTS collaborators (
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (dataset_id, username)
);
CREATE TABLE IF NOT EXISTS labelsets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    is_groundtruth INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (dataset_id, name)
);
CREATE TABLE IF NOT EXISTS samples (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (dataset_id, name)
);
CREATE TABLE IF NOT EXISTS labels (
    sample_uuid TEXT NOT NULL REFERENCES samples(uuid) ON DELETE CASCADE,
    labelset TEXT NOT NULL,
    dataset_id INTEGER NOT NULL,
    label_status TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (sample_uuid, labelset)
);
CREATE INDEX IF NOT EXISTS labels_by_dataset ON labels (dataset_id, labelset);
CREATE TABLE IF NOT EXISTS issues (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    sample_uuid TEXT NOT NULL REFERENCES samples(uuid) ON DELETE CASCADE,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS releases (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT NOT NULL,
    ready_at REAL NOT NULL,
    doc TEXT NOT NULL,
    content BLOB,
    UNIQUE (dataset_id, name)
);
CREATE TABLE IF NOT EXISTS workunits (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS assets (
    key TEXT PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    fields TEXT NOT NULL,
    created_at TEXT NOT NULL,
    content BLOB
);
"""

# Deleting in this order respects the foreign keys without relying on cascades.
_TABLES = (
    "assets",
    "workunits",
    "releases",
    "issues",
    "labels",
    "samples",
    "labelsets",
    "collaborators",
    "datasets",
    "memberships",
    "api_keys",
    "users",
)


def now_iso() -> str:
    """Return the current UTC time as ISO-8601 with microseconds and ``Z``."""
    # isoformat, not strftime("%Y-%m-%dT%H:%M:%S.%fZ"): the same text, at a fraction of the cost.
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def new_api_key() -> str:
    """Return a fresh random API key."""
    return secrets.token_hex(20)


class DeadlineExceededError(Exception):
    """Raised when a request has held the store longer than its bound."""


class Tx:
    """The handle a request uses to read and write inside its transaction."""

    def __init__(self, connection: sqlite3.Connection, deadline: Optional[float] = None) -> None:
        self._connection = connection
        self._deadline = deadline

    def past_deadline(self) -> bool:
        """Tell whether the transaction has run past its deadline."""
        return self._deadline is not None and time.monotonic() > self._deadline

    def check_deadline(self) -> None:
        """Raise `DeadlineExceededError` past the deadline (long Python loops call this)."""
        if self.past_deadline():
            raise DeadlineExceededError()

    def one(self, sql: str, args: Sequence[Any] = ()) -> Optional[sqlite3.Row]:
        """Run a query and return its first row, or None."""
        row: Optional[sqlite3.Row] = self._connection.execute(sql, tuple(args)).fetchone()
        return row

    def all(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run a query and return every row."""
        return list(self._connection.execute(sql, tuple(args)).fetchall())

    def run(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Run a statement and return the number of rows it changed."""
        return self._connection.execute(sql, tuple(args)).rowcount

    def insert(self, table: str, values: dict[str, Any]) -> int:
        """Insert one row built from ``values`` and return its rowid."""
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self._connection.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(values.values())
        )
        return int(cursor.lastrowid or 0)

    def scalar(self, sql: str, args: Sequence[Any] = ()) -> Any:
        """Run a query and return the first column of its first row (None when empty)."""
        row = self.one(sql, args)
        return None if row is None else row[0]


#: What json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=False) builds
#: per call; it is stateless, so one serves every thread.
_DOC_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def dump(doc: Any) -> str:
    """Serialise a JSON document for a ``doc`` column."""
    return _DOC_ENCODER.encode(doc)


def load(text: str) -> Any:
    """Parse a ``doc`` column."""
    return json.loads(text)


def _open_failure(path: str, error: sqlite3.Error) -> str:
    """Say why a database cannot be opened, in one line."""
    folder = os.path.dirname(os.path.abspath(path))
    hint = f" (the folder {folder!r} does not exist)" if not os.path.isdir(folder) else ""
    return f"cannot open the emulator database {path!r}: {error}{hint}"


class Store:
    """The SQLite database behind one emulator.

    Args:
        path: ``":memory:"`` for a throw-away state, or a file path whose state survives a
            restart.

    Raises:
        OSError: If SQLite cannot open or create the database (one line saying why).
    """

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.RLock()
        # isolation_level=None: transactions are begun and ended explicitly below, so that a
        # request's writes are committed together or not at all.
        try:
            self._connection = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None, timeout=30.0
            )
            self._connection.row_factory = sqlite3.Row
            self._connection.execute("PRAGMA foreign_keys = ON")
            if path != ":memory:":
                self._connection.execute("PRAGMA journal_mode = WAL")
                self._connection.execute("PRAGMA synchronous = NORMAL")
            self._connection.executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise OSError(_open_failure(path, error)) from None
        self._closed = False

    @contextmanager
    def transaction(self, max_seconds: Optional[float] = None) -> Iterator[Tx]:
        """Run a block as one atomic transaction, holding the store's lock throughout.

        Args:
            max_seconds: How long the block may hold the lock; past it, the running query
                (or the next `Tx.check_deadline`) raises `DeadlineExceededError` and the
                transaction is rolled back. None: no bound (the admin interface).
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the emulator's store is closed")
            deadline = None if max_seconds is None else time.monotonic() + max_seconds
            tx = Tx(self._connection, deadline)
            self._connection.execute("BEGIN IMMEDIATE")
            if deadline is not None:
                # SQLite calls this every N virtual-machine steps; non-zero interrupts the
                # statement, so one slow query cannot hold the lock past the deadline.
                self._connection.set_progress_handler(tx.past_deadline, 20_000)
            try:
                yield tx
            except sqlite3.OperationalError as error:
                self._connection.execute("ROLLBACK")
                if tx.past_deadline() and "interrupt" in str(error):
                    raise DeadlineExceededError() from None
                raise
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            else:
                self._connection.execute("COMMIT")
            finally:
                if deadline is not None:
                    self._connection.set_progress_handler(None, 0)

    def wipe(self) -> None:
        """Delete every row of every table."""
        with self.transaction() as tx:
            for table in _TABLES:
                tx.run(f"DELETE FROM {table}")

    def close(self) -> None:
        """Close the connection; later transactions raise."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._connection.close()
