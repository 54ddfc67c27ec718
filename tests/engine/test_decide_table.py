"""The decision table (docs/plan.md), one case per row and per combination.

decide() is pure: each case is (spec, observed, fingerprints) -> the ordered steps, written as
"action section" strings so a failing case reads like the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from smartpay_apply.engine.decide import DecideOptions, decide
from smartpay_apply.engine.observe import Observed, Submission
from smartpay_apply.engine.steps import Action, AppPlan
from tests.engine.factory import (
    FINGERPRINTS,
    at,
    event,
    make_spec,
    onboarded,
    remote_service,
    submitted,
)

FRESH = Observed()  # nothing at Baidu, nothing in the store
#: The event receiver is configured: the developer config's outcome arrives as an event.
RECEIVER = DecideOptions(receiver=True)
NO_RECEIVER = DecideOptions(receiver=False)
#: Onboarding from nothing, in Baidu's order: each later step behind the earlier audit.
FROM_NOTHING = [
    "create_account account",
    "wait account",
    "submit_developer_config developer_config",
    "create_payment_service payment_service",
]
FROM_NOTHING_WITH_RECEIVER = [
    "create_account account",
    "wait account",
    "submit_developer_config developer_config",
    "wait developer_config",
    "create_payment_service payment_service",
]


@dataclass
class Case:
    id: str
    observed: Observed
    expected: list[str]
    spec: dict[str, Any] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=lambda: dict(FINGERPRINTS))
    options: DecideOptions = NO_RECEIVER


CASES = [
    # ---- account
    Case(
        "account none: create it; the developer config waits for the account's approval, and "
        "the create is tried right after it (no receiver: a 60014 answer is a wait)",
        FRESH,
        FROM_NOTHING,
    ),
    Case(
        "account none, event receiver configured: the create also waits for the PASS event",
        FRESH,
        FROM_NOTHING_WITH_RECEIVER,
        options=RECEIVER,
    ),
    Case("account status 0 (initial): create_account", Observed(account_status=0), FROM_NOTHING),
    Case("account status 1 (editing): create_account", Observed(account_status=1), FROM_NOTHING),
    Case(
        "account status 2 (in review): wait, everything below held behind it (no second wait)",
        Observed(account_status=2, submissions={"account": submitted("fp-account-1")}),
        [
            "wait account",
            "submit_developer_config developer_config",
            "create_payment_service payment_service",
        ],
    ),
    Case(
        "account rejected, spec changed since: resubmit with create_account",
        Observed(
            account_status=3,
            account_verify_message="身份证照片模糊",
            submissions={"account": submitted("fp-account-0")},
        ),
        FROM_NOTHING,
    ),
    Case(
        "account rejected, spec unchanged: blocked; developer config and service not planned",
        Observed(
            account_status=3,
            account_verify_message="身份证照片模糊",
            submissions={"account": submitted("fp-account-1")},
        ),
        ["blocked account"],
    ),
    Case("account approved, fingerprint matches: nothing", onboarded(), []),
    Case("account status 5 (agreement filled) counts as approved", onboarded(account_status=5), []),
    Case(
        "account approved, spec changed since submission: manual (no update API)",
        onboarded(
            submissions={
                "account": submitted("fp-account-0", outcome="approved"),
                "developer_config": submitted("fp-devconfig-1"),
            }
        ),
        ["manual account"],
    ),
    Case(
        "account approved, no record (created elsewhere): adopt the fingerprint",
        onboarded(submissions={"developer_config": submitted("fp-devconfig-1")}),
        ["adopt account"],
    ),
    # ---- developer config
    Case(
        "developer config: no record, no payment service: submit, then try the create",
        onboarded(
            payment_service=None,
            payment_audit_status=None,
            submissions={"account": submitted("fp-account-1", outcome="approved")},
            events=(),
        ),
        ["submit_developer_config developer_config", "create_payment_service payment_service"],
    ),
    Case(
        "developer config: no record, no payment service, receiver: submit, wait for the "
        "PASS event, create",
        onboarded(
            payment_service=None,
            payment_audit_status=None,
            submissions={"account": submitted("fp-account-1", outcome="approved")},
            events=(),
        ),
        [
            "submit_developer_config developer_config",
            "wait developer_config",
            "create_payment_service payment_service",
        ],
        options=RECEIVER,
    ),
    Case(
        "developer config: record differs, outcome known: resubmit; Baidu re-reviews the "
        "approved service, so it waits",
        onboarded(
            submissions={
                "account": submitted("fp-account-1"),
                "developer_config": submitted("fp-devconfig-0"),
            }
        ),
        ["submit_developer_config developer_config", "wait payment_service"],
    ),
    Case(
        "developer config: record differs, outcome unknown, receiver: wait (Baidu answers "
        "60018 while it reviews the last one)",
        onboarded(
            submissions={
                "account": submitted("fp-account-1"),
                "developer_config": submitted("fp-devconfig-0"),
            },
            events=(),
        ),
        ["wait developer_config"],
        options=RECEIVER,
    ),
    Case(
        "developer config: record differs, outcome unknown, no receiver: submit (a 60018 "
        "answer then becomes a wait)",
        onboarded(
            submissions={
                "account": submitted("fp-account-1"),
                "developer_config": submitted("fp-devconfig-0"),
            },
            events=(),
        ),
        ["submit_developer_config developer_config", "wait payment_service"],
    ),
    Case(
        "developer config: record matches, no outcome event: in sync (noted)",
        onboarded(events=()),
        [],
    ),
    Case(
        "developer config: record matches, no outcome event yet, receiver: wait for the event",
        onboarded(events=()),
        ["wait developer_config"],
        options=RECEIVER,
    ),
    Case(
        "developer config: record matches, the outcome event is overdue (a lost push): in sync",
        onboarded(events=()),
        [],
        options=DecideOptions(receiver=True, now=at("2026-11-20 10:15:00")),
    ),
    Case(
        "developer config: changed, receiver: resubmit, wait for its event, and the service's "
        "re-review",
        onboarded(
            submissions={
                "account": submitted("fp-account-1"),
                "developer_config": submitted("fp-devconfig-0", outcome="approved"),
            }
        ),
        [
            "submit_developer_config developer_config",
            "wait developer_config",
            "wait payment_service",
        ],
        options=RECEIVER,
    ),
    Case(
        "developer config: FAIL event after the last submission, spec unchanged: blocked",
        onboarded(
            events=(event("developer_config", "rejected", "2026-11-20 11:00:00", "回调地址不可达"),)
        ),
        ["blocked developer_config"],
    ),
    Case(
        "developer config: FAIL event after the last submission, spec changed: submit again",
        onboarded(
            submissions={
                "account": submitted("fp-account-1"),
                "developer_config": submitted("fp-devconfig-0"),
            },
            events=(
                event("developer_config", "rejected", "2026-11-20 11:00:00", "回调地址不可达"),
            ),
        ),
        ["submit_developer_config developer_config", "wait payment_service"],
    ),
    Case(
        "developer config: a FAIL event older than the last submission does not count",
        onboarded(events=(event("developer_config", "rejected", "2026-11-19 09:00:00", "old"),)),
        [],
    ),
    Case(
        "developer config: an outcome event in the submission's own second counts",
        onboarded(
            payment_service=None,
            payment_audit_status=None,
            submissions={
                "account": submitted("fp-account-1"),
                "developer_config": Submission(
                    fingerprint="fp-devconfig-1",
                    submitted_at=at("2026-11-20 10:00:00").replace(microsecond=700_000),
                ),
            },
            events=(event("developer_config", "approved", "2026-11-20 10:00:00"),),
        ),
        ["create_payment_service payment_service"],
        options=RECEIVER,
    ),
    Case(
        "developer config: no record but a payment service exists: adopt",
        onboarded(submissions={"account": submitted("fp-account-1")}),
        ["adopt developer_config"],
    ),
    Case(
        "developer config rejected and no payment service: the create is not planned",
        onboarded(
            payment_service=None,
            payment_audit_status=None,
            events=(event("developer_config", "rejected", "2026-11-20 11:00:00", "公钥无效"),),
        ),
        ["blocked developer_config"],
    ),
    Case(
        "the store says the developer config was submitted, Baidu has no account (a reset): "
        "manual (state forget), the account is created",
        Observed(submissions={"developer_config": submitted("fp-devconfig-1")}),
        ["create_account account", "manual developer_config"],
    ),
    # ---- payment service
    Case(
        "payment service none, developer config submitted, no outcome, no receiver: create (tried)",
        onboarded(payment_service=None, payment_audit_status=None, events=()),
        ["create_payment_service payment_service"],
    ),
    Case(
        "payment service none, developer config submitted, receiver, no PASS event yet: wait "
        "for it, then create",
        onboarded(payment_service=None, payment_audit_status=None, events=()),
        ["wait developer_config", "create_payment_service payment_service"],
        options=RECEIVER,
    ),
    Case(
        "payment service none, receiver, the PASS event is overdue (lost push): create (tried)",
        onboarded(payment_service=None, payment_audit_status=None, events=()),
        ["create_payment_service payment_service"],
        options=DecideOptions(receiver=True, now=at("2026-11-20 10:15:00")),
    ),
    Case(
        "payment service none, receiver, PASS event received: create",
        onboarded(payment_service=None, payment_audit_status=None),
        ["create_payment_service payment_service"],
        options=RECEIVER,
    ),
    Case(
        "payment service in review (open_status 1): wait",
        onboarded(payment_service=remote_service(open_status=1), payment_audit_status=1),
        ["wait payment_service"],
    ),
    Case(
        "payment service in review with a changed field: still only wait",
        onboarded(
            payment_service=remote_service(open_status=1, app_name="旧名字"), payment_audit_status=1
        ),
        ["wait payment_service"],
    ),
    Case(
        "payment service rejected, spec changed since the recorded submission: update_bind_service",
        onboarded(
            payment_service=remote_service(
                open_status=3, fail_reason="银行卡信息有误", bank_branch="招商银行上地支行"
            ),
            submissions={
                "account": submitted("fp-account-1"),
                "developer_config": submitted("fp-devconfig-1"),
                "payment_service": submitted("fp-service-0"),
            },
        ),
        ["update_bind_service payment_service"],
    ),
    Case(
        "payment service rejected, spec equals the recorded submission although getbindservice "
        "shows other (last approved) values: blocked, not resubmitted blindly",
        onboarded(
            payment_service=remote_service(
                open_status=3, fail_reason="银行卡信息有误", bank_branch="招商银行上地支行"
            ),
            submissions={
                "account": submitted("fp-account-1"),
                "developer_config": submitted("fp-devconfig-1"),
                "payment_service": submitted("fp-service-1"),
            },
        ),
        ["blocked payment_service"],
    ),
    Case(
        "payment service rejected, no record, desired differs from what Baidu shows: "
        "update_bind_service",
        onboarded(
            payment_service=remote_service(
                open_status=3, fail_reason="银行卡信息有误", bank_branch="招商银行上地支行"
            )
        ),
        ["update_bind_service payment_service"],
    ),
    Case(
        "payment service rejected, no record, desired equals remote: blocked with fail_reason",
        onboarded(payment_service=remote_service(open_status=3, fail_reason="银行卡信息有误")),
        ["blocked payment_service"],
    ),
    Case(
        "payment service rejected, spec changed since the submission back to the values "
        "Baidu shows: resubmitted whole",
        onboarded(
            payment_service=remote_service(open_status=3, fail_reason="银行卡信息有误"),
            submissions={
                "account": submitted("fp-account-1"),
                "developer_config": submitted("fp-devconfig-1"),
                "payment_service": submitted("fp-service-0"),
            },
        ),
        ["update_bind_service payment_service"],
    ),
    Case(
        "only no-audit fields differ: update_payment_service",
        onboarded(
            payment_service=remote_service(
                app_name="旧名字", service_phone="010-62345678", pool_cash_pledge="500.00"
            )
        ),
        ["update_payment_service payment_service"],
    ),
    Case(
        "an audited field differs: update_bind_service",
        onboarded(payment_service=remote_service(payment_days=1)),
        ["update_bind_service payment_service"],
    ),
    Case(
        "both kinds differ: the no-audit update first, then update_bind_service",
        onboarded(payment_service=remote_service(app_name="旧名字", bank_name="工商银行")),
        ["update_payment_service payment_service", "update_bind_service payment_service"],
    ),
    Case(
        "remote formatting differs only (strings, trailing zeros, spaces): in sync",
        onboarded(
            payment_service=remote_service(
                payment_days="7",
                commission_rate="6",
                pool_cash_pledge="1000.00",
                day_max_frozen_amount="10000.0",
                bank_branch="  招商银行北京上地支行 ",
                service_phone=13800138000,
            )
        ),
        [],
    ),
    Case(
        "remote-only outputs never diff",
        onboarded(
            payment_service=remote_service(
                pm_app_id=1, deal_id="999", platform_public_key="x", pm_app_key="other"
            )
        ),
        [],
    ),
    # ---- combinations
    Case(
        "account rejected and resubmitted, developer config FAIL unchanged: resubmit account, "
        "developer config blocked, payment service not planned",
        Observed(
            account_status=3,
            account_verify_message="信息不全",
            submissions={
                "account": submitted("fp-account-0"),
                "developer_config": submitted("fp-devconfig-1"),
            },
            events=(event("developer_config", "rejected", "2026-11-21 09:00:00", "公钥无效"),),
        ),
        ["create_account account", "blocked developer_config"],
    ),
    Case(
        "account in review with a developer config already submitted: wait, then create",
        Observed(
            account_status=2,
            submissions={
                "account": submitted("fp-account-1"),
                "developer_config": submitted("fp-devconfig-1"),
            },
        ),
        ["wait account", "create_payment_service payment_service"],
    ),
    Case(
        "approved account changed and payment service fields changed: manual plus updates",
        onboarded(
            submissions={
                "account": submitted("fp-account-0"),
                "developer_config": submitted("fp-devconfig-1"),
            },
            payment_service=remote_service(service_phone="400-800-8888", open_city="朝阳区"),
        ),
        [
            "manual account",
            "update_payment_service payment_service",
            "update_bind_service payment_service",
        ],
    ),
    Case(
        "developer config changed while payment service fields differ: resubmit it, the "
        "service updates wait for the re-review",
        onboarded(
            submissions={
                "account": submitted("fp-account-1"),
                "developer_config": submitted("fp-devconfig-0", outcome="approved"),
            },
            payment_service=remote_service(app_name="旧名字"),
        ),
        ["submit_developer_config developer_config", "wait payment_service"],
    ),
    # ---- sections left out of the spec are not managed
    Case(
        "only the payment service is managed and in sync: nothing",
        onboarded(),
        [],
        spec={"account": None, "developer_config": None},
    ),
    Case(
        "payment service unmanaged: no payment steps even though none exists",
        onboarded(payment_service=None, payment_audit_status=None),
        [],
        spec={"payment_service": None},
    ),
    Case(
        "unmanaged account not at Baidu: neither the developer config nor the create is planned",
        Observed(account_status=None),
        [],
        spec={"account": None},
    ),
    Case(
        "unmanaged account in review: the developer config and the create wait for it",
        Observed(account_status=2),
        [
            "wait account",
            "submit_developer_config developer_config",
            "create_payment_service payment_service",
        ],
        spec={"account": None},
    ),
    Case(
        "unmanaged developer config: the create is tried once the account is approved",
        onboarded(payment_service=None, payment_audit_status=None, submissions={}),
        ["adopt account", "create_payment_service payment_service"],
        spec={"developer_config": None},
    ),
]


def steps_of(plan: AppPlan) -> list[str]:
    return [f"{step.action.value} {step.section}" for step in plan.steps]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_decision_table(case: Case) -> None:
    plan = decide(make_spec(**case.spec), case.observed, case.fingerprints, case.options)
    assert steps_of(plan) == case.expected


def test_decide_is_pure_and_repeatable() -> None:
    spec, observed = make_spec(), onboarded(payment_service=remote_service(app_name="旧名字"))
    assert decide(spec, observed, FINGERPRINTS) == decide(spec, observed, FINGERPRINTS)


def test_blocked_carries_baidus_reason() -> None:
    plan = decide(
        make_spec(),
        onboarded(account_status=3, account_verify_message="身份证照片模糊"),
        FINGERPRINTS,
    )
    assert plan.steps[0].action is Action.BLOCKED
    assert plan.steps[0].reason == "身份证照片模糊"

    plan = decide(
        make_spec(),
        onboarded(
            events=(event("developer_config", "rejected", "2026-11-20 11:00:00", "回调地址不可达"),)
        ),
        FINGERPRINTS,
    )
    assert [(s.action, s.reason) for s in plan.steps] == [(Action.BLOCKED, "回调地址不可达")]
    assert plan.status["developer_config"] == "synced · rejected"

    plan = decide(
        make_spec(),
        onboarded(payment_service=remote_service(open_status=3, fail_reason="银行卡信息有误")),
        FINGERPRINTS,
    )
    assert [(s.action, s.reason) for s in plan.steps] == [(Action.BLOCKED, "银行卡信息有误")]


def test_outcome_not_received_is_noted_not_waited() -> None:
    plan = decide(make_spec(), onboarded(events=()), FINGERPRINTS)
    assert plan.steps == ()
    assert not plan.pending
    assert plan.notes == ("developer config: audit outcome not yet received",)
    assert plan.status["developer_config"] == "synced · outcome not received"


def test_approved_developer_config_has_no_note() -> None:
    plan = decide(make_spec(), onboarded(), FINGERPRINTS)
    assert plan.notes == ()
    assert plan.status == {
        "account": "synced · approved",
        "developer_config": "synced · approved",
        "payment_service": "synced · approved",
    }


def test_update_steps_split_fields_by_endpoint() -> None:
    observed = onboarded(
        payment_service=remote_service(
            app_name="旧名字", pool_cash_pledge="500", bank_name="工商银行", payment_days=1
        )
    )
    no_audit, audited = decide(make_spec(), observed, FINGERPRINTS).steps
    assert [(c.field, c.old, c.new) for c in no_audit.changes] == [
        ("app_name", "旧名字", "小店支付"),
        ("pool_cash_pledge", "500", "1000"),
    ]
    assert not no_audit.audited
    assert [(c.field, c.old, c.new, c.payout) for c in audited.changes] == [
        ("bank_name", "工商银行", "招商银行", True),
        ("payment_days", "1", "7", False),
    ]
    assert audited.audited


def test_bank_card_change_is_masked_and_marked_as_payout() -> None:
    observed = onboarded(payment_service=remote_service(bank_card="6222020200112233445"))
    (step,) = decide(make_spec(), observed, FINGERPRINTS).steps
    assert step.action is Action.UPDATE_BIND_SERVICE
    (change,) = step.changes
    assert (change.field, change.old, change.new, change.sensitive, change.payout) == (
        "bank_card",
        "****3445",
        "****6543",
        True,
        True,
    )
    assert step.payout_change


def test_create_account_lists_every_field_with_secrets_masked() -> None:
    step = decide(make_spec(), FRESH, FINGERPRINTS).steps[0]
    shown = {c.field: c.new for c in step.changes}
    assert shown["legal_id"] == "****002X"
    assert shown["id_card_front_url"] == "(sensitive)"
    assert shown["legal_person"] == "张三"
    assert all(c.old is None for c in step.changes)


def test_missing_fingerprint_counts_as_changed() -> None:
    plan = decide(make_spec(), onboarded(), {})
    assert steps_of(plan) == [
        "manual account",
        "submit_developer_config developer_config",
        "wait payment_service",
    ]


def test_a_field_getbindservice_never_returns_is_noted_not_diffed() -> None:
    spec = make_spec(payment_service={"bank_phone_number": "13900139000"})
    plan = decide(spec, onboarded(), FINGERPRINTS)
    assert plan.steps == ()
    assert plan.notes == (
        "payment service: bank_phone_number not returned by getbindservice, so not compared",
    )
    plan = decide(
        spec,
        onboarded(payment_service=remote_service(bank_phone_number="13900139001")),
        FINGERPRINTS,
    )
    assert [(c.field, c.old, c.new) for s in plan.steps for c in s.changes] == [
        ("bank_phone_number", "13900139001", "13900139000")
    ]


def test_creating_the_payment_service_is_not_a_payout_change() -> None:
    plan = decide(
        make_spec(), onboarded(payment_service=None, payment_audit_status=None), FINGERPRINTS
    )
    (step,) = plan.steps
    assert step.action is Action.CREATE_PAYMENT_SERVICE
    assert {c.field for c in step.changes} >= {"bank_card", "bank_name"}
    assert not plan.payout_change


def test_adopt_says_what_it_does_and_that_nothing_is_recorded_yet() -> None:
    plan = decide(make_spec(), onboarded(submissions={}), FINGERPRINTS)
    assert [(s.action, s.section) for s in plan.steps] == [
        (Action.ADOPT, "account"),
        (Action.ADOPT, "developer_config"),
    ]
    assert all(s.note and "no API call" in s.note for s in plan.steps)
    assert plan.status["account"] == "not recorded · approved"
    assert plan.status["developer_config"] == "not recorded · approved"
    assert plan.pending  # adopting writes to the state store: --detailed-exitcode says 2
