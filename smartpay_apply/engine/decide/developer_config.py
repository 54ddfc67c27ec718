"""The developer config: the second step, behind the account's approval; its outcome only as
a pushed event, so what is known of it decides whether the payment service waits or probes."""

from __future__ import annotations

from datetime import datetime

from smartpay_apply.engine.decide.common import (
    NOT_MANAGED,
    PASS_EVENT,
    WRITE_ONLY_NOTE,
    DecideOptions,
    Part,
    Readiness,
    account_gate,
)
from smartpay_apply.engine.normalise import creation
from smartpay_apply.engine.observe import AuditEvent, Observed, Submission
from smartpay_apply.engine.steps import Action, Step
from smartpay_apply.spec.models import AppSpec


def developer_config_part(
    spec: AppSpec,
    observed: Observed,
    desired: str | None,
    account: Part,
    options: DecideOptions,
) -> Part:
    """The developer config's share of the plan (docs/plan.md, its rows of the table)."""
    record = observed.submissions.get("developer_config")
    early = _without_a_decision(spec, observed, record)
    if early is not None:
        return early
    outcome, reason = _outcome(observed, record)
    health = {"approved": "approved", "rejected": "rejected"}.get(
        outcome or "", "not submitted" if record is None else "outcome not received"
    )
    if record is None or record.fingerprint != desired:
        if record is not None and outcome is None and options.receiver:
            return _still_in_review(health)
        return _submit(spec, observed, record, outcome, account, options, health)
    if outcome == "rejected":
        return Part(
            steps=[Step(Action.BLOCKED, "developer_config", reason=reason)],
            status=f"synced · {health}",
            readiness=Readiness.STUCK,
        )
    return _synced(record, options, health, service_exists=observed.payment_service is not None)


def _without_a_decision(
    spec: AppSpec, observed: Observed, record: Submission | None
) -> Part | None:
    """Not managed, contradicted by Baidu, or to adopt: nothing to compare, or None."""
    service_exists = observed.payment_service is not None
    if spec.developer_config is None:
        known = record is not None or service_exists
        return Part(status=f"{NOT_MANAGED} · {'submitted' if known else 'unknown'}")
    if record is not None and observed.account_status is None and not service_exists:
        return _contradiction(spec)
    if record is None and service_exists:
        return Part(
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
    return None


def _still_in_review(health: str) -> Part:
    """A change while the last submission's outcome is awaited: Baidu answers 60018."""
    return Part(
        steps=[
            Step(
                Action.WAIT,
                "developer_config",
                reason="the last developer-config submission is still in review (its "
                "outcome event has not arrived; Baidu answers 60018 meanwhile): the "
                "changed spec is submitted once it ends",
            )
        ],
        status=f"out of sync · {health}",
        readiness=Readiness.IN_REVIEW,
    )


def _synced(
    record: Submission, options: DecideOptions, health: str, *, service_exists: bool
) -> Part:
    """The spec was submitted as it is; its outcome is approved or still unknown."""
    part = Part(status=f"synced · {health}")
    if health == "approved":
        return part
    part.notes.append("developer config: audit outcome not yet received")
    if _unknown_outcome(record, options) is Readiness.AWAIT_EVENT:
        part.steps.append(_await_event())
        part.readiness = Readiness.IN_REVIEW
    elif not service_exists:
        part.readiness = Readiness.PROBE
    return part


def _await_event() -> Step:
    """With the receiver configured, the outcome arrives as an event: wait for it."""
    return Step(
        Action.WAIT,
        "developer_config",
        reason=f"developer config audit: waiting for Baidu's {PASS_EVENT} (or _FAIL) event "
        "(the event receiver is configured); what needs it comes after",
    )


def _submit(
    spec: AppSpec,
    observed: Observed,
    record: Submission | None,
    outcome: str | None,
    account: Part,
    options: DecideOptions,
    health: str,
) -> Part:
    """Submit (or resubmit) the developer config, behind the account audit if need be."""
    assert spec.developer_config is not None
    status = f"out of sync · {health}"
    if account.readiness is Readiness.STUCK:
        return Part(
            notes=[
                "developer config: not planned until the account is approved "
                "(it is the second step; Baidu answers 60016 before)"
            ],
            status=status,
            readiness=Readiness.STUCK,
        )
    notes = []
    if record is not None:
        notes.append(WRITE_ONLY_NOTE)
    if record is not None and outcome is None:
        notes.append(
            "the last submission's outcome is unknown (no event receiver): if Baidu still "
            "reviews it, it answers 60018 and apply waits"
        )
    part = Part(status=status)
    if observed.payment_service is not None:
        notes.append(
            "Baidu puts an approved payment service back into review after a developer-config "
            "change (its steps below wait for that audit)"
        )
        part.rereview = True
    part.steps.extend(account_gate(account, "the developer config"))
    part.steps.append(
        Step(
            Action.SUBMIT_DEVELOPER_CONFIG,
            "developer_config",
            creation(spec.developer_config),
            note="; ".join(notes) or None,
        )
    )
    if options.receiver:
        part.steps.append(_await_event())
        part.readiness = Readiness.IN_REVIEW
    else:
        part.readiness = Readiness.PROBE
    return part


def _contradiction(spec: AppSpec) -> Part:
    """The store says "submitted", Baidu says "no payment account": one of them was reset."""
    return Part(
        steps=[
            Step(
                Action.MANUAL,
                "developer_config",
                reason="the state store records a developer-config submission, but Baidu "
                "reports no payment account for this mini-program (was it reset, or the store "
                f"copied from elsewhere?): run `smartpay-apply state forget {spec.app} "
                "--section developer_config`, then plan again",
            )
        ],
        status="contradiction · store says submitted, Baidu has no account",
        readiness=Readiness.STUCK,
    )


def _outcome(observed: Observed, record: Submission | None) -> tuple[str | None, str]:
    """The known outcome of the last submission (event, else the store's record) and reason."""
    if record is None:
        return None, "no reason given"
    event = _last_event_since(observed, "developer_config", record.submitted_at)
    outcome = event.outcome if event else _known(record.outcome)
    reason = (event.reason if event else record.reason) or "no reason given"
    return outcome, reason


def _unknown_outcome(record: Submission | None, options: DecideOptions) -> Readiness:
    """With a receiver, wait for the PASS event (unless it is overdue); without one, probe."""
    if not options.receiver:
        return Readiness.PROBE
    submitted = record.submitted_at if record is not None else None
    overdue = (
        options.now is not None
        and submitted is not None
        and options.now - submitted >= options.event_grace
    )
    return Readiness.PROBE if overdue else Readiness.AWAIT_EVENT


def _known(outcome: str) -> str | None:
    return outcome if outcome in ("approved", "rejected") else None


def _last_event_since(
    observed: Observed, section: str, since: datetime | None
) -> AuditEvent | None:
    """The latest outcome event of `section` not older than the last submission.

    Baidu's eventTime has whole seconds: an outcome in the submission's own second counts.
    """
    events = observed.events_for(section)
    if since is not None:
        floor = since.replace(microsecond=0)
        events = tuple(e for e in events if e.event_time >= floor)
    return events[-1] if events else None
