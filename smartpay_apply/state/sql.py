"""The state store over SQL, written once for SQLite and PostgreSQL (see backend.py).

Every read-then-write happens inside one write transaction, so the rules below hold across
processes: an event is stored once however many deliveries race; a lock changes hands only when
it is free or expired (an upsert whose WHERE sees the current row); a compare-and-swap of a
secret sees the value it replaces.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from smartpay_apply.errors import StateError
from smartpay_apply.sensitive import mask_query
from smartpay_apply.state.backend import Backend, Tx
from smartpay_apply.state.base import (
    EVENT_OUTCOMES,
    OUTCOMES,
    SECTIONS,
    AuditEvent,
    Forgotten,
    RunRecord,
    RunStep,
    StateStore,
    Submission,
    event_outcome,
)
from smartpay_apply.state.crypto import KEY_ENV, SecretBox, key_from_environment
from smartpay_apply.state.locks import LockInfo, LockKey, LockOwner, lock_name
from smartpay_apply.state.schema import CREATE_META, LATEST, META_TABLE, MIGRATIONS
from smartpay_apply.timeutil import SHANGHAI, text_time

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_SECOND_US = 1_000_000


def to_us(moment: datetime) -> int:
    """An aware datetime -> exact microseconds since the epoch."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times must carry their zone")
    return (moment - _EPOCH) // _US


def from_us(value: int, zone: Any = UTC) -> datetime:
    """Microseconds since the epoch -> an aware datetime in `zone`."""
    return (_EPOCH + value * _US).astimezone(zone)


def _maybe(value: int | None, zone: Any = UTC) -> datetime | None:
    return None if value is None else from_us(int(value), zone)


class SqlStore(StateStore):
    """A StateStore over a Backend. Opening it applies pending migrations."""

    def __init__(self, backend: Backend) -> None:
        self._db = backend
        self.name = backend.name
        self._migrate()
        self._salt = self._load_salt()
        passphrase = key_from_environment()
        self._box = SecretBox(passphrase, self._salt) if passphrase else None

    def close(self) -> None:
        self._db.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    # -- schema --------------------------------------------------------------------------

    def _newer(self, version: int) -> StateError:
        return StateError(
            f"state store {self.name} was written by a newer smartpay-apply (schema version "
            f"{version}; this version knows up to {LATEST}): upgrade smartpay-apply to use it"
        )

    def _version(self, tx: Tx) -> int:
        if not self._db.meta_exists(tx):
            return 0
        row = tx.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'schema_version'").one()
        if row is None:
            return 0
        try:
            return int(row[0])
        except ValueError:
            raise StateError(
                f"state store {self.name}: unreadable schema version {row[0]!r}"
            ) from None

    def _migrate(self) -> None:
        """Bring the schema to LATEST; concurrent first opens serialise on the migration lock."""
        with self._db.transaction(write=False) as tx:
            version = self._version(tx)
        if version == LATEST:
            return
        if version > LATEST:
            raise self._newer(version)
        with self._db.transaction(write=True) as tx:
            self._db.migration_lock(tx)
            tx.execute(CREATE_META)
            version = self._version(tx)  # another process may have migrated meanwhile
            if version > LATEST:
                raise self._newer(version)
            foreign = self._db.foreign_tables(tx) if version == 0 else []
            if foreign:
                raise StateError(
                    f"state store {self.name} is a database of another program (tables: "
                    f"{', '.join(foreign[:5])}): point state: at a new file"
                )
            for number in range(version, LATEST):
                for statement in MIGRATIONS[number]:
                    tx.execute(statement)
                log.info("state store %s: applied schema migration %d", self.name, number + 1)
            tx.execute(
                f"INSERT INTO {META_TABLE} (key, value) VALUES ('salt', ?) ON CONFLICT (key) DO NOTHING",
                (secrets.token_hex(32),),
            )
            tx.execute(
                f"INSERT INTO {META_TABLE} (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(LATEST),),
            )

    def _load_salt(self) -> bytes:
        with self._db.transaction(write=False) as tx:
            row = tx.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'salt'").one()
        if row is None:
            raise StateError(
                f"state store {self.name}: its fingerprint salt is missing (damaged store)"
            )
        return bytes.fromhex(str(row[0]))

    def schema_version(self) -> int:
        """The store's schema version (LATEST once opened)."""
        with self._db.transaction(write=False) as tx:
            return self._version(tx)

    def salt(self) -> bytes:
        return self._salt

    # -- submissions ---------------------------------------------------------------------

    _SUBMISSION_COLUMNS = (
        "app_id, section, fingerprint, submitted_us, outcome, reason, outcome_us, app"
    )

    @staticmethod
    def _submission(row: tuple[Any, ...]) -> Submission:
        return Submission(
            app_id=int(row[0]),
            section=row[1],
            fingerprint=row[2],
            submitted_at=from_us(int(row[3])),
            outcome=row[4],
            reason=row[5],
            outcome_at=_maybe(row[6]),
            app=row[7],
        )

    def get_submission(self, app_id: int, section: str) -> Submission | None:
        with self._db.transaction(write=False) as tx:
            row = tx.execute(
                f"SELECT {self._SUBMISSION_COLUMNS} FROM smartpay_submissions WHERE app_id = ? AND section = ?",
                (app_id, section),
            ).one()
        return None if row is None else self._submission(row)

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
        sql = f"SELECT {self._SUBMISSION_COLUMNS} FROM smartpay_submissions"
        params: tuple[Any, ...] = ()
        if app_id is not None:
            sql += " WHERE app_id = ?"
            params = (app_id,)
        with self._db.transaction(write=False) as tx:
            rows = tx.execute(sql + " ORDER BY app_id, section", params).all()
        return [self._submission(row) for row in rows]

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
                    f"SELECT {self._SUBMISSION_COLUMNS} FROM smartpay_submissions "
                    f"WHERE app_id = ? AND section = ?{self._db.for_update}",
                    (app_id, section),
                ).one()
                if row is not None:
                    tx.execute(
                        "DELETE FROM smartpay_submissions WHERE app_id = ? AND section = ?",
                        (app_id, section),
                    )
                    removed.append(self._submission(row))
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
                (run_id, mask_query(command), user, host, to_us(started), self._now_local()),
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
                    (run_id, seq, app_id, name, section, detail, self._now_local()),
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
        return [
            AuditEvent(
                app_id=int(row[0]),
                tp_app_id=None if row[1] is None else int(row[1]),
                event=row[2],
                event_time=from_us(int(row[3]), SHANGHAI),
                reason=row[4],
                received_at=from_us(int(row[5])),
            )
            for row in rows
        ]

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
            log.info("not remembering uploaded image URLs: %s is not set", KEY_ENV)
            return
        sealed = self._box.encrypt(f"image:{sha256}", url)
        with self._db.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO smartpay_images (sha256, url_sealed, recorded_us) VALUES (?, ?, ?) "
                "ON CONFLICT (sha256) DO UPDATE SET url_sealed = excluded.url_sealed, "
                "recorded_us = excluded.recorded_us",
                (sha256, sealed, self._now_local()),
            )

    # -- runs ----------------------------------------------------------------------------

    @staticmethod
    def _now_local() -> int:
        return to_us(datetime.now(UTC))

    def start_run(self, *, command: str, user: str, host: str, plan_checksum: str | None) -> str:
        started = datetime.now(UTC)
        run_id = f"r-{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
        with self._db.transaction(write=True) as tx:
            tx.execute(
                "INSERT INTO smartpay_runs (run_id, command, run_user, host, plan_checksum, started_us, status) "
                "VALUES (?, ?, ?, ?, ?, ?, 'running')",
                (run_id, mask_query(command), user, host, plan_checksum, to_us(started)),
            )
        return run_id

    def record_step(
        self,
        run_id: str,
        *,
        app_id: int,
        app: str,
        action: str,
        section: str,
        result: str,
        detail: str | None = None,
    ) -> None:
        with self._db.transaction(write=True) as tx:
            # Lock the run row so concurrent steps of one run get distinct sequence numbers.
            if (
                tx.execute(
                    f"SELECT run_id FROM smartpay_runs WHERE run_id = ?{self._db.for_update}",
                    (run_id,),
                ).one()
                is None
            ):
                raise StateError(f"state store {self.name}: no run {run_id}")
            row = tx.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM smartpay_steps WHERE run_id = ?", (run_id,)
            ).one()
            seq = int(row[0] if row else 0) + 1
            tx.execute(
                "INSERT INTO smartpay_steps (run_id, seq, app_id, app, action, section, result, detail, at_us) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    seq,
                    app_id,
                    app,
                    action,
                    section,
                    result,
                    None if detail is None else mask_query(detail),
                    self._now_local(),
                ),
            )

    def finish_run(self, run_id: str, status: str) -> None:
        with self._db.transaction(write=True) as tx:
            tx.execute(
                "UPDATE smartpay_runs SET status = ?, finished_us = ? WHERE run_id = ?",
                (status, self._now_local(), run_id),
            )
            if tx.rowcount == 0:
                raise StateError(f"state store {self.name}: no run {run_id}")

    def list_runs(self, app_id: int | None = None, limit: int = 50) -> list[RunRecord]:
        with self._db.transaction(write=False) as tx:
            sql = (
                "SELECT run_id, command, run_user, host, plan_checksum, started_us, finished_us, status "
                "FROM smartpay_runs"
            )
            params: list[Any] = []
            if app_id is not None:
                sql += " WHERE run_id IN (SELECT run_id FROM smartpay_steps WHERE app_id = ?)"
                params.append(app_id)
            runs = tx.execute(
                sql + " ORDER BY started_us DESC, run_id DESC LIMIT ?", (*params, limit)
            ).all()
            steps = self._steps(tx, [row[0] for row in runs], app_id)
        return [
            RunRecord(
                run_id=row[0],
                command=row[1],
                user=row[2],
                host=row[3],
                plan_checksum=row[4],
                started_at=from_us(int(row[5])),
                finished_at=_maybe(row[6]),
                status=row[7],
                steps=tuple(steps.get(row[0], ())),
            )
            for row in runs
        ]

    @staticmethod
    def _steps(tx: Tx, run_ids: list[str], app_id: int | None) -> dict[str, list[RunStep]]:
        found: dict[str, list[RunStep]] = {}
        if not run_ids:
            return found
        marks = ", ".join("?" for _ in run_ids)
        sql = (
            "SELECT run_id, seq, app_id, app, action, section, result, detail, at_us FROM smartpay_steps "
            f"WHERE run_id IN ({marks})"
        )
        params: list[Any] = list(run_ids)
        if app_id is not None:
            sql += " AND app_id = ?"
            params.append(app_id)
        for row in tx.execute(sql + " ORDER BY run_id, seq", params).all():
            found.setdefault(row[0], []).append(
                RunStep(
                    seq=int(row[1]),
                    app_id=int(row[2]),
                    app=row[3],
                    action=row[4],
                    section=row[5],
                    result=row[6],
                    detail=row[7],
                    at=from_us(int(row[8])),
                )
            )
        return found

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
                (key, sealed, self._now_local()),
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
                    (key, sealed, self._now_local()),
                )
                return tx.rowcount == 1
            if expected_old is None:
                return False
            current = box.decrypt(f"secret:{key}", row[0])
            if not hmac.compare_digest(current.encode(), expected_old.encode()):
                return False
            tx.execute(
                "UPDATE smartpay_secrets SET sealed = ?, updated_us = ? WHERE name = ?",
                (sealed, self._now_local(), key),
            )
            return True
