"""Waiting for Baidu's audits: polling with backoff, and showing that we are still waiting.

An audit takes Baidu's reviewers minutes to days. `apply --wait` polls the audit-status
endpoints (account, payment service) and, for the developer config — whose outcome Baidu only
pushes — the audit events the receiver stored. Polls start fast and back off to a ceiling, so a
sandbox audit of half a second is seen at once and a day-long one costs a request a minute.

While waiting, the run reports to a `ProgressSink`; the CLI's (render/progress.py) shows
Terraform-style lines on stderr ("shop: payment service: in review [2m10s elapsed]").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

from smartpay_apply import durations

if TYPE_CHECKING:
    from smartpay_apply.api.client import AppApi
    from smartpay_apply.engine.observe import Recorded
    from smartpay_apply.state.base import StateStore

AuditState = Literal["approved", "rejected", "in_review"]
#: How a wait ended: an audit state, or "probed" (a pause before trying the next step again).
WaitState = Literal["approved", "rejected", "in_review", "probed"]

SECTION_LABELS = {
    "account": "account",
    "developer_config": "developer config",
    "payment_service": "payment service",
}

#: Durations (`90s`, `10m`, `1h30m`) are parsed in one place, shared with config validation.
parse_duration = durations.parse_duration


def format_elapsed(seconds: float) -> str:
    """3 -> '3s', 130 -> '2m10s', 3720 -> '1h2m' (Terraform's style)."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


@dataclass(frozen=True)
class Backoff:
    """Poll delays: `initial`, growing by `factor`, never above `maximum` seconds."""

    initial: float = 0.25
    factor: float = 1.6
    maximum: float = 60.0

    def delays(self) -> Iterator[float]:
        delay = self.initial
        while True:
            yield delay
            delay = min(self.maximum, delay * self.factor)


@dataclass(frozen=True)
class AuditOutcome:
    """How an awaited audit ended: approved, rejected (with Baidu's reason) or still in review."""

    section: str
    state: WaitState
    reason: str | None = None
    elapsed: float = 0.0
    #: The account's (status, verify_message) the last poll read (account waits only): what
    #: the re-plan after the wait takes instead of reading it again.
    account: tuple[int | None, str | None] | None = None
    #: What the store held of the mini-program once the outcome was recorded (read in the same
    #: store call): what the re-plan after the wait takes instead of reading it again.
    recorded: Recorded | None = None


Poll = Callable[[], Awaitable[tuple[AuditState, str | None]]]


class ProgressSink(Protocol):
    """Where "still waiting" is shown (render/progress.py draws it on stderr)."""

    def start(self, key: str, label: str) -> None:
        """Begin showing `label` with its elapsed time."""
        ...

    def finish(self, key: str, message: str) -> None:
        """Stop showing `key`, saying how its wait ended."""
        ...

    def note(self, message: str) -> None:
        """A one-off line."""
        ...


class NullProgress:
    """Shows nothing (tests, the controller's log carries the same facts)."""

    def start(self, key: str, label: str) -> None:
        pass

    def finish(self, key: str, message: str) -> None:
        pass

    def note(self, message: str) -> None:
        pass


async def wait_for(
    key: str,
    label: str,
    section: str,
    poll: Poll,
    *,
    deadline: float,
    backoff: Backoff,
    progress: ProgressSink,
) -> AuditOutcome:
    """Poll until the audit ends or `deadline` (time.monotonic) passes; show progress meanwhile."""
    started = time.monotonic()
    progress.start(key, f"{label}: {SECTION_LABELS.get(section, section)}: in review")
    outcome: AuditOutcome | None = None
    try:
        for delay in backoff.delays():
            state, reason = await poll()
            if state != "in_review":
                outcome = AuditOutcome(section, state, reason, time.monotonic() - started)
                return outcome
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                outcome = AuditOutcome(section, "in_review", None, time.monotonic() - started)
                return outcome
            await asyncio.sleep(min(delay, remaining))
        raise AssertionError("unreachable: backoff delays never end")
    finally:
        name = SECTION_LABELS.get(section, section)
        if outcome is None:
            progress.finish(key, f"{label}: {name}: stopped waiting")
        elif outcome.state == "approved":
            progress.finish(key, f"{label}: {name}: approved")
        elif outcome.state == "rejected":
            progress.finish(
                key, f"{label}: {name}: rejected: {outcome.reason or 'no reason given'}"
            )
        else:
            progress.finish(
                key, f"{label}: {name}: still in review, stopped waiting (--wait-timeout)"
            )


class ProbeWait:
    """Waiting for an audit whose outcome cannot be read: pause, then try the next step again.

    The developer config has no status endpoint; without the event receiver its outcome shows
    only in whether paymentservice/create is accepted (60014/60018 while it is in review). A
    refused create changes nothing at Baidu, so trying it again after a growing pause *is* the
    poll. One instance per mini-program and run: the pauses keep growing across tries, and the
    progress line stays one line however many tries it takes.
    """

    def __init__(self, key: str, label: str, backoff: Backoff, progress: ProgressSink) -> None:
        self.key = key
        self.label = label
        self.progress = progress
        self._delays = backoff.delays()
        self._shown = False

    async def pause(self, deadline: float) -> bool:
        """Sleep until the next try; False when `deadline` (time.monotonic) has passed."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        if not self._shown:
            self.progress.start(self.key, self.label)
            self._shown = True
        await asyncio.sleep(min(next(self._delays), remaining))
        return True

    def end(self, message: str) -> None:
        """Stop showing the wait (if it was shown), saying how it ended."""
        if self._shown:
            self.progress.finish(self.key, message)
            self._shown = False


# ---------------------------------------------------------------- pollers, one per section


class AccountPoll:
    """account/auditstatus: only 4/5 are approved (the account step is complete only then);
    3 rejected (verify_message); 2 — and anything undecided (null, 0, 1) — still in review.

    `last` keeps what the last poll read, so the re-plan after the wait need not read it again.
    """

    def __init__(self, app_api: AppApi) -> None:
        self.app_api = app_api
        self.last: tuple[int | None, str | None] | None = None

    async def __call__(self) -> tuple[AuditState, str | None]:
        status = await self.app_api.get_account_audit_status()
        self.last = (status.status, status.verify_message)
        if status.approved:
            return "approved", None
        if status.status == 3:
            return "rejected", status.verify_message
        return "in_review", None


def account_poll(app_api: AppApi) -> AccountPoll:
    """The account's poll (`AccountPoll`)."""
    return AccountPoll(app_api)


def payment_service_poll(app_api: AppApi) -> Poll:
    """paymentservice/auditstatus: 2 approved; 3 rejected (fail_reason); anything else (0, 1,
    null) still in review."""

    async def poll() -> tuple[AuditState, str | None]:
        status = await app_api.get_payment_service_audit_status()
        if status.status == 2:
            return "approved", None
        if status.status == 3:
            return "rejected", status.fail_reason
        return "in_review", None

    return poll


def developer_config_poll(store: StateStore, app_id: int, since: datetime | None) -> Poll:
    """The developer config's outcome exists only as a pushed event the receiver stored.

    Without an event receiver none ever arrives: the caller's deadline ends the wait.
    """

    async def poll() -> tuple[AuditState, str | None]:
        from smartpay_apply.state import event_outcome

        events = await store.call(store.list_events, app_id)
        # Baidu's eventTime has whole seconds: an outcome in the submission's second counts.
        floor = None if since is None else since.replace(microsecond=0)
        latest: tuple[datetime, AuditState, str | None] | None = None
        for event in events:
            outcome = event_outcome(event)
            if outcome is None or outcome[0] != "developer_config":
                continue
            if floor is not None and event.event_time < floor:
                continue
            state: AuditState = "approved" if outcome[1] == "approved" else "rejected"
            if latest is None or event.event_time >= latest[0]:
                latest = (event.event_time, state, event.reason)
        if latest is None:
            return "in_review", None
        return latest[1], latest[2]

    return poll
