"""The state store: SQLite by default, PostgreSQL for teams (see docs/state.md).

`open_store(location, base_dir=...)` is the one entry point; `smartpay_apply.runtime.open_state`
calls it with the project's `state:` setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smartpay_apply.errors import StateError
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

#: URL schemes that mean PostgreSQL (libpq's two, and SQLAlchemy's name for psycopg 3).
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
#: The allowed forms of `state:`, for error messages.
ALLOWED_LOCATIONS = (
    "a file path or sqlite:///PATH (SQLite), or a postgresql://, postgres:// or "
    "postgresql+psycopg:// URL (PostgreSQL)"
)


@dataclass(frozen=True)
class Location:
    """Where a store is: a SQLite file (`path`) or a PostgreSQL URL (`url`, libpq's form)."""

    path: Path | None = None
    url: str | None = None


def _scheme(location: str) -> str | None:
    """The URL scheme of `location` (lower case), or None when it is not a URL."""
    head, sep, _ = location.partition("://")
    return head.lower() if sep else None


def parse_location(location: str) -> Location:
    """`state:` -> a SQLite path or a PostgreSQL URL; StateError for anything else.

    Why strict: an unknown URL used to be taken as a relative file path, so a mistyped
    PostgreSQL URL silently became a local SQLite file (in a directory named after the URL,
    password included) and a team lost its shared locks without knowing. The message names the
    scheme only, never the rest of the URL (it may hold a password).
    """
    text = location.strip()
    if not text:
        raise StateError(f"the state store location is empty; give {ALLOWED_LOCATIONS}")
    scheme = _scheme(text)
    if scheme is None:
        return Location(path=Path(text).expanduser())
    if scheme in POSTGRES_SCHEMES:
        rest = text.partition("://")[2]
        return Location(url=f"postgresql://{rest}")  # the form libpq understands
    if scheme == "sqlite":
        rest = text.partition("://")[2]
        if not rest.startswith("/") or not rest[1:]:
            raise StateError(
                "the state store location sqlite://… must be sqlite:///PATH "
                "(three slashes, then a relative path; four for an absolute one)"
            )
        return Location(path=Path(rest[1:]).expanduser())
    raise StateError(
        f"the state store location has an unsupported URL scheme {scheme + '://'!r}: "
        f"give {ALLOWED_LOCATIONS}"
    )


def check_state_location(location: str) -> str:
    """For config validation: `location` unchanged if `parse_location` accepts it, else
    ValueError with the reason (never the URL itself: it may hold a password)."""
    try:
        parse_location(location)
    except StateError as error:
        raise ValueError(str(error).removeprefix("the state store location ")) from None
    return location


def is_postgres_url(location: str) -> bool:
    """True for a `postgresql://`, `postgres://` or `postgresql+psycopg://` URL."""
    return _scheme(location.strip()) in POSTGRES_SCHEMES


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
