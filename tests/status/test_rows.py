"""The states, rows and filters of status, from records put in a real (SQLite) store.

Each test records what plan, apply and the receiver would have recorded, then reads the fleet
the way `status` and the page do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from smartpay_apply.engine.observation import observation
from smartpay_apply.engine.steps import Action, AppPlan, Change, Step
from smartpay_apply.state import StateStore, open_store
from smartpay_apply.state.records import AuditEvent, Observation, Suspension
from smartpay_apply.status.document import render_json, status_document
from smartpay_apply.status.filters import Selection, counts, select
from smartpay_apply.status.fleet import read_fleet
from smartpay_apply.status.rows import StatusRow, age, build_rows
from smartpay_apply.timeutil import SHANGHAI

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)
FRESH = {
    "account": "out of sync · not created",
    "developer_config": "out of sync · not submitted",
    "payment_service": "out of sync · not created",
}
DONE = {
    "account": "synced · approved",
    "developer_config": "synced · approved",
    "payment_service": "synced · approved",
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with open_store(str(tmp_path / "state.db"), base_dir=tmp_path) as opened:
        yield opened


def observe(
    store: StateStore,
    app: str,
    app_id: int,
    *,
    status: dict[str, str],
    steps: tuple[Step, ...] = (),
    error: str | None = None,
    at: datetime = T0,
    app_name: str | None = None,
) -> None:
    plan = AppPlan(app=app, app_id=app_id, steps=steps, status=status, error=error)
    store.record_observations([observation(plan, source="plan", at=at, app_name=app_name)])


def rows(store: StateStore, at: datetime = T0 + timedelta(hours=1)) -> dict[str, StatusRow]:
    return {row.label: row for row in build_rows(read_fleet(store, at=at))}


def failed_run(store: StateStore, app: str, app_id: int, detail: str = "errno 60016") -> str:
    run = store.start_run(command="apply", user="ops", host="h", plan_checksum=None)
    store.record_step(
        run, app_id=app_id, app=app, action="error", section="-", result="failed", detail=detail
    )
    store.finish_run(run, "failed")
    return run


CREATE = Step(Action.CREATE_ACCOUNT, "account", (Change("business_scope", None, "日用百货"),))


# ---------------------------------------------------------------- the states, rule by rule


def test_an_observation_that_failed_is_failing(store: StateStore) -> None:
    observe(store, "shop", 1, status={}, error="token rejected (errno 110)")
    row = rows(store)["shop"]
    assert (row.state, row.error) == ("failing", "token rejected (errno 110)")


def test_a_failed_run_is_failing_until_an_observation_shows_it_in_sync(store: StateStore) -> None:
    observe(store, "shop", 1, status=FRESH, steps=(CREATE,))
    failed_run(store, "shop", 1)
    row = rows(store)["shop"]
    assert row.state == "failing"
    assert row.last_run is not None
    assert (row.last_run.outcome, row.last_run.detail) == ("failed", "errno 60016")
    observe(store, "shop", 1, status=DONE, at=T0 + timedelta(minutes=5))
    assert rows(store)["shop"].state == "in-sync"


def test_a_failed_run_without_any_observation_is_failing(store: StateStore) -> None:
    failed_run(store, "shop", 1)
    assert rows(store)["shop"].state == "failing"


def test_a_blocked_or_manual_step_is_blocked(store: StateStore) -> None:
    blocked = Step(Action.BLOCKED, "payment_service", reason="银行卡号与开户名不符")
    manual = Step(Action.MANUAL, "account", reason="no API can change it")
    observe(store, "shop", 1, status=DONE, steps=(blocked,))
    observe(store, "cafe", 2, status=DONE, steps=(manual,))
    found = rows(store)
    assert (found["shop"].state, found["cafe"].state) == ("blocked", "blocked")
    # The blocked step's reason is the rejection shown when the store recorded no other.
    assert found["shop"].rejection is not None
    assert (found["shop"].rejection.section, found["shop"].rejection.reason) == (
        "payment_service",
        "银行卡号与开户名不符",
    )
    assert found["shop"].rejection.source == "observation"


def test_a_pending_submission_is_in_review_since_it_was_submitted(store: StateStore) -> None:
    store.record_submission(1, "account", "fp", app="shop", at=T0 - timedelta(days=2, hours=3))
    store.record_submission(1, "developer_config", "fp2", app="shop", at=T0 - timedelta(hours=1))
    store.record_outcome(1, "developer_config", "approved", reason=None, at=T0)
    observe(store, "shop", 1, status={**FRESH, "account": "synced · in review"})
    row = rows(store, at=T0)["shop"]
    assert (row.state, row.in_review) == ("in-review", ("account",))
    assert row.in_review_since == T0 - timedelta(days=2, hours=3)
    assert age(row.in_review_seconds(T0)) == "2d3h"


def test_a_section_seen_in_review_without_a_submission_is_in_review_since_unknown(
    store: StateStore,
) -> None:
    wait = Step(Action.WAIT, "account", reason="account audit in progress (status 2)")
    observe(store, "shop", 1, status={**FRESH, "account": "out of sync · in review"}, steps=(wait,))
    row = rows(store)["shop"]
    assert (row.state, row.in_review, row.in_review_since) == ("in-review", ("account",), None)


def test_a_planned_wait_behind_a_create_is_not_in_review(store: StateStore) -> None:
    """A fresh plan waits for the account audit it is about to start: nothing is in review."""
    wait = Step(Action.WAIT, "account", reason="account audit: the developer config needs it")
    observe(store, "shop", 1, status=FRESH, steps=(CREATE, wait))
    assert rows(store)["shop"].state == "not-started"


def test_known_only_from_an_event_is_unobserved(store: StateStore) -> None:
    store.record_event(AuditEvent(9, 10000, "APP_PAYMENT_CREATE_ACCOUNT_PASS", T0))
    row = rows(store)["9"]
    assert (row.app, row.state) == (None, "unobserved")
    assert row.last_event is not None and row.last_event.event == "APP_PAYMENT_CREATE_ACCOUNT_PASS"


def test_work_to_do_with_something_submitted_is_drift(store: StateStore) -> None:
    update = Step(
        Action.UPDATE_PAYMENT_SERVICE, "payment_service", (Change("service_phone", "1", "2"),)
    )
    observe(
        store,
        "shop",
        1,
        status={**DONE, "payment_service": "out of sync · approved"},
        steps=(update,),
    )
    assert rows(store)["shop"].state == "drift"
    # The same plan for a mini-program the store recorded a submission of, not seen at Baidu:
    store.record_submission(2, "account", "fp", app="cafe", at=T0)
    store.record_outcome(2, "account", "rejected", reason="证件模糊", at=T0 + timedelta(minutes=1))
    observe(store, "cafe", 2, status=FRESH, steps=(CREATE,))
    assert rows(store)["cafe"].state == "drift"


def test_no_step_is_in_sync(store: StateStore) -> None:
    observe(store, "shop", 1, status=DONE, app_name="北京百货小店")
    row = rows(store)["shop"]
    assert (row.state, row.app_name) == ("in-sync", "北京百货小店")
    assert [(s.section, s.sync, s.audit) for s in row.sections] == [
        ("account", "synced", "approved"),
        ("developer_config", "synced", "approved"),
        ("payment_service", "synced", "approved"),
    ]


def test_an_observation_of_an_unknown_summary_version_is_not_misread(store: StateStore) -> None:
    store.record_observations([Observation(1, "shop", T0, "plan", {"version": 99, "steps": []})])
    store.record_submission(1, "account", "fp", app="shop", at=T0)
    store.record_outcome(1, "account", "approved", reason=None, at=T0)
    assert rows(store)["shop"].state == "unobserved"


# ---------------------------------------------------------------- what a row says


def test_the_newest_rejection_wins_between_submissions_and_events(store: StateStore) -> None:
    store.record_submission(1, "account", "fp", app="shop", at=T0)
    store.record_outcome(1, "account", "rejected", reason="证件模糊", at=T0 + timedelta(minutes=1))
    store.record_event(
        AuditEvent(
            1, 10000, "APP_PAYMENT_CREATE_PAYMENT_FAIL", T0 + timedelta(hours=2), "<b>卡号</b>"
        )
    )
    row = rows(store)["shop"]
    assert row.rejection is not None
    assert (row.rejection.section, row.rejection.reason, row.rejection.source) == (
        "payment_service",
        "<b>卡号</b>",
        "event",
    )


@pytest.mark.parametrize(
    ("results", "finish", "outcome"),
    [
        (["submitted", "failed"], "failed", "failed"),
        (["submitted"], None, "running"),
        (["submitted"], "aborted", "aborted"),
        (["manual"], "failed", "manual"),
        (["in_review"], "pending", "in_review"),
        (["submitted", "adopted"], "pending", "done"),
    ],
)
def test_how_the_last_run_ended_for_the_app(
    store: StateStore, results: list[str], finish: str | None, outcome: str
) -> None:
    run = store.start_run(command="apply", user="ops", host="h", plan_checksum=None)
    for result in results:
        store.record_step(run, app_id=1, app="shop", action="x", section="account", result=result)
    store.record_step(run, app_id=2, app="cafe", action="x", section="account", result="failed")
    if finish is not None:
        store.finish_run(run, finish)
    last = rows(store)["shop"].last_run
    assert last is not None and (last.run_id, last.outcome) == (run, outcome)


def test_a_suspension_is_shown_and_names_an_app(store: StateStore) -> None:
    store.suspend(Suspension(5, "tea", "ops@host", T0, "bank change pending"))
    row = rows(store)["tea"]
    assert row.suspended is not None and row.suspended.reason == "bank change pending"


# ---------------------------------------------------------------- selection and the document


def test_filters_by_state_app_and_search(store: StateStore) -> None:
    observe(store, "shop-beijing", 1, status=DONE, app_name="北京百货小店")
    observe(store, "cafe", 22, status=FRESH, steps=(CREATE,))
    observe(store, "tea", 3, status={}, error="network")
    found = build_rows(read_fleet(store, at=T0))
    assert [r.label for r in select(found, Selection(states=("in-sync", "failing")))] == [
        "shop-beijing",
        "tea",
    ]
    assert [r.label for r in select(found, Selection(app_ids=frozenset({22})))] == ["cafe"]
    assert [r.label for r in select(found, Selection(search="百货"))] == ["shop-beijing"]
    assert [r.label for r in select(found, Selection(search="22"))] == ["cafe"]
    assert [r.label for r in select(found, Selection(search="SHOP"))] == ["shop-beijing"]
    assert counts(found) == {
        "failing": 1,
        "blocked": 0,
        "in-review": 0,
        "unobserved": 0,
        "not-started": 1,
        "drift": 0,
        "in-sync": 1,
    }


def test_the_document_counts_everything_and_lists_what_is_shown(store: StateStore) -> None:
    store.record_submission(1, "account", "fp", app="shop", at=T0 - timedelta(hours=5))
    store.record_submission(2, "account", "fp", app="cafe", at=T0 - timedelta(hours=1))
    observe(store, "shop", 1, status={**FRESH, "account": "synced · in review"})
    observe(store, "cafe", 2, status={**FRESH, "account": "synced · in review"})
    observe(store, "tea", 3, status=DONE)
    found = build_rows(read_fleet(store, at=T0))
    selection = Selection(states=("in-review",))
    document = status_document(found, select(found, selection), selection, T0)
    assert document["format_version"] == 1
    assert document["generated_at"] == "2026-11-25T09:00:00+08:00"
    assert document["summary"]["apps"] == 3 and document["summary"]["shown"] == 2
    assert [(o["app"], o["seconds"]) for o in document["summary"]["oldest_in_review"]] == [
        ("shop", 5 * 3600),
        ("cafe", 3600),
    ]
    shop = next(app for app in document["apps"] if app["app"] == "shop")
    assert shop["in_review_since"] == "2026-11-25T04:00:00+08:00"
    assert shop["sections"]["account"] == {
        "sync": "synced",
        "audit": "in review",
        "submitted_at": "2026-11-25T04:00:00+08:00",
        "outcome": "pending",
        "outcome_at": None,
        "reason": None,
    }


def test_no_store_is_an_empty_fleet() -> None:
    assert build_rows(read_fleet(None, at=T0)) == []


def test_the_partial_read_classifies_like_the_complete_one(store: StateStore) -> None:
    """The overview classifies from open submissions only: the states must not change."""
    store.record_submission(1, "account", "fp", app="shop", at=T0)
    store.record_outcome(1, "account", "approved", reason=None, at=T0)
    observe(store, "shop", 1, status=FRESH, steps=(CREATE,))  # approved before: drift
    store.record_submission(2, "account", "fp", app="cafe", at=T0)
    observe(store, "cafe", 2, status={**FRESH, "account": "synced · in review"})
    store.record_submission(3, "account", "fp", app="tea", at=T0)
    store.record_outcome(3, "account", "rejected", reason="证件模糊", at=T0)
    observe(store, "new", 4, status=FRESH, steps=(CREATE,))
    store.record_event(AuditEvent(5, 10000, "APP_PAYMENT_CREATE_ACCOUNT_PASS", T0))
    store.record_submission(6, "account", "fp", app="legacy", at=T0)  # from before observations
    store.record_outcome(6, "account", "approved", reason=None, at=T0)
    complete = {r.label: r.state for r in build_rows(read_fleet(store, at=T0))}
    partial = {r.label: r.state for r in build_rows(read_fleet(store, at=T0, complete=False))}
    assert (
        complete
        == partial
        == {
            "shop": "drift",
            "cafe": "in-review",
            "tea": "unobserved",
            "new": "not-started",
            "5": "unobserved",
            "legacy": "unobserved",
        }
    )


def test_the_json_text_is_what_json_dumps_writes() -> None:
    document = {"a": [], "b": {}, "c": None, "d": "北京<b>", "e": [1, {"f": 'x"y\\z'}], "g": -3}
    assert render_json(document) == json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def test_a_section_submitted_after_the_observation_shows_the_submission(
    store: StateStore,
) -> None:
    """apply observes, then writes: right after it, the account is in review, not `not created`."""
    from smartpay_apply.status.text import section_cell

    observe(store, "shop", 1, status=FRESH, steps=(CREATE,))
    store.record_submission(1, "account", "fp", app="shop", at=T0 + timedelta(seconds=1))
    sections = {s.section: s for s in rows(store)["shop"].sections}
    assert (sections["account"].audit, section_cell(sections["account"])) == (
        "in review",
        "in review, submitted",
    )
    assert section_cell(sections["developer_config"]) == "not submitted, out of sync"
    store.record_outcome(1, "account", "approved", reason=None, at=T0 + timedelta(minutes=3))
    account = next(s for s in rows(store)["shop"].sections if s.section == "account")
    assert account.audit == "approved"
    # A newer observation is the truth again.
    observe(store, "shop", 1, status=DONE, at=T0 + timedelta(minutes=5))
    account = next(s for s in rows(store)["shop"].sections if s.section == "account")
    assert section_cell(account) == "approved"
