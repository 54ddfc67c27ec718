"""Specs and observations built through the public models, for the engine and render tests.

Everything here is made with the real pydantic models (so the spec rules apply) and plain
`Observed` data as observe.py would produce it. Secret-looking values are planted on purpose:
SECRETS lists them so tests can assert that none reaches any output.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from smartpay_apply.engine.observe import AuditEvent, Observed, Submission
from smartpay_apply.spec.models import AppSpec
from smartpay_apply.timeutil import SHANGHAI

TP_PUBLIC_KEY = (Path(__file__).parent / "tp_public.pem").read_text()

LEGAL_ID = "11010519491231002X"
BANK_CARD = "6217000010009876543"
OTHER_BANK_CARD = "6222020200112233445"
ID_FRONT_URL = "https://img.example.test/secret-front-7f3a.png"
ID_BACK_URL = "https://img.example.test/secret-back-9c1d.png"
ACCESS_TOKEN = "sandbox-1001-token-do-not-print"
PM_APP_KEY = "pmkey-SECRET-5b7e"

#: Values that must never appear in any rendering or plan file (masked tails may).
SECRETS = (
    LEGAL_ID,
    BANK_CARD,
    OTHER_BANK_CARD,
    ID_FRONT_URL,
    ID_BACK_URL,
    ACCESS_TOKEN,
    PM_APP_KEY,
    "secret-front-7f3a",
    "secret-back-9c1d",
    "6217000010009",
    "11010519491231",
)


def account_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "business_scope": "餐饮服务; 食品销售",
        "business_province": "北京市",
        "business_city": "海淀区",
        "business_detail_address": "上地十街 10 号",
        "legal_person": "张三",
        "legal_id": LEGAL_ID,
        "id_card_front_url": ID_FRONT_URL,
        "id_card_back_url": ID_BACK_URL,
    }
    values.update(overrides)
    return values


def developer_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "tp_public_key": TP_PUBLIC_KEY,
        "pay_notify_url": "https://tp.example.test/pay/notify",
        "refund_audit_url": "https://tp.example.test/refund/audit",
        "refund_succ_url": "https://tp.example.test/refund/done",
    }
    values.update(overrides)
    return values


def payment_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "app_name": "小店支付",
        "service_phone": "13800138000",
        "bank_account": "北京小店科技有限公司",
        "bank_card": BANK_CARD,
        "bank_name": "招商银行",
        "bank_branch": "招商银行北京上地支行",
        "open_province": "北京市",
        "open_city": "海淀区",
        "payment_days": 7,
        "commission_rate": 6,
        "pool_cash_pledge": Decimal("1000"),
        "day_max_frozen_amount": Decimal("10000"),
    }
    values.update(overrides)
    return values


def make_spec(
    app: str = "shop-a",
    app_id: int = 1001,
    *,
    account: dict[str, Any] | bool | None = True,
    developer_config: dict[str, Any] | bool | None = True,
    payment_service: dict[str, Any] | bool | None = True,
    token: str = ACCESS_TOKEN,
) -> AppSpec:
    """An AppSpec; True means the default section, a dict overrides fields, None leaves it out."""

    def section(given: dict[str, Any] | bool | None, default: Any) -> Any:
        if given is None or given is False:
            return None
        return default() if given is True else default(**given)

    return AppSpec(
        app=app,
        app_id=app_id,
        credentials={"access_token": token},
        account=section(account, account_values),
        developer_config=section(developer_config, developer_values),
        payment_service=section(payment_service, payment_values),
    )


def remote_service(open_status: int = 2, fail_reason: str = "", **overrides: Any) -> dict[str, Any]:
    """getbindservice's data as Baidu formats it: numbers as the API sends them, plus outputs."""
    values: dict[str, Any] = {
        "pm_app_id": 10896,
        "pm_app_key": PM_APP_KEY,
        "platform_public_key": "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDplatform",
        "deal_id": "1292243105",
        **payment_values(),
        "pool_cash_pledge": "1000.00",
        "day_max_frozen_amount": 10000,
        "open_status": open_status,
        "fail_reason": fail_reason,
    }
    values.update(overrides)
    return values


def at(text: str) -> datetime:
    """A Beijing time, e.g. at("2026-11-20 10:00:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def submitted(
    fingerprint: str,
    when: str = "2026-11-20 10:00:00",
    outcome: str = "pending",
    reason: str | None = None,
) -> Submission:
    return Submission(
        fingerprint=fingerprint, submitted_at=at(when), outcome=outcome, reason=reason
    )


def event(section: str, outcome: str, when: str, reason: str | None = None) -> AuditEvent:
    return AuditEvent(section=section, outcome=outcome, event_time=at(when), reason=reason)


#: The fingerprints the planner would compute for make_spec()'s sections.
FINGERPRINTS = {
    "account": "fp-account-1",
    "developer_config": "fp-devconfig-1",
    "payment_service": "fp-service-1",
}


def onboarded(**changes: Any) -> Observed:
    """A mini-program fully onboarded from make_spec(): everything approved and recorded."""
    values: dict[str, Any] = {
        "account_status": 4,
        "account_verify_message": "审核通过",
        "payment_service": remote_service(),
        "payment_audit_status": 2,
        "submissions": {
            "account": submitted("fp-account-1", outcome="approved"),
            "developer_config": submitted("fp-devconfig-1"),
        },
        "events": (event("developer_config", "approved", "2026-11-20 12:00:00"),),
    }
    values.update(changes)
    return Observed(**values)
