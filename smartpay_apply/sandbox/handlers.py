"""The payment-service endpoints of payment-service-api.zh.txt, as pure functions of a request.

Each handler gets a `Call` (the world, the app, the parameters) and returns the response body
or raises `ApiError`. Handlers check everything before they change anything, so a refusal
leaves the world untouched. Order of checks: parameters (60000, then the field checks
60004/60005/60011), then the state preconditions (60013/60014/60016, 60017/60018/60019,
60008/60009/60012).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from smartpay_apply.sandbox import dictionary as dict_data
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.errors import ApiError, success
from smartpay_apply.sandbox.store import State
from smartpay_apply.sandbox.world import app_record, digest, service_view, start_audit

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
#: Sent as numbers by getbindservice.
INT_FIELDS = ("payment_days", "commission_rate", "pool_cash_pledge", "day_max_frozen_amount")
MAX_DAILY_REFUND_YUAN = 10000

_LEGAL_ID = re.compile(r"^\d{17}[\dXx]$")
_PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")
_CARD = re.compile(r"^\d{8,32}$")
_URL = re.compile(r"^https?://\S+$")


@dataclass
class Call:
    """One authenticated API call: the world, who calls, and what they sent."""

    state: State
    config: SandboxConfig
    app_id: int
    now: float
    params: dict[str, str]
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)


Handler = Callable[[Call], dict[str, Any]]


def require(params: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """The named parameters, stripped; 60000 naming the first one missing or blank."""
    values = {}
    for name in names:
        value = params.get(name)
        if value is None or not value.strip():
            raise ApiError(60000, f"缺少参数 {name}")
        values[name] = value.strip()
    return values


def weighted_length(text: str) -> int:
    """Length counting a CJK character as 2: "1-25 汉字" and "2 - 50 字符" are one rule."""
    return sum(1 if ord(ch) < 0x2E80 else 2 for ch in text)


def parse_int(name: str, text: str, low: int, high: int | None = None) -> int:
    """An integer parameter ("1000" or "1000.00"), within [low, high]; else 60000."""
    match = re.fullmatch(r"(-?\d+)(?:\.0+)?", text)
    if match is None:
        raise ApiError(60000, f"{name} 必须是整数")
    value = int(match.group(1))
    if value < low or (high is not None and value > high):
        bound = f"{low}-{high}" if high is not None else f">= {low}"
        raise ApiError(60000, f"{name} 取值范围 {bound}")
    return value


# ---------------------------------------------------------------------------------- dict


def get_dict(call: Call) -> dict[str, Any]:
    return success(dict_data.dictionary())


# ------------------------------------------------------------------------------- account


def create_account(call: Call) -> dict[str, Any]:
    values = require(call.params, ACCOUNT_FIELDS)
    if not 2 <= len(values["business_scope"]) <= 2000:
        raise ApiError(60000, "business_scope 长度 2-2000 个字符")
    if not 2 <= weighted_length(values["legal_person"]) <= 50:
        raise ApiError(60004)
    if len(values["legal_id"]) != 18 or not _LEGAL_ID.match(values["legal_id"]):
        raise ApiError(60005)
    uploads = set(call.state["uploads"])
    for name in ("id_card_front_url", "id_card_back_url"):
        if digest(values[name]) not in uploads:
            raise ApiError(60011, name)
    account = app_record(call.state, call.app_id)["account"]
    if account["status"] == 2:
        raise ApiError(60017)
    if account["status"] in (4, 5):
        raise ApiError(60012)
    # Baidu keeps these; the sandbox has no endpoint returning them, so it keeps only digests.
    for name in ("legal_id", "id_card_front_url", "id_card_back_url"):
        values[name] = "sha256:" + digest(values[name])[:16]
    account.update(status=2, verify_message="", submitted=values)
    start_audit(call.state, call.app_id, "account", call.now)
    return success()


def account_audit_status(call: Call) -> dict[str, Any]:
    account = app_record(call.state, call.app_id)["account"]
    return success({"status": account["status"], "verify_message": account["verify_message"]})


# ---------------------------------------------------------------------- developer config


def submit_developer_config(call: Call) -> dict[str, Any]:
    values = require(call.params, DEVELOPER_FIELDS)
    for name in DEVELOPER_FIELDS[1:]:
        if not _URL.match(values[name]):
            raise ApiError(60000, f"{name} 必须是 http(s) 地址")
    record = app_record(call.state, call.app_id)
    if record["account"]["status"] == 0:
        raise ApiError(60013)
    developer = record["developer_config"]
    if developer["audit"] == "pending":
        raise ApiError(60018)
    developer.update(audit="pending", submitted=values, reason="")
    start_audit(call.state, call.app_id, "developer_config", call.now)
    return success()


# ------------------------------------------------------------------------ payment service


def _service_values(params: dict[str, str]) -> dict[str, Any]:
    """Checked create/updatebindservice values, numbers as ints (as getbindservice shows them)."""
    raw = require(params, SERVICE_FIELDS)
    values: dict[str, Any] = dict(raw)
    values["payment_days"] = parse_int("payment_days", raw["payment_days"], 1)
    if values["payment_days"] not in dict_data.payment_days():
        raise ApiError(60000, "payment_days 取自数据字典: 1, 7, 14, 28")
    values["commission_rate"] = parse_int("commission_rate", raw["commission_rate"], 0)
    if values["commission_rate"] != 6:
        raise ApiError(60000, "commission_rate 小程序固定为 6")
    values["pool_cash_pledge"] = parse_int("pool_cash_pledge", raw["pool_cash_pledge"], 0)
    values["day_max_frozen_amount"] = parse_int(
        "day_max_frozen_amount", raw["day_max_frozen_amount"], 0, MAX_DAILY_REFUND_YUAN
    )
    if raw["bank_name"] not in dict_data.bank_names():
        raise ApiError(60000, "bank_name 取自数据字典")
    cities = dict_data.cities_by_province().get(raw["open_province"])
    if cities is None:
        raise ApiError(60000, "open_province 取自数据字典")
    if raw["open_city"] not in cities:
        raise ApiError(60000, "open_city 取自数据字典,且属于 open_province")
    if not _PHONE.match(raw["service_phone"]):
        raise ApiError(60000, "service_phone 格式错误")
    if not _CARD.match(raw["bank_card"]):
        raise ApiError(60000, "bank_card 必须是 8-32 位数字")
    return values


def _identity(config: SandboxConfig, app_id: int) -> dict[str, Any]:
    """pm_app_id, pm_app_key, platform_public_key, deal_id: stable for (seed, app)."""
    seed = hashlib.sha256(f"{config.seed}:{app_id}".encode()).hexdigest()
    key_body = hashlib.sha512(seed.encode()).digest() * 4
    return {
        "pm_app_id": 10000 + int(seed[:8], 16) % 9_000_000,
        "pm_app_key": "MMU" + seed[8:28].upper(),
        "platform_public_key": "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"
        + base64.b64encode(key_body[:210]).decode()
        + "IDAQAB",
        "deal_id": str(1_000_000_000 + int(seed[28:36], 16) % 1_000_000_000),
    }


def create_payment_service(call: Call) -> dict[str, Any]:
    values = _service_values(call.params)
    record = app_record(call.state, call.app_id)
    status = record["account"]["status"]
    if status == 0:
        raise ApiError(60013)
    if status not in (4, 5):
        raise ApiError(60016)
    developer = record["developer_config"]
    if developer["audit"] == "none" or (
        developer["audit"] == "rejected" and not developer["approved"]
    ):
        raise ApiError(60014)
    service = record["payment_service"]
    if service is not None:
        raise ApiError(60019 if service["open_status"] == 1 else 60009)
    record["payment_service"] = {
        **_identity(call.config, call.app_id),
        "open_status": 1,
        "fail_reason": "",
        "submitted": values,
        "approved": None,
        "submitted_at": call.now,
    }
    start_audit(call.state, call.app_id, "payment_service", call.now)
    return success()


def payment_service_audit_status(call: Call) -> dict[str, Any]:
    service = app_record(call.state, call.app_id)["payment_service"]
    if service is None:
        raise ApiError(60008)
    # As the doc's example shows: auditstatus says "审核通过" where getbindservice says "".
    reason = "审核通过" if service["open_status"] == 2 else service["fail_reason"]
    return success({"status": service["open_status"], "fail_reason": reason})


def update_payment_service(call: Call) -> dict[str, Any]:
    raw = require(call.params, UPDATE_FIELDS)
    pledge = parse_int("pool_cash_pledge", raw["pool_cash_pledge"], 0)
    if not _PHONE.match(raw["service_phone"]):
        raise ApiError(60000, "service_phone 格式错误")
    service = app_record(call.state, call.app_id)["payment_service"]
    if service is None:
        raise ApiError(60008)
    change = {
        "app_name": raw["app_name"],
        "service_phone": raw["service_phone"],
        "pool_cash_pledge": pledge,
    }
    service["submitted"].update(change)
    if service["approved"]:
        service["approved"].update(change)
    return success()


def update_bind_service(call: Call) -> dict[str, Any]:
    values = _service_values(call.params)
    record = app_record(call.state, call.app_id)
    service = record["payment_service"]
    if service is None:
        raise ApiError(60008)
    if service["open_status"] == 1:
        raise ApiError(60019)
    service.update(open_status=1, fail_reason="", submitted=values, submitted_at=call.now)
    start_audit(call.state, call.app_id, "payment_service", call.now)
    return success()


def get_bind_service(call: Call) -> dict[str, Any]:
    record = app_record(call.state, call.app_id)
    view = service_view(record)
    if view is None:
        raise ApiError(60008)
    service = record["payment_service"]
    data: dict[str, Any] = {
        "pm_app_id": service["pm_app_id"],
        "app_name": view.values["app_name"],
        "pm_app_key": service["pm_app_key"],
        "platform_public_key": service["platform_public_key"],
        "deal_id": service["deal_id"],
    }
    for name in SERVICE_FIELDS[1:]:
        data[name] = view.values[name]
    data["open_status"] = view.open_status
    data["fail_reason"] = view.fail_reason
    return success(data)


# --------------------------------------------------------------------------------- upload

UPLOAD_LIMITS = {"1": 2 * 1024 * 1024, "2": 5 * 1024 * 1024, "3": 5 * 1024 * 1024}
UPLOAD_HOST = "https://b.bdstatic.com/searchbox/mappconsole/image/sandbox"


def image_format(content: bytes) -> str | None:
    """png / jpg / bmp by magic number (what the upload service accepts), else None."""
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if content.startswith(b"BM"):
        return "bmp"
    return None


def upload_image(call: Call) -> dict[str, Any]:
    upload = call.files.get("multipartFile")
    if upload is None:
        raise ApiError(60000, "缺少文件 multipartFile")
    kind = call.params.get("type", "2").strip() or "2"
    if kind not in UPLOAD_LIMITS:
        raise ApiError(60000, "type 取值 1, 2, 3")
    content = upload[2]
    ext = image_format(content)
    if ext is None:
        raise ApiError(47000, "支持 bmp, jpeg, jpg, png")
    if len(content) > UPLOAD_LIMITS[kind]:
        raise ApiError(47003)
    name = hashlib.sha256(f"{call.app_id}:".encode() + content).hexdigest()[:32]
    url = f"{UPLOAD_HOST}/{name}.{ext}"
    uploads: list[str] = call.state["uploads"]
    if digest(url) not in uploads:
        uploads.append(digest(url))
    return success(url)
