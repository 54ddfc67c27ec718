"""The decision table: what to do for one mini-program, given what is wanted and what is seen.

A pure function of (AppSpec, Observed, desired fingerprints, options): no I/O, no clock of its
own, no randomness, so every row of the table in docs/plan.md is a plain test case. The section
fingerprints are computed by the caller (they are salted by the state store) and passed in.

Steps come out in Baidu's documented order: account, developer config, payment service. The
account step is complete only once the account is *approved* ("完成该步的标志是支付账号创建成功并且
状态为审核通过"), and the payment service needs an approved account and a completed developer
config. So a later section's step is planned behind a `wait` marker for the earlier audit: the
plan shows everything that will happen, and apply stops at the marker (or polls it with
`--wait`). `blocked` and `manual` markers say why nothing can be done without a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from smartpay_apply.engine.normalise import comparable_remote, diff, section_values
from smartpay_apply.engine.observe import AuditEvent, Observed, Submission
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
APPROVED_ACCOUNT = (4, 5)
NOT_MANAGED = "not managed by this spec"
WRITE_ONLY_NOTE = (
    "write-only section: Baidu cannot show the values last sent, only that the spec changed since"
)
PASS_EVENT = "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS"
#: With the event receiver configured, the payment service waits for the developer config's
#: PASS event; a push lost while the receiver was down must not hold it forever, so this long
#: after the submission the create is tried anyway (a 60014/60018 answer is then a wait).
EVENT_GRACE = timedelta(minutes=15)


@dataclass(frozen=True)
class DecideOptions:
    """What decide needs besides spec and observation: how audit outcomes can be learnt.

    `receiver`: the event receiver is configured, so the developer config's outcome arrives as
    a pushed event (it has no status endpoint). `now`: the time of the observation, for the
    lost-event grace (None: never overdue).
    """

    receiver: bool = False
    now: datetime | None = None
    event_grace: timedelta = EVENT_GRACE


class Readiness(Enum):
    """How far a section lets the sections after it go in this run."""

    READY = "ready"  # complete: nothing to wait for
    AFTER_AUDIT = "after_audit"  # an audit starts in this run: a wait marker must come first
    IN_REVIEW = "in_review"  # an audit is in progress and its wait marker is already planned
    AWAIT_EVENT = "await_event"  # developer config submitted, its PASS event not received yet
    PROBE = "probe"  # developer config outcome unknowable: try the next step, refusal = wait
    STUCK = "stuck"  # blocked, or missing and not managed: the next steps cannot happen


@dataclass
class _Section:
    """One section's share of the plan, before the sections are joined."""

    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str = ""
    readiness: Readiness = Readiness.READY
    #: The developer config is resubmitted while a payment service exists: Baidu puts the
    #: service back into review (public pay FAQ), so its updates wait for that audit.
    rereview: bool = False


def decide(
    spec: AppSpec,
    observed: Observed,
    fingerprints: Mapping[str, str],
    options: DecideOptions | None = None,
) -> AppPlan:
    """The AppPlan for one mini-program (without its checksums: the planner adds those).

    `fingerprints` maps a section to the salted fingerprint of the spec's values for it, as
    `planner.desired_fingerprints` computes them.
    """
    options = options or DecideOptions()
    account = _account(spec, observed, fingerprints.get("account"))
    developer = _developer_config(
        spec, observed, fingerprints.get("developer_config"), account, options
    )
    payment = _payment_service(
        spec, observed, fingerprints.get("payment_service"), account, developer
    )
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
        _rejected_account(part, observed, record, synced, creation)
    elif status in APPROVED_ACCOUNT:
        _approved_account(part, record, synced, health)
    else:
        part.steps.append(
            Step(Action.BLOCKED, "account", reason=f"unknown account status {status}")
        )
        part.readiness = Readiness.STUCK
    return part


def _rejected_account(
    part: _Section,
    observed: Observed,
    record: Submission | None,
    synced: bool,
    creation: tuple[Change, ...],
) -> None:
    message = observed.account_verify_message or "no reason given"
    if synced:
        part.steps.append(Step(Action.BLOCKED, "account", reason=message))
        part.readiness = Readiness.STUCK
        return
    note = f"resubmitting after rejection ({message})"
    if record is None:
        note += "; no record of the rejected submission, so the spec is sent as it is"
    part.steps.append(Step(Action.CREATE_ACCOUNT, "account", creation, note=note))
    part.readiness = Readiness.AFTER_AUDIT


def _approved_account(part: _Section, record: Submission | None, synced: bool, health: str) -> None:
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


def _account_gate(account: _Section, needed_by: str) -> list[Step]:
    """The wait marker a step needing an approved account must come behind (maybe none).

    The first dependent step plans it; the account then counts as IN_REVIEW so the next one
    does not plan a second marker.
    """
    if account.readiness is not Readiness.AFTER_AUDIT:
        return []
    account.readiness = Readiness.IN_REVIEW
    return [
        Step(
            Action.WAIT,
            "account",
            reason=f"account audit: {needed_by} needs an approved account "
            "(Baidu answers 60016 before)",
        )
    ]


# ---------------------------------------------------------------- developer config


def _developer_config(
    spec: AppSpec,
    observed: Observed,
    desired: str | None,
    account: _Section,
    options: DecideOptions,
) -> _Section:
    record = observed.submissions.get("developer_config")
    service_exists = observed.payment_service is not None
    if spec.developer_config is None:
        known = record is not None or service_exists
        return _Section(status=f"{NOT_MANAGED} · {'submitted' if known else 'unknown'}")
    if record is not None and observed.account_status is None and not service_exists:
        return _contradiction(spec)
    if record is None and service_exists:
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
    outcome, reason = _outcome(observed, record)
    health = {"approved": "approved", "rejected": "rejected"}.get(
        outcome or "", "not submitted" if record is None else "outcome not received"
    )
    if record is None or record.fingerprint != desired:
        if record is not None and outcome is None and options.receiver:
            return _Section(
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
        return _submit_developer_config(spec, observed, record, outcome, account, options, health)
    if outcome == "rejected":
        return _Section(
            steps=[Step(Action.BLOCKED, "developer_config", reason=reason)],
            status=f"synced · {health}",
            readiness=Readiness.STUCK,
        )
    part = _Section(status=f"synced · {health}")
    if outcome is None:
        part.notes.append("developer config: audit outcome not yet received")
        if not service_exists:
            part.readiness = _unknown_outcome(record, options)
    return part


def _submit_developer_config(
    spec: AppSpec,
    observed: Observed,
    record: Submission | None,
    outcome: str | None,
    account: _Section,
    options: DecideOptions,
    health: str,
) -> _Section:
    """Submit (or resubmit) the developer config, behind the account audit if need be."""
    assert spec.developer_config is not None
    status = f"out of sync · {health}"
    if account.readiness is Readiness.STUCK:
        return _Section(
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
    part = _Section(status=status)
    if observed.payment_service is not None:
        notes.append(
            "Baidu puts an approved payment service back into review after a developer-config "
            "change (its steps below wait for that audit)"
        )
        part.rereview = True
    part.steps.extend(_account_gate(account, "the developer config"))
    part.steps.append(
        Step(
            Action.SUBMIT_DEVELOPER_CONFIG,
            "developer_config",
            diff({}, section_values(spec.developer_config)),
            note="; ".join(notes) or None,
        )
    )
    part.readiness = Readiness.AFTER_AUDIT if options.receiver else Readiness.PROBE
    return part


def _contradiction(spec: AppSpec) -> _Section:
    """The store says "submitted", Baidu says "no payment account": one of them was reset."""
    return _Section(
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


# ---------------------------------------------------------------- payment service


def _payment_service(
    spec: AppSpec,
    observed: Observed,
    desired_fingerprint: str | None,
    account: _Section,
    developer: _Section,
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


def _create_payment_service(
    desired: dict[str, object], account: _Section, developer: _Section
) -> _Section:
    """Create the service once the account is approved and the developer config complete."""
    part = _Section(status="out of sync · not created")
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
    part.steps.extend(_account_gate(account, "create_payment_service"))
    if developer.readiness in (Readiness.AFTER_AUDIT, Readiness.AWAIT_EVENT):
        part.steps.append(
            Step(
                Action.WAIT,
                "developer_config",
                reason="developer config audit: create_payment_service waits for Baidu's "
                f"{PASS_EVENT} event (the event receiver is configured)",
            )
        )
    note = None
    if developer.readiness is Readiness.PROBE:
        note = (
            "the developer config's outcome cannot be read (no event receiver, or its event is "
            "overdue): the create is tried, and a 60014/60018 answer means it is still in "
            "review (apply waits)"
        )
    part.steps.append(
        Step(Action.CREATE_PAYMENT_SERVICE, "payment_service", diff({}, desired), note=note)
    )
    return part
