"""One row per mini-program: the facts status shows, built from a `Fleet` (plain data; the
records are slotted, not frozen: 5,000 rows of five records each are built per page view).

A row never holds a secret: the observation summary keeps display values only (masked as plan
output masks them), submissions are shown by time and outcome (never their fingerprints),
events and runs by name, time, reason and result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from smartpay_apply.state.records import (
    SECTIONS,
    AuditEvent,
    Observation,
    RunRecord,
    Submission,
    Suspension,
    event_outcome,
)
from smartpay_apply.status.fleet import Fleet
from smartpay_apply.status.gcpause import collector_paused
from smartpay_apply.status.states import classify, in_review_sections


@dataclass(slots=True)
class SectionStatus:
    """One section as last observed (sync and audit state) and as last submitted."""

    section: str
    sync: str | None = None  # synced | out of sync | not recorded | not managed by this spec ...
    audit: str | None = None  # approved | in review | rejected | not created | ...
    submitted_at: datetime | None = None
    outcome: str | None = None  # pending | approved | rejected (of the last submission)
    outcome_at: datetime | None = None
    reason: str | None = None


@dataclass(slots=True)
class Rejection:
    """The last rejection known: which section, Baidu's reason, and when."""

    section: str
    reason: str
    at: datetime | None
    source: str  # submission | event | observation


@dataclass(slots=True)
class LastRun:
    """The newest run that did something for the mini-program, and how it ended for it."""

    run_id: str
    command: str
    status: str  # the whole run's: running | succeeded | pending | failed | aborted
    outcome: str  # this mini-program's: failed | running | aborted | manual | in_review | done
    started_at: datetime
    finished_at: datetime | None
    detail: str | None = None  # the failed step's message, when it failed


@dataclass(slots=True)
class StatusRow:
    """Everything status shows about one mini-program."""

    app_id: int
    app: str | None
    state: str
    app_name: str | None = None
    in_review: tuple[str, ...] = ()
    in_review_since: datetime | None = None
    rejection: Rejection | None = None
    last_event: AuditEvent | None = None
    last_run: LastRun | None = None
    observed_at: datetime | None = None
    observed_by: str | None = None
    error: str | None = None
    pending: tuple[Mapping[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    suspended: Suspension | None = None
    summary: Mapping[str, Any] | None = field(default=None, repr=False)
    submissions: tuple[Submission, ...] = field(default=(), repr=False)

    @property
    def sections(self) -> tuple[SectionStatus, ...]:
        """The three sections, as observed and as last submitted. Built when asked: the
        overview classifies 5,000 rows and shows the sections of 100."""
        return _sections(self.summary, self.submissions, self.observed_at)

    @property
    def label(self) -> str:
        """The name people know it by (its app_id when the store never recorded a name)."""
        return self.app or str(self.app_id)

    def in_review_seconds(self, now: datetime) -> int | None:
        """How long the oldest audit in progress has been in review, in whole seconds."""
        if self.in_review_since is None:
            return None
        return max(0, int((now - self.in_review_since).total_seconds()))


def build_rows(fleet: Fleet) -> list[StatusRow]:
    """A row for every mini-program of `fleet`, by app name then app_id."""
    with collector_paused():
        rows = [build_row(fleet, app_id) for app_id in fleet.app_ids()]
    rows.sort(key=lambda row: (row.label, row.app_id))
    return rows


def build_row(fleet: Fleet, app_id: int) -> StatusRow:
    """The row of one mini-program."""
    seen = fleet.observations.get(app_id)
    summary = seen.summary if seen is not None else None
    submissions = fleet.submissions.get(app_id, ())
    run = fleet.last_runs.get(app_id)
    last_run = _last_run(run) if run is not None else None
    reviewing = in_review_sections(summary, submissions)
    pending_since = [
        s.submitted_at for s in submissions if s.outcome == "pending" and s.section in reviewing
    ]
    return StatusRow(
        app_id=app_id,
        app=fleet.name(app_id),
        state=classify(
            summary,
            submissions,
            last_run.outcome if last_run else None,
            reviewing,
            submitted=fleet.has_submission(app_id),
        ),
        app_name=summary.get("app_name") if summary is not None else None,
        in_review=tuple(reviewing),
        in_review_since=min(pending_since) if pending_since else None,
        rejection=_rejection(summary, submissions, fleet.last_failures.get(app_id), seen),
        last_event=fleet.last_events.get(app_id),
        last_run=last_run,
        observed_at=seen.observed_at if seen is not None else None,
        observed_by=seen.source if seen is not None else None,
        error=summary.get("error") if summary is not None else None,
        pending=tuple(summary.get("steps") or ()) if summary is not None else (),
        notes=tuple(summary.get("notes") or ()) if summary is not None else (),
        suspended=fleet.suspensions.get(app_id),
        summary=summary,
        submissions=tuple(submissions),
    )


#: A section's audit state from its last submission, when that is newer than the observation.
SUBMITTED_AUDIT = {"pending": "in review", "approved": "approved", "rejected": "rejected"}
#: The sync state of a section written after it was last observed.
SUBMITTED_SINCE = "submitted since observed"


def _sections(
    summary: Mapping[str, Any] | None,
    submissions: Sequence[Submission],
    observed_at: datetime | None = None,
) -> tuple[SectionStatus, ...]:
    """Each section as observed, unless a submission (or its outcome) came after the
    observation: apply observes before it writes, so right after `apply` the store's latest
    observation still says `not created` while the account is in review."""
    observed: Mapping[str, Mapping[str, str]] = (summary or {}).get("sections") or {}
    by_section = {s.section: s for s in submissions}
    found = []
    for section in SECTIONS:
        status = observed.get(section)
        submitted = by_section.get(section)
        sync = status.get("sync") if status else None
        audit = status.get("audit") if status else None
        if submitted is not None and _newer(submitted, observed_at):
            sync, audit = SUBMITTED_SINCE, SUBMITTED_AUDIT.get(submitted.outcome, audit)
        found.append(
            SectionStatus(
                section=section,
                sync=sync,
                audit=audit,
                submitted_at=submitted.submitted_at if submitted else None,
                outcome=submitted.outcome if submitted else None,
                outcome_at=submitted.outcome_at if submitted else None,
                reason=submitted.reason if submitted else None,
            )
        )
    return tuple(found)


def _newer(submitted: Submission, observed_at: datetime | None) -> bool:
    """Whether the submission, or the outcome recorded for it, is newer than the observation."""
    if observed_at is None:
        return True
    return max(submitted.submitted_at, submitted.outcome_at or submitted.submitted_at) > observed_at


def _rejection(
    summary: Mapping[str, Any] | None,
    submissions: Sequence[Submission],
    failure: AuditEvent | None,
    seen: Observation | None,
) -> Rejection | None:
    """The newest rejection the store knows (a rejected submission or a FAIL event); else the
    reason of a `blocked` step in the observation (Baidu's reason, read rather than pushed)."""
    known: list[Rejection] = [
        Rejection(s.section, s.reason or "no reason given", s.outcome_at, "submission")
        for s in submissions
        if s.outcome == "rejected"
    ]
    if failure is not None:
        section = (event_outcome(failure) or ("account", "rejected"))[0]
        known.append(
            Rejection(section, failure.reason or "no reason given", failure.event_time, "event")
        )
    if known:  # the newest; an undated one (an old store's) only when nothing is dated
        return max(
            known, key=lambda r: (r.at is not None, r.at or datetime.min.replace(tzinfo=UTC))
        )
    for step in (summary or {}).get("steps") or ():
        if step.get("action") == "blocked":
            at = seen.observed_at if seen is not None else None
            return Rejection(
                step["section"], step.get("reason") or "no reason given", at, "observation"
            )
    return None


def _last_run(run: RunRecord) -> LastRun:
    """How the run ended for this mini-program, from its own steps (docs/status.md)."""
    results = {step.result for step in run.steps}
    failed = next((step for step in run.steps if step.result == "failed"), None)
    if failed is not None:
        outcome = "failed"
    elif run.status == "running":
        outcome = "running"
    elif run.status == "aborted":
        outcome = "aborted"
    elif "manual" in results:
        outcome = "manual"
    elif "in_review" in results:
        outcome = "in_review"
    else:
        outcome = "done"
    return LastRun(
        run_id=run.run_id,
        command=run.command,
        status=run.status,
        outcome=outcome,
        started_at=run.started_at,
        finished_at=run.finished_at,
        detail=failed.detail if failed is not None else None,
    )


def age(seconds: int | None) -> str:
    """A duration for people: 42s, 5m10s, 3h20m, 2d4h (`-` for none)."""
    if seconds is None:
        return "-"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h"
    if hours:
        return f"{hours}h{minutes}m"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"
