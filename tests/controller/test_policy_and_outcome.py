"""What the controller may do on its own, and how it reads a reconcile's result."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartpay_apply.config import CONTROLLER_ACTIONS
from smartpay_apply.controller.outcome import (
    Outcome,
    classify,
    section_states,
    states_of_summary,
)
from smartpay_apply.controller.policy import (
    PAYOUT_CONSENT,
    Denial,
    Judge,
    PayoutBudget,
    payout_fingerprint,
)
from smartpay_apply.engine.money_guard import PayoutChange
from smartpay_apply.engine.observation import summarise
from smartpay_apply.engine.results import AppResult, AppStatus, StepResult
from smartpay_apply.engine.steps import Action, AppPlan, Step
from smartpay_apply.state import StateStore, open_store
from smartpay_apply.state.base import Consent
from smartpay_apply.timeutil import now
from tests.engine.factory import OTHER_BANK_CARD, make_spec

ALL = frozenset(CONTROLLER_ACTIONS)
CHANGE = PayoutChange("shop-a", 1001, ("bank_card",))


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return open_store("state.db", base_dir=tmp_path)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def judge(
    store: StateStore, *, actions: frozenset[str] = ALL, managed: int = 10, **spec: object
) -> Judge:
    budget = PayoutBudget(0.25, 600.0, Clock())
    return Judge(make_spec(**spec), store, actions=actions, budget=budget, managed=managed)  # type: ignore[arg-type]


def onboarding_plan() -> AppPlan:
    return AppPlan(
        "shop-a",
        1001,
        steps=(
            Step(Action.CREATE_ACCOUNT, "account"),
            Step(Action.WAIT, "account", reason="account audit"),
            Step(Action.SUBMIT_DEVELOPER_CONFIG, "developer_config"),
            Step(Action.CREATE_PAYMENT_SERVICE, "payment_service"),
        ),
        status={
            "account": "out of sync · not created",
            "developer_config": "out of sync · not submitted",
            "payment_service": "out of sync · not created",
        },
    )


def test_only_the_steps_this_reconcile_would_run_are_judged_against_the_actions(
    store: StateStore,
) -> None:
    only_accounts = judge(store, actions=frozenset({"create_account"}))
    assert only_accounts.refuse(onboarding_plan()) is None  # the rest waits behind the audit
    assert only_accounts.denied is None
    no_accounts = judge(store, actions=ALL - {"create_account"})
    reason = no_accounts.refuse(onboarding_plan())
    assert reason is not None and reason.startswith("create_account: not among controller.actions")
    assert "smartpay-apply apply --app shop-a" in reason and no_accounts.denied is Denial.ACTIONS
    adopt_only = AppPlan("shop-a", 1001, steps=(Step(Action.ADOPT, "account"),))
    assert judge(store, actions=frozenset()).refuse(adopt_only) is None  # writes nothing


def test_a_payout_change_needs_a_consent_for_exactly_this_spec(store: StateStore) -> None:
    changed = {"payment_service": {"bank_card": OTHER_BANK_CARD}}
    first = judge(store, **changed)
    assert first.ask(CHANGE) is False and first.denied is Denial.CONSENT
    assert "smartpay-apply approve shop-a --payout-change" in (first.explain() or "")

    other = make_spec(payment_service={"bank_card": "6222020200199999999"})
    store.grant_consent(
        Consent(1001, PAYOUT_CONSENT, payout_fingerprint(other, store) or "", "ann", now())
    )
    stale = judge(store, **changed)
    assert stale.ask(CHANGE) is False and stale.denied is Denial.CONSENT

    exact = make_spec(**changed)  # type: ignore[arg-type]
    store.grant_consent(
        Consent(1001, PAYOUT_CONSENT, payout_fingerprint(exact, store) or "", "ann", now())
    )
    granted = judge(store, **changed)
    assert granted.ask(CHANGE) is True and granted.consent_used and granted.denied is None


def test_the_share_threshold_holds_within_one_round() -> None:
    clock = Clock()
    budget = PayoutBudget(0.25, 600.0, clock)
    # 10 managed: 2 changes always pass (the threshold counts from 3), the 3rd is 30 % > 25 %.
    assert [budget.allow(10) for _ in range(3)] == [True, True, False]
    clock.now = 599.0
    assert budget.allow(10) is False
    clock.now = 600.5  # the first two fell out of the window: a new round
    assert budget.allow(10) is True


def test_a_consented_change_past_the_threshold_waits(store: StateStore) -> None:
    changed = {"payment_service": {"bank_card": OTHER_BANK_CARD}}
    exact = make_spec(**changed)  # type: ignore[arg-type]
    store.grant_consent(
        Consent(1001, PAYOUT_CONSENT, payout_fingerprint(exact, store) or "", "ann", now())
    )
    budget = PayoutBudget(0.25, 600.0, Clock())
    budget.allow(4), budget.allow(4)  # two other payout changes this round, of 4 apps
    held = Judge(exact, store, actions=ALL, budget=budget, managed=4)
    assert held.ask(CHANGE) is False and held.denied is Denial.THRESHOLD
    assert "apply.payout_change_max_share" in (held.explain() or "")


@pytest.mark.parametrize(
    ("result", "denied", "expected"),
    [
        (AppResult("a", 1, lock_held=True, status=AppStatus.FAILED), None, Outcome.SKIPPED),
        (AppResult("a", 1, status=AppStatus.REFUSED), Denial.CONSENT, Outcome.AWAITING_CONSENT),
        (AppResult("a", 1, status=AppStatus.REFUSED), Denial.ACTIONS, Outcome.REFUSED),
        (AppResult("a", 1, status=AppStatus.IN_REVIEW), None, Outcome.IN_REVIEW),
        (AppResult("a", 1, status=AppStatus.DONE), None, Outcome.IN_SYNC),
        (AppResult("a", 1, status=AppStatus.INTERRUPTED), None, Outcome.INTERRUPTED),
        (
            AppResult("a", 1, status=AppStatus.FAILED, errors=["account/create: errno 60000"]),
            None,
            Outcome.FAILED,
        ),
        (
            AppResult(
                "a",
                1,
                status=AppStatus.FAILED,
                errors=["developer config: rejected by Baidu: 地址无效"],
                plan=AppPlan("a", 1, steps=(Step(Action.BLOCKED, "developer_config"),)),
            ),
            None,
            Outcome.BLOCKED,
        ),
    ],
)
def test_outcomes(result: AppResult, denied: Denial | None, expected: Outcome) -> None:
    assert classify(result, denied) is expected


def test_section_states_after_the_first_onboarding_reconcile() -> None:
    result = AppResult("shop-a", 1001, status=AppStatus.IN_REVIEW, plan=onboarding_plan())
    result.steps.append(StepResult("create_account", "account", "submitted", "account/create"))
    result.wait_on("account", "in review")
    states = section_states(result, Outcome.IN_REVIEW)
    assert states == {
        "account": "in_review",
        "developer_config": "pending",
        "payment_service": "pending",
    }
    failed = AppResult("shop-a", 1001, status=AppStatus.FAILED, plan=onboarding_plan())
    assert section_states(failed, Outcome.FAILED)["account"] == "failing"
    errored = AppResult("shop-a", 1001, plan=AppPlan("shop-a", 1001, error="token refused"))
    # Not observed at all: every section counts as failing (none is known to be fine).
    assert set(section_states(errored, Outcome.FAILED).values()) == {"failing"}


def test_states_read_back_from_a_stored_observation() -> None:
    summary = summarise(onboarding_plan())
    assert states_of_summary(summary) == {
        "account": "pending",
        "developer_config": "pending",
        "payment_service": "pending",
    }
    mine = {**summary, "controller": {"sections": {"account": "in_review"}}}
    assert states_of_summary(mine) == {"account": "in_review"}
