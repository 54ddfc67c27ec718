"""Helpers for the data tests: a project directory whose specs point at a running sandbox."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def write_project(
    root: Path,
    endpoint: str,
    apps: Sequence[tuple[str, int]],
    *,
    concurrency: int = 8,
    extra: str = "",
) -> Path:
    """smartpay.yaml + one spec per (app, app_id), credentials `sandbox-<app_id>`; returns root."""
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / "smartpay.yaml").write_text(
        f"version: 1\nendpoint: {endpoint}\nstate: .smartpay/state.db\nspecs: ['specs/*.yaml']\n"
        f"concurrency: {concurrency}\n{extra}",
        encoding="utf-8",
    )
    for app, app_id in apps:
        (root / "specs" / f"{app}.yaml").write_text(
            f"app: {app}\napp_id: {app_id}\ncredentials:\n  access_token: sandbox-{app_id}\n",
            encoding="utf-8",
        )
    return root


PAY = "/rest/2.0/smartapp/pay"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

SERVICE = {
    "app_name": "数据测试",
    "service_phone": "13514310000",
    "bank_account": "北京百度网讯科技有限公司",
    "bank_card": "6217000010001234",
    "bank_name": "招商银行",
    "bank_branch": "招商银行股份有限公司北京双榆树支行",
    "open_province": "北京市",
    "open_city": "海淀区",
    "payment_days": "1",
    "commission_rate": "6",
    "pool_cash_pledge": "1",
    "day_max_frozen_amount": "10000",
}


def onboard(base_url: str, app_id: int) -> None:
    """Open the payment service of `app_id` through the documented API (audit_delay=0 assumed):
    the sandbox serves payment data only for approved services."""
    import httpx

    token = {"access_token": f"sandbox-{app_id}"}
    with httpx.Client(base_url=base_url, params=token, timeout=10) as http:

        def upload(tag: bytes) -> str:
            body = http.post(
                "/file/2.0/smartapp/upload/image",
                files={"multipartFile": ("id.png", PNG + tag, "image/png")},
                data={"type": "2"},
            ).json()
            assert body["errno"] == 0, body
            return str(body["data"])

        def ok(method: str, path: str, data: dict[str, str] | None = None) -> dict[str, object]:
            body = http.request(method, f"{PAY}/{path}", data=data).json()
            assert body["errno"] == 0, (path, body)
            return body  # type: ignore[no-any-return]

        ok("POST", "account/create", {
            "business_scope": "计算机软件开发", "business_province": "北京市", "business_city": "海淀区",
            "business_detail_address": "上地十街10号", "legal_person": "张三", "legal_id": "11010519491231002X",
            "id_card_front_url": upload(b"front"), "id_card_back_url": upload(b"back"),
        })
        ok("POST", "developconfig/submit", {
            "tp_public_key": "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC",
            "pay_notify_url": "https://tp.example.com/pay/notify",
            "refund_audit_url": "https://tp.example.com/pay/refund-audit",
            "refund_succ_url": "https://tp.example.com/pay/refund-done",
        })
        ok("GET", "account/auditstatus")
        ok("POST", "paymentservice/create", SERVICE)
        status = ok("GET", "paymentservice/auditstatus")["data"]
        assert status["status"] == 2, status  # type: ignore[index]


def raw_rows(base_url: str, app_id: int, path: str, **params: object) -> tuple[list[dict[str, object]], dict[str, object]]:
    """Every row of a paged endpoint, read directly with httpx (page_size 1000), and page 1's data."""
    import httpx

    rows: list[dict[str, object]] = []
    first: dict[str, object] = {}
    page = 1
    with httpx.Client(base_url=base_url, timeout=10) as http:
        while True:
            body = http.get(f"{PAY}/{path}", params={"access_token": f"sandbox-{app_id}", **params,
                                                      "current_page": page, "page_size": 1000}).json()
            assert body["errno"] == 0, body
            data = body["data"]
            first = first or data
            rows.extend(data["data"])
            if not data["data"] or len(rows) >= data["total_count"]:
                return rows, first
            page += 1
