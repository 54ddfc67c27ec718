"""The fleet's records on both backends: the latest observation per mini-program, consents,
suspensions (what `status` reads and the controller writes)."""

from __future__ import annotations

from datetime import datetime, timedelta

from smartpay_apply.state import StateStore
from smartpay_apply.state.records import AuditEvent, Consent, Observation, Suspension
from smartpay_apply.timeutil import SHANGHAI, now


def test_only_the_latest_observation_of_each_app_is_kept(store: StateStore) -> None:
    earlier, later = now() - timedelta(minutes=5), now()
    store.record_observations(
        [
            Observation(7, "shop", later, "apply", {"status": {"account": "approved"}}),
            Observation(8, "cafe", earlier, "plan", {"error": "token rejected"}),
        ]
    )
    # An older observation arriving late (a slow replica) does not replace a newer one.
    store.record_observations([Observation(7, "shop", earlier, "plan", {"status": {}})])
    shop, cafe = store.list_observations()
    assert (shop.app_id, shop.source, shop.summary) == (
        7,
        "apply",
        {"status": {"account": "approved"}},
    )
    assert shop.observed_at == later
    assert (cafe.app, cafe.summary) == ("cafe", {"error": "token rejected"})
    assert [o.app_id for o in store.list_observations([8, 9])] == [8]
    assert store.list_observations([]) == []


def test_a_consent_is_bound_to_what_it_approved(store: StateStore) -> None:
    assert store.get_consent(7, "payout_change") is None
    store.grant_consent(Consent(7, "payout_change", "fp-1", "ops@host", now()))
    store.grant_consent(Consent(7, "payout_change", "fp-2", "lead@host", now()))
    consent = store.get_consent(7, "payout_change")
    assert consent is not None and (consent.fingerprint, consent.granted_by) == (
        "fp-2",
        "lead@host",
    )
    assert store.revoke_consent(7, "payout_change") is True
    assert store.revoke_consent(7, "payout_change") is False
    assert store.get_consent(7, "payout_change") is None


def test_suspend_and_resume(store: StateStore) -> None:
    store.suspend(Suspension(9, "cafe", "ops@host", now(), "bank change pending"))
    store.suspend(Suspension(7, None, "ops@host", now()))
    assert [(s.app_id, s.app, s.reason) for s in store.list_suspensions()] == [
        (7, None, None),
        (9, "cafe", "bank change pending"),
    ]
    assert store.resume(9) is True and store.resume(9) is False
    assert [s.app_id for s in store.list_suspensions()] == [7]


# ---------------------------------------------------------------- fleet-wide reads (status)


def _event(app_id: int, name: str, at: datetime, reason: str | None = None) -> AuditEvent:
    return AuditEvent(app_id, 10000, name, at.astimezone(SHANGHAI), reason)


def test_latest_events_gives_each_apps_newest_event_optionally_of_some_kinds(
    store: StateStore,
) -> None:
    base = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)
    store.record_event(_event(7, "APP_PAYMENT_CREATE_ACCOUNT_FAIL", base, "证件模糊"))
    store.record_event(_event(7, "APP_PAYMENT_CREATE_ACCOUNT_PASS", base + timedelta(hours=1)))
    store.record_event(_event(8, "APP_PAYMENT_CREATE_PAYMENT_FAIL", base, "银行卡不符"))
    newest = store.latest_events()
    assert {app: e.event for app, e in newest.items()} == {
        7: "APP_PAYMENT_CREATE_ACCOUNT_PASS",
        8: "APP_PAYMENT_CREATE_PAYMENT_FAIL",
    }
    fails = store.latest_events(
        ["APP_PAYMENT_CREATE_ACCOUNT_FAIL", "APP_PAYMENT_CREATE_PAYMENT_FAIL"]
    )
    assert {app: (e.event, e.reason) for app, e in fails.items()} == {
        7: ("APP_PAYMENT_CREATE_ACCOUNT_FAIL", "证件模糊"),
        8: ("APP_PAYMENT_CREATE_PAYMENT_FAIL", "银行卡不符"),
    }
    assert fails[7].event_time == base
    assert store.latest_events([]) == {}


def test_recent_events_are_newest_first_in_pages(store: StateStore) -> None:
    base = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)
    for minute in range(5):
        store.record_event(
            _event(
                7 + minute % 2, "APP_PAYMENT_CREATE_ACCOUNT_PASS", base + timedelta(minutes=minute)
            )
        )
    first = store.recent_events(2)
    second = store.recent_events(2, offset=2)
    assert [e.event_time.minute for e in first + second] == [4, 3, 2, 1]
    assert [e.event_time.minute for e in store.recent_events(10, app_id=8)] == [3, 1]


def test_latest_runs_gives_each_app_its_newest_run_with_its_own_steps(store: StateStore) -> None:
    old = store.start_run(command="apply", user="ops", host="h", plan_checksum=None)
    store.record_step(
        old, app_id=7, app="shop", action="create_account", section="account", result="submitted"
    )
    store.record_step(
        old, app_id=8, app="cafe", action="create_account", section="account", result="submitted"
    )
    store.finish_run(old, "pending")
    new = store.start_run(command="apply --app shop", user="ops", host="h", plan_checksum=None)
    store.record_step(
        new,
        app_id=7,
        app="shop",
        action="error",
        section="-",
        result="failed",
        detail="errno 60016",
    )
    latest = store.latest_runs()
    assert set(latest) == {7, 8}
    assert (latest[7].run_id, latest[7].status, [s.result for s in latest[7].steps]) == (
        new,
        "running",
        ["failed"],
    )
    assert (latest[8].run_id, latest[8].status, [s.app for s in latest[8].steps]) == (
        old,
        "pending",
        ["cafe"],
    )


def test_list_runs_pages_with_an_offset(store: StateStore) -> None:
    ids = [
        store.start_run(command=f"apply {n}", user="u", host="h", plan_checksum=None)
        for n in range(3)
    ]
    assert [run.run_id for run in store.list_runs(limit=2, offset=1)] == list(reversed(ids))[1:3]


def test_open_submissions_and_the_apps_with_any(store: StateStore) -> None:
    at = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)
    for app_id, section in (
        (7, "account"),
        (7, "developer_config"),
        (8, "account"),
        (9, "account"),
    ):
        store.record_submission(app_id, section, "fp", app=f"app{app_id}", at=at)
    store.record_outcome(7, "account", "approved", reason=None, at=at)
    store.record_outcome(8, "account", "rejected", reason="证件模糊", at=at)
    assert [(s.app_id, s.section, s.outcome) for s in store.open_submissions()] == [
        (7, "developer_config", "pending"),
        (8, "account", "rejected"),
        (9, "account", "pending"),
    ]
    assert store.submitted_apps() == {7: "app7", 8: "app8", 9: "app9"}


def test_latest_events_of_some_apps(store: StateStore) -> None:
    base = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)
    for app_id in (7, 8, 9):
        store.record_event(_event(app_id, "APP_PAYMENT_CREATE_ACCOUNT_PASS", base))
        store.record_event(
            _event(app_id, "APP_PAYMENT_CREATE_PAYMENT_FAIL", base + timedelta(hours=1), "x")
        )
    assert set(store.latest_events(app_ids=[7, 9])) == {7, 9}
    passes = store.latest_events(["APP_PAYMENT_CREATE_ACCOUNT_PASS"], app_ids=[8])
    assert [(app, e.event) for app, e in passes.items()] == [(8, "APP_PAYMENT_CREATE_ACCOUNT_PASS")]
    assert store.latest_events(app_ids=[]) == {}


def test_the_apps_with_events(store: StateStore) -> None:
    base = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)
    store.record_event(_event(7, "APP_PAYMENT_CREATE_ACCOUNT_PASS", base))
    store.record_event(_event(7, "APP_PAYMENT_CREATE_PAYMENT_PASS", base))
    store.record_event(_event(9, "APP_PAYMENT_CREATE_ACCOUNT_PASS", base))
    assert store.event_app_ids() == {7, 9}
