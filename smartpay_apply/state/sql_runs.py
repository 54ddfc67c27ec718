"""The run history over SQL: runs and their steps."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from smartpay_apply.errors import StateError
from smartpay_apply.sensitive import mask_query
from smartpay_apply.state.backend import Tx
from smartpay_apply.state.records import RunRecord, RunStep
from smartpay_apply.state.sqlpart import SqlPart
from smartpay_apply.state.sqltime import from_us, maybe_from_us, now_us, to_us


class RunsPart(SqlPart):
    """Who ran what, when, and each step's result."""

    # -- runs ----------------------------------------------------------------------------

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
                    now_us(),
                ),
            )

    def finish_run(self, run_id: str, status: str) -> None:
        with self._db.transaction(write=True) as tx:
            tx.execute(
                "UPDATE smartpay_runs SET status = ?, finished_us = ? WHERE run_id = ?",
                (status, now_us(), run_id),
            )
            if tx.rowcount == 0:
                raise StateError(f"state store {self.name}: no run {run_id}")

    def list_runs(
        self, app_id: int | None = None, limit: int = 50, offset: int = 0
    ) -> list[RunRecord]:
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
                sql + " ORDER BY started_us DESC, run_id DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
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
                finished_at=maybe_from_us(row[6]),
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
