"""Per-mini-program locks: who holds one, and the context manager that holds it.

A lock is a row (name, owner, expiry) in the store, taken in a transaction, so it works the same
on SQLite and PostgreSQL and survives nothing but its expiry: an owner that dies (SIGKILL, power
loss) stops renewing and its lock expires after `ttl` seconds. `HeldLock` renews in a background
thread while held, so a long apply keeps its lock without a long ttl.

Locks are not re-entrant: an owner that asks again for a lock it holds is refused like anyone
else. This keeps two threads of one process (same host, pid and run id) apart.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING

from smartpay_apply.errors import LockHeldError, StateError

if TYPE_CHECKING:
    from smartpay_apply.state.base import StateStore

log = logging.getLogger(__name__)

#: A lock is named by a mini-program's app_id, or by a free-form name such as "credentials/123".
LockKey = int | str


def lock_name(key: LockKey) -> str:
    """The stored name of a lock: the app_id as text, or the given name."""
    if isinstance(key, bool):
        raise TypeError("a lock key is an app_id (int) or a name (str)")
    return str(key)


@dataclass(frozen=True)
class LockOwner:
    """Who holds a lock: enough for a human to find the run (host, pid, run id)."""

    host: str
    pid: int
    run_id: str

    @classmethod
    def current(cls, run_id: str) -> LockOwner:
        """This process as an owner, for the run `run_id`."""
        return cls(host=socket.gethostname(), pid=os.getpid(), run_id=run_id)

    def __str__(self) -> str:
        return f"{self.host}:{self.pid} (run {self.run_id})"


@dataclass(frozen=True)
class LockInfo:
    """A lock as `lock list` shows it. `expired` locks are free for the next taker."""

    name: str
    owner: LockOwner
    acquired_at: datetime
    expires_at: datetime
    expired: bool

    @property
    def app_id(self) -> int | None:
        """The mini-program this lock protects, when it is an app lock (name is the app_id)."""
        return int(self.name) if self.name.isdigit() else None

    @property
    def host(self) -> str:
        return self.owner.host

    @property
    def pid(self) -> int:
        return self.owner.pid

    @property
    def run_id(self) -> str:
        return self.owner.run_id


def owner_alive(owner: LockOwner) -> bool | None:
    """Whether a lock owner's process still runs; known only on this host (None elsewhere)."""
    if owner.host != socket.gethostname():
        return None
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def held_message(key: LockKey, info: LockInfo | None) -> str:
    """The LockHeldError text: who holds it, until when, and how to clear a dead run's lock."""
    name = lock_name(key)
    what = f"mini-program {name}" if name.isdigit() else f"lock {name}"
    if info is None:
        return (
            f"{what} is locked by another run; if that run is dead, `smartpay-apply unlock {name}`"
        )
    until = info.expires_at.isoformat(timespec="seconds")
    return (
        f"{what} is locked by {info.owner.host}:{info.owner.pid} (run {info.owner.run_id}) "
        f"until {until}; if that run is dead, `smartpay-apply unlock {name}`"
    )


class HeldLock:
    """`store.lock(...)`: take a lock (waiting up to `wait` s), renew it while held, release it.

    Entering and leaving may happen on different threads (callers in async code use
    asyncio.to_thread for both), so nothing here is thread-local.
    """

    def __init__(
        self, store: StateStore, key: LockKey, owner: LockOwner, ttl: float, wait: float
    ) -> None:
        if ttl <= 0:
            raise ValueError("lock ttl must be positive")
        self._store = store
        self._key = key
        self._owner = owner
        self._ttl = ttl
        self._wait = max(0.0, wait)
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self.lost = False  # set when a renewal found the lock taken by someone else

    def __enter__(self) -> HeldLock:
        deadline = time.monotonic() + self._wait
        pause = 0.02
        while not self._store.acquire_lock(self._key, self._owner, self._ttl):
            if time.monotonic() >= deadline:
                raise LockHeldError(held_message(self._key, self._holder()))
            time.sleep(min(pause * random.uniform(0.5, 1.5), max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 0.5)
        self._stop.clear()
        self._renewer = threading.Thread(
            target=self._renew_loop, name=f"lock-renew-{self._key}", daemon=True
        )
        self._renewer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
            self._renewer = None
        try:
            self._store.release_lock(self._key, self._owner)
        except StateError as error:  # never hide the block's own outcome; the lock expires anyway
            log.warning(
                "could not release the lock %s (it expires in %.0f s): %s",
                lock_name(self._key),
                self._ttl,
                error,
            )

    def _renew_loop(self) -> None:
        """Renew at a third of the ttl, so two missed renewals still leave the lock held."""
        interval = self._ttl / 3
        while not self._stop.wait(interval):
            try:
                if not self._store.renew_lock(self._key, self._owner, self._ttl):
                    self.lost = True
                    log.error(
                        "lost the lock %s (it expired and was taken by another run)",
                        lock_name(self._key),
                    )
                    return
            except Exception as error:  # keep trying: a blip in the store must not kill the run
                log.warning("could not renew the lock %s: %s", lock_name(self._key), error)

    def _holder(self) -> LockInfo | None:
        name = lock_name(self._key)
        for info in self._store.list_locks():
            if info.name == name:
                return info
        return None
