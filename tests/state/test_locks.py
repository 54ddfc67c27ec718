"""Per-mini-program locks: one holder at a time across processes; dead owners' locks expire."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from smartpay_apply.errors import LockHeldError
from smartpay_apply.state import LockOwner, open_store

ALICE = LockOwner(host="ci-1", pid=111, run_id="r-alice")
BOB = LockOwner(host="ci-2", pid=222, run_id="r-bob")


def test_one_holder_at_a_time_and_release(store):
    assert store.acquire_lock(123, ALICE, ttl=60) is True
    assert store.acquire_lock(123, BOB, ttl=60) is False
    assert store.acquire_lock(124, BOB, ttl=60) is True  # another mini-program is independent
    store.release_lock(123, BOB)  # not Bob's: nothing happens
    assert store.acquire_lock(123, BOB, ttl=60) is False
    store.release_lock(123, ALICE)
    assert store.acquire_lock(123, BOB, ttl=60) is True


def test_locks_are_not_reentrant(store):
    assert store.acquire_lock(123, ALICE, ttl=60) is True
    assert store.acquire_lock(123, ALICE, ttl=60) is False


def test_an_expired_lock_is_taken_over_and_its_old_owner_cannot_renew_it(store):
    assert store.acquire_lock(123, ALICE, ttl=0.05) is True
    time.sleep(0.2)
    [info] = store.list_locks()
    assert info.expired is True
    assert store.acquire_lock(123, BOB, ttl=60) is True
    assert store.renew_lock(123, ALICE, ttl=60) is False
    assert store.renew_lock(123, BOB, ttl=60) is True


def test_list_locks_shows_owner_and_expiry(store):
    store.acquire_lock(123, ALICE, ttl=300)
    store.acquire_lock("credentials/123", BOB, ttl=300)
    app_lock, credentials_lock = store.list_locks()
    assert (app_lock.name, app_lock.app_id, app_lock.host, app_lock.pid, app_lock.run_id) == (
        "123",
        123,
        "ci-1",
        111,
        "r-alice",
    )
    assert app_lock.expired is False
    assert 299 <= (app_lock.expires_at - app_lock.acquired_at).total_seconds() <= 301
    assert (credentials_lock.name, credentials_lock.app_id) == ("credentials/123", None)


def test_force_unlock_frees_a_lock_whoever_holds_it(store):
    store.acquire_lock(123, ALICE, ttl=300)
    assert store.force_unlock(123) is True
    assert store.force_unlock(123) is False
    assert store.list_locks() == []
    assert store.acquire_lock(123, BOB, ttl=300) is True


def test_the_context_manager_names_the_holder_and_the_way_out(store):
    store.acquire_lock(123, ALICE, ttl=300)
    with pytest.raises(LockHeldError) as caught, store.lock(123, BOB):
        pytest.fail("entered a held lock")
    message = str(caught.value)
    assert "mini-program 123 is locked by ci-1:111 (run r-alice) until" in message
    assert "`smartpay-apply unlock 123`" in message


@pytest.mark.slow
def test_the_context_manager_holds_renews_and_releases(store):
    owner = LockOwner.current("r-cm")
    with store.lock(123, owner, ttl=1):
        time.sleep(2.5)  # several ttls: only the background renewal keeps it held
        assert store.acquire_lock(123, BOB, ttl=60) is False
        [info] = store.list_locks()
        assert info.run_id == "r-cm" and info.pid == os.getpid()
    assert store.list_locks() == []


def test_the_context_manager_waits_for_a_release(store):
    import threading

    store.acquire_lock(123, ALICE, ttl=300)
    threading.Timer(0.3, store.release_lock, args=(123, ALICE)).start()
    with store.lock(123, BOB, wait=60):
        assert store.list_locks()[0].run_id == "r-bob"


def _worker(location: str, base_dir: str, log_path: str, index: int, queue) -> None:
    try:
        with open_store(location, base_dir=Path(base_dir)) as store:
            owner = LockOwner.current(f"r-worker-{index}")
            for _ in range(4):
                with store.lock(123, owner, ttl=30, wait=120):
                    _append(log_path, f"in {index}\n")
                    time.sleep(0.01)
                    _append(log_path, f"out {index}\n")
        queue.put("ok")
    except BaseException as error:
        queue.put(f"{type(error).__name__}: {error}")


def _append(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


@pytest.mark.slow
def test_many_processes_taking_one_lock_never_overlap(store, location, tmp_path):
    log_path = str(tmp_path / "holders.log")
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [
        context.Process(target=_worker, args=(location, str(tmp_path), log_path, i, queue))
        for i in range(6)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=180) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert results == ["ok"] * 6
    lines = Path(log_path).read_text().splitlines()
    assert len(lines) == 6 * 4 * 2
    holders, overlaps = 0, 0
    for line in lines:
        holders += 1 if line.startswith("in ") else -1
        overlaps += holders > 1
    assert overlaps == 0
    # Each "in" is followed by the same worker's "out".
    assert all(lines[i][3:] == lines[i + 1][4:] for i in range(0, len(lines), 2))
    assert store.list_locks() == []


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from smartpay_apply.state import LockOwner, open_store
    store = open_store(sys.argv[1], base_dir=Path(sys.argv[2]))
    with store.lock(77, LockOwner.current("r-doomed"), ttl=1):
        Path(sys.argv[3]).write_text("held")
        time.sleep(600)
    """
)


@pytest.mark.slow
def test_a_killed_owners_lock_expires(store, location, tmp_path):
    ready = tmp_path / "ready"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, location, str(tmp_path), str(ready)])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert holder.poll() is None, "the lock holder died early"
            assert time.monotonic() < deadline, "the lock holder never took the lock"
            time.sleep(0.05)
        [info] = store.list_locks()
        assert (info.pid, info.run_id) == (holder.pid, "r-doomed")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with store.lock(77, LockOwner.current("r-next"), ttl=30, wait=60):
        [info] = store.list_locks()
        assert info.run_id == "r-next"
