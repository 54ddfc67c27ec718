"""What the SQL store needs from a database: transactions, the clock, and the migration lock.

SQLite and PostgreSQL differ in a handful of places (placeholders, how a write transaction
starts, row locks, whose clock decides lock expiry); each backend hides them behind this small
interface so `sql.SqlStore` is written once. Statements use `?` placeholders.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from smartpay_apply.errors import StateError


class Cursor(Protocol):
    """The part of a DB-API cursor the store uses."""

    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: Any, params: Sequence[Any] = ...) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Tx:
    """One open transaction: run statements, read rows. Only valid inside `Backend.transaction`."""

    def __init__(self, cursor: Cursor, *, pyformat: bool) -> None:
        self._cursor = cursor
        self._pyformat = pyformat
        self.rowcount = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Tx:
        if self._pyformat:
            sql = sql.replace("%", "%%").replace("?", "%s")
        self._cursor.execute(sql, tuple(params))
        self.rowcount = self._cursor.rowcount
        return self

    def one(self) -> tuple[Any, ...] | None:
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    def all(self) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._cursor.fetchall()]


class Backend(abc.ABC):
    """A connection to one store, used by one thread at a time (the backend serialises)."""

    #: Where the store is, for messages (path, or URL with the password masked).
    name: str
    #: Appended to a SELECT that must lock the rows it reads until commit.
    for_update: str = ""
    #: Whether `batch` is worth it here: several calls in one transaction (group_commit.py).
    batches: bool = False

    @abc.abstractmethod
    def transaction(self, *, write: bool) -> AbstractContextManager[Tx]:
        """A transaction; `write` ones are serialised with every other writer of the store.

        Driver errors inside become StateError naming the store.
        """

    def batch(self) -> AbstractContextManager[None]:
        """One write transaction around several calls of this thread, each of their own
        transactions a savepoint in it (one that fails is undone alone); one commit at the end.

        Raises StateError when the batch did not commit (then none of it happened): the caller
        runs the calls again one by one (group_commit.py). Only backends with `batches`.
        """
        raise StateError(f"state store {self.name}: no batched transactions")

    @abc.abstractmethod
    def now_us(self, tx: Tx) -> int:
        """The clock lock expiry is judged by (the database server's, where there is one)."""

    @abc.abstractmethod
    def meta_exists(self, tx: Tx) -> bool:
        """True once the store has a schema (the meta table exists)."""

    def foreign_tables(self, tx: Tx) -> list[str]:
        """Tables that are not ours in a store without a schema (a file of another program)."""
        return []

    def migration_lock(self, tx: Tx) -> None:  # noqa: B027 - optional hook
        """Serialise migrations between processes beyond what a write transaction does."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection (idempotent)."""
