"""What a plan saw of one mini-program, kept in the state store for `status` and the controller.

Every plan, apply and controller reconcile observes each mini-program anyway; keeping the
latest observation (its time, who made it, each section's state, what is pending) lets
`smartpay-apply status` answer "which audits are in review, which failed, what drifted" for a
whole fleet instantly, without calling Baidu. Plain JSON data, and nothing sensitive: the plan
it is made from holds display values only (a step's `changes` are the plan JSON's, masked where
sensitive), and `app_name` is the payment service's display name.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from smartpay_apply.engine.steps import AppPlan
from smartpay_apply.state.records import Observation

if TYPE_CHECKING:
    from smartpay_apply.engine.observe import Observed
    from smartpay_apply.spec.models import AppSpec

#: Bumped when the summary's shape changes incompatibly (readers skip versions they do not know).
#: Added keys are compatible: `app_name` and each step's `changes` and `note` came later, and a
#: reader treats them as absent in older observations.
SUMMARY_VERSION = 1


def summarise(app_plan: AppPlan, *, app_name: str | None = None) -> dict[str, Any]:
    """The observation of `app_plan`: sections' sync and audit state, pending steps, notes."""
    return {
        "version": SUMMARY_VERSION,
        "error": app_plan.error,
        "app_name": app_name,
        "sections": {section: _split(line) for section, line in sorted(app_plan.status.items())},
        "steps": [
            {
                "action": step.action.value,
                "section": step.section,
                "reason": step.reason,
                "note": step.note,
                "changes": [change.to_json() for change in step.changes],
            }
            for step in app_plan.steps
        ],
        "notes": list(app_plan.notes),
        "pending": app_plan.pending,
        "payout_change": app_plan.payout_change,
    }


def observation(
    app_plan: AppPlan, *, source: str, at: datetime, app_name: str | None = None
) -> Observation:
    """The store record of one plan (`source`: plan, apply, controller, status)."""
    return Observation(
        app_plan.app_id, app_plan.app, at, source, summarise(app_plan, app_name=app_name)
    )


def service_name(spec: AppSpec, observed: Observed | None) -> str | None:
    """The payment service's app_name for people: Baidu's when the service exists, else the
    spec's (None when neither says). A display value, never a secret."""
    remote: Mapping[str, Any] | None = observed.payment_service if observed else None
    if remote is not None and remote.get("app_name"):
        return str(remote["app_name"])
    if spec.payment_service is not None:
        return spec.payment_service.app_name
    return None


def _split(line: str) -> dict[str, str]:
    """ "synced · approved" -> {"sync": "synced", "audit": "approved"}."""
    sync, _, audit = line.partition(" · ")
    return {"sync": sync, "audit": audit}
