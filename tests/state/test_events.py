"""Pushed audit events: stored once however often and however concurrently Baidu delivers."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smartpay_apply.state import AuditEvent, event_outcome, open_store
from smartpay_apply.timeutil import SHANGHAI, parse_baidu_time


def _event(
    app_id: int = 42,
    name: str = "APP_PAYMENT_CREATE_ACCOUNT_PASS",
    when: str = "2019-01-14 12:45:10",
    reason=None,
):
    return AuditEvent(
        app_id=app_id, tp_app_id=7, event=name, event_time=parse_baidu_time(when), reason=reason
    )


def test_the_six_payment_events_map_to_section_and_outcome():
    assert event_outcome("APP_PAYMENT_CREATE_ACCOUNT_PASS") == ("account", "approved")
    assert event_outcome("APP_PAYMENT_CREATE_ACCOUNT_FAIL") == ("account", "rejected")
    assert event_outcome("APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS") == (
        "developer_config",
        "approved",
    )
    assert event_outcome("APP_PAYMENT_UPDATE_DEVELOP_CONFIG_FAIL") == (
        "developer_config",
        "rejected",
    )
    assert event_outcome("APP_PAYMENT_CREATE_PAYMENT_PASS") == ("payment_service", "approved")
    assert event_outcome(_event(name="APP_PAYMENT_CREATE_PAYMENT_FAIL")) == (
        "payment_service",
        "rejected",
    )
    assert event_outcome("UNAUTHORIZED") is None


def test_an_event_needs_an_aware_time():
    with pytest.raises(ValueError):
        AuditEvent(
            app_id=1, tp_app_id=None, event="X", event_time=datetime(2019, 1, 14, 12, 45, 10)
        )


def test_a_redelivery_is_recognised(store):
    assert store.record_event(_event()) is True
    assert store.record_event(_event()) is False
    assert store.record_event(_event(when="2019-01-14 12:45:11")) is True
    assert store.record_event(_event(app_id=43)) is True
    assert store.record_event(_event(name="APP_PAYMENT_CREATE_ACCOUNT_FAIL")) is True
    assert len(store.list_events()) == 4


def test_the_same_moment_in_another_zone_is_the_same_event(store):
    event = _event()
    assert store.record_event(event) is True
    in_utc = AuditEvent(
        app_id=42, tp_app_id=7, event=event.event, event_time=event.event_time.astimezone(UTC)
    )
    assert store.record_event(in_utc) is False


def test_events_read_back_whole_and_in_beijing_time_oldest_first(store):
    store.record_event(
        _event(
            when="2019-01-14 12:45:12", name="APP_PAYMENT_CREATE_ACCOUNT_FAIL", reason="照片模糊"
        )
    )
    store.record_event(_event(when="2019-01-14 12:45:10"))
    store.record_event(_event(app_id=43, when="2019-01-14 12:45:11"))
    events = store.list_events()
    assert [e.event_time.strftime("%H:%M:%S") for e in events] == [
        "12:45:10",
        "12:45:11",
        "12:45:12",
    ]
    assert events[0].event_time.tzinfo == SHANGHAI
    last = events[-1]
    assert (last.app_id, last.tp_app_id, last.event, last.reason) == (
        42,
        7,
        "APP_PAYMENT_CREATE_ACCOUNT_FAIL",
        "照片模糊",
    )
    assert last.received_at.tzinfo is not None
    assert [e.app_id for e in store.list_events(43)] == [43]
    since = parse_baidu_time("2019-01-14 12:45:11")
    assert [e.event_time.second for e in store.list_events(since=since)] == [11, 12]
    assert [e.event_time.second for e in store.list_events(42, since=since)] == [12]


def test_concurrent_deliveries_from_threads_store_each_event_once(store, opener):
    events = [_event(when=f"2019-01-14 12:45:{second:02d}") for second in range(10)] * 8
    connections = [opener() for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda pair: connections[pair[0] % 8].record_event(pair[1]), enumerate(events))
        )
    assert sum(results) == 10
    assert len(store.list_events()) == 10


def _deliver_all(location: str, base_dir: str, queue) -> None:
    try:
        with open_store(location, base_dir=Path(base_dir)) as store:
            start = parse_baidu_time("2019-01-14 12:00:00")
            stored = 0
            for index in range(25):
                event = AuditEvent(
                    app_id=100 + index % 5,
                    tp_app_id=7,
                    event="APP_PAYMENT_CREATE_PAYMENT_PASS",
                    event_time=start + timedelta(seconds=index),
                )
                stored += store.record_event(event)
            queue.put(stored)
    except BaseException as error:
        queue.put(f"{type(error).__name__}: {error}")


def test_concurrent_deliveries_from_processes_store_each_event_once(store, location, tmp_path):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [
        context.Process(target=_deliver_all, args=(location, str(tmp_path), queue))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 25  # each event won by exactly one delivery
    assert len(store.list_events()) == 25


def test_events_are_listed_by_when_they_were_received(store):
    """What a controller polls: events received since a moment, in the order they arrived,
    whatever their Baidu event time (a late redelivery of an old event included)."""
    base = datetime(2026, 12, 2, 10, 0, 0, tzinfo=UTC)
    late = AuditEvent(
        app_id=1,
        tp_app_id=7,
        event="APP_PAYMENT_CREATE_ACCOUNT_PASS",
        event_time=parse_baidu_time("2019-01-14 12:00:00"),
        received_at=base + timedelta(seconds=30),
    )
    early = AuditEvent(
        app_id=2,
        tp_app_id=7,
        event="APP_PAYMENT_CREATE_ACCOUNT_PASS",
        event_time=parse_baidu_time("2019-01-14 13:00:00"),
        received_at=base + timedelta(seconds=10),
    )
    before = AuditEvent(
        app_id=3,
        tp_app_id=7,
        event="APP_PAYMENT_CREATE_ACCOUNT_PASS",
        event_time=parse_baidu_time("2019-01-14 11:00:00"),
        received_at=base - timedelta(seconds=1),
    )
    for event in (late, early, before):
        assert store.record_event(event)
    received = store.list_events_received(base)
    assert [e.app_id for e in received] == [2, 1]
    assert received[1].received_at == late.received_at
    assert received[1].event_time == late.event_time
    assert [e.app_id for e in store.list_events_received(base, limit=1)] == [2]
    assert store.list_events_received(base + timedelta(seconds=31)) == []
