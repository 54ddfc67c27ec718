"""Locks and encrypted secrets over SQL."""

from __future__ import annotations

import hmac

from smartpay_apply.errors import StateError
from smartpay_apply.state.crypto import KEY_ENV, SecretBox
from smartpay_apply.state.locks import LockInfo, LockKey, LockOwner, lock_name
from smartpay_apply.state.sqlpart import SqlPart
from smartpay_apply.state.sqltime import from_us, now_us

_SECOND_US = 1_000_000


class LocksPart(SqlPart):
    """Per-mini-program locks (rows with an expiry) and credentials sealed with the state key."""

    # -- locks ---------------------------------------------------------------------------

    def acquire_lock(self, app_id: LockKey, owner: LockOwner, ttl: float) -> bool:
        name = lock_name(app_id)
        with self._db.transaction(write=True) as tx:
            now_us = self._db.now_us(tx)
            tx.execute(
                "INSERT INTO smartpay_locks (name, host, pid, run_id, acquired_us, expires_us) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET host = excluded.host, "
                "pid = excluded.pid, run_id = excluded.run_id, acquired_us = excluded.acquired_us, "
                "expires_us = excluded.expires_us WHERE smartpay_locks.expires_us <= ?",
                (
                    name,
                    owner.host,
                    owner.pid,
                    owner.run_id,
                    now_us,
                    now_us + int(ttl * _SECOND_US),
                    now_us,
                ),
            )
            return tx.rowcount == 1

    def renew_lock(self, app_id: LockKey, owner: LockOwner, ttl: float) -> bool:
        with self._db.transaction(write=True) as tx:
            now_us = self._db.now_us(tx)
            tx.execute(
                "UPDATE smartpay_locks SET expires_us = ? WHERE name = ? AND host = ? AND pid = ? AND run_id = ?",
                (
                    now_us + int(ttl * _SECOND_US),
                    lock_name(app_id),
                    owner.host,
                    owner.pid,
                    owner.run_id,
                ),
            )
            return tx.rowcount == 1

    def release_lock(self, app_id: LockKey, owner: LockOwner) -> None:
        with self._db.transaction(write=True) as tx:
            tx.execute(
                "DELETE FROM smartpay_locks WHERE name = ? AND host = ? AND pid = ? AND run_id = ?",
                (lock_name(app_id), owner.host, owner.pid, owner.run_id),
            )

    def list_locks(self) -> list[LockInfo]:
        with self._db.transaction(write=False) as tx:
            now_us = self._db.now_us(tx)
            rows = tx.execute(
                "SELECT name, host, pid, run_id, acquired_us, expires_us FROM smartpay_locks ORDER BY name"
            ).all()
        return [
            LockInfo(
                name=row[0],
                owner=LockOwner(host=row[1], pid=int(row[2]), run_id=row[3]),
                acquired_at=from_us(int(row[4])),
                expires_at=from_us(int(row[5])),
                expired=int(row[5]) <= now_us,
            )
            for row in rows
        ]

    def force_unlock(self, app_id: LockKey) -> bool:
        with self._db.transaction(write=True) as tx:
            tx.execute("DELETE FROM smartpay_locks WHERE name = ?", (lock_name(app_id),))
            return tx.rowcount > 0

    # -- secrets -------------------------------------------------------------------------

    def _require_box(self, doing: str) -> SecretBox:
        if self._box is None:
            raise StateError(
                f"set {KEY_ENV} to {doing} (state store {self.name} keeps credentials encrypted)"
            )
        return self._box

    def put_secret(self, key: str, value: str) -> None:
        sealed = self._require_box("store credentials").encrypt(f"secret:{key}", value)
        with self._db.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO smartpay_secrets (name, sealed, updated_us) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_us = excluded.updated_us",
                (key, sealed, now_us()),
            )

    def get_secret(self, key: str) -> str | None:
        with self._db.transaction(write=False) as tx:
            row = tx.execute("SELECT sealed FROM smartpay_secrets WHERE name = ?", (key,)).one()
        if row is None:
            return None
        return self._require_box("read stored credentials").decrypt(f"secret:{key}", row[0])

    def delete_secret(self, key: str) -> None:
        with self._db.transaction(write=True) as tx:
            tx.execute("DELETE FROM smartpay_secrets WHERE name = ?", (key,))

    def list_secret_keys(self, prefix: str = "") -> list[str]:
        with self._db.transaction(write=False) as tx:
            rows = tx.execute("SELECT name FROM smartpay_secrets ORDER BY name").all()
        return [row[0] for row in rows if str(row[0]).startswith(prefix)]

    def replace_secret(self, key: str, expected_old: str | None, new: str) -> bool:
        box = self._require_box("store credentials")
        sealed = box.encrypt(f"secret:{key}", new)
        with self._db.transaction(write=True) as tx:
            row = tx.execute(
                f"SELECT sealed FROM smartpay_secrets WHERE name = ?{self._db.for_update}", (key,)
            ).one()
            if row is None:
                if expected_old is not None:
                    return False
                tx.execute(
                    "INSERT INTO smartpay_secrets (name, sealed, updated_us) VALUES (?, ?, ?) "
                    "ON CONFLICT (name) DO NOTHING",
                    (key, sealed, now_us()),
                )
                return tx.rowcount == 1
            if expected_old is None:
                return False
            current = box.decrypt(f"secret:{key}", row[0])
            if not hmac.compare_digest(current.encode(), expected_old.encode()):
                return False
            tx.execute(
                "UPDATE smartpay_secrets SET sealed = ?, updated_us = ? WHERE name = ?",
                (sealed, now_us(), key),
            )
            return True
