"""Opening a store: migrations at first open (also by many processes at once), refusals."""

from __future__ import annotations

import multiprocessing
import os
import socket
from pathlib import Path

import pytest

from smartpay_apply.errors import StateError
from smartpay_apply.state import open_store
from smartpay_apply.state.schema import LATEST

from .conftest import run_raw


def test_first_open_creates_the_file_and_applies_every_migration(opener, location, tmp_path):
    store = opener()
    assert store.schema_version() == LATEST
    if not location.startswith("postgresql://"):
        assert Path(location).is_file()  # parent directory "nested/" created too
    assert run_raw(location, "SELECT value FROM smartpay_meta WHERE key = 'schema_version'") == [
        (str(LATEST),)
    ]


def test_relative_sqlite_path_is_relative_to_the_project(tmp_path):
    with open_store(".smartpay/state.db", base_dir=tmp_path) as store:
        store.record_submission(1, "account", "f" * 64, app="demo", at=_now())
    assert (tmp_path / ".smartpay" / "state.db").is_file()


def test_reopening_keeps_data_and_salt(opener):
    first = opener()
    fingerprint = first.fingerprint("account", {"bank_card": "6217000010001234"})
    first.record_submission(7, "account", fingerprint, app="shop", at=_now())
    first.close()
    again = opener()
    assert again.fingerprint("account", {"bank_card": "6217000010001234"}) == fingerprint
    assert again.get_submission(7, "account").fingerprint == fingerprint


def _open_and_write(location: str, base_dir: str, index: int, queue) -> None:
    try:
        with open_store(location, base_dir=Path(base_dir)) as store:
            fingerprint = store.fingerprint("account", {"same": "values"})
            store.record_submission(index, "account", fingerprint, app=f"app{index}", at=_now())
            queue.put(("ok", fingerprint))
    except BaseException as error:  # report, the parent asserts
        queue.put(("error", f"{type(error).__name__}: {error}"))


def test_many_processes_opening_a_new_store_at_once_all_succeed(location, tmp_path):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [
        context.Process(target=_open_and_write, args=(location, str(tmp_path), i, queue))
        for i in range(6)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert [kind for kind, _ in results] == ["ok"] * 6, results
    # One salt was created: every process computed the same fingerprint.
    assert len({value for _, value in results}) == 1
    with open_store(location, base_dir=tmp_path) as store:
        assert len(store.list_submissions()) == 6
        assert store.schema_version() == LATEST
    assert len(run_raw(location, "SELECT * FROM smartpay_meta WHERE key = 'salt'")) == 1


def test_a_store_written_by_a_newer_version_is_refused(opener, location, tmp_path):
    opener().close()
    run_raw(
        location, f"UPDATE smartpay_meta SET value = '{LATEST + 1}' WHERE key = 'schema_version'"
    )
    with pytest.raises(StateError) as caught:
        open_store(location, base_dir=tmp_path)
    message = str(caught.value)
    assert "newer smartpay-apply" in message
    assert f"schema version {LATEST + 1}" in message
    # Refused, not "fixed": the version is left as the newer tool wrote it.
    assert run_raw(location, "SELECT value FROM smartpay_meta WHERE key = 'schema_version'") == [
        (str(LATEST + 1),)
    ]


def test_a_corrupt_sqlite_file_is_a_clear_error_naming_it(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(StateError) as caught:
        open_store(str(path), base_dir=tmp_path)
    assert str(path) in str(caught.value)
    assert "corrupt" in str(caught.value)


def test_a_sqlite_database_of_another_program_is_left_alone(tmp_path):
    import sqlite3

    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(StateError, match="a database of another program \\(tables: customers\\)"):
        open_store(str(path), base_dir=tmp_path)
    assert run_raw(str(path), "SELECT name FROM sqlite_master WHERE type = 'table'") == [
        ("customers",)
    ]


def test_a_sqlite_path_that_is_a_directory_is_a_clear_error(tmp_path):
    (tmp_path / "state.db").mkdir()
    with pytest.raises(StateError) as caught:
        open_store("state.db", base_dir=tmp_path)
    assert str(tmp_path / "state.db") in str(caught.value)


def test_unreachable_postgresql_is_a_clear_error_with_the_password_masked(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql://smartpay:s3cr3t-pw@127.0.0.1:{port}/state"
    with pytest.raises(StateError) as caught:
        open_store(url, base_dir=tmp_path)
    message = str(caught.value)
    assert f"postgresql://smartpay:****@127.0.0.1:{port}/state" in message
    assert "s3cr3t-pw" not in message


def _now():
    from smartpay_apply.timeutil import now

    return now()
