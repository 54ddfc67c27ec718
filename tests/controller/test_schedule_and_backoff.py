"""The controller's to-do list and its backoff: who goes first, when, and how retries spread."""

from __future__ import annotations

import pytest

from smartpay_apply.controller.backoff import Backoff
from smartpay_apply.controller.schedule import Due, Priority, Schedule


def test_urgent_work_goes_before_a_round_that_was_due_earlier() -> None:
    schedule = Schedule()
    for app_id in range(1, 6):
        schedule.add(app_id, Due(10.0, Priority.ROUTINE, "resync"))
    schedule.add(99, Due(11.0, Priority.URGENT, "event", event_at=1000.0))
    schedule.add(50, Due(10.5, Priority.RETRY, "retry"))
    taken = schedule.take(now=12.0, limit=3)
    assert [(app_id, due.reason) for app_id, due in taken] == [
        (99, "event"),
        (50, "retry"),
        (1, "resync"),
    ]
    assert taken[0][1].event_at == 1000.0
    assert [app_id for app_id, _ in schedule.take(now=12.0, limit=10)] == [2, 3, 4, 5]
    assert len(schedule) == 0 and schedule.next_at() is None


def test_a_mini_program_is_listed_once_with_the_earliest_and_most_urgent_trigger() -> None:
    schedule = Schedule()
    schedule.add(7, Due(100.0, Priority.RETRY, "retry"))
    merged = schedule.add(7, Due(20.0, Priority.ROUTINE, "resync", event_at=None))
    assert (merged.at, merged.priority) == (20.0, Priority.RETRY)
    merged = schedule.add(7, Due(30.0, Priority.URGENT, "event", event_at=5.0))
    assert (merged.at, merged.priority, merged.reason, merged.event_at) == (
        20.0,
        Priority.URGENT,
        "event",
        5.0,
    )
    assert len(schedule) == 1
    assert schedule.take(now=19.0, limit=5) == []  # not due yet
    assert schedule.next_at() == 20.0
    assert [app_id for app_id, _ in schedule.take(now=20.0, limit=5)] == [7]
    assert schedule.take(now=99.0, limit=5) == []  # stale heap entries are skipped


def test_discarded_and_rescheduled_entries_do_not_come_back_twice() -> None:
    schedule = Schedule()
    schedule.add(1, Due(5.0, Priority.ROUTINE, "resync"))
    schedule.add(2, Due(5.0, Priority.ROUTINE, "resync"))
    assert schedule.discard(1) is not None and 1 not in schedule
    assert schedule.take(now=6.0, limit=0) == [] and schedule.has_ready()
    schedule.add(2, Due(1.0, Priority.URGENT, "spec changed"))  # while already ready
    assert [(a, d.reason) for a, d in schedule.take(now=6.0, limit=5)] == [(2, "spec changed")]
    assert not schedule.has_ready() and len(schedule) == 0


def test_backoff_doubles_up_to_its_cap_and_spreads_retries() -> None:
    backoff = Backoff(base=5.0, cap=60.0, factor=2.0, jitter=0.2)
    assert backoff.delay(0) == 0.0
    middle = [backoff.delay(n, draw=lambda: 0.5) for n in range(1, 7)]
    assert middle == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]
    assert backoff.delay(1, draw=lambda: 0.0) == 4.0  # -20 %
    assert backoff.delay(1, draw=lambda: 1.0) == pytest.approx(6.0)  # +20 %
    assert backoff.delay(10, draw=lambda: 1.0) == 60.0  # never above the cap
    assert backoff.delay(10_000, draw=lambda: 0.5) == 60.0  # no overflow however long
