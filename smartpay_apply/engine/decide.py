"""The decision table: what to do for one mini-program, given what is wanted and what is seen.

A pure function of (AppSpec, Observed, desired fingerprints): no I/O, no clock, no randomness,
so every row of the table in docs/plan.md is a plain test case. The section fingerprints are
computed by the caller (they are salted by the state store) and passed in.

Steps come out in execution order: account, developer config, payment service. A `wait`
marker holds every step after it until that audit ends (apply stops there, or polls with
`--wait`); `blocked` and `manual` markers say why nothing can be done without a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from smartpay_apply.engine.normalise import comparable_remote, diff, section_values
from smartpay_apply.engine.observe import AuditEvent, Observed
from smartpay_apply.engine.steps import Action, AppPlan, Change, Step
from smartpay_apply.spec.models import NO_AUDIT_PAYMENT_FIELDS, AppSpec

ACCOUNT_STATUS_NAMES = {
    0: "initial",
    1: "editing",
    2: "in review",
    3: "rejected",
    4: "approved",
    5: "approved (agreement filled)",
}
SERVICE_STATUS_NAMES = {0: "new", 1: "in review", 2: "approved", 3: "rejected"}
NOT_MANAGED = "not managed by this spec"
WRITE_ONLY_NOTE = (
    "write-only section: Baidu cannot show the values last sent, only that the spec changed since"
)


class Readiness(Enum):
    """Whether a section lets the payment service be created in this run."""

    READY = "ready"  # approved / submitted: nothing to wait for
    AFTER_AUDIT = "after_audit"  # will be, once an audit started in (or before) this run passes
    IN_REVIEW = "in_review"  # an audit is in progress and a wait marker is already planned
    STUCK = "stuck"  # blocked, or missing and not managed: the create cannot happen


@dataclass
class _Section:
    """One section's share of the plan, before the sections are joined."""

    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str = ""
    readiness: Readiness = Readiness.READY


def decide(spec: AppSpec, observed: Observed, fingerprints: Mapping[str, str]) -> AppPlan:
    """The AppPlan for one mini-program (without its checksums: the planner adds those).

    `fingerprints` maps a write-only section ("account", "developer_config") to the salted
    fingerprint of the spec's values for it, as `planner.desired_fingerprints` computes them.
    """
    account = _account(spec, observed, fingerprints.get("account"))
    developer = _developer_config(spec, observed, fingerprints.get("developer_config"))
    payment = _payment_service(spec, observed, account, developer)
    sections = {"account": account, "developer_config": developer, "payment_service": payment}
    return AppPlan(
        app=spec.app,
        app_id=spec.app_id,
        steps=tuple(step for part in sections.values() for step in part.steps),
        notes=tuple(note for part in sections.values() for note in part.notes),
        status={name: part.status for name, part in sections.items()},
    )


# ---------------------------------------------------------------- account


def _account(spec: AppSpec, observed: Observed, desired: str | None) -> _Section:
    status = observed.account_status
    health = (
        "not created" if status is None else ACCOUNT_STATUS_NAMES.get(status, f"status {status}")
    )
    if spec.account is None:
        return _Section(status=f"{NOT_MANAGED} · {health}", readiness=_unmanaged_account(status))

    record = observed.submissions.get("account")
    synced = record is not None and desired is not None and record.fingerprint == desired
    sync = "synced" if synced and status is not None else "out of sync"
    part = _Section(status=f"{sync} · {health}")
    creation = diff({}, section_values(spec.account))

    if status is None or status in (0, 1):
        part.steps.append(Step(Action.CREATE_ACCOUNT, "account", creation))
        part.readiness = Readiness.AFTER_AUDIT
    elif status == 2:
        part.steps.append(
            Step(
                Action.WAIT,
                "account",
                reason="account audit in progress (status 2); the steps below wait for it",
            )
        )
        if record is not None and not synced:
            part.notes.append(
                "account: the spec changed since the submission under review; "
                "it is planned again once the audit ends"
            )
        part.readiness = Readiness.IN_REVIEW
    elif status == 3:
        message = observed.account_verify_message or "no reason given"
        if synced:
            part.steps.append(Step(Action.BLOCKED, "account", reason=message))
            part.readiness = Readiness.STUCK
        else:
            note = f"resubmitting after rejection ({message})"
            if record is None:
                note += "; no record of the rejected submission, so the spec is sent as it is"
            part.steps.append(Step(Action.CREATE_ACCOUNT, "account", creation, note=note))
            part.readiness = Readiness.AFTER_AUDIT
    elif status in (4, 5):
        if record is None:
            part.status = f"not recorded · {health}"
            part.steps.append(
                Step(
                    Action.ADOPT,
                    "account",
                    note="approved account with no recorded submission: the spec's fingerprint "
                    "is recorded so later changes are noticed (no API call)",
                )
            )
        elif not synced:
            part.steps.append(
                Step(
                    Action.MANUAL,
                    "account",
                    reason="the account is approved and no API can change it: change it on the "
                    "Baidu smart-program platform, or revert the spec",
                    note=WRITE_ONLY_NOTE,
                )
            )
    else:
        part.steps.append(
            Step(Action.BLOCKED, "account", reason=f"unknown account status {status}")
        )
        part.readiness = Readiness.STUCK
    return part


def _unmanaged_account(status: int | None) -> Readiness:
    if status in (4, 5):
        return Readiness.READY
    if status == 2:
        return Readiness.AFTER_AUDIT
    return Readiness.STUCK


# ---------------------------------------------------------------- developer config


def _developer_config(spec: AppSpec, observed: Observed, desired: str | None) -> _Section:
    record = observed.submissions.get("developer_config")
    if spec.developer_config is None:
        known = record is not None or observed.payment_service is not None
        return _Section(status=f"{NOT_MANAGED} · {'submitted' if known else 'unknown'}")

    submission = diff({}, section_values(spec.developer_config))
    if record is None:
        if observed.payment_service is not None:
            return _Section(
                steps=[
                    Step(
                        Action.ADOPT,
                        "developer_config",
                        note="a payment service exists, so a developer config was submitted "
                        "before: the spec's fingerprint is recorded as submitted (no API call)",
                    )
                ],
                status="not recorded · approved",
            )
        return _Section(
            steps=[Step(Action.SUBMIT_DEVELOPER_CONFIG, "developer_config", submission)],
            status="out of sync · not submitted",
        )

    outcome_event = _last_event_since(observed, "developer_config", record.submitted_at)
    outcome = outcome_event.outcome if outcome_event else _known(record.outcome)
    reason = (outcome_event.reason if outcome_event else record.reason) or "no reason given"
    health = {"approved": "approved", "rejected": "rejected"}.get(
        outcome or "", "outcome not received"
    )
    if record.fingerprint != desired:
        return _Section(
            steps=[
                Step(
                    Action.SUBMIT_DEVELOPER_CONFIG,
                    "developer_config",
                    submission,
                    note=WRITE_ONLY_NOTE,
                )
            ],
            status=f"out of sync · {health}",
        )
    if outcome == "rejected":
        return _Section(
            steps=[Step(Action.BLOCKED, "developer_config", reason=reason)],
            status=f"synced · {health}",
            readiness=Readiness.STUCK,
        )
    part = _Section(status=f"synced · {health}")
    if outcome is None:
        part.notes.append("developer config: audit outcome not yet received")
    return part


def _known(outcome: str) -> str | None:
    return outcome if outcome in ("approved", "rejected") else None


def _last_event_since(
    observed: Observed, section: str, since: datetime | None
) -> AuditEvent | None:
    """The latest outcome event of `section` not older than the last submission."""
    events = observed.events_for(section)
    if since is not None:
        events = tuple(e for e in events if e.event_time >= since)
    return events[-1] if events else None


# ---------------------------------------------------------------- payment service


def _payment_service(
    spec: AppSpec, observed: Observed, account: _Section, developer: _Section
) -> _Section:
    remote = observed.payment_service
    open_status = observed.open_status
    if remote is None:
        health = "not created"
    else:
        health = (
            SERVICE_STATUS_NAMES.get(open_status, f"status {open_status}")
            if open_status is not None
            else "unknown"
        )
    if spec.payment_service is None:
        return _Section(status=f"{NOT_MANAGED} · {health}")

    desired = section_values(spec.payment_service)
    if remote is None:
        return _create_payment_service(desired, account, developer)

    compared = comparable_remote(remote)
    unreadable = [
        name for name, value in desired.items() if name not in compared and value is not None
    ]
    changes = diff(compared, desired, [name for name in desired if name in compared])
    part = _Section(status=f"{'out of sync' if changes else 'synced'} · {health}")
    if unreadable:
        part.notes.append(
            f"payment service: {', '.join(unreadable)} not returned by getbindservice, so not compared"
        )
    if open_status == 1:
        part.steps.append(
            Step(
                Action.WAIT,
                "payment_service",
                reason="payment service audit in progress (open_status 1)",
            )
        )
        if changes:
            part.notes.append(
                f"payment service: {len(changes)} field(s) differ from the spec; "
                "they are planned once the audit ends"
            )
    elif open_status == 3:
        fail_reason = observed.fail_reason or "no reason given"
        if changes:
            part.steps.append(
                Step(
                    Action.UPDATE_BIND_SERVICE,
                    "payment_service",
                    changes,
                    note=f"resubmitting after rejection ({fail_reason})",
                )
            )
        else:
            part.steps.append(Step(Action.BLOCKED, "payment_service", reason=fail_reason))
    else:
        part.steps.extend(_updates(changes))
    return part


def _updates(changes: tuple[Change, ...]) -> list[Step]:
    """No-audit fields through paymentservice/update first, then the rest through the audit."""
    immediate = tuple(c for c in changes if c.field in NO_AUDIT_PAYMENT_FIELDS)
    audited = tuple(c for c in changes if c.field not in NO_AUDIT_PAYMENT_FIELDS)
    steps = []
    if immediate:
        steps.append(Step(Action.UPDATE_PAYMENT_SERVICE, "payment_service", immediate))
    if audited:
        steps.append(Step(Action.UPDATE_BIND_SERVICE, "payment_service", audited))
    return steps


def _create_payment_service(
    desired: dict[str, object], account: _Section, developer: _Section
) -> _Section:
    """Create the service, held behind the account audit when the account is not approved yet."""
    part = _Section(status="out of sync · not created")
    if account.readiness is Readiness.STUCK:
        part.notes.append(
            "payment service: not planned until the account is approved "
            "(creating it needs an approved payment account)"
        )
        return part
    if developer.readiness is Readiness.STUCK:
        part.notes.append(
            "payment service: not planned while the developer config is rejected "
            "(creating it needs a submitted developer config)"
        )
        return part
    if account.readiness is Readiness.AFTER_AUDIT:
        part.steps.append(
            Step(
                Action.WAIT,
                "account",
                reason="account audit: create_payment_service needs an approved account",
            )
        )
    part.steps.append(Step(Action.CREATE_PAYMENT_SERVICE, "payment_service", diff({}, desired)))
    return part
