"""The same state-store suite against SQLite and a real PostgreSQL (never skipped in CI)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smartpay_apply.state import StateStore, open_store

KEY = "test-state-key-5b0c1f7e2a9d4e60a1c3f8e7d6b5a4c3"

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_database(postgres_server_url: str) -> Iterator[str]:
    """One database for this suite's PostgreSQL tests (each test gets its own schema in it)."""
    import psycopg

    name = f"state_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{postgres_server_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(postgres_server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a fresh, empty store lives: a SQLite path, or a PostgreSQL URL.

    PostgreSQL stores are empty schemas selected with `options=-csearch_path=...` in the URL (as
    a team sharing one database would do): creating a database per test costs over a second.
    """
    if request.param == "sqlite":
        yield str(tmp_path / "nested" / "state.db")
        return
    yield new_postgres_schema(request.getfixturevalue("postgres_database"))


def new_postgres_schema(database: str) -> str:
    """A URL of a new, empty schema in `database` (selected with search_path in the URL)."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{database}?options=-csearch_path%3D{schema}"


@pytest.fixture
def opener(location: str, tmp_path: Path) -> Iterator[Callable[[], StateStore]]:
    """Opens the store at `location` (each call a new connection), closing them all afterwards."""
    opened: list[StateStore] = []

    def open_again() -> StateStore:
        store = open_store(location, base_dir=tmp_path)
        opened.append(store)
        return store

    yield open_again
    for store in opened:
        store.close()


@pytest.fixture
def store(opener: Callable[[], StateStore], monkeypatch: pytest.MonkeyPatch) -> StateStore:
    """A fresh store with SMARTPAY_STATE_KEY set."""
    monkeypatch.setenv("SMARTPAY_STATE_KEY", KEY)
    return opener()


def run_raw(location: str, sql: str) -> list[tuple]:
    """Run SQL directly on the store's database, outside smartpay-apply (commits)."""
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location, autocommit=True) as conn:
            cursor = conn.execute(sql)
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
    import sqlite3

    conn = sqlite3.connect(location, isolation_level=None)
    try:
        return [tuple(row) for row in conn.execute(sql).fetchall()]
    finally:
        conn.close()


def dump_all(location: str) -> str:
    """Every value of every smartpay table, as one text (to look for secrets in clear)."""
    tables = [
        "smartpay_meta",
        "smartpay_submissions",
        "smartpay_events",
        "smartpay_images",
        "smartpay_runs",
        "smartpay_steps",
        "smartpay_locks",
        "smartpay_secrets",
        "smartpay_observations",
        "smartpay_consents",
        "smartpay_suspensions",
    ]
    return "\n".join(
        repr(row) for table in tables for row in run_raw(location, f"SELECT * FROM {table}")
    )


@pytest.fixture
def raw(location: str) -> Callable[[str], list[tuple]]:
    """`raw(sql)`: rows straight from the database behind the store."""
    return lambda sql: run_raw(location, sql)
