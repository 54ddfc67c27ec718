"""Recording the audit outcomes an observation saw, so the store never lags behind Baidu.

Why: the store keeps each section's last submission with its outcome (pending, approved,
rejected). An outcome pushed as an event is recorded by the receiver; one that is only *read*
(account/auditstatus, getbindservice's open_status) used to be recorded only by an
`apply --wait` that happened to poll it, so `state show` kept an approved account "pending"
for days. Every plan, apply and (later) controller observation now records what it saw.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from smartpay_apply.engine.observe import Observed, Submission

if TYPE_CHECKING:
    from smartpay_apply.state.base import StateStore

#: Read statuses that decide an audit: section -> {status: outcome}.
ACCOUNT_OUTCOMES = {3: "rejected", 4: "approved", 5: "approved"}
SERVICE_OUTCOMES = {2: "approved", 3: "rejected"}


def seen_outcomes(observed: Observed) -> dict[str, tuple[str, str | None]]:
    """Section -> (outcome, reason) for each pending submission the observation decided."""
    found: dict[str, tuple[str, str | None]] = {}
    account = observed.submissions.get("account")
    if account is not None and account.outcome == "pending":
        outcome = ACCOUNT_OUTCOMES.get(observed.account_status or -1)
        if outcome is not None:
            reason = observed.account_verify_message if outcome == "rejected" else None
            found["account"] = (outcome, reason)
    service = observed.submissions.get("payment_service")
    if service is not None and service.outcome == "pending" and observed.payment_service:
        outcome = SERVICE_OUTCOMES.get(observed.open_status or -1)
        if outcome is not None:
            found["payment_service"] = (
                outcome,
                observed.fail_reason if outcome == "rejected" else None,
            )
    return found


def record_seen_outcomes(
    store: StateStore | None, app_id: int, observed: Observed, at: datetime
) -> Observed:
    """Record what `observed` decided in the store; the observation as the store now has it.

    Returning the updated observation keeps a saved plan's checksum equal to what apply's own
    observation computes right after (the outcomes are already recorded by then).
    """
    found = seen_outcomes(observed)
    if not found or store is None:
        return observed
    for section, (outcome, reason) in found.items():
        store.record_outcome(app_id, section, outcome, reason=reason, at=at)
    return with_seen_outcomes(observed)


def with_seen_outcomes(observed: Observed) -> Observed:
    """The observation as the store has it once `record_seen_outcomes` recorded what it saw
    (no I/O: `Planner.plan` decides on it first and records the outcomes with the plan)."""
    found = seen_outcomes(observed)
    if not found:
        return observed
    submissions: dict[str, Submission] = dict(observed.submissions)
    for section, (outcome, reason) in found.items():
        submissions[section] = replace(submissions[section], outcome=outcome, reason=reason)
    return replace(observed, submissions=submissions)
