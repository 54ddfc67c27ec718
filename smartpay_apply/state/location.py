"""Where the state store is: the one reading of `state:` / SMARTPAY_STATE.

Light on purpose (no database driver, no crypto): the project config checks `state:` with it at
load, with file:line:col, and every command would pay for heavier imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smartpay_apply.errors import StateError

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
