"""Fingerprints of write-only sections, and the audit outcome of the last submission."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import SecretStr

from smartpay_apply.state import AuditEvent
from smartpay_apply.timeutil import SHANGHAI, now

from .conftest import dump_all

ACCOUNT = {
    "bank_card": SecretStr("6217000010001234"),
    "legal_id": SecretStr("110101199003071234"),
    "settle_rate": Decimal("0.60"),
    "name": "某某小店",
}


def test_fingerprint_is_stable_and_canonical(store):
    first = store.fingerprint("account", ACCOUNT)
    reordered = dict(reversed(list(ACCOUNT.items())))
    respelled = {**ACCOUNT, "settle_rate": Decimal("0.6"), "bank_card": "6217000010001234"}
    assert store.fingerprint("account", reordered) == first
    assert store.fingerprint("account", respelled) == first
    assert len(first) == 64 and int(first, 16) >= 0


def test_fingerprint_changes_with_any_value_and_with_the_section(store):
    base = store.fingerprint("account", ACCOUNT)
    assert (
        store.fingerprint("account", {**ACCOUNT, "bank_card": SecretStr("6217000010001235")})
        != base
    )
    assert store.fingerprint("account", {**ACCOUNT, "settle_rate": Decimal("0.61")}) != base
    assert store.fingerprint("developer_config", ACCOUNT) != base


def test_fingerprints_are_salted_per_store(store, tmp_path):
    from smartpay_apply.state import open_store

    with open_store(str(tmp_path / "other.db"), base_dir=tmp_path) as other:
        assert other.fingerprint("account", ACCOUNT) != store.fingerprint("account", ACCOUNT)


def test_nothing_of_the_section_is_stored_in_clear(store, location):
    fingerprint = store.fingerprint("account", ACCOUNT)
    store.record_submission(42, "account", fingerprint, app="shop", at=now())
    dumped = dump_all(location)
    assert fingerprint in dumped
    for secret in ("6217000010001234", "110101199003071234", "某某小店"):
        assert secret not in dumped


def test_a_submission_is_pending_until_an_outcome_arrives(store):
    at = now()
    store.record_submission(42, "account", "a" * 64, app="shop", at=at)
    recorded = store.get_submission(42, "account")
    assert (recorded.fingerprint, recorded.outcome, recorded.app) == ("a" * 64, "pending", "shop")
    assert recorded.submitted_at == at
    store.record_outcome(
        42, "account", "rejected", reason="bank card name mismatch", at=at + timedelta(minutes=5)
    )
    recorded = store.get_submission(42, "account")
    assert (recorded.outcome, recorded.reason) == ("rejected", "bank card name mismatch")
    assert store.get_submission(42, "developer_config") is None
    assert store.get_submission(43, "account") is None


def test_resubmitting_resets_the_outcome_to_pending(store):
    at = now()
    store.record_submission(42, "account", "a" * 64, app="shop", at=at)
    store.record_outcome(42, "account", "rejected", reason="no", at=at + timedelta(seconds=5))
    store.record_submission(42, "account", "b" * 64, app="shop", at=at + timedelta(minutes=1))
    recorded = store.get_submission(42, "account")
    assert (recorded.fingerprint, recorded.outcome, recorded.reason) == ("b" * 64, "pending", None)


def test_an_outcome_older_than_the_submission_or_the_last_outcome_is_ignored(store):
    at = now()
    store.record_submission(42, "developer_config", "a" * 64, app="shop", at=at)
    store.record_outcome(
        42, "developer_config", "approved", reason=None, at=at - timedelta(hours=1)
    )
    assert store.get_submission(42, "developer_config").outcome == "pending"
    store.record_outcome(
        42, "developer_config", "rejected", reason="late", at=at + timedelta(minutes=10)
    )
    store.record_outcome(
        42, "developer_config", "approved", reason=None, at=at + timedelta(minutes=5)
    )
    assert store.get_submission(42, "developer_config").outcome == "rejected"


def test_a_pass_event_newer_than_the_submission_approves_it(store):
    submitted = now()
    store.record_submission(42, "developer_config", "a" * 64, app="shop", at=submitted)
    # Baidu's times have whole seconds: an event in the same second still counts.
    event_time = submitted.astimezone(SHANGHAI).replace(microsecond=0)
    store.record_event(_event(42, "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS", event_time))
    recorded = store.get_submission(42, "developer_config")
    assert recorded.outcome == "approved"
    assert recorded.outcome_at == event_time


def test_a_fail_event_carries_its_reason(store):
    submitted = now()
    store.record_submission(42, "account", "a" * 64, app="shop", at=submitted)
    store.record_event(
        _event(
            42, "APP_PAYMENT_CREATE_ACCOUNT_FAIL", submitted + timedelta(minutes=3), "证件照片模糊"
        )
    )
    recorded = store.get_submission(42, "account")
    assert (recorded.outcome, recorded.reason) == ("rejected", "证件照片模糊")


def test_an_event_older_than_the_submission_leaves_it_pending(store):
    submitted = now()
    store.record_event(
        _event(42, "APP_PAYMENT_CREATE_ACCOUNT_FAIL", submitted - timedelta(days=1), "old")
    )
    store.record_submission(42, "account", "a" * 64, app="shop", at=submitted)
    assert store.get_submission(42, "account").outcome == "pending"


def test_an_event_stored_before_its_submission_is_applied_when_the_submission_is_recorded(store):
    submitted = now()
    store.record_event(
        _event(42, "APP_PAYMENT_CREATE_PAYMENT_PASS", submitted + timedelta(seconds=2))
    )
    store.record_submission(42, "payment_service", "a" * 64, app="shop", at=submitted)
    assert store.get_submission(42, "payment_service").outcome == "approved"


def test_events_of_another_section_or_app_do_not_touch_a_submission(store):
    submitted = now()
    store.record_submission(42, "account", "a" * 64, app="shop", at=submitted)
    store.record_event(
        _event(42, "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS", submitted + timedelta(minutes=1))
    )
    store.record_event(
        _event(43, "APP_PAYMENT_CREATE_ACCOUNT_PASS", submitted + timedelta(minutes=1))
    )
    assert store.get_submission(42, "account").outcome == "pending"


def test_list_submissions_of_all_or_one_app(store):
    at = now()
    store.record_submission(2, "developer_config", "b" * 64, app="two", at=at)
    store.record_submission(1, "account", "a" * 64, app="one", at=at)
    store.record_submission(2, "account", "c" * 64, app="two", at=at)
    assert [(s.app_id, s.section) for s in store.list_submissions()] == [
        (1, "account"),
        (2, "account"),
        (2, "developer_config"),
    ]
    assert [s.section for s in store.list_submissions(2)] == ["account", "developer_config"]


def _event(app_id: int, name: str, at: datetime, reason: str | None = None) -> AuditEvent:
    return AuditEvent(
        app_id=app_id,
        tp_app_id=9,
        event=name,
        event_time=at.astimezone(SHANGHAI).replace(microsecond=0),
        reason=reason,
    )
