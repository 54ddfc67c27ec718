"""The SQLite backend: one file, created on first use (default `.smartpay/state.db`).

Concurrency between processes comes from SQLite's own locking: every write transaction starts
with BEGIN IMMEDIATE (it takes the write lock up front, so a read-then-write such as a lock
upsert or a compare-and-swap cannot interleave with another writer), with a 30 s busy timeout.
WAL mode lets readers (plan, `state show`) run while the event receiver writes;
synchronous=FULL makes a committed event durable before the receiver answers `success`.
Within a process, one connection is shared by all threads behind a mutex.

Group commit (issue 16): `batch` runs several calls in one IMMEDIATE transaction, each call's
own transaction a savepoint in it, so they share one commit and one fsync instead of paying
one each; state/group_commit.py decides which calls, and what happens when a batch fails.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from smartpay_apply.errors import StateError
from smartpay_apply.state.backend import Backend, Tx

BUSY_TIMEOUT_S = 30.0


def _describe(error: sqlite3.Error) -> str:
    text = str(error) or type(error).__name__
    if "not a database" in text or "malformed" in text:
        return f"{text} (the file is corrupt or not a smartpay-apply state store)"
    if "locked" in text:
        return f"{text} (another process kept it locked for {BUSY_TIMEOUT_S:.0f} s)"
    return text


class SqliteBackend(Backend):
    """A SQLite file as a state store."""

    batches = True

    def __init__(self, path: Path) -> None:
        self.name = str(path)
        self._mutex = threading.RLock()
        #: Inside `batch` (only the thread holding the mutex ever sees it True).
        self._batching = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():  # owner-only from the start (SQLite's -wal/-shm files follow)
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError as error:
            raise StateError(
                f"state store {self.name}: cannot create it: {error.strerror}"
            ) from None
        try:
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise StateError(f"state store {self.name}: {_describe(error)}") from None
        try:
            self._configure(self._conn)
        except sqlite3.Error as error:
            self._conn.close()
            raise StateError(f"state store {self.name}: {_describe(error)}") from None

    @staticmethod
    def _configure(conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        # Switching to WAL needs a moment of exclusive access; a new store opened by several
        # processes at once may see "locked" here despite the busy timeout, so retry briefly.
        for attempt in range(50):
            try:
                conn.execute("PRAGMA journal_mode = WAL").fetchall()
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == 49:
                    raise
                time.sleep(0.05)
        conn.execute("PRAGMA synchronous = FULL")

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Tx]:
        with self._mutex:
            conn = self._conn
            if conn is None:
                raise StateError(f"state store {self.name} is closed")
            if self._batching:
                with self._savepoint(conn, write=write) as tx:
                    yield tx
                return
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield Tx(conn.cursor(), pyformat=False)
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as error:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StateError(f"state store {self.name}: {_describe(error)}") from None

    @contextmanager
    def batch(self) -> Iterator[None]:
        with self._mutex:
            conn = self._conn
            if conn is None:
                raise StateError(f"state store {self.name} is closed")
            self._batching = True
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                if not conn.in_transaction:  # SQLite rolled it back (an I/O error, disk full)
                    raise StateError(f"state store {self.name}: the batch's transaction was lost")
                conn.execute("COMMIT")
            except sqlite3.Error as error:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StateError(f"state store {self.name}: {_describe(error)}") from None
            finally:
                self._batching = False

    @contextmanager
    def _savepoint(self, conn: sqlite3.Connection, *, write: bool) -> Iterator[Tx]:
        """One call's transaction inside a batch: a savepoint, undone alone if the call fails.
        A read needs none (it changes nothing to undo)."""
        try:
            if not conn.in_transaction:
                raise StateError(f"state store {self.name}: the batch's transaction was lost")
            if not write:
                yield Tx(conn.cursor(), pyformat=False)
                return
            conn.execute("SAVEPOINT smartpay_call")
            try:
                yield Tx(conn.cursor(), pyformat=False)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK TO smartpay_call")
                    conn.execute("RELEASE smartpay_call")
                raise
            conn.execute("RELEASE smartpay_call")
        except sqlite3.Error as error:
            raise StateError(f"state store {self.name}: {_describe(error)}") from None

    def now_us(self, tx: Tx) -> int:
        return time.time_ns() // 1000

    def meta_exists(self, tx: Tx) -> bool:
        row = tx.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'smartpay_meta'"
        ).one()
        return row is not None

    def foreign_tables(self, tx: Tx) -> list[str]:
        rows = tx.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'smartpay%' "
            "AND name NOT LIKE 'sqlite%' ORDER BY name"
        ).all()
        return [str(row[0]) for row in rows]

    def close(self) -> None:
        with self._mutex:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
