"""Shared helpers of the sandbox tests: an in-process client and the documented payloads."""

from __future__ import annotations

from typing import Any

import httpx

from smartpay_apply.sandbox.app import create_app
from smartpay_apply.sandbox.config import SandboxConfig
from tests.support.files import PNG

PAY = "/rest/2.0/smartapp/pay"
UPLOAD = "/file/2.0/smartapp/upload/image"
#: The TP's own token (auto_tokens): what image upload authenticates, not a mini-program's.
TP_TOKEN = "sandbox-tp"


class Clock:
    """A clock the test moves by hand (audits and token expiry are decided by it)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def client(clock: Clock | None = None, **overrides: Any) -> httpx.AsyncClient:
    """An httpx client over an in-memory sandbox (ASGITransport)."""
    config = SandboxConfig().with_overrides(**overrides)
    app = create_app(config, clock=clock) if clock else create_app(config)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test")


def token(app_id: int) -> dict[str, str]:
    return {"access_token": f"sandbox-{app_id}"}


async def upload_answer(
    http: httpx.AsyncClient, content: bytes = PNG, tp_token: str = TP_TOKEN, **form: str
) -> Any:
    """The JSON answer of one image upload with `tp_token` (multipart, `type` 2 by default)."""
    response = await http.post(
        UPLOAD,
        params={"access_token": tp_token},
        files={"multipartFile": ("id.png", content, "image/png")},
        data={"type": "2", **form},
    )
    return response.json()


async def upload(http: httpx.AsyncClient, content: bytes = PNG, tp_token: str = TP_TOKEN) -> str:
    """The URL of one uploaded image (uploaded with the TP's token)."""
    body = await upload_answer(http, content, tp_token)
    assert body["errno"] == 0, body
    return str(body["data"])


async def account_form(http: httpx.AsyncClient, app_id: int, **changes: str) -> dict[str, str]:
    """A valid account/create form for `app_id`, with two freshly uploaded id-card images."""
    front = await upload(http, PNG + b"front")
    back = await upload(http, PNG + b"back")
    form = {
        "business_scope": "计算机软件开发;技术服务",
        "business_province": "北京市",
        "business_city": "海淀区",
        "business_detail_address": "上地十街10号",
        "legal_person": "张三",
        "legal_id": "11010519491231002X",
        "id_card_front_url": front,
        "id_card_back_url": back,
    }
    form.update(changes)
    return form


DEVELOPER = {
    "tp_public_key": "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC",
    "pay_notify_url": "https://tp.example.com/pay/notify",
    "refund_audit_url": "https://tp.example.com/pay/refund-audit",
    "refund_succ_url": "https://tp.example.com/pay/refund-done",
}

SERVICE = {
    "app_name": "测试",
    "service_phone": "13514310000",
    "bank_account": "北京百度网讯科技有限公司",
    "bank_card": "110902160610510",
    "bank_name": "招商银行",
    "bank_branch": "招商银行股份有限公司北京双榆树支行",
    "open_province": "北京市",
    "open_city": "海淀区",
    "payment_days": "1",
    "commission_rate": "6",
    "pool_cash_pledge": "1",
    "day_max_frozen_amount": "10000",
}


async def call(
    http: httpx.AsyncClient, method: str, path: str, app_id: int, data: Any = None, **params: Any
) -> Any:
    """One API call with the app's automatic token; returns the JSON body."""
    response = await http.request(
        method, f"{PAY}/{path}", params={**token(app_id), **params}, data=data
    )
    return response.json()


async def onboard(
    http: httpx.AsyncClient, app_id: int, *, service: dict[str, str] = SERVICE
) -> None:
    """Account, developer config and payment service in the documented order, each approved
    before the next step (audit_delay 0 assumed: each audit is decided by the next request)."""
    assert (await call(http, "POST", "account/create", app_id, await account_form(http, app_id)))[
        "errno"
    ] == 0
    assert (await call(http, "GET", "account/auditstatus", app_id))["data"]["status"] == 4
    assert (await call(http, "POST", "developconfig/submit", app_id, DEVELOPER))["errno"] == 0
    assert (await call(http, "POST", "paymentservice/create", app_id, service))["errno"] == 0
    assert (await call(http, "GET", "paymentservice/auditstatus", app_id))["data"]["status"] == 2


# ------------------------------------------------------------------------------------------
# Arranging a world step by step (for a client with audit_policy="manual": every audit is
# decided here, through the admin API, so each rule's precondition is exact).


async def admin(http: httpx.AsyncClient, method: str, path: str, json: Any = None) -> Any:
    """One admin call; AssertionError on a refusal."""
    response = await http.request(method, f"/_sandbox/{path}", json=json)
    assert response.status_code < 400, response.text
    return response.json()


async def decide(http: httpx.AsyncClient, app_id: int, section: str, outcome: str) -> None:
    """outcome: approved | rejected | pending (left in review)."""
    if outcome == "approved":
        await admin(http, "POST", f"apps/{app_id}/{section}/approve")
    elif outcome == "rejected":
        await admin(http, "POST", f"apps/{app_id}/{section}/reject", {"reason": "资料不全"})
    else:
        assert outcome == "pending", outcome


async def given_account(http: httpx.AsyncClient, app_id: int, outcome: str = "approved") -> None:
    form = await account_form(http, app_id)
    assert (await call(http, "POST", "account/create", app_id, form))["errno"] == 0
    await decide(http, app_id, "account", outcome)


async def given_config(http: httpx.AsyncClient, app_id: int, outcome: str = "approved") -> None:
    assert (await call(http, "POST", "developconfig/submit", app_id, DEVELOPER))["errno"] == 0
    await decide(http, app_id, "developer_config", outcome)


async def given_service(
    http: httpx.AsyncClient, app_id: int, outcome: str = "approved", **changes: str
) -> None:
    body = await call(http, "POST", "paymentservice/create", app_id, {**SERVICE, **changes})
    assert body["errno"] == 0, body
    await decide(http, app_id, "payment_service", outcome)


async def given_onboarded(http: httpx.AsyncClient, app_id: int) -> None:
    """An approved account, developer config and payment service."""
    await given_account(http, app_id)
    await given_config(http, app_id)
    await given_service(http, app_id)
