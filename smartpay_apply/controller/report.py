"""What is kept of a reconcile, for `status`, `state history` and other replicas.

The observation (engine/observation.py) of the plan made under the lock, with a `controller`
block added: the outcome, each section's state after the writes, the error or what a person
must do, when it happened and which replica did it, when it is tried again. A failure that
wrote nothing is also put in the run history — once per distinct message, so a mini-program
failing every few minutes does not flood it.
"""

from __future__ import annotations

import getpass
import os
import socket
from datetime import datetime
from typing import Any

from smartpay_apply.controller.outcome import Outcome, section_states
from smartpay_apply.engine.observation import summarise
from smartpay_apply.engine.results import AppResult
from smartpay_apply.state.base import Observation, StateStore

SOURCE = "controller"


def replica_name() -> str:
    """This replica as people find it: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def controller_block(
    result: AppResult,
    outcome: Outcome,
    *,
    message: str | None,
    at: datetime,
    failures: int,
    next_attempt: datetime | None,
) -> dict[str, Any]:
    """The `controller` part of the observation (plain JSON, nothing secret)."""
    return {
        "outcome": outcome.value,
        "message": message,
        "errors": list(result.errors),
        "sections": section_states(result, outcome),
        "steps": [
            {"action": step.action, "section": step.section, "result": step.result}
            for step in result.steps
        ],
        "reconciled_at": at.isoformat(),
        "replica": replica_name(),
        "failures": failures,
        "next_attempt": next_attempt.isoformat() if next_attempt else None,
    }


def keep_observation(store: StateStore, result: AppResult, block: dict[str, Any]) -> None:
    """Record the plan's observation with the controller block (replacing plan's own)."""
    if result.plan is None:
        return
    summary = {**summarise(result.plan, app_name=result.service_name), SOURCE: block}
    at = datetime.fromisoformat(block["reconciled_at"])
    store.record_observations([Observation(result.app_id, result.app, at, SOURCE, summary)])


def keep_failure(store: StateStore, result: AppResult, message: str) -> None:
    """A failure that wrote nothing, as a failed run with one `error` step."""
    run_id = store.start_run(
        command=SOURCE, user=_user(), host=socket.gethostname(), plan_checksum=None
    )
    try:
        store.record_step(
            run_id,
            app_id=result.app_id,
            app=result.app,
            action="error",
            section="-",
            result="failed",
            detail=message,
        )
    finally:
        store.finish_run(run_id, "failed")


def _user() -> str:
    try:
        return str(getpass.getuser())
    except Exception:  # no user name in some containers
        return "unknown"
