"""`StateStore.forget` (state surgery) and `recorded_apps` (who the store knows), on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smartpay_apply.state import AuditEvent, LockOwner
from smartpay_apply.timeutil import now, parse_baidu_time

SUBMITTED = now() - timedelta(hours=2)


def _seed(store) -> None:  # type: ignore[no-untyped-def]
    for section in ("account", "developer_config", "payment_service"):
        store.record_submission(555, section, section[0] * 64, app="demo-shop", at=SUBMITTED)
    store.record_outcome(555, "account", "approved", reason=None, at=SUBMITTED + timedelta(1))
    store.record_submission(777, "account", "7" * 64, app="tea-house", at=SUBMITTED)
    store.record_image("a" * 64, "https://img.example/front.png")
    store.record_image("b" * 64, "https://img.example/back.png")
    store.record_event(
        AuditEvent(
            app_id=555,
            tp_app_id=None,
            event="APP_PAYMENT_CREATE_ACCOUNT_PASS",
            event_time=parse_baidu_time("2030-01-14 12:45:10"),
        )
    )


def test_forget_one_section_removes_only_it_and_records_a_run(store) -> None:
    _seed(store)
    forgotten = store.forget(
        555,
        ["developer_config"],
        app="demo-shop",
        command="state forget demo-shop --section developer_config",
        user="ops",
        host="laptop",
    )
    assert [s.section for s in forgotten.submissions] == ["developer_config"]
    assert forgotten.images == 0
    assert store.get_submission(555, "developer_config") is None
    assert store.get_submission(555, "account") is not None
    assert store.get_submission(555, "payment_service") is not None
    assert store.get_submission(777, "account") is not None
    [run] = store.list_runs(555, limit=1)
    assert run.run_id == forgotten.run_id
    assert (run.command, run.user, run.host, run.status) == (
        "state forget demo-shop --section developer_config",
        "ops",
        "laptop",
        "succeeded",
    )
    assert run.finished_at is not None
    [step] = run.steps
    assert (step.app, step.action, step.section, step.result) == (
        "demo-shop",
        "forget",
        "developer_config",
        "forgotten",
    )
    assert step.detail is not None and step.detail.startswith("submission dddddddddddd of ")
    assert step.detail.endswith(", pending")


def test_forget_everything_with_the_images_keeps_events_and_history(store) -> None:
    _seed(store)
    run_before = store.start_run(command="apply", user="ci", host="h", plan_checksum=None)
    forgotten = store.forget(
        555,
        ["account", "developer_config", "payment_service"],
        app="demo-shop",
        image_digests=["a" * 64, "c" * 64],  # c was never recorded
        command="state forget demo-shop",
        user="ops",
        host="laptop",
    )
    assert {s.section for s in forgotten.submissions} == {
        "account",
        "developer_config",
        "payment_service",
    }
    assert [s.outcome for s in forgotten.submissions if s.section == "account"] == ["approved"]
    assert forgotten.images == 1
    assert store.list_submissions(555) == []
    assert not store.has_image("a" * 64) and store.has_image("b" * 64)
    assert len(store.list_events(555)) == 1
    runs = {run.run_id for run in store.list_runs(limit=10)}
    assert {run_before, forgotten.run_id} <= runs
    [run] = store.list_runs(555, limit=1)
    assert [(s.section, s.detail) for s in run.steps][-1] == (
        "account",
        "1 uploaded id-card image URL(s)",
    )


def test_forget_with_nothing_recorded_changes_nothing(store) -> None:
    forgotten = store.forget(
        999, ["account"], app=None, command="state forget 999", user="u", host="h"
    )
    assert forgotten.run_id is None and forgotten.submissions == ()
    assert store.list_runs(limit=5) == []


def test_forget_refuses_an_unknown_section(store) -> None:
    with pytest.raises(ValueError, match="bank"):
        store.forget(1, ["bank"], app=None, command="x", user="u", host="h")


def test_recorded_apps_from_every_kind_of_record(store) -> None:
    _seed(store)
    run_id = store.start_run(command="apply", user="ci", host="h", plan_checksum=None)
    store.record_step(
        run_id, app_id=888, app="old-name", action="create", section="account", result="ok"
    )
    store.record_step(
        run_id, app_id=888, app="new-name", action="create", section="account", result="ok"
    )
    store.record_event(
        AuditEvent(
            app_id=4242,
            tp_app_id=None,
            event="APP_PAYMENT_CREATE_ACCOUNT_PASS",
            event_time=parse_baidu_time("2030-01-14 12:45:10"),
        )
    )
    store.acquire_lock(31, LockOwner(host="h", pid=1, run_id="r"), ttl=60)
    store.acquire_lock("credentials/32", LockOwner(host="h", pid=1, run_id="r"), ttl=60)
    store.put_secret("app/33/refresh_token", "rt")
    store.put_secret("tp/ticket", "ticket")
    assert store.recorded_apps() == {
        555: "demo-shop",
        777: "tea-house",
        888: "new-name",
        4242: None,
        31: None,
        33: None,
    }


def test_recorded_apps_prefers_the_submission_name_over_a_step_name(store) -> None:
    run_id = store.start_run(command="apply", user="ci", host="h", plan_checksum=None)
    store.record_step(
        run_id, app_id=555, app="step-name", action="create", section="account", result="ok"
    )
    store.record_submission(555, "account", "a" * 64, app="spec-name", at=SUBMITTED)
    assert store.recorded_apps() == {555: "spec-name"}
