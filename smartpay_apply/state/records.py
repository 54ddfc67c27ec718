"""The records the state store keeps, as plain data (shared by every backend and every reader)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from smartpay_apply.timeutil import SHANGHAI, now

#: The sections Baidu audits. account and developer_config are write-only (fingerprinted).
SECTIONS = ("account", "developer_config", "payment_service")
#: A submission's audit outcome.
OUTCOMES = ("pending", "approved", "rejected")

#: The six pushed payment audit events -> (section, outcome).
EVENT_OUTCOMES: dict[str, tuple[str, str]] = {
    "APP_PAYMENT_CREATE_ACCOUNT_PASS": ("account", "approved"),
    "APP_PAYMENT_CREATE_ACCOUNT_FAIL": ("account", "rejected"),
    "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS": ("developer_config", "approved"),
    "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_FAIL": ("developer_config", "rejected"),
    "APP_PAYMENT_CREATE_PAYMENT_PASS": ("payment_service", "approved"),
    "APP_PAYMENT_CREATE_PAYMENT_FAIL": ("payment_service", "rejected"),
}


@dataclass(frozen=True)
class Submission:
    """The last submission of a section for one mini-program, and what Baidu said about it."""

    app_id: int
    section: str
    fingerprint: str
    submitted_at: datetime
    outcome: str = "pending"  # pending | approved | rejected
    reason: str | None = None
    outcome_at: datetime | None = None
    app: str | None = None


@dataclass(frozen=True)
class AuditEvent:
    """An event Baidu pushed, as the receiver decoded it.

    `event_time` is Baidu's wall-clock time (Asia/Shanghai); it must be zone-aware and is kept
    in Asia/Shanghai. `received_at` is when the receiver got it (defaults to now).
    """

    app_id: int
    tp_app_id: int | None
    event: str
    event_time: datetime
    reason: str | None = None
    received_at: datetime = field(default_factory=now)

    def __post_init__(self) -> None:
        if self.event_time.tzinfo is None or self.received_at.tzinfo is None:
            raise ValueError("AuditEvent times must carry their zone (Baidu's are Asia/Shanghai)")
        object.__setattr__(self, "event_time", self.event_time.astimezone(SHANGHAI))

    def to_json(self) -> dict[str, Any]:
        """The event as plain JSON data (for `events list --json` and `--on-event`)."""
        return {
            "app_id": self.app_id,
            "tp_app_id": self.tp_app_id,
            "event": self.event,
            "event_time": self.event_time.isoformat(),
            "reason": self.reason,
            "received_at": self.received_at.isoformat(),
        }


def event_outcome(event: AuditEvent | str) -> tuple[str, str] | None:
    """(section, outcome) of a payment audit event, e.g. ("account", "approved"); None otherwise."""
    name = event.event if isinstance(event, AuditEvent) else event
    return EVENT_OUTCOMES.get(name)


@dataclass(frozen=True)
class RunStep:
    """One step of a run and its result, in the order they were recorded."""

    seq: int
    app_id: int
    app: str
    action: str
    section: str
    result: str
    detail: str | None
    at: datetime


@dataclass(frozen=True)
class RunRecord:
    """Who ran what and when, with which plan, and each step's result."""

    run_id: str
    command: str
    user: str
    host: str
    plan_checksum: str | None
    started_at: datetime
    finished_at: datetime | None
    status: str  # running | whatever finish_run was given (e.g. succeeded, failed, pending)
    steps: tuple[RunStep, ...] = ()


@dataclass(frozen=True)
class Forgotten:
    """What `StateStore.forget` removed, and the run that records it (None if nothing was)."""

    run_id: str | None
    submissions: tuple[Submission, ...] = ()
    images: int = 0


@dataclass(frozen=True)
class Observation:
    """What the last plan, apply, controller reconcile or status refresh saw of one mini-program.

    `summary` is plain JSON data without secrets (engine/observation.py builds it from a plan):
    per-section status, the pending steps, notes, the error if the observation failed.
    """

    app_id: int
    app: str
    observed_at: datetime
    source: str  # plan | apply | controller | status
    summary: Mapping[str, Any]


@dataclass(frozen=True)
class Consent:
    """A person's consent to a change that needs one (`approve APP --payout-change`).

    Bound to the fingerprint of the spec section it approved: a later, different change needs a
    new consent.
    """

    app_id: int
    kind: str  # payout_change
    fingerprint: str
    granted_by: str
    granted_at: datetime


@dataclass(frozen=True)
class Suspension:
    """A mini-program the controller must leave alone (`suspend APP`, Flux's suspend)."""

    app_id: int
    app: str | None
    suspended_by: str
    suspended_at: datetime
    reason: str | None = None
