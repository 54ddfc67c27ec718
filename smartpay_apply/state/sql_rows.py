"""The store's rows as records: one column list and one conversion per table, shared by the
parts that read them (a mini-program's history, the fleet-wide reads of status)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from smartpay_apply.state.records import RunRecord, RunStep, Submission
from smartpay_apply.state.sqltime import from_us, maybe_from_us

SUBMISSION_COLUMNS = "app_id, section, fingerprint, submitted_us, outcome, reason, outcome_us, app"
RUN_COLUMNS = "run_id, command, run_user, host, plan_checksum, started_us, finished_us, status"
STEP_COLUMNS = "run_id, seq, app_id, app, action, section, result, detail, at_us"


def submission(row: Sequence[Any]) -> Submission:
    """A row of `SUBMISSION_COLUMNS`."""
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


def run(row: Sequence[Any], steps: Sequence[RunStep]) -> RunRecord:
    """A row of `RUN_COLUMNS`, with the steps the caller chose to show."""
    return RunRecord(
        run_id=row[0],
        command=row[1],
        user=row[2],
        host=row[3],
        plan_checksum=row[4],
        started_at=from_us(int(row[5])),
        finished_at=maybe_from_us(row[6]),
        status=row[7],
        steps=tuple(steps),
    )


def step(row: Sequence[Any]) -> RunStep:
    """A row of `STEP_COLUMNS`."""
    return RunStep(
        seq=int(row[1]),
        app_id=int(row[2]),
        app=row[3],
        action=row[4],
        section=row[5],
        result=row[6],
        detail=row[7],
        at=from_us(int(row[8])),
    )
