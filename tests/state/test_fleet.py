"""The fleet's records on both backends: the latest observation per mini-program, consents,
suspensions (what `status` reads and the controller writes)."""

from __future__ import annotations

from datetime import timedelta

from smartpay_apply.state import StateStore
from smartpay_apply.state.records import Consent, Observation, Suspension
from smartpay_apply.timeutil import now


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
