"""What a plan saw of one mini-program, kept in the state store for `status` and the controller.

Every plan, apply and controller reconcile observes each mini-program anyway; keeping the
latest observation (its time, who made it, each section's state, what is pending) lets
`smartpay-apply status` answer "which audits are in review, which failed, what drifted" for a
whole fleet instantly, without calling Baidu. Plain JSON data, and nothing sensitive: the plan
it is made from holds display values only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from smartpay_apply.engine.steps import AppPlan
from smartpay_apply.state.records import Observation

#: Bumped when the summary's shape changes incompatibly (readers skip versions they do not know).
SUMMARY_VERSION = 1


def summarise(app_plan: AppPlan) -> dict[str, Any]:
    """The observation of `app_plan`: sections' sync and audit state, pending steps, notes."""
    return {
        "version": SUMMARY_VERSION,
        "error": app_plan.error,
        "sections": {section: _split(line) for section, line in sorted(app_plan.status.items())},
        "steps": [
            {"action": step.action.value, "section": step.section, "reason": step.reason}
            for step in app_plan.steps
        ],
        "notes": list(app_plan.notes),
        "pending": app_plan.pending,
        "payout_change": app_plan.payout_change,
    }


def observation(app_plan: AppPlan, *, source: str, at: datetime) -> Observation:
    """The store record of one plan (`source`: plan, apply, controller, status)."""
    return Observation(app_plan.app_id, app_plan.app, at, source, summarise(app_plan))


def _split(line: str) -> dict[str, str]:
    """ "synced · approved" -> {"sync": "synced", "audit": "approved"}."""
    sync, _, audit = line.partition(" · ")
    return {"sync": sync, "audit": audit}
