"""The store's schema: versioned migrations, the same SQL for SQLite and PostgreSQL.

Each migration is a list of statements run in one transaction under the migration lock
(SQLite: BEGIN IMMEDIATE; PostgreSQL: pg_advisory_xact_lock), and bumps `schema_version` in
`smartpay_meta`. A store whose version is above `LATEST` was written by a newer smartpay-apply
and is refused rather than misread.

Times are BIGINT microseconds since the Unix epoch (UTC): one representation, exact, and
comparable in SQL on both backends. Tables are prefixed `smartpay_` so a shared PostgreSQL
database stays tidy.
"""

from __future__ import annotations

META_TABLE = "smartpay_meta"

MIGRATIONS: list[list[str]] = [
    # 1: the initial schema
    [
        """CREATE TABLE IF NOT EXISTS smartpay_submissions (
            app_id BIGINT NOT NULL,
            section TEXT NOT NULL,
            app TEXT,
            fingerprint TEXT NOT NULL,
            submitted_us BIGINT NOT NULL,
            outcome TEXT NOT NULL,
            reason TEXT,
            outcome_us BIGINT,
            PRIMARY KEY (app_id, section))""",
        """CREATE TABLE IF NOT EXISTS smartpay_events (
            app_id BIGINT NOT NULL,
            event TEXT NOT NULL,
            event_us BIGINT NOT NULL,
            tp_app_id BIGINT,
            reason TEXT,
            received_us BIGINT NOT NULL,
            PRIMARY KEY (app_id, event, event_us))""",
        "CREATE INDEX IF NOT EXISTS smartpay_events_time ON smartpay_events (event_us)",
        """CREATE TABLE IF NOT EXISTS smartpay_images (
            sha256 TEXT PRIMARY KEY,
            url_sealed TEXT NOT NULL,
            recorded_us BIGINT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS smartpay_runs (
            run_id TEXT PRIMARY KEY,
            command TEXT NOT NULL,
            run_user TEXT NOT NULL,
            host TEXT NOT NULL,
            plan_checksum TEXT,
            started_us BIGINT NOT NULL,
            finished_us BIGINT,
            status TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS smartpay_runs_started ON smartpay_runs (started_us)",
        """CREATE TABLE IF NOT EXISTS smartpay_steps (
            run_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            app_id BIGINT NOT NULL,
            app TEXT NOT NULL,
            action TEXT NOT NULL,
            section TEXT NOT NULL,
            result TEXT NOT NULL,
            detail TEXT,
            at_us BIGINT NOT NULL,
            PRIMARY KEY (run_id, seq))""",
        "CREATE INDEX IF NOT EXISTS smartpay_steps_app ON smartpay_steps (app_id)",
        """CREATE TABLE IF NOT EXISTS smartpay_locks (
            name TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid BIGINT NOT NULL,
            run_id TEXT NOT NULL,
            acquired_us BIGINT NOT NULL,
            expires_us BIGINT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS smartpay_secrets (
            name TEXT PRIMARY KEY,
            sealed TEXT NOT NULL,
            updated_us BIGINT NOT NULL)""",
    ],
    # 2: the fleet: what was last observed, consents, suspensions (status page, controller)
    [
        """CREATE TABLE IF NOT EXISTS smartpay_observations (
            app_id BIGINT PRIMARY KEY,
            app TEXT NOT NULL,
            observed_us BIGINT NOT NULL,
            source TEXT NOT NULL,
            summary TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS smartpay_consents (
            app_id BIGINT NOT NULL,
            kind TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            granted_by TEXT NOT NULL,
            granted_us BIGINT NOT NULL,
            PRIMARY KEY (app_id, kind))""",
        """CREATE TABLE IF NOT EXISTS smartpay_suspensions (
            app_id BIGINT PRIMARY KEY,
            app TEXT,
            suspended_by TEXT NOT NULL,
            suspended_us BIGINT NOT NULL,
            reason TEXT)""",
    ],
    # 3: events by the time they were received (controllers poll for new ones)
    [
        "CREATE INDEX IF NOT EXISTS smartpay_events_received ON smartpay_events (received_us)",
    ],
]

#: The schema version this code writes and understands.
LATEST = len(MIGRATIONS)

CREATE_META = f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
