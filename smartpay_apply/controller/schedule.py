"""Who is due when: the controller's to-do list of mini-programs.

Each mini-program is in it at most once, with the earliest time it is due, how urgent that is,
and why. Urgent work (an audit event, a spec change, a new consent) goes before retries, and
retries before routine work (a resync round, the start): a round of a thousand mini-programs
must not hold an audit's next step back. Pure: the caller passes the time (monotonic seconds).
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, replace
from enum import IntEnum


class Priority(IntEnum):
    """How urgent a trigger is (lower first)."""

    URGENT = 0  # an audit event, a spec change, a consent, a resumption
    RETRY = 1  # after a failure (backoff), or a lock another replica held
    ROUTINE = 2  # the start, a resync round


@dataclass(frozen=True)
class Due:
    """One mini-program's next reconcile: when, how urgent, why.

    `event_at` is the wall-clock time (epoch seconds) the earliest audit event behind it was
    received: the event-to-write latency is measured from it.
    """

    at: float
    priority: Priority
    reason: str
    event_at: float | None = None

    def merge(self, other: Due) -> Due:
        """Both triggers in one: the earlier time, the more urgent priority (and its reason)."""
        urgent = self if (self.priority, self.at) <= (other.priority, other.at) else other
        events = [t for t in (self.event_at, other.event_at) if t is not None]
        return replace(urgent, at=min(self.at, other.at), event_at=min(events) if events else None)


class Schedule:
    """Mini-programs waiting for their time (a timer heap) and those whose time has come (a
    ready heap ordered by priority); stale heap entries are skipped, not searched for."""

    def __init__(self) -> None:
        self._due: dict[int, tuple[Due, int]] = {}
        self._timers: list[tuple[float, int, int]] = []  # (at, seq, app_id)
        self._ready: list[tuple[int, float, int, int]] = []  # (priority, at, seq, app_id)
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._due)

    def __contains__(self, app_id: object) -> bool:
        return app_id in self._due

    def get(self, app_id: int) -> Due | None:
        entry = self._due.get(app_id)
        return entry[0] if entry else None

    def add(self, app_id: int, due: Due) -> Due:
        """Schedule `app_id` (merged with what it was already due for); returns the result."""
        current = self._due.get(app_id)
        merged = current[0].merge(due) if current else due
        if current is not None and merged == current[0]:
            return merged
        seq = next(self._seq)
        self._due[app_id] = (merged, seq)
        heapq.heappush(self._timers, (merged.at, seq, app_id))
        return merged

    def discard(self, app_id: int) -> Due | None:
        """Take `app_id` off the list (its heap entries become stale)."""
        entry = self._due.pop(app_id, None)
        return entry[0] if entry else None

    def take(self, now: float, limit: int) -> list[tuple[int, Due]]:
        """Up to `limit` mini-programs due by `now`, most urgent first, off the list."""
        while self._timers and self._timers[0][0] <= now:
            at, seq, app_id = heapq.heappop(self._timers)
            entry = self._due.get(app_id)
            if entry is not None and entry[1] == seq:
                heapq.heappush(self._ready, (entry[0].priority, at, seq, app_id))
        taken: list[tuple[int, Due]] = []
        while self._ready and len(taken) < limit:
            _priority, _at, seq, app_id = heapq.heappop(self._ready)
            entry = self._due.get(app_id)
            if entry is None or entry[1] != seq:
                continue
            del self._due[app_id]
            taken.append((app_id, entry[0]))
        return taken

    def next_at(self) -> float | None:
        """When the earliest waiting mini-program is due (None: nothing waits for a time)."""
        while self._timers:
            at, seq, app_id = self._timers[0]
            entry = self._due.get(app_id)
            if entry is not None and entry[1] == seq:
                return at
            heapq.heappop(self._timers)
        return None

    def has_ready(self) -> bool:
        """Whether some mini-program's time has come (and waits for a free slot)."""
        while self._ready:
            _priority, _at, seq, app_id = self._ready[0]
            entry = self._due.get(app_id)
            if entry is not None and entry[1] == seq:
                return True
            heapq.heappop(self._ready)
        return False
