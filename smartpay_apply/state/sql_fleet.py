"""The fleet over SQL: the latest observation per mini-program, consents, suspensions, and the
fleet-wide reads `status` makes (each mini-program's newest event and newest run, a page of the
events feed) — one query each, however many mini-programs."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from smartpay_apply.state.records import (
    AuditEvent,
    Consent,
    Observation,
    RunRecord,
    RunStep,
    Suspension,
)
from smartpay_apply.state.sqlpart import SqlPart
from smartpay_apply.state.sqltime import from_us, maybe_from_us, to_us
from smartpay_apply.timeutil import SHANGHAI

_EVENT_COLUMNS = "app_id, tp_app_id, event, event_us, reason, received_us"

#: Per mini-program, the newest run with a step for it (ties: the larger run id), and that
#: run's steps for it. Window functions: SQLite 3.25+ and PostgreSQL alike.
_LATEST_RUNS = """
WITH touched AS (SELECT DISTINCT app_id, run_id FROM smartpay_steps),
ranked AS (
    SELECT t.app_id, t.run_id, ROW_NUMBER() OVER (
        PARTITION BY t.app_id ORDER BY r.started_us DESC, r.run_id DESC) AS n
    FROM touched t JOIN smartpay_runs r ON r.run_id = t.run_id)
SELECT k.app_id, r.run_id, r.command, r.run_user, r.host, r.plan_checksum, r.started_us,
    r.finished_us, r.status, s.seq, s.app, s.action, s.section, s.result, s.detail, s.at_us
FROM ranked k
JOIN smartpay_runs r ON r.run_id = k.run_id
JOIN smartpay_steps s ON s.run_id = k.run_id AND s.app_id = k.app_id
WHERE k.n = 1
ORDER BY k.app_id, s.seq
"""


def _event(row: tuple[Any, ...]) -> AuditEvent:
    return AuditEvent(
        app_id=int(row[0]),
        tp_app_id=None if row[1] is None else int(row[1]),
        event=row[2],
        event_time=from_us(int(row[3]), SHANGHAI),
        reason=row[4],
        received_at=from_us(int(row[5])),
    )


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

    def latest_events(self, events: Collection[str] | None = None) -> dict[int, AuditEvent]:
        names = sorted(set(events)) if events is not None else []
        if events is not None and not names:
            return {}
        marks = ", ".join("?" for _ in names)
        inner = f" WHERE event IN ({marks})" if names else ""
        outer = f" WHERE e.event IN ({marks})" if names else ""
        columns = ", ".join(f"e.{column}" for column in _EVENT_COLUMNS.split(", "))
        sql = (
            f"SELECT {columns} FROM smartpay_events e JOIN (SELECT app_id, MAX(event_us) AS newest "
            f"FROM smartpay_events{inner} GROUP BY app_id) n "
            f"ON e.app_id = n.app_id AND e.event_us = n.newest{outer} "
            "ORDER BY e.app_id, e.received_us, e.event"
        )
        with self._db.transaction(write=False) as tx:
            rows = tx.execute(sql, [*names, *names]).all()
        found: dict[int, AuditEvent] = {}
        for row in rows:  # several events in the same instant: the last received wins
            found[int(row[0])] = _event(row)
        return found

    def recent_events(
        self, limit: int, offset: int = 0, *, app_id: int | None = None
    ) -> list[AuditEvent]:
        where, params = ("", []) if app_id is None else (" WHERE app_id = ?", [app_id])
        with self._db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT {_EVENT_COLUMNS} FROM smartpay_events{where} "
                "ORDER BY event_us DESC, received_us DESC, app_id, event LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).all()
        return [_event(row) for row in rows]

    def latest_runs(self) -> dict[int, RunRecord]:
        with self._db.transaction(write=False) as tx:
            rows = tx.execute(_LATEST_RUNS).all()
        heads: dict[int, tuple[Any, ...]] = {}
        steps: dict[int, list[RunStep]] = {}
        for row in rows:
            app_id = int(row[0])
            heads.setdefault(app_id, row)
            steps.setdefault(app_id, []).append(
                RunStep(
                    seq=int(row[9]),
                    app_id=app_id,
                    app=row[10],
                    action=row[11],
                    section=row[12],
                    result=row[13],
                    detail=row[14],
                    at=from_us(int(row[15])),
                )
            )
        return {
            app_id: RunRecord(
                run_id=head[1],
                command=head[2],
                user=head[3],
                host=head[4],
                plan_checksum=head[5],
                started_at=from_us(int(head[6])),
                finished_at=maybe_from_us(head[7]),
                status=head[8],
                steps=tuple(steps[app_id]),
            )
            for app_id, head in heads.items()
        }

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
