"""The payment-service endpoints of payment-service-api.zh.txt, as pure functions of a request.

Each handler gets a `Call` (the world, the app, the parameters) and returns the response body
or raises `ApiError`. Handlers check everything before they change anything, so a refusal
leaves the world untouched. Order of checks: parameters (60000, then the field checks
60004/60005/60011), then the state preconditions (60013/60016/60014, 60017/60018/60019,
60008/60009/60012). docs/sandbox.md gives the source of every rule (or says "guess").
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from smartpay_apply.sandbox import dictionary as dict_data
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.errors import ApiError, success
from smartpay_apply.sandbox.fields import (
    ACCOUNT_DATE_FIELDS,
    ACCOUNT_FIELDS,
    ACCOUNT_INT_FIELDS,
    ACCOUNT_OPTIONAL_FIELDS,
    CARD,
    DEVELOPER_FIELDS,
    INTEGER,
    LEGAL_ID,
    MAX_DAILY_REFUND_YUAN,
    PHONE,
    SERVICE_FIELDS,
    UPDATE_FIELDS,
    URL,
    is_date,
    keep,
    optional,
    parse_int,
    require,
    weighted_length,
)
from smartpay_apply.sandbox.store import State
from smartpay_apply.sandbox.world import (
    account_approved,
    app_record,
    digest,
    has_account,
    no_service_shape,
    rereview_service,
    service_view,
    start_audit,
)


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


# ---------------------------------------------------------------------------------- dict


def get_dict(call: Call) -> dict[str, Any]:
    """The bare object of the doc's sample: no errno/msg/data envelope (`documented_shapes`)."""
    data = dict_data.dictionary()
    return dict(data) if call.config.strict("documented_shapes") else success(data)


# ------------------------------------------------------------------------------- account


def _account_values(call: Call) -> dict[str, str]:
    """Checked account/create values (required and optional); 60000/60004/60005/60011."""
    values = require(call.params, ACCOUNT_FIELDS)
    if not 2 <= len(values["business_scope"]) <= 2000:
        raise ApiError(60000, "business_scope 长度 2-2000 个字符")
    if not 2 <= weighted_length(values["legal_person"]) <= 50:
        raise ApiError(60004)
    if len(values["legal_id"]) != 18 or not LEGAL_ID.match(values["legal_id"]):
        raise ApiError(60005)
    extra = optional(call.params, ACCOUNT_OPTIONAL_FIELDS)
    for name in ACCOUNT_DATE_FIELDS:
        if name in extra and call.config.strict("date_fields") and not is_date(extra[name]):
            raise ApiError(60000, f"{name} 格式为 YYYY-MM-DD (长期有效传 9999-12-31)")
    for name in ACCOUNT_INT_FIELDS:
        if name in extra and not INTEGER.fullmatch(extra[name]):
            raise ApiError(60000, f"{name} 必须是整数")
    for name in ("id_card_front_url", "id_card_back_url"):
        if not _uploaded_by_our_tp(call, values[name]):
            raise ApiError(60011, name)
    return {**values, **extra}


def _uploaded_by_our_tp(call: Call, url: str) -> bool:
    """Whether `url` came from the upload service, uploaded by this app's TP (rule
    `upload_tp_token`: another TP's upload is 60011 too). Every app here belongs to the
    sandbox's TP (`tp_app_id`); null marks uploads from before TPs were recorded."""
    uploads: dict[str, int | None] = call.state["uploads"]
    key = digest(url)
    if key not in uploads:
        return False
    uploader = uploads[key]
    return (
        uploader is None
        or uploader == call.config.tp_app_id
        or not call.config.strict("upload_tp_token")
    )


def create_account(call: Call) -> dict[str, Any]:
    values = _account_values(call)
    account = app_record(call.state, call.app_id)["account"]
    if account["status"] == 2:
        raise ApiError(60017)
    if account["status"] in (4, 5):
        raise ApiError(60012)
    account.update(status=2, verify_message="", submitted=keep(values))
    start_audit(call.state, call.app_id, "account", call.now)
    return success()


def account_audit_status(call: Call) -> dict[str, Any]:
    """Status 0-5 once an account exists; nulls before (the public doc's sample)."""
    account = app_record(call.state, call.app_id)["account"]
    if account["status"] is None and not call.config.strict("fresh_nulls"):
        return success({"status": 0, "verify_message": ""})
    return success({"status": account["status"], "verify_message": account["verify_message"]})


# ---------------------------------------------------------------------- developer config


def submit_developer_config(call: Call) -> dict[str, Any]:
    values = require(call.params, DEVELOPER_FIELDS)
    for name in DEVELOPER_FIELDS[1:]:
        if not URL.match(values[name]):
            raise ApiError(60000, f"{name} 必须是 http(s) 地址")
    record = app_record(call.state, call.app_id)
    if not has_account(record):
        raise ApiError(60013)
    if call.config.strict("config_needs_approved_account") and not account_approved(record):
        raise ApiError(60016)
    developer = record["developer_config"]
    if developer["audit"] == "pending":
        raise ApiError(60018)
    developer.update(audit="pending", submitted=values, reason="")
    start_audit(call.state, call.app_id, "developer_config", call.now)
    if call.config.strict("config_change_rereview"):
        rereview_service(call.state, call.app_id, call.now)
    return success()


# ------------------------------------------------------------------------ payment service


def _service_values(call: Call) -> dict[str, Any]:
    """Checked create/updatebindservice values, numbers as ints (as getbindservice shows them)."""
    return check_service_values(call.config, call.params)


def check_service_values(config: SandboxConfig, params: dict[str, str]) -> dict[str, Any]:
    """The payment-service values of `params` checked as paymentservice/create checks them
    (ApiError 60000 naming the field), numbers as ints. The admin API's console route uses
    the same checks, so no value enters the world that the API would have refused."""
    raw = require(params, SERVICE_FIELDS)
    values: dict[str, Any] = dict(raw)
    values["payment_days"] = parse_int(config, "payment_days", raw["payment_days"], 1)
    if values["payment_days"] not in dict_data.payment_days():
        raise ApiError(60000, "payment_days 取自数据字典: 1, 7, 14, 28")
    values["commission_rate"] = parse_int(config, "commission_rate", raw["commission_rate"], 0)
    if values["commission_rate"] != 6:
        raise ApiError(60000, "commission_rate 小程序固定为 6")
    values["pool_cash_pledge"] = parse_int(config, "pool_cash_pledge", raw["pool_cash_pledge"], 0)
    values["day_max_frozen_amount"] = parse_int(
        config, "day_max_frozen_amount", raw["day_max_frozen_amount"], 0, MAX_DAILY_REFUND_YUAN
    )
    if raw["bank_name"] not in dict_data.bank_names():
        raise ApiError(60000, "bank_name 取自数据字典")
    cities = dict_data.cities_by_province().get(raw["open_province"])
    if cities is None:
        raise ApiError(60000, "open_province 取自数据字典")
    if raw["open_city"] not in cities:
        raise ApiError(60000, "open_city 取自数据字典,且属于 open_province")
    if not PHONE.match(raw["service_phone"]):
        raise ApiError(60000, "service_phone 格式错误")
    if not CARD.match(raw["bank_card"]):
        raise ApiError(60000, "bank_card 必须是 8-32 位数字")
    phone = optional(params, ("bank_phone_number",))
    if phone and not PHONE.match(phone["bank_phone_number"]):
        raise ApiError(60000, "bank_phone_number 格式错误")
    return {**values, **keep(phone)}


def service_identity(config: SandboxConfig, app_id: int) -> dict[str, Any]:
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


def _config_complete(config: SandboxConfig, developer: dict[str, Any]) -> bool:
    """Whether the developer config counts as done for paymentservice/create.

    The doc: "开通支付账号、开发者信息设置必须完成" before the create. Strict: approved at
    least once (a pending or only-rejected submission is 60014). Relaxed
    (`service_needs_approved_config`): any submission not rejected, as before.
    """
    if config.strict("service_needs_approved_config"):
        return developer["approved"] is not None
    return developer["audit"] != "none" and not (
        developer["audit"] == "rejected" and not developer["approved"]
    )


def create_payment_service(call: Call) -> dict[str, Any]:
    values = _service_values(call)
    record = app_record(call.state, call.app_id)
    if not has_account(record):
        raise ApiError(60013)
    if not account_approved(record):
        raise ApiError(60016)
    if not _config_complete(call.config, record["developer_config"]):
        raise ApiError(60014)
    service = record["payment_service"]
    if service is not None:
        raise ApiError(60019 if service["open_status"] == 1 else 60009)
    record["payment_service"] = {
        **service_identity(call.config, call.app_id),
        "open_status": 1,
        "fail_reason": "",
        "submitted": values,
        "approved": None,
        "submitted_at": call.now,
    }
    start_audit(call.state, call.app_id, "payment_service", call.now)
    return success()


def payment_service_audit_status(call: Call) -> dict[str, Any]:
    """Nulls without a service (the public doc's sample); else open_status and reason."""
    service = app_record(call.state, call.app_id)["payment_service"]
    if service is None:
        if not call.config.strict("fresh_nulls"):
            raise ApiError(60008)
        return success({"status": None, "fail_reason": None})
    # As the doc's example shows: auditstatus says "审核通过" where getbindservice says "".
    reason = "审核通过" if service["open_status"] == 2 else service["fail_reason"]
    return success({"status": service["open_status"], "fail_reason": reason})


def update_payment_service(call: Call) -> dict[str, Any]:
    raw = require(call.params, UPDATE_FIELDS)
    pledge = parse_int(call.config, "pool_cash_pledge", raw["pool_cash_pledge"], 0)
    if not PHONE.match(raw["service_phone"]):
        raise ApiError(60000, "service_phone 格式错误")
    service = app_record(call.state, call.app_id)["payment_service"]
    if service is None:
        raise ApiError(60008)
    if service["open_status"] == 1 and call.config.strict("no_update_in_review"):
        raise ApiError(60019)
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
    values = _service_values(call)
    record = app_record(call.state, call.app_id)
    service = record["payment_service"]
    if service is None:
        raise ApiError(60008)
    if service["open_status"] == 1:
        raise ApiError(60019)
    service.update(open_status=1, fail_reason="", submitted=values, submitted_at=call.now)
    start_audit(call.state, call.app_id, "payment_service", call.now)
    return success()


def _no_service(call: Call, record: dict[str, Any]) -> dict[str, Any]:
    """getbindservice without a service: one of the shapes of `no_service_shape`."""
    shape = no_service_shape(call.config, record, call.app_id)
    if shape == "null":
        return {"errno": 0, "msg": "success", "data": None}
    if shape == "empty":
        return success({})
    raise ApiError(int(shape))


def get_bind_service(call: Call) -> dict[str, Any]:
    record = app_record(call.state, call.app_id)
    view = service_view(record, call.config)
    if view is None:
        return _no_service(call, record)
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
