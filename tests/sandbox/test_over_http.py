"""A whole onboarding through the project's client over real HTTP (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from smartpay_apply.api.client import OpenApi
from smartpay_apply.api.models import (
    AccountCreateRequest,
    DeveloperConfigRequest,
    PaymentServiceRequest,
    PaymentServiceUpdateRequest,
)
from tests.sandbox.helpers import DEVELOPER, PNG, SERVICE


async def wait_until(check: Any, timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "the sandbox never decided the audit"
        await asyncio.sleep(0.1)


@pytest.mark.slow
async def test_whole_onboarding_through_the_client(sandbox: Any) -> None:
    app_id = 4001
    async with OpenApi(sandbox.base_url) as api:
        app = api.app(sandbox.token(app_id))
        # Uploads take the TP's own token, not the mini-program's.
        tp = api.tp(sandbox.TP_TOKEN)
        front = await tp.upload_image(PNG + b"front", "front.png")
        back = await tp.upload_image(PNG + b"back", "back.png")
        await app.create_account(
            AccountCreateRequest(
                business_scope="计算机软件开发",
                business_province="北京市",
                business_city="海淀区",
                business_detail_address="上地十街10号",
                legal_person="张三",
                legal_id="11010519491231002X",
                id_card_front_url=front,
                id_card_back_url=back,
            )
        )
        assert (await app.get_account_audit_status()).status == 2

        async def account_approved() -> bool:
            return (await app.get_account_audit_status()).status == 4

        await wait_until(account_approved)
        await app.submit_developer_config(DeveloperConfigRequest(**DEVELOPER))

        async def config_approved() -> bool:  # visible to the TP only as a push
            return bool(sandbox.app_state(app_id)["developer_config"]["audit"] == "approved")

        await wait_until(config_approved)
        service = PaymentServiceRequest(
            **{
                **SERVICE,
                "payment_days": 1,
                "commission_rate": 6,
                "pool_cash_pledge": Decimal(1),
                "day_max_frozen_amount": Decimal(10000),
            }
        )
        await app.create_payment_service(service)

        async def service_open() -> bool:
            return (await app.get_payment_service_audit_status()).status == 2

        await wait_until(service_open)
        await app.update_payment_service(
            PaymentServiceUpdateRequest(
                app_name="新服务名", service_phone="01012345678", pool_cash_pledge=Decimal(200)
            )
        )
        bound = await app.get_bind_service()
        assert bound is not None
        assert (bound.app_name, bound.open_status, bound.pool_cash_pledge) == (
            "新服务名",
            2,
            Decimal(200),
        )

        sandbox.set_policy(app_id, "manual")
        await app.update_bind_service(
            service.model_copy(update={"bank_name": "工商银行", "app_name": "新服务名"})
        )
        during = await app.get_bind_service()
        assert during is not None
        assert (during.open_status, during.bank_name) == (1, "招商银行")
        sandbox.approve(app_id, "payment_service")
        after = await app.get_bind_service()
        assert after is not None
        assert (after.open_status, after.bank_name, after.app_name) == (2, "工商银行", "新服务名")

    paths = [c["path"].split("/smartapp/")[-1] for c in sandbox.calls(app_id=app_id)]
    uploads = sandbox.calls(path="upload/image")
    assert len(uploads) == 2 and {c["app_id"] for c in uploads} == {None}  # TP calls
    for expected in (
        "pay/account/create",
        "pay/developconfig/submit",
        "pay/paymentservice/create",
        "pay/paymentservice/update",
        "pay/paymentservice/updatebindservice",
    ):
        assert expected in paths
    events = [e["event"] for e in sandbox.app_state(app_id)["events"]]
    assert events == [
        "APP_PAYMENT_CREATE_ACCOUNT_PASS",
        "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS",
        "APP_PAYMENT_CREATE_PAYMENT_PASS",
        "APP_PAYMENT_CREATE_PAYMENT_PASS",
    ]


def test_injected_faults_over_http(sandbox_factory: Any) -> None:
    box = sandbox_factory(seed=3)
    url = f"{box.base_url}/rest/2.0/smartapp/pay/account/auditstatus"
    params = {"access_token": "sandbox-1"}
    box.set_faults(error_rate=1)
    http = httpx.Client()
    answers = [http.get(url, params=params) for _ in range(30)]
    statuses = {a.status_code for a in answers}
    gateway = {a.json()["error_code"] for a in answers if a.status_code == 200}
    assert statuses <= {200, 500, 502, 503} and statuses & {500, 502, 503}
    assert gateway <= {4, 50029} and gateway
    box.set_faults(error_rate=0, drop_rate=1)
    with pytest.raises(httpx.TransportError):
        http.get(url, params=params)
    box.set_faults(drop_rate=0, slow_body_ms=50)
    assert http.get(url, params=params).json()["errno"] == 0
    box.clear_faults()
    assert http.get(url, params=params).json()["errno"] == 0
    http.close()
    # Admin routes are never faulted.
    box.set_faults(error_rate=1)
    assert box.app_state(1)["account"]["status"] is None
