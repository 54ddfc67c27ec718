"""The payment service: create it once account and developer config allow, wait for its
audit, resubmit a rejection only once the spec changed, update without or with an audit."""

from __future__ import annotations

from collections.abc import Mapping

from smartpay_apply.engine.decide.common import (
    NOT_MANAGED,
    SERVICE_STATUS_NAMES,
    Part,
    Readiness,
    account_gate,
)
from smartpay_apply.engine.normalise import comparable_remote, creation, diff, section_values
from smartpay_apply.engine.observe import Observed, Submission
from smartpay_apply.engine.steps import Action, Change, Step
from smartpay_apply.spec.models import NO_AUDIT_PAYMENT_FIELDS, AppSpec, PaymentServiceSpec


def payment_service_part(
    spec: AppSpec,
    observed: Observed,
    desired_fingerprint: str | None,
    account: Part,
    developer: Part,
) -> Part:
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
        return Part(status=f"{NOT_MANAGED} · {health}")

    desired = section_values(spec.payment_service)
    if remote is None:
        return _create(spec.payment_service, account, developer)

    compared = comparable_remote(remote)
    unreadable = [
        name for name, value in desired.items() if name not in compared and value is not None
    ]
    changes = diff(compared, desired, [name for name in desired if name in compared])
    part = Part(status=f"{'out of sync' if changes else 'synced'} · {health}")
    if unreadable:
        part.notes.append(
            f"payment service: {', '.join(unreadable)} not returned by getbindservice, so not compared"
        )
    if developer.rereview or open_status == 1:
        reason = (
            "payment service back in review after the developer-config change above"
            if developer.rereview and open_status != 1
            else "payment service audit in progress (open_status 1)"
        )
        part.steps.append(Step(Action.WAIT, "payment_service", reason=reason))
        if changes:
            part.notes.append(
                f"payment service: {len(changes)} field(s) differ from the spec; "
                "they are planned once the audit ends"
            )
    elif open_status == 3:
        record = observed.submissions.get("payment_service")
        part.steps.append(
            _rejected_service(observed, record, desired_fingerprint, changes, desired)
        )
    else:
        part.steps.extend(_updates(changes))
    return part


def _rejected_service(
    observed: Observed,
    record: Submission | None,
    desired_fingerprint: str | None,
    changes: tuple[Change, ...],
    desired: Mapping[str, object],
) -> Step:
    """Blocked while the spec equals what was last submitted; resubmitted once it changed.

    What getbindservice shows after a rejected update is undocumented (it may be the last
    approved values), so "what was submitted" comes from the recorded fingerprint, not from it.
    """
    fail_reason = observed.fail_reason or "no reason given"
    unchanged = (record.fingerprint == desired_fingerprint) if record is not None else not changes
    if unchanged:
        return Step(Action.BLOCKED, "payment_service", reason=fail_reason)
    note = f"resubmitting after rejection ({fail_reason})"
    if not changes:
        note += "; the spec changed since the rejected submission"
    return Step(
        Action.UPDATE_BIND_SERVICE,
        "payment_service",
        changes or diff({}, dict(desired)),
        note=note,
    )


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


def _create(desired: PaymentServiceSpec, account: Part, developer: Part) -> Part:
    """Create the service once the account is approved and the developer config complete."""
    part = Part(status="out of sync · not created")
    if account.readiness is Readiness.STUCK:
        part.notes.append(
            "payment service: not planned until the account is approved "
            "(creating it needs an approved payment account)"
        )
        return part
    if developer.readiness is Readiness.STUCK:
        part.notes.append(
            "payment service: not planned until the developer config is approved "
            "(creating it needs a completed developer config)"
        )
        return part
    part.steps.extend(account_gate(account, "create_payment_service"))
    note = None
    if developer.readiness is Readiness.PROBE:
        note = (
            "the developer config's outcome cannot be read (no event receiver, or its event is "
            "overdue): the create is tried, and a 60014/60018 answer means it is still in "
            "review (apply waits)"
        )
    part.steps.append(
        Step(Action.CREATE_PAYMENT_SERVICE, "payment_service", creation(desired), note=note)
    )
    return part
