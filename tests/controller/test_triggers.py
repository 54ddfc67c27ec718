"""What makes a mini-program due: events in the store (from any replica), spec files."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from smartpay_apply.config import load_project_config
from smartpay_apply.controller.triggers import (
    OVERLAP,
    EventFeed,
    event_key,
    load_spec_set,
    snapshot,
    spec_files,
)
from smartpay_apply.state import AuditEvent, StateStore, open_store
from smartpay_apply.timeutil import now
from tests.spec.conftest import Project

MINIMAL = "app: {app}\napp_id: {app_id}\n"


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return open_store("state.db", base_dir=tmp_path)


def event(app_id: int, name: str, received_delta: float, time_text: str = "2026-12-02 10:00:00"):  # type: ignore[no-untyped-def]
    from smartpay_apply.timeutil import parse_baidu_time

    return AuditEvent(
        app_id=app_id,
        tp_app_id=1,
        event=name,
        event_time=parse_baidu_time(time_text),
        received_at=now() + timedelta(seconds=received_delta),
    )


def test_the_feed_finds_each_new_event_once_whoever_received_it(store: StateStore) -> None:
    feed = EventFeed(store, now())
    assert feed.poll() == []
    here = event(1, "APP_PAYMENT_CREATE_ACCOUNT_PASS", 0.1)
    store.record_event(here)
    # This replica's receiver told the controller already: the poll does not repeat it.
    assert feed.note(event_key(1, here.event, here.event_time.isoformat()), here.received_at)
    elsewhere = event(2, "APP_PAYMENT_CREATE_ACCOUNT_PASS", 0.2)
    store.record_event(elsewhere)
    assert [e.app_id for e in feed.poll()] == [2]
    assert feed.poll() == []
    # A receiver whose clock is 30 s behind stores an event "in the past": still found once.
    skewed = event(3, "APP_PAYMENT_CREATE_ACCOUNT_PASS", -30)
    store.record_event(skewed)
    assert [e.app_id for e in feed.poll()] == [3]
    assert feed.poll() == []
    # Older than the overlap before the start: not this controller's business (the first
    # round reconciles everything anyway).
    old = event(4, "APP_PAYMENT_CREATE_ACCOUNT_PASS", -(OVERLAP.total_seconds() + 5))
    store.record_event(old)
    assert feed.poll() == []


@pytest.fixture
def project(tmp_path: Path) -> Project:
    result = Project(tmp_path)
    result.config("endpoint: sandbox\n")
    return result


def test_a_broken_file_keeps_its_last_good_specs_and_changes_are_found(
    project: Project, store: StateStore
) -> None:
    project.spec(MINIMAL.format(app="one", app_id=1), "one.yaml")
    project.spec(MINIMAL.format(app="two", app_id=2), "two.yaml")
    config = load_project_config(project.root, None, environ={})
    first = load_spec_set(config, store, None)
    assert sorted(first.specs) == [1, 2] and first.problems == []

    project.spec(MINIMAL.format(app="one", app_id=1) + "suspend: true\n", "one.yaml")
    project.spec("app: two\napp_id: [2]\n", "two.yaml")  # broken
    project.spec(MINIMAL.format(app="three", app_id=3), "three.yaml")
    second = load_spec_set(config, store, first)
    assert sorted(second.specs) == [1, 2, 3]
    assert second.specs[2] is first.specs[2]  # the last good version stays
    assert second.problems and second.problems[0].startswith("specs/two.yaml:2:")
    assert second.changes(first) == ([1, 3], [])  # suspend counts as a change

    (project.root / "specs" / "three.yaml").unlink()
    third = load_spec_set(config, store, second)
    assert third.changes(second) == ([], [3])


def test_the_files_watched_and_their_changes(project: Project) -> None:
    path = project.spec(MINIMAL.format(app="one", app_id=1), "one.yaml")
    config = load_project_config(project.root, None, environ={})
    files = spec_files(config)
    assert {file.resolve() for file in files} == {config.path, path.resolve()}
    before = snapshot(files)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert snapshot(files) != before
