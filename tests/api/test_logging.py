"""Debug logging shows each request's shape and outcome, never a secret."""

from __future__ import annotations

import logging

import pytest

from smartpay_apply.api.client import OpenApi
from smartpay_apply.api.errors import BusinessError
from tests.api import doc_examples as doc
from tests.api.fake import PAY, FakeBaidu
from tests.api.test_endpoints import ACCOUNT, SERVICE

SECRETS = [
    "tok-very-secret",
    "110101199003071234",  # legal_id
    "6217000010001234",  # bank_card
    "https://img.example.baidu.com/front.png",
    "https://img.example.baidu.com/back.png",
    "refresh-secret-7",
    "ticket-secret-8",
    "code-secret-9",
]


async def test_debug_log_masks_every_secret(
    fake: FakeBaidu, api: OpenApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="smartpay_apply.api")
    fake.always(f"{PAY}/account/create", doc.SUCCESS)
    fake.always(f"{PAY}/paymentservice/create", {"errno": 60014, "msg": "开发者设置未提交"})
    fake.always("/file/2.0/smartapp/upload/image", doc.UPLOAD_IMAGE)
    fake.always("/rest/2.0/oauth/token", doc.OAUTH_TOKEN)
    fake.always("/public/2.0/smartapp/auth/tp/token", doc.TP_TOKEN)
    app = api.app("tok-very-secret")
    await app.create_account(ACCOUNT)
    with pytest.raises(BusinessError):
        await app.create_payment_service(SERVICE)
    await api.tp("tok-very-secret").upload_image(b"legal-photo-bytes", "id_front.png")
    await api.refresh_app_token("tok-very-secret", "refresh-secret-7")
    await api.exchange_authorization_code("tok-very-secret", "code-secret-9")
    await api.tp_token("tp-client", "ticket-secret-8")

    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in SECRETS:
        assert secret not in text
    assert "legal-photo-bytes" not in text
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 6
    create = lines[0]
    assert create.startswith("POST /rest/2.0/smartapp/pay/account/create ")
    assert "'legal_id': '****1234'" in create
    assert "'id_card_front_url': '(sensitive)'" in create
    assert "'access_token': '(sensitive)'" in create
    assert "'legal_person': '张三'" in create
    assert "-> 200" in create and create.endswith("errno=0")
    assert lines[1].endswith("errno=60014")
    assert "'bank_card': '****1234'" in lines[1]
    assert "'multipartFile': '<image, 17 bytes>'" in lines[2]


async def test_transport_failures_are_logged_masked(
    fake: FakeBaidu, api: OpenApi, caplog: pytest.LogCaptureFixture
) -> None:
    import httpx

    caplog.set_level(logging.DEBUG, logger="smartpay_apply.api")

    def boom(request: httpx.Request) -> None:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    fake.always(f"{PAY}/account/auditstatus", boom)
    with pytest.raises(Exception) as caught:
        await api.app("tok-very-secret").get_account_audit_status()
    assert "tok-very-secret" not in str(caught.value)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "tok-very-secret" not in text
    assert text.count("-> not sent: cannot connect") == 4  # 1 attempt + 3 retries
