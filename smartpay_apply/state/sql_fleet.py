"""The fleet over SQL: the latest observation per mini-program, consents, suspensions, and the
fleet-wide reads `status` makes (each mini-program's newest event and newest run, a page of the
events feed) — one query each, however many mini-programs."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any, TypeVar

import orjson

from smartpay_apply.state.records import (
    AuditEvent,
    Consent,
    Observation,
    RunRecord,
    RunStep,
    Submission,
    Suspension,
)
from smartpay_apply.state.sqlpart import SqlPart
from smartpay_apply.state.sqltime import from_us, maybe_from_us, to_us

T = TypeVar("T")
_EVENT_COLUMNS = "app_id, tp_app_id, event, event_us, reason, received_us"
_SUBMISSION_COLUMNS = "app_id, section, fingerprint, submitted_us, outcome, reason, outcome_us, app"

#: Per mini-program, the newest run with a step for it (ties: the larger run id). Window
#: functions: SQLite 3.25+ and PostgreSQL alike.
_LATEST_RUNS = """
WITH touched AS (SELECT DISTINCT app_id, run_id FROM smartpay_steps)
SELECT app_id, run_id FROM (
    SELECT t.app_id, t.run_id, ROW_NUMBER() OVER (
        PARTITION BY t.app_id ORDER BY r.started_us DESC, r.run_id DESC) AS n
    FROM touched t JOIN smartpay_runs r ON r.run_id = t.run_id) ranked
WHERE n = 1
"""


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """`items` in slices of at most `size` (bound parameters per statement stay few)."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def _submission(row: tuple[Any, ...]) -> Submission:
    return Submission(
        app_id=int(row[0]),
        section=row[1],
        fingerprint=row[2],
        submitted_at=from_us(int(row[3])),
        outcome=row[4],
        reason=row[5],
        outcome_at=maybe_from_us(row[6]),
        app=row[7],
    )


def _event(row: tuple[Any, ...]) -> AuditEvent:
    return AuditEvent(  # event_time is turned to Beijing time by AuditEvent itself
        app_id=int(row[0]),
        tp_app_id=None if row[1] is None else int(row[1]),
        event=row[2],
        event_time=from_us(int(row[3])),
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
                summary=orjson.loads(row[4]),
            )
            for row in rows
        ]

    def latest_events(
        self, events: Collection[str] | None = None, *, app_ids: Collection[int] | None = None
    ) -> dict[int, AuditEvent]:
        names = sorted(set(events)) if events is not None else []
        ids = sorted(set(app_ids)) if app_ids is not None else []
        if (events is not None and not names) or (app_ids is not None and not ids):
            return {}
        found: dict[int, AuditEvent] = {}
        for chunk in _chunks(ids, 500) if app_ids is not None else [None]:
            inner, outer, params = [], [], []
            if names:
                marks = ", ".join("?" for _ in names)
                inner.append(f"event IN ({marks})")
                outer.append(f"e.event IN ({marks})")
            if chunk is not None:
                inner.append(f"app_id IN ({', '.join('?' for _ in chunk)})")
            inner_params = [*names, *(chunk or [])]
            params = [*inner_params, *names]
            where = f" WHERE {' AND '.join(inner)}" if inner else ""
            also = f" WHERE {' AND '.join(outer)}" if outer else ""
            columns = ", ".join(f"e.{column}" for column in _EVENT_COLUMNS.split(", "))
            sql = (
                f"SELECT {columns} FROM smartpay_events e JOIN (SELECT app_id, MAX(event_us) "
                f"AS newest FROM smartpay_events{where} GROUP BY app_id) n "
                f"ON e.app_id = n.app_id AND e.event_us = n.newest{also} "
                "ORDER BY e.app_id, e.received_us, e.event"
            )
            with self._db.transaction(write=False) as tx:
                rows = tx.execute(sql, params).all()
            for row in rows:  # several events in the same instant: the last received wins
                found[int(row[0])] = _event(row)
        return found

    def open_submissions(self) -> list[Submission]:
        with self._db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT {_SUBMISSION_COLUMNS} FROM smartpay_submissions "
                "WHERE outcome <> 'approved' ORDER BY app_id, section"
            ).all()
        return [_submission(row) for row in rows]

    def submitted_apps(self) -> dict[int, str | None]:
        with self._db.transaction(write=False) as tx:
            rows = tx.execute(
                "SELECT app_id, app FROM smartpay_submissions ORDER BY app_id, submitted_us"
            ).all()
        found: dict[int, str | None] = {}
        for app_id, app in rows:  # the latest submission's name wins
            found[int(app_id)] = app if app else found.get(int(app_id))
        return found

    def event_app_ids(self) -> set[int]:
        with self._db.transaction(write=False) as tx:
            rows = tx.execute("SELECT DISTINCT app_id FROM smartpay_events").all()
        return {int(row[0]) for row in rows}

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
        # Two steps, not one join: the steps of a run touching thousands of mini-programs are
        # read once (by run_id, the primary key's prefix), not once per mini-program.
        with self._db.transaction(write=False) as tx:
            latest = {int(app_id): run_id for app_id, run_id in tx.execute(_LATEST_RUNS).all()}
            run_ids = sorted(set(latest.values()))
            runs: dict[str, tuple[Any, ...]] = {}
            steps: dict[int, list[RunStep]] = {}
            for chunk in _chunks(run_ids, 500):
                marks = ", ".join("?" for _ in chunk)
                for row in tx.execute(
                    "SELECT run_id, command, run_user, host, plan_checksum, started_us, "
                    f"finished_us, status FROM smartpay_runs WHERE run_id IN ({marks})",
                    chunk,
                ).all():
                    runs[row[0]] = row
                for row in tx.execute(
                    "SELECT run_id, seq, app_id, app, action, section, result, detail, at_us "
                    f"FROM smartpay_steps WHERE run_id IN ({marks}) ORDER BY run_id, seq",
                    chunk,
                ).all():
                    app_id = int(row[2])
                    if latest.get(app_id) == row[0]:
                        steps.setdefault(app_id, []).append(
                            RunStep(
                                seq=int(row[1]),
                                app_id=app_id,
                                app=row[3],
                                action=row[4],
                                section=row[5],
                                result=row[6],
                                detail=row[7],
                                at=from_us(int(row[8])),
                            )
                        )
        found: dict[int, RunRecord] = {}
        for app_id, run_id in latest.items():
            head = runs[run_id]
            found[app_id] = RunRecord(
                run_id=head[0],
                command=head[1],
                user=head[2],
                host=head[3],
                plan_checksum=head[4],
                started_at=from_us(int(head[5])),
                finished_at=maybe_from_us(head[6]),
                status=head[7],
                steps=tuple(steps.get(app_id, ())),
            )
        return found

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
