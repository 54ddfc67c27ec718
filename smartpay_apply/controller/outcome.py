"""What one reconcile came to, in the controller's terms, and each section's state after it.

apply's statuses (done, in review, failed, refused) are for a run a person watches; a
controller must also know whether to retry (a failure: back off) or to wait for a person (a
rejection, a payout change without consent: retrying changes nothing), and whether another
replica has the mini-program (skipped).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from smartpay_apply.controller.policy import Denial
from smartpay_apply.engine.results import AppResult, AppStatus
from smartpay_apply.engine.steps import Action, AppPlan

#: The sections a plan speaks of.
SECTIONS = ("account", "developer_config", "payment_service")
#: Step results that leave an audit running.
SUBMITTED = frozenset({"submitted", "already_exists", "in_review"})


class Outcome(StrEnum):
    """How a reconcile ended, for the controller."""

    IN_SYNC = "in_sync"  # nothing left to do or to wait for
    IN_REVIEW = "in_review"  # done what can be done; an audit (or its event) is awaited
    BLOCKED = "blocked"  # Baidu rejected it, or a change only a person can make (manual)
    AWAITING_CONSENT = "awaiting_consent"  # a payout change without a matching consent
    REFUSED = "refused"  # left to a person: controller.actions, the payout threshold
    FAILED = "failed"  # an API, credentials or store failure: retried with backoff
    SKIPPED = "skipped"  # another replica or run holds the lock: it is being handled
    SUSPENDED = "suspended"  # `suspend: true` or `smartpay-apply suspend`
    INTERRUPTED = "interrupted"  # SIGTERM: the write under way was finished and recorded


#: The outcomes that wait for a person rather than for time.
NEEDS_A_PERSON = frozenset({Outcome.BLOCKED, Outcome.AWAITING_CONSENT, Outcome.REFUSED})


def classify(result: AppResult, denied: Denial | None) -> Outcome:
    """The controller's outcome of `result`; `denied` is the policy's refusal, if any."""
    if result.lock_held:
        return Outcome.SKIPPED
    if result.status is AppStatus.INTERRUPTED:
        return Outcome.INTERRUPTED
    if result.status is AppStatus.REFUSED:
        return Outcome.AWAITING_CONSENT if denied is Denial.CONSENT else Outcome.REFUSED
    if result.status is AppStatus.FAILED:
        return Outcome.BLOCKED if _rejected(result) else Outcome.FAILED
    if result.status is AppStatus.IN_REVIEW:
        return Outcome.IN_REVIEW
    return Outcome.IN_SYNC


def _rejected(result: AppResult) -> bool:
    """A rejection or a manual change: the plan says so, or a write was refused as rejected."""
    plan = result.plan
    if plan is not None and plan.error:
        return False
    if plan is not None and any(s.action in (Action.BLOCKED, Action.MANUAL) for s in plan.steps):
        return True
    return bool(result.errors) and all("rejected by Baidu" in e for e in result.errors)


def wrote(result: AppResult) -> bool:
    """Whether the reconcile sent a write Baidu accepted (an adoption writes nothing)."""
    return any(step.endpoint and step.result != "in_review" for step in result.steps)


def section_states(result: AppResult, outcome: Outcome) -> dict[str, str]:
    """Each managed section after the reconcile: in_sync, in_review, pending (a step waits for
    its turn, a consent or a person's apply), blocked, or failing."""
    plan = result.plan
    if plan is None:
        return {}
    managed = [s for s in SECTIONS if not plan.status.get(s, "").startswith("not managed")]
    if plan.error:
        return dict.fromkeys(managed, "failing")
    done = {step.section: step.result for step in result.steps}
    waiting = {entry["section"] for entry in result.pending}
    states = {}
    for section in managed:
        steps = [step for step in plan.steps if step.section == section]
        actions = {step.action for step in steps}
        if actions & {Action.BLOCKED, Action.MANUAL}:
            states[section] = "blocked"
        elif section in waiting or done.get(section) in SUBMITTED:
            states[section] = "in_review"
        elif section in done:
            states[section] = "in_sync"
        elif Action.WAIT in actions and steps[0].action is Action.WAIT:
            states[section] = "in_review"
        elif any(not step.is_marker and step.action is not Action.ADOPT for step in steps):
            states[section] = "failing" if outcome is Outcome.FAILED else "pending"
        else:
            states[section] = "in_sync"
    return states


def states_of_summary(summary: Mapping[str, Any]) -> dict[str, str]:
    """Section states from a stored observation: the controller's own when it wrote one, else
    derived from the plan that plan or apply kept (engine/observation.summarise)."""
    block = summary.get("controller")
    if isinstance(block, Mapping) and isinstance(block.get("sections"), Mapping):
        return {str(k): str(v) for k, v in block["sections"].items()}
    sections = summary.get("sections") or {}
    managed = [
        s
        for s in SECTIONS
        if s in sections and not str(sections[s].get("sync", "")).startswith("not managed")
    ]
    if summary.get("error"):
        return dict.fromkeys(managed, "failing")
    steps = [
        (str(step.get("section")), str(step.get("action"))) for step in summary.get("steps", [])
    ]
    states = {}
    for section in managed:
        actions = [action for name, action in steps if name == section]
        if "blocked" in actions or "manual" in actions:
            states[section] = "blocked"
        elif actions and actions[0] == "wait":
            states[section] = "in_review"
        elif actions:
            states[section] = "pending"
        else:
            states[section] = "in_sync"
    return states


def plan_states(plan: AppPlan) -> dict[str, str]:
    """Section states of a plan alone (nothing applied yet)."""
    return section_states(AppResult(plan.app, plan.app_id, plan=plan), Outcome.IN_SYNC)
