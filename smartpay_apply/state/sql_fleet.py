"""The fleet over SQL: the latest observation per mini-program, consents, suspensions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from smartpay_apply.state.records import Consent, Observation, Suspension
from smartpay_apply.state.sqlpart import SqlPart
from smartpay_apply.state.sqltime import from_us, to_us


class FleetPart(SqlPart):
    """What the status page and the controller keep about each mini-program."""

    def record_observations(self, observations: Sequence[Observation]) -> None:
        if not observations:
            return
        with self._db.transaction(write=True) as tx:
            for seen in observations:
                tx.execute(
                    "INSERT INTO smartpay_observations (app_id, app, observed_us, source, summary) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_id) DO UPDATE SET app = excluded.app, "
                    "observed_us = excluded.observed_us, source = excluded.source, "
                    "summary = excluded.summary WHERE smartpay_observations.observed_us <= "
                    "excluded.observed_us",
                    (
                        seen.app_id,
                        seen.app,
                        to_us(seen.observed_at),
                        seen.source,
                        json.dumps(seen.summary, ensure_ascii=False, sort_keys=True),
                    ),
                )

    def list_observations(self, app_ids: Sequence[int] | None = None) -> list[Observation]:
        sql = "SELECT app_id, app, observed_us, source, summary FROM smartpay_observations"
        params: list[Any] = []
        if app_ids is not None:
            if not app_ids:
                return []
            sql += f" WHERE app_id IN ({', '.join('?' for _ in app_ids)})"
            params = list(app_ids)
        with self._db.transaction(write=False) as tx:
            rows = tx.execute(sql + " ORDER BY app_id", params).all()
        return [
            Observation(
                app_id=int(row[0]),
                app=row[1],
                observed_at=from_us(int(row[2])),
                source=row[3],
                summary=json.loads(row[4]),
            )
            for row in rows
        ]

    def grant_consent(self, consent: Consent) -> None:
        with self._db.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO smartpay_consents (app_id, kind, fingerprint, granted_by, granted_us) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_id, kind) DO UPDATE SET "
                "fingerprint = excluded.fingerprint, granted_by = excluded.granted_by, "
                "granted_us = excluded.granted_us",
                (
                    consent.app_id,
                    consent.kind,
                    consent.fingerprint,
                    consent.granted_by,
                    to_us(consent.granted_at),
                ),
            )

    def get_consent(self, app_id: int, kind: str) -> Consent | None:
        with self._db.transaction(write=False) as tx:
            row = tx.execute(
                "SELECT fingerprint, granted_by, granted_us FROM smartpay_consents "
                "WHERE app_id = ? AND kind = ?",
                (app_id, kind),
            ).one()
        if row is None:
            return None
        return Consent(app_id, kind, row[0], row[1], from_us(int(row[2])))

    def revoke_consent(self, app_id: int, kind: str) -> bool:
        with self._db.transaction(write=True) as tx:
            tx.execute(
                "DELETE FROM smartpay_consents WHERE app_id = ? AND kind = ?", (app_id, kind)
            )
            return tx.rowcount > 0

    def suspend(self, suspension: Suspension) -> None:
        with self._db.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO smartpay_suspensions (app_id, app, suspended_by, suspended_us, reason) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_id) DO UPDATE SET app = excluded.app, "
                "suspended_by = excluded.suspended_by, suspended_us = excluded.suspended_us, "
                "reason = excluded.reason",
                (
                    suspension.app_id,
                    suspension.app,
                    suspension.suspended_by,
                    to_us(suspension.suspended_at),
                    suspension.reason,
                ),
            )

    def resume(self, app_id: int) -> bool:
        with self._db.transaction(write=True) as tx:
            tx.execute("DELETE FROM smartpay_suspensions WHERE app_id = ?", (app_id,))
            return tx.rowcount > 0

    def list_suspensions(self) -> list[Suspension]:
        with self._db.transaction(write=False) as tx:
            rows = tx.execute(
                "SELECT app_id, app, suspended_by, suspended_us, reason FROM smartpay_suspensions "
                "ORDER BY app_id"
            ).all()
        return [
            Suspension(int(row[0]), row[1], row[2], from_us(int(row[3])), row[4]) for row in rows
        ]
