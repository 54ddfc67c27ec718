"""One replica on SQLite, many on PostgreSQL.

Several controllers share a PostgreSQL store safely: every reconcile takes its mini-program's
lock. A SQLite file is on one machine and serves one writer at a time; two controllers on one
file would work against each other's locks and the file's own lock, so the second one is
refused with a clear message: while it runs, a controller on SQLite holds a store lock named
`controller` (renewed; `smartpay-apply lock list` shows it). One left by a controller killed on
this host is taken over at once; one from elsewhere expires after its ttl.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smartpay_apply.errors import LockHeldError, SmartpayError
from smartpay_apply.state.location import parse_location
from smartpay_apply.state.locks import HeldLock, LockOwner, owner_alive

if TYPE_CHECKING:
    from smartpay_apply.state.base import StateStore

LOCK_NAME = "controller"
LOCK_TTL = 60.0


class SecondReplicaError(SmartpayError):
    """Another controller already runs against this SQLite store."""


def on_sqlite(location: str) -> bool:
    return parse_location(location).path is not None


class ReplicaGuard:
    """Holds the `controller` store lock while a controller runs on SQLite (no-op otherwise)."""

    def __init__(self, store: StateStore, location: str, owner: LockOwner) -> None:
        self.store = store
        self.sqlite = on_sqlite(location)
        self.owner = owner
        self._held: HeldLock | None = None

    def acquire(self) -> None:
        if not self.sqlite:
            return
        for _attempt in range(2):
            lock = self.store.lock(LOCK_NAME, self.owner, ttl=LOCK_TTL)
            try:
                lock.__enter__()
            except LockHeldError:
                if self._clear_dead():
                    continue
                raise SecondReplicaError(self._refusal()) from None
            self._held = lock
            return
        raise SecondReplicaError(self._refusal())

    def release(self) -> None:
        if self._held is not None:
            self._held.__exit__(None, None, None)
            self._held = None

    def _holder(self) -> LockOwner | None:
        info = next((i for i in self.store.list_locks() if i.name == LOCK_NAME), None)
        return None if info is None or info.expired else info.owner

    def _clear_dead(self) -> bool:
        """Release the lock of a controller that died on this host (as its owner)."""
        holder = self._holder()
        if holder is None or owner_alive(holder) is not False:
            return False
        self.store.release_lock(LOCK_NAME, holder)
        return True

    def _refusal(self) -> str:
        holder = self._holder()
        who = f" ({holder.host}:{holder.pid})" if holder else ""
        return (
            f"another controller{who} already runs against the SQLite state store "
            f"{self.store.name}: SQLite serves one controller; to run several replicas, "
            "point state: at a PostgreSQL database"
        )
