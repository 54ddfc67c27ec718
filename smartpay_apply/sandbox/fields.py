"""The parameters of the payment-service endpoints: names, formats and how they are kept.

The field lists follow payment-service-api.zh.txt, plus the optional fields of the 2023 SDKs
(smartapp-openapi-go CreatePayAccountRequest / CreatePaymentServiceRequest). Checks raise
`ApiError(60000, ...)` naming the field; sensitive values are kept only as digests.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.errors import ApiError
from smartpay_apply.sandbox.world import digest

ACCOUNT_FIELDS = (
    "business_scope",
    "business_province",
    "business_city",
    "business_detail_address",
    "legal_person",
    "legal_id",
    "id_card_front_url",
    "id_card_back_url",
)
DEVELOPER_FIELDS = ("tp_public_key", "pay_notify_url", "refund_audit_url", "refund_succ_url")
SERVICE_FIELDS = (
    "app_name",
    "service_phone",
    "bank_account",
    "bank_card",
    "bank_name",
    "bank_branch",
    "open_province",
    "open_city",
    "payment_days",
    "commission_rate",
    "pool_cash_pledge",
    "day_max_frozen_amount",
)
UPDATE_FIELDS = ("app_name", "service_phone", "pool_cash_pledge")
#: Optional account/create fields of the 2023 SDKs (smartapp-openapi-go CreatePayAccountRequest).
ACCOUNT_DATE_FIELDS = (
    "legal_card_start_time",
    "legal_card_end_time",
    "license_start_time",
    "license_end_time",
)
ACCOUNT_INT_FIELDS = ("industry_id", "manager_same", "benefit_same")
ACCOUNT_TEXT_FIELDS = (
    "manage_permit_url",
    "auth_capital",
    "manager",
    "manager_card_type",
    "manager_card_start_time",
    "manager_card_end_time",
    "benefit",
    "benefit_card_type",
    "benefit_start_time",
    "benefit_end_time",
)
#: Kept only as digests: identity numbers, id-card images, phone numbers.
SENSITIVE_FIELDS = frozenset(
    {
        "legal_id",
        "id_card_front_url",
        "id_card_back_url",
        "manager_card",
        "manager_card_front_url",
        "manager_card_back_url",
        "benefit_card",
        "benefit_card_front_url",
        "benefit_card_back_url",
        "bank_phone_number",
    }
)
ACCOUNT_OPTIONAL_FIELDS = (
    *ACCOUNT_DATE_FIELDS,
    *ACCOUNT_INT_FIELDS,
    *ACCOUNT_TEXT_FIELDS,
    *sorted(SENSITIVE_FIELDS - {"legal_id", "id_card_front_url", "id_card_back_url"}),
)
#: Sent as numbers by getbindservice.
INT_FIELDS = ("payment_days", "commission_rate", "pool_cash_pledge", "day_max_frozen_amount")
MAX_DAILY_REFUND_YUAN = 10000

LEGAL_ID = re.compile(r"^\d{17}[\dXx]$")
PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")
CARD = re.compile(r"^\d{8,32}$")
URL = re.compile(r"^https?://\S+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INTEGER = re.compile(r"^-?\d+$")
WHOLE_WITH_ZEROS = re.compile(r"^(-?\d+)(?:\.0+)?$")


def require(params: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """The named parameters, stripped; 60000 naming the first one missing or blank."""
    values = {}
    for name in names:
        value = params.get(name)
        if value is None or not value.strip():
            raise ApiError(60000, f"缺少参数 {name}")
        values[name] = value.strip()
    return values


def optional(params: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """The named parameters that were sent non-blank (the SDKs send unset ones as "")."""
    return {name: params[name].strip() for name in names if params.get(name, "").strip()}


def weighted_length(text: str) -> int:
    """Length counting a CJK character as 2: "1-25 汉字" and "2 - 50 字符" are one rule."""
    return sum(1 if ord(ch) < 0x2E80 else 2 for ch in text)


def parse_int(
    config: SandboxConfig, name: str, text: str, low: int, high: int | None = None
) -> int:
    """An integer literal ("500"; not "500.5" nor "500.00") within [low, high]; else 60000.

    The doc types the amounts Long and the Go SDK int64 (rule `whole_yuan`; relaxed, "500.00"
    passes as it did before).
    """
    pattern = INTEGER if config.strict("whole_yuan") else WHOLE_WITH_ZEROS
    match = pattern.fullmatch(text)
    if match is None:
        raise ApiError(60000, f"{name} 必须是整数")
    value = int(match.group(1) if match.groups() else match.group(0))
    if value < low or (high is not None and value > high):
        bound = f"{low}-{high}" if high is not None else f">= {low}"
        raise ApiError(60000, f"{name} 取值范围 {bound}")
    return value


def keep(values: dict[str, str]) -> dict[str, Any]:
    """`values` as the sandbox keeps them: sensitive ones as `sha256:<16 hex>` digests."""
    return {
        name: "sha256:" + digest(value)[:16] if name in SENSITIVE_FIELDS else value
        for name, value in values.items()
    }


def is_date(text: str) -> bool:
    if not DATE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
