"""The state store: SQLite by default, PostgreSQL for teams (see docs/state.md).

`open_store(location, base_dir=...)` is the one entry point; `smartpay_apply.runtime.open_state`
calls it with the project's `state:` setting. The store's records and interface are imported
on first use (PEP 562), so reading `state.location` alone (the config does) stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartpay_apply.state.location import (
    Location,
    check_state_location,
    is_postgres_url,
    parse_location,
)

if TYPE_CHECKING:
    from smartpay_apply.state.base import (
        EVENT_OUTCOMES,
        OUTCOMES,
        SECTIONS,
        AuditEvent,
        Forgotten,
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
    "Forgotten",
    "Location",
    "LockInfo",
    "LockKey",
    "LockOwner",
    "RunRecord",
    "RunStep",
    "StateStore",
    "Submission",
    "check_state_location",
    "event_outcome",
    "is_postgres_url",
    "open_existing_store",
    "open_store",
    "parse_location",
]

_LAZY = {
    **dict.fromkeys(
        (
            "EVENT_OUTCOMES",
            "OUTCOMES",
            "SECTIONS",
            "AuditEvent",
            "Forgotten",
            "RunRecord",
            "RunStep",
            "StateStore",
            "Submission",
            "event_outcome",
        ),
        "smartpay_apply.state.base",
    ),
    **dict.fromkeys(("LockInfo", "LockKey", "LockOwner"), "smartpay_apply.state.locks"),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def _sqlite_path(location: Location, base_dir: Path) -> Path:
    assert location.path is not None
    return location.path if location.path.is_absolute() else base_dir / location.path


def open_store(location: str, *, base_dir: Path) -> StateStore:
    """Open (and create or migrate) the store at `location`.

    A PostgreSQL URL (see `parse_location`) opens PostgreSQL through psycopg 3; a path or
    `sqlite:///PATH` is a SQLite file, relative to `base_dir` (parent directories and the file
    are created on first use); any other URL is a StateError. Unreachable, corrupt or newer
    stores raise StateError naming the store.
    The store is synchronous and thread-safe; use it as a context manager or call close().
    """
    return _open(parse_location(location), base_dir)


def _open(parsed: Location, base_dir: Path) -> StateStore:
    from smartpay_apply.state.backend import Backend
    from smartpay_apply.state.sql import SqlStore

    if parsed.url is not None:
        from smartpay_apply.state.postgres import PostgresBackend

        backend: Backend = PostgresBackend(parsed.url)
    else:
        from smartpay_apply.state.sqlite import SqliteBackend

        backend = SqliteBackend(_sqlite_path(parsed, base_dir))
    try:
        return SqlStore(backend)
    except BaseException:
        backend.close()
        raise


def open_existing_store(location: str, *, base_dir: Path) -> StateStore | None:
    """The store at `location` if one was ever created there, else None — creating nothing.

    For read-only commands (`state show`, `lock list`, `events list`, ...): with no store yet
    they answer as for an empty one, and must not leave a file, a directory or a schema behind.
    """
    parsed = parse_location(location)
    if parsed.url is None:
        path = _sqlite_path(parsed, base_dir)
        return _open(parsed, base_dir) if path.is_file() else None
    from smartpay_apply.state.postgres import PostgresBackend

    probe = PostgresBackend(parsed.url)
    try:
        with probe.transaction(write=False) as tx:
            exists = probe.meta_exists(tx)
    finally:
        probe.close()
    return _open(parsed, base_dir) if exists else None
