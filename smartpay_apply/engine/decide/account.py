"""The account: create, wait for its audit, resubmit after a rejection, adopt, or say manual."""

from __future__ import annotations

from smartpay_apply.engine.decide.common import (
    ACCOUNT_STATUS_NAMES,
    APPROVED_ACCOUNT,
    NOT_MANAGED,
    WRITE_ONLY_NOTE,
    Part,
    Readiness,
)
from smartpay_apply.engine.normalise import creation
from smartpay_apply.engine.observe import Observed, Submission
from smartpay_apply.engine.steps import Action, Change, Step
from smartpay_apply.spec.models import AppSpec


def account_part(spec: AppSpec, observed: Observed, desired: str | None) -> Part:
    status = observed.account_status
    health = (
        "not created" if status is None else ACCOUNT_STATUS_NAMES.get(status, f"status {status}")
    )
    if spec.account is None:
        return Part(status=f"{NOT_MANAGED} · {health}", readiness=_unmanaged_account(status))

    record = observed.submissions.get("account")
    synced = record is not None and desired is not None and record.fingerprint == desired
    sync = "synced" if synced and status is not None else "out of sync"
    part = Part(status=f"{sync} · {health}")

    if status is None or status in (0, 1):
        part.steps.append(Step(Action.CREATE_ACCOUNT, "account", _creation(spec)))
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
        _rejected_account(part, spec, observed, record, synced)
    elif status in APPROVED_ACCOUNT:
        _approved_account(part, record, synced, health)
    else:
        part.steps.append(
            Step(Action.BLOCKED, "account", reason=f"unknown account status {status}")
        )
        part.readiness = Readiness.STUCK
    return part


def _creation(spec: AppSpec) -> tuple[Change, ...]:
    """The account's fields as a creation (every value new).

    Built only for the steps that send the account: an approved account, the usual case of a
    plan, needs none, and the diff is most of decide's cost per mini-program.
    """
    return creation(spec.account)


def _rejected_account(
    part: Part,
    spec: AppSpec,
    observed: Observed,
    record: Submission | None,
    synced: bool,
) -> None:
    message = observed.account_verify_message or "no reason given"
    if synced:
        part.steps.append(Step(Action.BLOCKED, "account", reason=message))
        part.readiness = Readiness.STUCK
        return
    note = f"resubmitting after rejection ({message})"
    if record is None:
        note += "; no record of the rejected submission, so the spec is sent as it is"
    part.steps.append(Step(Action.CREATE_ACCOUNT, "account", _creation(spec), note=note))
    part.readiness = Readiness.AFTER_AUDIT


def _approved_account(part: Part, record: Submission | None, synced: bool, health: str) -> None:
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


def _unmanaged_account(status: int | None) -> Readiness:
    if status in APPROVED_ACCOUNT:
        return Readiness.READY
    if status == 2:
        return Readiness.AFTER_AUDIT
    return Readiness.STUCK
