"""The PostgreSQL backend (psycopg 3), for teams whose pipelines run on several machines.

Locks are rows with an expiry, changed only by an INSERT ... ON CONFLICT DO UPDATE ... WHERE
expired upsert (PostgreSQL locks the conflicting row and re-checks the WHERE on its latest
version, so exactly one of several racing takers wins). Rows, not advisory locks, because a lock
must outlive the connection that took it only until its ttl, be visible to `lock list` with its
owner and expiry, and be removable by `unlock` from another machine. Lock expiry is judged by the
database server's clock (`clock_timestamp()`), so machines with skewed clocks agree.

Migrations run under `pg_advisory_xact_lock` with a fixed 64-bit key, so two processes opening
a new database at once do not both create the tables. Compare-and-swap reads use SELECT ... FOR
UPDATE. One connection per store, shared by the store's threads behind a mutex, reconnected
when the server dropped it.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg

from smartpay_apply.errors import StateError
from smartpay_apply.state.backend import Backend, Tx

#: pg_advisory_xact_lock key for migrations: the first 8 bytes of a SHA-256, signed.
MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"smartpay-apply/state/migrations").digest()[:8], "big", signed=True
)
CONNECT_TIMEOUT_S = 10

_PASSWORD_PARAM = re.compile(r"(password=)[^&\s]*", re.IGNORECASE)


def mask_url(url: str) -> str:
    """The URL with its password (in the userinfo or a `password=` parameter) replaced by ****."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            userinfo, _, hostinfo = netloc.rpartition("@")
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:****@{hostinfo}"
        return _PASSWORD_PARAM.sub(r"\1****", urlunsplit(parts._replace(netloc=netloc)))
    except ValueError:
        return "postgresql://(unparseable URL)"


def _password(url: str) -> str | None:
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


class PostgresBackend(Backend):
    """A PostgreSQL database as a state store."""

    for_update = " FOR UPDATE"

    def __init__(self, url: str) -> None:
        self.name = mask_url(url)
        self._url = url
        self._mutex = threading.RLock()
        self._conn: psycopg.Connection[Any] | None = self._connect()

    def _message(self, error: Exception) -> str:
        """A driver error as one line, with the password masked wherever it appears."""
        text = " ".join(str(error).split()) or type(error).__name__
        password = _password(self._url)
        if password:
            text = text.replace(password, "****")
        return _PASSWORD_PARAM.sub(r"\1****", text)

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except (psycopg.Error, ValueError) as error:
            raise StateError(
                f"cannot reach the state store {self.name}: {self._message(error)}"
            ) from None

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Tx]:
        with self._mutex:
            conn = self._conn
            if conn is None:
                raise StateError(f"state store {self.name} is closed")
            if conn.closed or conn.broken:
                conn = self._conn = self._connect()
            try:
                with conn.transaction(), conn.cursor() as cursor:
                    yield Tx(cursor, pyformat=True)
            except psycopg.Error as error:
                raise StateError(f"state store {self.name}: {self._message(error)}") from None

    def now_us(self, tx: Tx) -> int:
        row = tx.execute("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint").one()
        assert row is not None
        return int(row[0])

    def meta_exists(self, tx: Tx) -> bool:
        row = tx.execute("SELECT to_regclass('smartpay_meta') IS NOT NULL").one()
        return bool(row and row[0])

    def migration_lock(self, tx: Tx) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK_KEY,))

    def close(self) -> None:
        with self._mutex:
            if self._conn is not None:
                self._conn.close()
            self._conn = None
