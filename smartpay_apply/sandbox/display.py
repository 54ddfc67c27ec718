"""What the `sandbox` admin commands print: secrets concealed, times in Beijing time.

The admin API answers what the world holds (getbindservice returns bank_card in clear, as
Baidu does); `sandbox show` prints none of it in clear: values the sandbox keeps as digests stay
digests, a bank card is masked as paydetail masks it, any other secret becomes a digest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from smartpay_apply.sandbox.fields import SENSITIVE_FIELDS
from smartpay_apply.sandbox.world import digest
from smartpay_apply.timeutil import SHANGHAI

#: Keys whose values never reach the output in clear (besides fields.SENSITIVE_FIELDS).
SECRET_KEYS = frozenset(
    {
        *SENSITIVE_FIELDS,
        "bank_card",
        "pm_app_key",
        "access_token",
        "refresh_token",
        "token",
        "authorization_code",
        "authorizationCode",
        "ticket",
    }
)
DIGEST_PREFIX = "sha256:"


def mask_card(card: str) -> str:
    """A bank card as `110****0510` (the first 3 and last 4 digits)."""
    return f"{card[:3]}****{card[-4:]}" if len(card) > 7 else "****"


def conceal_value(key: str, value: Any) -> Any:
    """One secret value as the output shows it: a mask for bank cards, else a digest."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(DIGEST_PREFIX):
        return text
    if key == "bank_card":
        return mask_card(text)
    return DIGEST_PREFIX + digest(text)[:16]


def conceal(data: Any, key: str = "") -> Any:
    """`data` (JSON) with every value under a secret key concealed, at any depth."""
    if isinstance(data, dict):
        return {k: conceal(v, k) for k, v in data.items()}
    if isinstance(data, list):
        return [conceal(item, key) for item in data]
    return conceal_value(key, data) if key in SECRET_KEYS else data


def beijing_iso(moment: float) -> str:
    """A unix time as ISO 8601 in Beijing time with +08:00, to the millisecond."""
    return datetime.fromtimestamp(moment, SHANGHAI).isoformat(timespec="milliseconds")


def call_rows(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The call log as printed: {method, path, app_id, time (ISO 8601, +08:00)}."""
    return [
        {
            "method": call["method"],
            "path": call["path"],
            "app_id": call["app_id"],
            "time": beijing_iso(float(call["time"])),
        }
        for call in calls
    ]
