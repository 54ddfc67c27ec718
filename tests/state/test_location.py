"""Where a store is: the accepted forms of `state:` / SMARTPAY_STATE, and opening without creating.

An unknown URL scheme used to become a local SQLite file named after the URL (password
included); now it is an error naming the allowed forms and never the URL.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smartpay_apply.errors import StateError
from smartpay_apply.state import (
    check_state_location,
    is_postgres_url,
    open_existing_store,
    open_store,
    parse_location,
)
from smartpay_apply.timeutil import now


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("postgresql://u:pw@db:5432/x", "postgresql://u:pw@db:5432/x"),
        ("postgres://u@db/x", "postgresql://u@db/x"),
        (
            "postgresql+psycopg://u:pw@db/x?sslmode=require",
            "postgresql://u:pw@db/x?sslmode=require",
        ),
        ("  POSTGRESQL://u@db/x ", "postgresql://u@db/x"),
    ],
)
def test_postgresql_urls_in_every_accepted_spelling(given: str, url: str) -> None:
    assert parse_location(given).url == url
    assert is_postgres_url(given)


@pytest.mark.parametrize(
    ("given", "path"),
    [
        (".smartpay/state.db", Path(".smartpay/state.db")),
        ("/var/lib/smartpay/state.db", Path("/var/lib/smartpay/state.db")),
        ("sqlite:///.smartpay/state.db", Path(".smartpay/state.db")),
        ("sqlite:////var/lib/state.db", Path("/var/lib/state.db")),
    ],
)
def test_sqlite_paths_plain_or_as_a_sqlite_url(given: str, path: Path) -> None:
    assert parse_location(given).path == path
    assert not is_postgres_url(given)


@pytest.mark.parametrize(
    "given",
    [
        "mysql://u:hunter2@db/x",
        "postgresql+asyncpg://u:hunter2@db/x",
        "https://u:hunter2@db/x",
        "sqlite://hunter2",
        "sqlite:///",
    ],
)
def test_any_other_url_is_an_error_that_never_shows_the_url(given: str, tmp_path: Path) -> None:
    with pytest.raises(StateError) as raised:
        open_store(given, base_dir=tmp_path)
    message = str(raised.value)
    assert "hunter2" not in message and "@db" not in message
    assert list(tmp_path.iterdir()) == []  # nothing was created
    with pytest.raises(ValueError, match="sqlite"):
        check_state_location(given)


def test_the_error_names_the_allowed_schemes(tmp_path: Path) -> None:
    with pytest.raises(StateError) as raised:
        open_store("mysql://u:pw@db/x", base_dir=tmp_path)
    assert str(raised.value) == (
        "the state store location has an unsupported URL scheme 'mysql://': give a file path or "
        "sqlite:///PATH (SQLite), or a postgresql://, postgres:// or postgresql+psycopg:// URL "
        "(PostgreSQL)"
    )


def test_a_sqlite_url_opens_the_file_relative_to_the_project(tmp_path: Path) -> None:
    with open_store("sqlite:///.smartpay/state.db", base_dir=tmp_path) as store:
        store.record_submission(1, "account", "f" * 64, app="demo", at=now())
    assert (tmp_path / ".smartpay" / "state.db").is_file()


def test_open_existing_store_creates_nothing_when_there_is_none(tmp_path: Path) -> None:
    assert open_existing_store(".smartpay/state.db", base_dir=tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_open_existing_store_opens_one_that_exists(opener, location, tmp_path: Path) -> None:
    opener().record_submission(5, "account", "a" * 64, app="demo", at=now())
    store = open_existing_store(location, base_dir=tmp_path)
    assert store is not None
    try:
        assert [s.app_id for s in store.list_submissions()] == [5]
    finally:
        store.close()


@pytest.mark.postgres
def test_open_existing_store_leaves_an_empty_postgresql_schema_empty(postgres_database) -> None:
    from .conftest import new_postgres_schema, run_raw

    url = new_postgres_schema(postgres_database)
    assert open_existing_store(url, base_dir=Path(".")) is None
    schema = url.rsplit("%3D", 1)[1]
    tables = run_raw(
        postgres_database,
        f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}'",
    )
    assert tables == []
