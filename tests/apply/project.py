"""A throwaway project for the apply tests: smartpay.yaml pointing at a sandbox, specs with
local id-card images (so apply uploads them), and readers of the state store and call log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from smartpay_apply.state import StateStore, open_store

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
TP_PUBLIC_KEY = (Path(__file__).parent.parent / "engine" / "tp_public.pem").read_text()
BANK_CARD = "6217000010009876543"
NEW_BANK_CARD = "6222020200112233445"
LEGAL_ID = "11010519491231002X"
CREATES = ("/account/create", "/paymentservice/create")


def spec_document(app: str, app_id: int, **payment: Any) -> dict[str, Any]:
    """A complete spec: account (local images), developer config, payment service."""
    return {
        "app": app,
        "app_id": app_id,
        "credentials": {"access_token": f"sandbox-{app_id}"},
        "account": {
            "business_scope": "餐饮服务; 食品销售",
            "business_province": "北京市",
            "business_city": "海淀区",
            "business_detail_address": "上地十街 10 号",
            "legal_person": "张三",
            "legal_id": LEGAL_ID,
            "id_card_front": f"images/{app}-front.png",
            "id_card_back": f"images/{app}-back.png",
        },
        "developer_config": {
            "tp_public_key": TP_PUBLIC_KEY,
            "pay_notify_url": "https://tp.example.test/pay/notify",
            "refund_audit_url": "https://tp.example.test/refund/audit",
            "refund_succ_url": "https://tp.example.test/refund/done",
        },
        "payment_service": {
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
            "pool_cash_pledge": 1000,
            "day_max_frozen_amount": 10000,
            **payment,
        },
    }


class Project:
    """A project directory bound to one sandbox and one state store location."""

    def __init__(self, root: Path, base_url: str, state: str = ".smartpay/state.db", **settings: Any) -> None:
        self.root = root
        self.state = state
        (root / "specs" / "images").mkdir(parents=True, exist_ok=True)
        lines = [
            "version: 1",
            f"endpoint: {base_url}",
            f"state: {json.dumps(state)}",
            'specs: ["specs/**/*.yaml"]',
            "concurrency: 8",
        ]
        lines += [f"{key}: {json.dumps(value)}" for key, value in settings.items()]
        (root / "smartpay.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.documents: dict[str, dict[str, Any]] = {}

    def write_spec(self, document: dict[str, Any]) -> Path:
        app = document["app"]
        for side in ("front", "back"):
            image = self.root / "specs" / "images" / f"{app}-{side}.png"
            if not image.exists():
                image.write_bytes(PNG + f"{app}-{side}".encode())
        path = self.root / "specs" / f"{app}.yaml"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        self.documents[app] = document
        return path

    def add(self, app: str, app_id: int, **payment: Any) -> dict[str, Any]:
        document = spec_document(app, app_id, **payment)
        self.write_spec(document)
        return document

    def change_payment(self, app: str, **changes: Any) -> None:
        document = self.documents[app]
        document["payment_service"].update(changes)
        self.write_spec(document)

    def store(self) -> StateStore:
        return open_store(self.state, base_dir=self.root)


def paths(calls: list[dict[str, Any]]) -> list[str]:
    """The endpoint paths of sandbox calls, shortened to what follows /pay (or /file)."""
    out = []
    for call in calls:
        path = call["path"]
        for prefix in ("/rest/2.0/smartapp/pay", "/file/2.0/smartapp"):
            if path.startswith(prefix):
                path = path[len(prefix):]
        out.append(path)
    return out


def writes(calls: list[dict[str, Any]]) -> list[str]:
    """Only the POSTs (what changed something), in order."""
    return paths([call for call in calls if call["method"] == "POST"])
