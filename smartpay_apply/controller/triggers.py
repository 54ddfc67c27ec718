"""What makes a mini-program due: audit events in the store, spec files that changed, rounds.

- Events: the local receiver says so at once (its on-event hook); events another replica's
  receiver stored are found by polling the events table by arrival time (the store is the bus:
  no broker). Arrival times are each receiver's clock, so every poll looks back `OVERLAP`
  seconds and skips the events it has seen.
- Spec files: their modification times and sizes, compared every few seconds (and on SIGHUP);
  when they changed, the specs are loaded again and the mini-programs whose sections, or
  suspend flag, changed are due. A file that no longer loads keeps its last good specs (and
  says why), so one typo does not stop the others.
- Rounds: every `resync` (jittered +-10 %), every mini-program.
"""

from __future__ import annotations

import glob
import json
import logging
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from smartpay_apply.config import ProjectConfig
from smartpay_apply.spec.models import AppSpec
from smartpay_apply.state.base import AuditEvent, StateStore

log = logging.getLogger(__name__)

#: How far back each poll of the events table looks (clock skew between receivers).
OVERLAP = timedelta(seconds=60)
#: Most events read per poll (the next poll goes on from the last one read).
POLL_LIMIT = 1000

EventKey = tuple[int, str, str]


def event_key(app_id: int, event: str, event_time: str) -> EventKey:
    """What identifies an event (the store deduplicates by the same three)."""
    return (app_id, event, event_time)


class EventFeed:
    """New events in the store since the controller started (or last looked)."""

    def __init__(self, store: StateStore, since: datetime) -> None:
        self.store = store
        self.cursor = since
        self._seen: dict[EventKey, datetime] = {}
        #: `poll` runs in a worker thread while the local receiver's hook calls `note` on the
        #: event loop: without it the pruning met "dictionary changed size during iteration"
        #: (the benchmark, 1,000 apps) and could drop a key just noted.
        self._lock = threading.Lock()

    def note(self, key: EventKey, received_at: datetime) -> bool:
        """Remember an event (the local receiver's); False if it was seen already."""
        with self._lock:
            if key in self._seen:
                return False
            self._seen[key] = received_at
            return True

    def poll(self) -> list[AuditEvent]:
        """The events received since the last poll that were not seen yet (synchronous)."""
        found: list[AuditEvent] = []
        since = self.cursor - OVERLAP
        while True:
            batch = self.store.list_events_received(since, limit=POLL_LIMIT)
            for event in batch:
                key = event_key(event.app_id, event.event, event.event_time.isoformat())
                if self.note(key, event.received_at):
                    found.append(event)
                self.cursor = max(self.cursor, event.received_at)
            if len(batch) < POLL_LIMIT or batch[-1].received_at == since:
                break
            since = batch[-1].received_at
        floor = self.cursor - 2 * OVERLAP
        with self._lock:
            self._seen = {key: at for key, at in self._seen.items() if at >= floor}
        return found


def spec_files(config: ProjectConfig) -> list[Path]:
    """The files whose change means "load the specs again": smartpay.yaml and the specs."""
    found = {config.path}
    for pattern in config.specs:
        for name in glob.glob(pattern, root_dir=config.root, recursive=True):
            found.add(config.root / name)
    return sorted(found)


Snapshot = dict[Path, tuple[int, int]]


def snapshot(paths: Iterable[Path]) -> Snapshot:
    """(modification time in ns, size) of each file that exists."""
    seen: Snapshot = {}
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        seen[path] = (stat.st_mtime_ns, stat.st_size)
    return seen


@dataclass
class SpecSet:
    """The specs the controller works from, and a digest of each (what counts as a change)."""

    specs: dict[int, AppSpec] = field(default_factory=dict)
    digests: dict[int, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def changes(self, older: SpecSet) -> tuple[list[int], list[int]]:
        """(app_ids new or changed since `older`, app_ids gone)."""
        changed = [app_id for app_id, d in self.digests.items() if older.digests.get(app_id) != d]
        gone = [app_id for app_id in older.specs if app_id not in self.specs]
        return sorted(changed), sorted(gone)


def load_spec_set(config: ProjectConfig, store: StateStore, previous: SpecSet | None) -> SpecSet:
    """Load the specs; a file with problems keeps the specs it held in `previous`.

    Synchronous and CPU-heavy (run it in a thread). The config is loaded again too, for its
    `defaults:` (other settings of smartpay.yaml need a restart).
    """
    from smartpay_apply.config import load_project_config
    from smartpay_apply.errors import SmartpayError
    from smartpay_apply.project import load_report

    problems: list[str] = []
    try:
        current = load_project_config(config.root, config.path)
    except SmartpayError as error:
        problems.append(error.user_message())
        current = config
    report = load_report(current, cwd=config.root)
    problems += [str(problem) for problem in report.problems]
    broken = {problem.path for problem in report.problems}
    kept: dict[int, AppSpec] = {}
    for spec in report.specs:
        if _source_path(spec) not in broken:
            kept[spec.app_id] = spec
    if previous is not None:
        for app_id, spec in previous.specs.items():
            if app_id not in kept and _source_path(spec) in broken:
                kept[app_id] = spec  # its file broke: the last good version stays
    specs = dict(sorted(kept.items()))
    return SpecSet(specs, {app_id: digest(spec, store) for app_id, spec in specs.items()}, problems)


def _source_path(spec: AppSpec) -> str | None:
    return str(spec.source.document.path) if spec.source is not None else None


def digest(spec: AppSpec, store: StateStore) -> str:
    """What a reconcile depends on in a spec: its sections' salted fingerprints (never the
    values), its name and its suspend flag."""
    from smartpay_apply.engine.fingerprints import desired_fingerprints

    try:
        sections = desired_fingerprints(spec, store)
    except Exception as error:  # an unreadable image: the reconcile says so
        sections = {"error": type(error).__name__}
    return json.dumps([spec.app, spec.suspend, sorted(sections.items())])


def jittered(period: float, spread: float, draw: Callable[[], float] = random.random) -> float:
    """`period` +- `spread` (a share), so replicas started together drift apart."""
    return period * (1.0 - spread + 2.0 * spread * draw())
