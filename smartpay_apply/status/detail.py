"""One mini-program in full, for its page: its row, every audit event, every rejection known,
its run history, and its last observation as plan text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from smartpay_apply.state.records import AuditEvent, RunRecord, event_outcome
from smartpay_apply.status.fleet import FAIL_EVENTS, Fleet, understood
from smartpay_apply.status.plan_text import plan_text
from smartpay_apply.status.rows import Rejection, StatusRow, build_row

if TYPE_CHECKING:
    from smartpay_apply.state.base import StateStore

#: How many runs a mini-program's page lists.
RUNS_SHOWN = 20


@dataclass(frozen=True)
class AppDetail:
    """What a mini-program's page shows."""

    row: StatusRow
    events: tuple[AuditEvent, ...]  # oldest first: the audit timeline
    rejections: tuple[Rejection, ...]  # newest first
    runs: tuple[RunRecord, ...]  # newest first, only this mini-program's steps
    plan_text: str | None  # the last observation as `plan` text (None: never observed)


def read_app(store: StateStore | None, app_id: int, *, at: datetime) -> AppDetail | None:
    """The mini-program's detail, or None when the store knows nothing of it."""
    if store is None:
        return None
    seen = [o for o in store.list_observations([app_id]) if understood(o.summary)]
    submissions = tuple(store.list_submissions(app_id))
    events = store.list_events(app_id)
    runs = store.list_runs(app_id, limit=RUNS_SHOWN)
    suspended = {s.app_id: s for s in store.list_suspensions() if s.app_id == app_id}
    if not (seen or submissions or events or runs or suspended):
        return None
    failures = [e for e in events if e.event in FAIL_EVENTS]
    fleet = Fleet(
        read_at=at,
        observations={app_id: seen[0]} if seen else {},
        submissions={app_id: submissions} if submissions else {},
        last_events={app_id: events[-1]} if events else {},
        last_failures={app_id: failures[-1]} if failures else {},
        last_runs={app_id: runs[0]} if runs else {},
        suspensions=suspended,
    )
    row = build_row(fleet, app_id)
    text = plan_text(row.label, app_id, seen[0].summary) if seen else None
    return AppDetail(row, tuple(events), _rejections(row, failures), tuple(runs), text)


def _rejections(row: StatusRow, failures: list[AuditEvent]) -> tuple[Rejection, ...]:
    """Every rejection known: rejected submissions, FAIL events, blocked steps; newest first."""
    found = [
        Rejection(s.section, s.reason or "no reason given", s.outcome_at, "submission")
        for s in row.sections
        if s.outcome == "rejected"
    ]
    for event in failures:
        section = (event_outcome(event) or ("account", "rejected"))[0]
        found.append(
            Rejection(section, event.reason or "no reason given", event.event_time, "event")
        )
    for step in row.pending:
        if step.get("action") == "blocked":
            reason = step.get("reason") or "no reason given"
            found.append(Rejection(step["section"], reason, row.observed_at, "observation"))
    epoch = datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda r: r.at or epoch, reverse=True)
    return tuple(found)
