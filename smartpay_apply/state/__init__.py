"""The state store: SQLite by default, PostgreSQL for teams (see docs/state.md).

`open_store(location, base_dir=...)` is the one entry point; `smartpay_apply.runtime.open_state`
calls it with the project's `state:` setting.
"""

from __future__ import annotations

from pathlib import Path

from smartpay_apply.errors import StateError
from smartpay_apply.state.base import (
    EVENT_OUTCOMES,
    OUTCOMES,
    SECTIONS,
    AuditEvent,
    RunRecord,
    RunStep,
    StateStore,
    Submission,
    event_outcome,
)
from smartpay_apply.state.locks import LockInfo, LockKey, LockOwner

__all__ = [
    "EVENT_OUTCOMES",
    "OUTCOMES",
    "SECTIONS",
    "AuditEvent",
    "LockInfo",
    "LockKey",
    "LockOwner",
    "RunRecord",
    "RunStep",
    "StateStore",
    "Submission",
    "event_outcome",
    "is_postgres_url",
    "open_store",
]

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(location: str) -> bool:
    """True for a `postgresql://` or `postgres://` URL."""
    return location.strip().lower().startswith(_POSTGRES_SCHEMES)


def open_store(location: str, *, base_dir: Path) -> StateStore:
    """Open (and create or migrate) the store at `location`.

    A `postgresql://` / `postgres://` URL opens PostgreSQL through psycopg 3; anything else is a
    SQLite file path, relative to `base_dir` (parent directories and the file are created on
    first use). Unreachable, corrupt or newer stores raise StateError naming the store.
    The store is synchronous and thread-safe; use it as a context manager or call close().
    """
    from smartpay_apply.state.backend import Backend
    from smartpay_apply.state.sql import SqlStore

    location = location.strip()
    if not location:
        raise StateError("state: is empty; give a SQLite path or a postgresql:// URL")
    if is_postgres_url(location):
        from smartpay_apply.state.postgres import PostgresBackend

        backend: Backend = PostgresBackend(location)
    else:
        from smartpay_apply.state.sqlite import SqliteBackend

        path = Path(location).expanduser()
        backend = SqliteBackend(path if path.is_absolute() else base_dir / path)
    try:
        return SqlStore(backend)
    except BaseException:
        backend.close()
        raise
