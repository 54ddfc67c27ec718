"""What the sections of the decision share: the options, how far a section lets the next go,
and a section's share of the plan before they are joined."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from smartpay_apply.engine.steps import Action, Step

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
    AWAIT_EVENT = "await_event"  # the developer config's outcome event is still to come
    PROBE = "probe"  # developer config outcome unknowable: try the next step, refusal = wait
    STUCK = "stuck"  # blocked, or missing and not managed: the next steps cannot happen


@dataclass
class Part:
    """One section's share of the plan, before the sections are joined."""

    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str = ""
    readiness: Readiness = Readiness.READY
    #: The developer config is resubmitted while a payment service exists: Baidu puts the
    #: service back into review (public pay FAQ), so its updates wait for that audit.
    rereview: bool = False


def account_gate(account: Part, needed_by: str) -> list[Step]:
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
