"""Submissions, audit events, uploaded images and `forget`, over SQL."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from smartpay_apply.errors import StateError
from smartpay_apply.sensitive import mask_query
from smartpay_apply.state import sql_rows
from smartpay_apply.state.backend import Tx
from smartpay_apply.state.crypto import KEY_ENV
from smartpay_apply.state.records import (
    EVENT_OUTCOMES,
    OUTCOMES,
    SECTIONS,
    AuditEvent,
    Forgotten,
    Submission,
    event_outcome,
)
from smartpay_apply.state.sqlpart import SqlPart
from smartpay_apply.state.sqltime import from_us, now_us, to_us
from smartpay_apply.timeutil import SHANGHAI, text_time

log = logging.getLogger(__name__)

_SECOND_US = 1_000_000


class RecordsPart(SqlPart):
    """What was submitted, what Baidu pushed, which images were uploaded."""

    # -- submissions ---------------------------------------------------------------------

    def get_submission(self, app_id: int, section: str) -> Submission | None:
        with self._db.transaction(write=False) as tx:
            row = tx.execute(
                f"SELECT {sql_rows.SUBMISSION_COLUMNS} FROM smartpay_submissions WHERE app_id = ? AND section = ?",
                (app_id, section),
            ).one()
        return None if row is None else sql_rows.submission(row)

    def record_submission(
        self, app_id: int, section: str, fingerprint: str, *, app: str, at: datetime
    ) -> None:
        submitted = to_us(at)
        with self._db.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO smartpay_submissions (app_id, section, app, fingerprint, submitted_us, outcome) "
                "VALUES (?, ?, ?, ?, ?, 'pending') ON CONFLICT (app_id, section) DO UPDATE SET "
                "app = excluded.app, fingerprint = excluded.fingerprint, submitted_us = excluded.submitted_us, "
                "outcome = 'pending', reason = NULL, outcome_us = NULL",
                (app_id, section, app, fingerprint, submitted),
            )
            self._apply_received_outcome(tx, app_id, section, submitted)

    def _apply_received_outcome(self, tx: Tx, app_id: int, section: str, submitted_us: int) -> None:
        """An event may arrive before its submission is recorded (a fast audit): apply it now."""
        names = [name for name, (sec, _) in EVENT_OUTCOMES.items() if sec == section]
        if not names:
            return
        marks = ", ".join("?" for _ in names)
        row = tx.execute(
            f"SELECT event, event_us, reason FROM smartpay_events WHERE app_id = ? AND event IN ({marks}) "
            "AND event_us >= ? ORDER BY event_us DESC, received_us DESC LIMIT 1",
            (app_id, *names, submitted_us - submitted_us % _SECOND_US),
        ).one()
        if row is not None:
            _, outcome = EVENT_OUTCOMES[row[0]]
            self._set_outcome(tx, app_id, section, outcome, row[2], int(row[1]))

    @staticmethod
    def _set_outcome(
        tx: Tx, app_id: int, section: str, outcome: str, reason: str | None, at_us: int
    ) -> None:
        """The outcome rule: not older than the submission (whole seconds), not older than the last outcome."""
        tx.execute(
            "UPDATE smartpay_submissions SET outcome = ?, reason = ?, outcome_us = ? "
            "WHERE app_id = ? AND section = ? AND ? >= submitted_us - submitted_us % 1000000 "
            "AND (outcome_us IS NULL OR outcome_us <= ?)",
            (outcome, reason, at_us, app_id, section, at_us, at_us),
        )

    def record_outcome(
        self, app_id: int, section: str, outcome: str, *, reason: str | None, at: datetime
    ) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
        with self._db.transaction(write=True) as tx:
            self._set_outcome(tx, app_id, section, outcome, reason, to_us(at))

    def list_submissions(self, app_id: int | None = None) -> list[Submission]:
        sql = f"SELECT {sql_rows.SUBMISSION_COLUMNS} FROM smartpay_submissions"
        params: tuple[Any, ...] = ()
        if app_id is not None:
            sql += " WHERE app_id = ?"
            params = (app_id,)
        with self._db.transaction(write=False) as tx:
            rows = tx.execute(sql + " ORDER BY app_id, section", params).all()
        return [sql_rows.submission(row) for row in rows]

    def recorded_apps(self) -> dict[int, str | None]:
        with self._db.transaction(write=False) as tx:
            submitted = tx.execute(
                "SELECT app_id, app FROM smartpay_submissions ORDER BY app_id, submitted_us"
            ).all()
            stepped = tx.execute(
                "SELECT app_id, app FROM smartpay_steps GROUP BY app_id, app ORDER BY MAX(at_us)"
            ).all()
            events = tx.execute("SELECT DISTINCT app_id FROM smartpay_events").all()
            locks = tx.execute("SELECT name FROM smartpay_locks").all()
            secrets = tx.execute("SELECT name FROM smartpay_secrets").all()
        apps: dict[int, str | None] = {}
        for (app_id,) in events:
            apps[int(app_id)] = None
        for (name,) in locks:
            if str(name).isdigit():
                apps[int(name)] = None
        for (name,) in secrets:  # credentials are stored as app/<app_id>/...
            head = str(name).split("/")
            if len(head) > 2 and head[0] == "app" and head[1].isdigit():
                apps[int(head[1])] = None
        for rows in (stepped, submitted):  # later rows win: a submission's name over a step's
            for app_id, app in rows:
                if app:
                    apps[int(app_id)] = str(app)
                else:
                    apps.setdefault(int(app_id), None)
        return apps

    def forget(
        self,
        app_id: int,
        sections: Sequence[str],
        *,
        app: str | None,
        image_digests: Sequence[str] = (),
        command: str,
        user: str,
        host: str,
    ) -> Forgotten:
        unknown = [section for section in sections if section not in SECTIONS]
        if unknown:
            raise ValueError(f"unknown section(s) {', '.join(unknown)}")
        started = datetime.now(UTC)
        run_id = f"r-{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
        with self._db.transaction(write=True) as tx:
            removed: list[Submission] = []
            for section in sections:
                row = tx.execute(
                    f"SELECT {sql_rows.SUBMISSION_COLUMNS} FROM smartpay_submissions "
                    f"WHERE app_id = ? AND section = ?{self._db.for_update}",
                    (app_id, section),
                ).one()
                if row is not None:
                    tx.execute(
                        "DELETE FROM smartpay_submissions WHERE app_id = ? AND section = ?",
                        (app_id, section),
                    )
                    removed.append(sql_rows.submission(row))
            images = 0
            for digest in sorted(set(image_digests)):
                tx.execute("DELETE FROM smartpay_images WHERE sha256 = ?", (digest,))
                images += max(tx.rowcount, 0)
            if not removed and not images:
                return Forgotten(run_id=None)
            name = app or next((s.app for s in removed if s.app), None) or str(app_id)
            tx.execute(
                "INSERT INTO smartpay_runs (run_id, command, run_user, host, plan_checksum, "
                "started_us, finished_us, status) VALUES (?, ?, ?, ?, NULL, ?, ?, 'succeeded')",
                (run_id, mask_query(command), user, host, to_us(started), now_us()),
            )
            steps = [
                (
                    submission.section,
                    f"submission {submission.fingerprint[:12]} of "
                    f"{text_time(submission.submitted_at)}, {submission.outcome}",
                )
                for submission in removed
            ]
            if images:
                steps.append(("account", f"{images} uploaded id-card image URL(s)"))
            for seq, (section, detail) in enumerate(steps, start=1):
                tx.execute(
                    "INSERT INTO smartpay_steps (run_id, seq, app_id, app, action, section, "
                    "result, detail, at_us) VALUES (?, ?, ?, ?, 'forget', ?, 'forgotten', ?, ?)",
                    (run_id, seq, app_id, name, section, detail, now_us()),
                )
        return Forgotten(run_id=run_id, submissions=tuple(removed), images=images)

    # -- events --------------------------------------------------------------------------

    def record_event(self, event: AuditEvent) -> bool:
        event_us = to_us(event.event_time)
        with self._db.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO smartpay_events (app_id, event, event_us, tp_app_id, reason, received_us) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (app_id, event, event_us) DO NOTHING",
                (
                    event.app_id,
                    event.event,
                    event_us,
                    event.tp_app_id,
                    event.reason,
                    to_us(event.received_at),
                ),
            )
            if tx.rowcount != 1:
                return False
            outcome = event_outcome(event)
            if outcome is not None:
                section, result = outcome
                self._set_outcome(tx, event.app_id, section, result, event.reason, event_us)
        return True

    def list_events(
        self, app_id: int | None = None, *, since: datetime | None = None
    ) -> list[AuditEvent]:
        clauses: list[str] = []
        params: list[Any] = []
        if app_id is not None:
            clauses.append("app_id = ?")
            params.append(app_id)
        if since is not None:
            clauses.append("event_us >= ?")
            params.append(to_us(since))
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._db.transaction(write=False) as tx:
            rows = tx.execute(
                "SELECT app_id, tp_app_id, event, event_us, reason, received_us FROM smartpay_events"
                f"{where} ORDER BY event_us, received_us, app_id, event",
                params,
            ).all()
        return [_event(row) for row in rows]

    def list_events_received(self, since: datetime, *, limit: int = 1000) -> list[AuditEvent]:
        with self._db.transaction(write=False) as tx:
            rows = tx.execute(
                "SELECT app_id, tp_app_id, event, event_us, reason, received_us FROM smartpay_events"
                " WHERE received_us >= ? ORDER BY received_us, app_id, event, event_us LIMIT ?",
                (to_us(since), max(1, limit)),
            ).all()
        return [_event(row) for row in rows]

    # -- images --------------------------------------------------------------------------

    def get_image_url(self, sha256: str) -> str | None:
        with self._db.transaction(write=False) as tx:
            row = tx.execute(
                "SELECT url_sealed FROM smartpay_images WHERE sha256 = ?", (sha256,)
            ).one()
        if row is None or self._box is None:
            return None
        try:
            return self._box.decrypt(f"image:{sha256}", row[0])
        except StateError as error:  # a re-upload is cheap; a wrong key must not stop a run
            log.warning("ignoring the stored URL of image %s: %s", sha256[:12], error)
            return None

    def has_image(self, sha256: str) -> bool:
        with self._db.transaction(write=False) as tx:
            row = tx.execute("SELECT 1 FROM smartpay_images WHERE sha256 = ?", (sha256,)).one()
        return row is not None

    def record_image(self, sha256: str, url: str) -> None:
        if self._box is None:
            if not getattr(
                self, "_said_images_unremembered", False
            ):  # once per store, not per image
                self._said_images_unremembered = True
                log.info("not remembering uploaded image URLs: %s is not set", KEY_ENV)
            return
        sealed = self._box.encrypt(f"image:{sha256}", url)
        with self._db.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO smartpay_images (sha256, url_sealed, recorded_us) VALUES (?, ?, ?) "
                "ON CONFLICT (sha256) DO UPDATE SET url_sealed = excluded.url_sealed, "
                "recorded_us = excluded.recorded_us",
                (sha256, sealed, now_us()),
            )


def _event(row: tuple[Any, ...]) -> AuditEvent:
    """An events-table row (app_id, tp_app_id, event, event_us, reason, received_us)."""
    return AuditEvent(
        app_id=int(row[0]),
        tp_app_id=None if row[1] is None else int(row[1]),
        event=row[2],
        event_time=from_us(int(row[3]), SHANGHAI),
        reason=row[4],
        received_at=from_us(int(row[5])),
    )
