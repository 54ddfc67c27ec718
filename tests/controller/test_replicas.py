"""One controller per SQLite store; a dead one's place is taken; PostgreSQL has no such limit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from smartpay_apply.controller.replicas import LOCK_NAME, ReplicaGuard, SecondReplicaError
from smartpay_apply.state import open_store
from smartpay_apply.state.locks import LockOwner


def test_a_second_controller_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    store = open_store("state.db", base_dir=tmp_path)
    first = ReplicaGuard(store, "state.db", LockOwner.current("one"))
    first.acquire()
    second = ReplicaGuard(store, "state.db", LockOwner.current("two"))
    with pytest.raises(SecondReplicaError) as refused:
        second.acquire()
    message = refused.value.user_message()
    assert message.startswith("another controller (")
    assert "SQLite serves one controller" in message and "PostgreSQL" in message
    assert [info.name for info in store.list_locks()] == [LOCK_NAME]
    first.release()
    assert store.list_locks() == []
    second.acquire()  # free again
    second.release()


def test_the_lock_of_a_controller_that_died_on_this_host_is_taken_over(tmp_path: Path) -> None:
    store = open_store("state.db", base_dir=tmp_path)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    ghost = LockOwner(LockOwner.current("x").host, int(dead.stdout), "gone")
    assert store.acquire_lock(LOCK_NAME, ghost, 60)
    guard = ReplicaGuard(store, "state.db", LockOwner.current("new"))
    guard.acquire()
    assert [info.owner.run_id for info in store.list_locks()] == ["new"]
    guard.release()


def test_postgres_stores_take_no_controller_lock(tmp_path: Path) -> None:
    store = open_store("state.db", base_dir=tmp_path)
    guard = ReplicaGuard(store, "postgresql://db.example/smartpay", LockOwner.current("pg"))
    guard.acquire()
    assert store.list_locks() == []
