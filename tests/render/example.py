"""One plan that shows every kind of step, built through decide() from factory specs."""

from __future__ import annotations

from dataclasses import replace

from smartpay_apply.engine.decide import decide
from smartpay_apply.engine.observe import Observed
from smartpay_apply.engine.steps import AppPlan, Plan
from tests.engine.factory import (
    FINGERPRINTS,
    OTHER_BANK_CARD,
    event,
    make_spec,
    onboarded,
    remote_service,
    submitted,
)


def example_plan() -> Plan:
    apps = [
        # brand new: everything to create, the payment service held behind the account audit
        decide(make_spec("new-shop", 1001), Observed(), FINGERPRINTS),
        # in sync, developer config outcome never received
        decide(make_spec("quiet-shop", 1002), onboarded(events=()), FINGERPRINTS),
        # both kinds of update, including a payout change (bank card and bank)
        decide(
            make_spec("moving-bank", 1003),
            onboarded(
                payment_service=remote_service(
                    app_name="旧名字 | old",
                    pool_cash_pledge="500.00",
                    bank_card=OTHER_BANK_CARD,
                    bank_name="工商银行",
                )
            ),
            FINGERPRINTS,
        ),
        # account in review: wait, the rest held
        decide(
            make_spec("reviewed-shop", 1004),
            Observed(account_status=2, submissions={"account": submitted("fp-account-1")}),
            FINGERPRINTS,
        ),
        # rejected developer config, unchanged: blocked with Baidu's reason
        decide(
            make_spec("rejected-shop", 1005),
            onboarded(
                events=(
                    event(
                        "developer_config",
                        "rejected",
                        "2026-11-20 11:00:00",
                        "回调地址 <https://tp.example.test> 不可达 `@admin`",
                    ),
                )
            ),
            FINGERPRINTS,
        ),
        # approved account edited in the spec: manual
        decide(
            make_spec("edited-shop", 1006),
            onboarded(
                submissions={
                    "account": submitted("fp-account-0"),
                    "developer_config": submitted("fp-devconfig-1"),
                }
            ),
            FINGERPRINTS,
        ),
        # fully in sync
        decide(make_spec("calm-shop", 1007), onboarded(), FINGERPRINTS),
    ]
    apps = [replace(app, observed_checksum=f"sha256:{app.app_id:064x}") for app in apps]
    apps.append(
        AppPlan(
            app="broken-shop",
            app_id=1008,
            error="account/auditstatus: error_code 111 Access token expired (access token expired)",
        )
    )
    return Plan(apps=tuple(apps))
