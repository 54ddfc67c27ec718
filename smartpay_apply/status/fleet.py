"""Reading the fleet from the state store: a handful of bulk queries, whatever its size.

Why bulk: the status page must render 5,000 mini-programs with 50,000 events in well under a
second, so nothing here reads per mini-program. Each of the store's fleet reads is one query
(latest observation per app, the submissions, each app's newest event and newest rejection
event, each app's newest run with its steps, suspensions).

Why partial reads: building 15,000 submission and 10,000 event records costs more than the
queries. What decides a mini-program's state needs only its open submissions (pending or
rejected) and whether it has any; its last event and last FAIL event are shown, not used to
classify. So the overview reads those (`complete=False`) and adds the events of the page it
shows (`with_events`); `status --format json` reads everything.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from smartpay_apply.state.records import (
    EVENT_OUTCOMES,
    AuditEvent,
    Observation,
    RunRecord,
    Submission,
    Suspension,
)
from smartpay_apply.status.gcpause import collector_paused

if TYPE_CHECKING:
    from smartpay_apply.state.base import StateStore

#: The pushed events that say an audit was rejected.
FAIL_EVENTS = tuple(name for name, (_, outcome) in EVENT_OUTCOMES.items() if outcome == "rejected")
#: The observation summary versions this reader understands (engine/observation.py).
KNOWN_SUMMARY_VERSIONS = (1,)


@dataclass(frozen=True)
class Fleet:
    """Everything status shows, as the store had it at `read_at`."""

    read_at: datetime
    observations: Mapping[int, Observation] = field(default_factory=dict)
    submissions: Mapping[int, tuple[Submission, ...]] = field(default_factory=dict)
    last_events: Mapping[int, AuditEvent] = field(default_factory=dict)
    last_failures: Mapping[int, AuditEvent] = field(default_factory=dict)
    last_runs: Mapping[int, RunRecord] = field(default_factory=dict)
    suspensions: Mapping[int, Suspension] = field(default_factory=dict)
    #: When `submissions` holds only the open ones (pending, rejected): every mini-program
    #: with any submission, and the app name it recorded. None: `submissions` is complete.
    submitted: Mapping[int, str | None] | None = None
    #: The mini-programs with any stored event (a partial read has no events to tell).
    evented: frozenset[int] = frozenset()

    def has_submission(self, app_id: int) -> bool:
        if self.submitted is not None:
            return app_id in self.submitted
        return bool(self.submissions.get(app_id))

    def app_ids(self) -> list[int]:
        """Every mini-program the store observed or recorded anything status shows about."""
        found: set[int] = set(self.submitted or {}) | self.evented
        for source in (
            self.observations,
            self.submissions,
            self.last_events,
            self.last_runs,
            self.suspensions,
        ):
            found.update(source)
        return sorted(found)

    def name(self, app_id: int) -> str | None:
        """The app name the store knows for `app_id`: the observation's, else the last
        submission's, run step's or suspension's (None: only its app_id is known)."""
        seen = self.observations.get(app_id)
        if seen is not None:
            return seen.app
        for submission in self.submissions.get(app_id, ()):
            if submission.app:
                return submission.app
        if self.submitted is not None and self.submitted.get(app_id):
            return self.submitted[app_id]
        run = self.last_runs.get(app_id)
        if run is not None and run.steps:
            return run.steps[-1].app
        suspension = self.suspensions.get(app_id)
        return suspension.app if suspension is not None else None


def read_fleet(store: StateStore | None, *, at: datetime, complete: bool = True) -> Fleet:
    """The fleet as `store` knows it (an empty fleet when there is no store yet).

    `complete=False`: only the open submissions, and no events (see the module docstring).
    """
    if store is None:
        return Fleet(read_at=at)
    with collector_paused():
        return _read(store, at, complete)


def _read(store: StateStore, at: datetime, complete: bool) -> Fleet:
    submissions: dict[int, list[Submission]] = {}
    for submission in store.list_submissions() if complete else store.open_submissions():
        submissions.setdefault(submission.app_id, []).append(submission)
    fleet = Fleet(
        read_at=at,
        observations={
            seen.app_id: seen for seen in store.list_observations() if understood(seen.summary)
        },
        submissions={app_id: tuple(items) for app_id, items in submissions.items()},
        last_runs=store.latest_runs(),
        suspensions={s.app_id: s for s in store.list_suspensions()},
        submitted=None if complete else store.submitted_apps(),
        evented=frozenset() if complete else frozenset(store.event_app_ids()),
    )
    return with_events(fleet, store) if complete else fleet


def with_events(
    fleet: Fleet, store: StateStore | None, app_ids: Collection[int] | None = None
) -> Fleet:
    """`fleet` with the last event and last rejection event of `app_ids` (None: of all)."""
    if store is None:
        return fleet
    with collector_paused():
        return replace(
            fleet,
            last_events=store.latest_events(app_ids=app_ids),
            last_failures=store.latest_events(FAIL_EVENTS, app_ids=app_ids),
        )


def understood(summary: Mapping[str, Any]) -> bool:
    """An observation written by a newer summary format is skipped, not misread."""
    return summary.get("version") in KNOWN_SUMMARY_VERSIONS
