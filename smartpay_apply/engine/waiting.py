"""Waiting for Baidu's audits: polling with backoff, and showing that we are still waiting.

An audit takes Baidu's reviewers minutes to days. `apply --wait` polls the audit-status
endpoints (account, payment service) and, for the developer config — whose outcome Baidu only
pushes — the audit events the receiver stored. Polls start fast and back off to a ceiling, so a
sandbox audit of half a second is seen at once and a day-long one costs a request a minute.

While waiting, stderr shows Terraform-style progress ("shop: payment service: in review
[2m10s elapsed]"): on a terminal one live line, rewritten; on a pipe (CI logs) a line per
waiting mini-program every `interval` seconds, so the log shows life without flooding.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, TextIO

from smartpay_apply.errors import UsageError

if TYPE_CHECKING:
    from smartpay_apply.api.client import AppApi
    from smartpay_apply.state.base import StateStore

AuditState = Literal["approved", "rejected", "in_review"]
#: How a wait ended: an audit state, or "probed" (a pause before trying the next step again).
WaitState = Literal["approved", "rejected", "in_review", "probed"]

SECTION_LABELS = {
    "account": "account",
    "developer_config": "developer config",
    "payment_service": "payment service",
}

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str) -> float:
    """'90s', '10m', '1h', '1h30m', '250ms' or a bare number of seconds -> seconds."""
    value = text.strip().lower().replace(" ", "")
    if not value:
        raise UsageError("empty duration: use e.g. 90s, 10m, 1h or 1h30m")
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    position = 0
    total = 0.0
    for match in _DURATION_PART.finditer(value):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if position != len(value) or position == 0:
        raise UsageError(f"invalid duration {text!r}: use e.g. 90s, 10m, 1h or 1h30m")
    return total


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


Poll = Callable[[], Awaitable[tuple[AuditState, str | None]]]


class Progress:
    """The "still waiting" display on stderr; one instance per run, shared by all mini-programs."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        live: bool | None = None,
        interval: float = 10.0,
        enabled: bool = True,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.interval = interval
        self.enabled = enabled
        self._waiting: dict[str, tuple[str, float]] = {}  # key -> (label, started)
        self._last_print: dict[str, float] = {}
        self._line_shown = False
        self._ticker: asyncio.Task[None] | None = None

    def start(self, key: str, label: str) -> None:
        """Begin showing `label` ("shop: payment service: in review") with its elapsed time."""
        now = time.monotonic()
        self._waiting[key] = (label, now)
        self._last_print[key] = now
        if not self.live:
            self._write_line(f"{label} [0s elapsed]")
        self._ensure_ticker()

    def finish(self, key: str, message: str) -> None:
        """Stop showing `key` and print how its wait ended."""
        entry = self._waiting.pop(key, None)
        self._last_print.pop(key, None)
        elapsed = time.monotonic() - entry[1] if entry else 0.0
        self._write_line(f"{message} [after {format_elapsed(elapsed)}]")
        if not self._waiting and self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    def note(self, message: str) -> None:
        """A one-off line (e.g. "shop: account approved; continuing")."""
        self._write_line(message)

    def tick(self) -> None:
        """Refresh the display: the live line, or the lines that are due on a pipe."""
        if not self.enabled or not self._waiting:
            return
        now = time.monotonic()
        if self.live:
            parts = [
                f"{label} [{format_elapsed(now - started)} elapsed]"
                for label, started in self._waiting.values()
            ]
            shown = (
                parts[0] if len(parts) == 1 else f"{len(parts)} waiting: " + "; ".join(parts[:3])
            )
            if len(parts) > 3:
                shown += f"; and {len(parts) - 3} more"
            self.stream.write("\r\033[K" + shown)
            self.stream.flush()
            self._line_shown = True
            return
        for key, (label, started) in list(self._waiting.items()):
            if now - self._last_print.get(key, started) >= self.interval:
                self._last_print[key] = now
                self._write_line(f"{label} [{format_elapsed(now - started)} elapsed]")

    def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        self._clear_live()

    def _write_line(self, text: str) -> None:
        if not self.enabled:
            return
        self._clear_live()
        self.stream.write(text + "\n")
        self.stream.flush()

    def _clear_live(self) -> None:
        if self._line_shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._line_shown = False

    def _ensure_ticker(self) -> None:
        if self._ticker is not None or not self.enabled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._ticker = loop.create_task(self._tick_forever())

    async def _tick_forever(self) -> None:
        period = 1.0 if self.live else min(1.0, self.interval)
        while True:
            self.tick()
            await asyncio.sleep(period)


async def wait_for(
    key: str,
    label: str,
    section: str,
    poll: Poll,
    *,
    deadline: float,
    backoff: Backoff,
    progress: Progress,
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

    def __init__(self, key: str, label: str, backoff: Backoff, progress: Progress) -> None:
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


def account_poll(app_api: AppApi) -> Poll:
    """account/auditstatus: only 4/5 are approved (the account step is complete only then);
    3 rejected (verify_message); 2 — and anything undecided (null, 0, 1) — still in review."""

    async def poll() -> tuple[AuditState, str | None]:
        status = await app_api.get_account_audit_status()
        if status.approved:
            return "approved", None
        if status.status == 3:
            return "rejected", status.verify_message
        return "in_review", None

    return poll


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

        events = await asyncio.to_thread(store.list_events, app_id)
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
