"""The JSON Schema of a spec file, generated from the models, for editors.

yaml-language-server (VS Code's YAML extension, Neovim, JetBrains...) reads it from a
`# yaml-language-server: $schema=...` comment: completion, hover text and red squiggles while
typing. The models give names and types (section fields are not marked required: `defaults:`
in smartpay.yaml may supply them); this module adds what the rules
know (patterns, allowed values, ranges) and a short description of each field, and lets
number fields hold a `${env:...}` reference.
"""

from __future__ import annotations

from typing import Any

from smartpay_apply.spec.models import AppSpec
from smartpay_apply.spec.numbers import INT64_MAX

SCHEMA_ID = "https://smartpay-apply.invalid/schema/spec.json"

#: String fields people often write as bare numbers (the loader keeps their text).
NUMERIC_TEXT_FIELDS = ("service_phone", "bank_card", "legal_id", "bank_phone_number")

_REFERENCE = {
    "type": "string",
    "pattern": r"^\$\{(env|file):.+\}$",
    "description": "a ${env:NAME} or ${file:path} reference",
}

#: Per field: description and extra JSON Schema keywords (what the rules check).
FIELD_DOCS: dict[str, dict[str, dict[str, Any]]] = {
    "AppSpec": {
        "app": {"pattern": r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"},
        "app_id": {"minimum": 1, "maximum": INT64_MAX},
        "credentials": {"description": "How to get this mini-program's access token"},
        "account": {"description": "account/create (audited). Leave out to not manage it."},
        "developer_config": {
            "description": "developconfig/submit (audited). Leave out to not manage it."
        },
        "payment_service": {
            "description": "paymentservice/create (audited). Leave out to not manage it."
        },
    },
    "AccountSpec": {
        "business_scope": {
            "description": "经营范围: the scope of business on the licence",
            "minLength": 2,
            "maxLength": 2000,
        },
        "business_province": {"description": "经营范围所在省: province of the business"},
        "business_city": {"description": "经营范围所在市: city of the business"},
        "business_detail_address": {"description": "经营地址详情: street address"},
        "legal_person": {
            "description": "法人姓名: name on the ID card, 1-25 Chinese characters",
            "minLength": 1,
            "maxLength": 25,
        },
        "legal_id": {
            "description": "身份证号: 18 characters with a valid check digit (sensitive: use ${env:...})",
            "minLength": 18,
            "maxLength": 18,
        },
        "id_card_front_url": {
            "description": "ID card front: an image URL from Baidu's upload service (or use id_card_front)"
        },
        "id_card_front": {
            "description": "ID card front: a local bmp/jpeg/jpg/png file, at most 5 MB, relative to the spec file; apply uploads it"
        },
        "id_card_back_url": {
            "description": "ID card back: an image URL from Baidu's upload service (or use id_card_back)"
        },
        "id_card_back": {
            "description": "ID card back: a local bmp/jpeg/jpg/png file, at most 5 MB, relative to the spec file; apply uploads it"
        },
        "legal_card_start_time": {
            "description": "ID card valid from (YYYY-MM-DD)",
            "pattern": r"^\d{4}-\d{2}-\d{2}$",
        },
        "legal_card_end_time": {
            "description": "ID card valid until (YYYY-MM-DD, or 长期: sent as 9999-12-31)",
            "pattern": r"^(\d{4}-\d{2}-\d{2}|长期)$",
        },
        "license_start_time": {
            "description": "business licence valid from (YYYY-MM-DD)",
            "pattern": r"^\d{4}-\d{2}-\d{2}$",
        },
        "license_end_time": {
            "description": "business licence valid until (YYYY-MM-DD, or 长期: sent as 9999-12-31)",
            "pattern": r"^(\d{4}-\d{2}-\d{2}|长期)$",
        },
        "industry_id": {
            "description": "industry id from getTradeIndustryList",
            "minimum": 1,
            "maximum": INT64_MAX,
        },
        "manage_permit_url": {
            "description": "an uploaded image URL of the operating permit (https)"
        },
    },
    "DeveloperConfigSpec": {
        "tp_public_key": {
            "description": "开发者公钥: the RSA public key in PEM form, e.g. ${file:keys/tp_public.pem}"
        },
        "pay_notify_url": {"description": "支付回调地址 (https)", "pattern": "^https://"},
        "refund_audit_url": {"description": "退款审核地址 (https)", "pattern": "^https://"},
        "refund_succ_url": {"description": "退款回调地址 (https)", "pattern": "^https://"},
    },
    "PaymentServiceSpec": {
        "app_name": {
            "description": "服务名称: name of the payment service (changes without audit)"
        },
        "service_phone": {
            "description": "服务电话: mobile, landline with area code, or 400/800 number (changes without audit)"
        },
        "bank_account": {"description": "银行账户: the account holder's name"},
        "bank_card": {"description": "银行卡号: 8-30 digits (sensitive: use ${env:...})"},
        "bank_name": {
            "description": "所属银行: a bank name from the dictionary (`smartpay-apply dict`)"
        },
        "bank_branch": {"description": "支行信息: branch, free text, e.g. 招商银行北京上地支行"},
        "open_province": {"description": "开户省份: from the dictionary"},
        "open_city": {"description": "开户城市: from the dictionary"},
        "payment_days": {"description": "结算周期 T+N", "enum": [1, 7, 14, 28]},
        "commission_rate": {"description": "佣金比例: 6 per mille for mini-programs", "enum": [6]},
        "pool_cash_pledge": {
            "description": "打款预留 (whole yuan, a Long): kept back at each payout (changes without audit)",
            "minimum": 0,
            "maximum": INT64_MAX,
            "multipleOf": 1,
        },
        "day_max_frozen_amount": {
            "description": "每日退款上限 (whole yuan, a Long): 0-10000",
            "minimum": 0,
            "maximum": 10000,
            "multipleOf": 1,
        },
        "bank_phone_number": {"description": "the bank's reserved mobile number (optional)"},
    },
}


def spec_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one spec document."""
    schema = AppSpec.model_json_schema(mode="validation")
    definitions = schema.get("$defs", {})
    _annotate("AppSpec", schema)
    for name, definition in definitions.items():
        _annotate(name, definition)
        # smartpay.yaml's `defaults:` may supply any section field, so an editor must not flag
        # one as missing; `validate` checks the merged spec.
        definition.pop("required", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "smartpay-apply spec",
        "description": "One mini-program's payment setup. Docs: docs/specs.md",
        **{key: value for key, value in schema.items() if key not in ("title", "description")},
    }


def _annotate(model_name: str, definition: dict[str, Any]) -> None:
    docs = FIELD_DOCS.get(model_name, {})
    for field_name, prop in definition.get("properties", {}).items():
        extra = dict(docs.get(field_name, {}))
        description = extra.pop("description", None)
        if description:
            prop["description"] = description
        if extra:
            _constrain(prop, extra)
        _allow_reference(prop)
        if field_name in NUMERIC_TEXT_FIELDS:
            _allow_number(prop)
        _drop_titles(prop)


def _allow_number(prop: dict[str, Any]) -> None:
    for option in prop.get("anyOf", [prop]):
        if option.get("type") == "string":
            option["type"] = ["string", "integer"]


def _drop_titles(node: Any) -> None:
    """Pydantic's generated titles ("App Id") only add noise to an editor's hover."""
    if isinstance(node, dict):
        node.pop("title", None)
        for value in node.values():
            _drop_titles(value)
    elif isinstance(node, list):
        for value in node:
            _drop_titles(value)


def _constrain(prop: dict[str, Any], extra: dict[str, Any]) -> None:
    """Put the keywords where the value's own type is (inside anyOf for optional fields)."""
    for option in prop.get("anyOf", [prop]):
        if option.get("type") in ("string", "integer", "number") or (
            "$ref" not in option and option is prop
        ):
            if option.get("type") == "null":
                continue
            for key, value in extra.items():
                if key in ("minLength", "maxLength", "pattern") and option.get("type") not in (
                    "string",
                    None,
                ):
                    continue
                if key in ("minimum", "maximum", "multipleOf") and option.get("type") == "string":
                    continue
                option[key] = value


def _allow_reference(prop: dict[str, Any]) -> None:
    """Numbers may also be written as a reference (`app_id: ${env:APP_ID}`)."""
    options = prop.get("anyOf")
    if options is None and prop.get("type") in ("integer", "number"):
        moved = {key: prop.pop(key) for key in list(prop) if key not in ("description", "default")}
        prop["anyOf"] = [moved, dict(_REFERENCE)]
    elif options is not None and any(
        option.get("type") in ("integer", "number") for option in options
    ):
        options.append(dict(_REFERENCE))
