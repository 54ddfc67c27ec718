"""The state store over SQL, written once for SQLite and PostgreSQL (see backend.py).

Every read-then-write happens inside one write transaction, so the rules below hold across
processes: an event is stored once however many deliveries race; a lock changes hands only when
it is free or expired (an upsert whose WHERE sees the current row); a compare-and-swap of a
secret sees the value it replaces. The record groups live in parts (sql_records, sql_runs,
sql_locks, sql_fleet); this module opens the store and migrates its schema.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from smartpay_apply.errors import StateError
from smartpay_apply.state.backend import Backend, Tx
from smartpay_apply.state.base import StateStore
from smartpay_apply.state.crypto import SecretBox, key_from_environment
from smartpay_apply.state.group_commit import GroupCommits
from smartpay_apply.state.schema import CREATE_META, LATEST, META_TABLE, MIGRATIONS
from smartpay_apply.state.sql_fleet import FleetPart
from smartpay_apply.state.sql_locks import LocksPart
from smartpay_apply.state.sql_records import RecordsPart
from smartpay_apply.state.sql_runs import RunsPart
from smartpay_apply.state.sqltime import from_us, to_us

__all__ = ["SqlStore", "from_us", "to_us"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class SqlStore(RecordsPart, RunsPart, LocksPart, FleetPart, StateStore):
    """A StateStore over a Backend. Opening it applies pending migrations."""

    def __init__(self, backend: Backend) -> None:
        self._db = backend
        self.name = backend.name
        self._migrate()
        self._salt = self._load_salt()
        passphrase = key_from_environment()
        self._box = SecretBox(passphrase, self._salt) if passphrase else None
        self._groups = GroupCommits(backend.batch) if backend.batches else None

    def close(self) -> None:
        self._db.close()

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        if self._groups is None:
            return await super().call(fn, *args, **kwargs)
        return await self._groups.call(fn, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    # -- schema --------------------------------------------------------------------------

    def _newer(self, version: int) -> StateError:
        return StateError(
            f"state store {self.name} was written by a newer smartpay-apply (schema version "
            f"{version}; this version knows up to {LATEST}): upgrade smartpay-apply to use it"
        )

    def _version(self, tx: Tx) -> int:
        if not self._db.meta_exists(tx):
            return 0
        row = tx.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'schema_version'").one()
        if row is None:
            return 0
        try:
            return int(row[0])
        except ValueError:
            raise StateError(
                f"state store {self.name}: unreadable schema version {row[0]!r}"
            ) from None

    def _migrate(self) -> None:
        """Bring the schema to LATEST; concurrent first opens serialise on the migration lock."""
        with self._db.transaction(write=False) as tx:
            version = self._version(tx)
        if version == LATEST:
            return
        if version > LATEST:
            raise self._newer(version)
        with self._db.transaction(write=True) as tx:
            self._db.migration_lock(tx)
            tx.execute(CREATE_META)
            version = self._version(tx)  # another process may have migrated meanwhile
            if version > LATEST:
                raise self._newer(version)
            foreign = self._db.foreign_tables(tx) if version == 0 else []
            if foreign:
                raise StateError(
                    f"state store {self.name} is a database of another program (tables: "
                    f"{', '.join(foreign[:5])}): point state: at a new file"
                )
            for number in range(version, LATEST):
                for statement in MIGRATIONS[number]:
                    tx.execute(statement)
                log.info("state store %s: applied schema migration %d", self.name, number + 1)
            tx.execute(
                f"INSERT INTO {META_TABLE} (key, value) VALUES ('salt', ?) ON CONFLICT (key) DO NOTHING",
                (secrets.token_hex(32),),
            )
            tx.execute(
                f"INSERT INTO {META_TABLE} (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(LATEST),),
            )

    def _load_salt(self) -> bytes:
        with self._db.transaction(write=False) as tx:
            row = tx.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'salt'").one()
        if row is None:
            raise StateError(
                f"state store {self.name}: its fingerprint salt is missing (damaged store)"
            )
        return bytes.fromhex(str(row[0]))

    def schema_version(self) -> int:
        """The store's schema version (LATEST once opened)."""
        with self._db.transaction(write=False) as tx:
            return self._version(tx)

    def salt(self) -> bytes:
        return self._salt
