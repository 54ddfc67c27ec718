"""Baidu's three error shapes become the right exception, with one readable line."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from smartpay_apply.api.client import OpenApi
from smartpay_apply.api.errors import (
    AlreadyExistsError,
    ApiError,
    BusinessError,
    ErrorCode,
    GatewayError,
    OAuthError,
    RateLimitError,
    ResponseError,
)
from smartpay_apply.errors import SmartpayError
from tests.api import doc_examples as doc
from tests.api.fake import PAY, FakeBaidu, make_api

# The API reference lives in shared/ beside the checkout (CI lays it there too).
_REFERENCE_NAME = Path("shared", "reference", "payment-service-api.zh.txt")
REFERENCE_CANDIDATES = (
    Path(__file__).resolve().parents[3] / _REFERENCE_NAME,
    Path("/work") / _REFERENCE_NAME,
)


def _doc_error_table() -> dict[int, str]:
    found = [path for path in REFERENCE_CANDIDATES if path.is_file()]
    if not found:
        pytest.fail(f"API reference not found in any of {[str(p) for p in REFERENCE_CANDIDATES]}")
    text = found[0].read_text(encoding="utf-8")
    table = text.split("错误码 错误描述", 1)[1]
    return {int(m[1]): m[2].strip() for m in re.finditer(r"^(600\d\d) (.+)$", table, re.M)}


def test_every_errno_of_the_doc_table_has_a_named_code() -> None:
    table = _doc_error_table()
    assert sorted(table) == list(range(60000, 60022))
    for errno, chinese in table.items():
        code = ErrorCode(errno)
        assert code.zh == chinese
        assert code.en and code.en.isascii()
        assert code.name.isupper()


async def test_business_error_line(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/paymentservice/create", {"errno": 60014, "msg": "开发者设置未提交"})
    from tests.api.test_endpoints import SERVICE

    with pytest.raises(BusinessError) as caught:
        await api.app("tok").create_payment_service(SERVICE)
    error = caught.value
    assert str(error) == (
        "paymentservice/create: errno 60014 开发者设置未提交 "
        "(developer config not submitted: submit it first)"
    )
    assert (error.endpoint, error.errno, error.error_code) == (
        "paymentservice/create",
        60014,
        ErrorCode.DEVELOPER_CONFIG_MISSING,
    )
    assert isinstance(error, SmartpayError) and error.exit_code == 1
    assert len(fake.requests) == 1  # a refusal is an answer: never retried


async def test_business_error_without_msg_uses_doc_text(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/account/auditstatus", {"errno": 60015, "msg": ""})
    with pytest.raises(
        BusinessError,
        match=r"errno 60015 账号异常 \(the account is abnormal \(blocked or invalid\)\)",
    ):
        await api.app("tok").get_account_audit_status()


@pytest.mark.parametrize(
    "answer",
    [
        {"errno": 60002, "msg": "该账号未绑定支付账号"},
        {"errno": 60006, "msg": "支付账号审核信息不存在"},
        {"errno": 60013, "msg": "支付账号不存在,请先创建支付账号"},
        doc.ACCOUNT_AUDIT_FRESH,
    ],
)
async def test_no_account_is_an_answer_not_an_error(
    fake: FakeBaidu, api: OpenApi, answer: dict[str, object] | str
) -> None:
    """A fresh mini-program: the public doc's null sample, or a "no account" errno."""
    fake.always(f"{PAY}/account/auditstatus", answer)
    status = await api.app("tok").get_account_audit_status()
    assert status.status is None and not status.approved


@pytest.mark.parametrize(
    "answer",
    [
        {"errno": 60002, "msg": "该账号未绑定支付账号"},
        {"errno": 60008, "msg": "支付服务不存在"},
        {"errno": 60013, "msg": "支付账号不存在,请先创建支付账号"},
        {"errno": 0, "msg": "success", "data": None},
        {"errno": 0, "msg": "success", "data": {}},
        {"errno": 0, "msg": "success"},
        {"errno": 0, "msg": "success", "data": {"app_name": None, "open_status": None}},
    ],
)
async def test_no_payment_service_in_every_shape(
    fake: FakeBaidu, api: OpenApi, answer: dict[str, object]
) -> None:
    """Which answer a mini-program without a service gets is undocumented: all mean none."""
    fake.always(f"{PAY}/paymentservice/getbindservice", answer)
    fake.always(f"{PAY}/paymentservice/auditstatus", answer)
    app = api.app("tok")
    assert await app.get_bind_service() is None
    if answer.get("data") is None:
        assert (await app.get_payment_service_audit_status()).status is None


async def test_null_service_audit_status_sample(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/paymentservice/auditstatus", doc.SERVICE_AUDIT_FRESH)
    status = await api.app("tok").get_payment_service_audit_status()
    assert (status.status, status.fail_reason) == (None, None)


async def test_unknown_errno_still_a_business_error(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/account/auditstatus", {"errno": 40001, "msg": "参数错误"})
    with pytest.raises(BusinessError) as caught:
        await api.app("tok").get_account_audit_status()
    assert caught.value.error_code is None
    assert str(caught.value) == "account/auditstatus: errno 40001 参数错误"


async def test_request_id_from_header_or_body(fake: FakeBaidu, api: OpenApi) -> None:
    path = f"{PAY}/paymentservice/getbindservice"
    fake.queue(
        path,
        httpx.Response(
            200, json={"errno": 60015, "msg": "账号异常"}, headers={"X-Request-Id": "req-abc"}
        ),
        {"errno": 60015, "msg": "账号异常", "request_id": "4052611012"},
    )
    app = api.app("tok")
    with pytest.raises(BusinessError) as first:
        await app.get_bind_service()
    assert first.value.request_id == "req-abc"
    assert str(first.value).endswith("[request id req-abc]")
    with pytest.raises(BusinessError) as second:
        await app.get_bind_service()
    assert second.value.request_id == "4052611012"


async def test_gateway_error(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(
        f"{PAY}/account/auditstatus",
        {"error_code": 40008, "error_msg": "client ip not in whitelist"},
    )
    with pytest.raises(GatewayError) as caught:
        await api.app("tok").get_account_audit_status()
    assert caught.value.error_code == 40008
    assert str(caught.value) == (
        "account/auditstatus: error_code 40008 client ip not in whitelist "
        "(client IP not whitelisted for the third-party platform)"
    )
    assert len(fake.requests) == 1


async def test_rate_limit_retried_then_reported(fake: FakeBaidu) -> None:
    fake.always(
        f"{PAY}/account/auditstatus",
        {"error_code": 18, "error_msg": "Open api qps request limit reached"},
    )
    async with make_api(fake, retries=2) as api:
        with pytest.raises(RateLimitError) as caught:
            await api.app("tok").get_account_audit_status()
    assert caught.value.error_code == 18
    assert len(fake.requests) == 3


async def test_rate_limit_on_a_post_is_retried_it_was_not_processed(fake: FakeBaidu) -> None:
    path = f"{PAY}/developconfig/submit"
    fake.queue(
        path,
        {"error_code": 4, "error_msg": "Open api request limit reached"},
        {"errno": 50029, "msg": "call limit"},
        doc.SUCCESS,
    )
    from smartpay_apply.api.models import DeveloperConfigRequest

    async with make_api(fake, retries=3) as api:
        await api.app("tok").submit_developer_config(
            DeveloperConfigRequest(
                tp_public_key="k", pay_notify_url="u", refund_audit_url="u", refund_succ_url="u"
            )
        )
    assert len(fake.calls(path)) == 3


async def test_oauth_error(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always("/rest/2.0/oauth/token", httpx.Response(400, text=doc.OAUTH_ERROR))
    with pytest.raises(OAuthError) as caught:
        await api.refresh_app_token("tp-secret-token", "refresh-secret-1")
    error = caught.value
    assert (error.error, error.error_description, error.http_status) == (
        "invalid_grant",
        "refresh token is invalid",
        400,
    )
    assert str(error) == "oauth/token (refresh): oauth error invalid_grant refresh token is invalid"
    assert "secret" not in str(error)


async def test_already_exists_on_first_attempt(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/account/create", {"errno": 60012, "msg": "支付账号已经存在,请勿重复创建"})
    from tests.api.test_endpoints import ACCOUNT

    with pytest.raises(AlreadyExistsError) as caught:
        await api.app("tok").create_account(ACCOUNT)
    assert caught.value.after_retry is False
    assert caught.value.error_code is ErrorCode.ACCOUNT_EXISTS
    assert isinstance(caught.value, BusinessError)


async def test_unexpected_shapes_are_clear(fake: FakeBaidu, api: OpenApi) -> None:
    path = f"{PAY}/account/auditstatus"
    fake.queue(
        path,
        httpx.Response(200, text="<html>gateway</html>"),
        {"hello": "world"},
        {"errno": 0, "msg": "success", "data": {"status": "审核中", "verify_message": "x"}},
    )
    app = api.app("tok")
    with pytest.raises(
        ResponseError, match="account/auditstatus: bad response 200 answer is not JSON"
    ):
        await app.get_account_audit_status()
    with pytest.raises(ResponseError, match="neither errno nor error_code"):
        await app.get_account_audit_status()
    with pytest.raises(ResponseError, match=r"unexpected answer shape \(fields: status\)"):
        await app.get_account_audit_status()


async def test_secret_bearing_messages_are_masked(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(
        f"{PAY}/account/auditstatus",
        {"error_code": 2, "error_msg": "bad request https://x/y?access_token=tok-secret-9&a=1"},
    )
    with pytest.raises(ApiError) as caught:
        await api.app("tok-secret-9").get_account_audit_status()
    assert "tok-secret-9" not in str(caught.value)
    assert "access_token=****" in str(caught.value)


async def test_card_and_id_numbers_echoed_by_baidu_are_masked(
    fake: FakeBaidu, api: OpenApi
) -> None:
    fake.always(
        f"{PAY}/paymentservice/getbindservice",
        {
            "errno": 60000,
            "msg": "参数错误: bank_card 6217000010001234 / 11010119900307123X / order 80048556607063",
        },
    )
    with pytest.raises(BusinessError) as caught:
        await api.app("tok").get_bind_service()
    message = str(caught.value)
    assert "6217000010001234" not in message and "****1234" in message
    assert "11010119900307123X" not in message and "****123X" in message
    assert "80048556607063" in message  # a 14-digit order id is not a secret


async def test_on_error_hears_every_failed_attempt(fake: FakeBaidu, api: OpenApi) -> None:
    """What the controller counts by errno: each refusal and each failed attempt, retried or not;
    a listener that breaks never breaks the call."""
    from tests.api.test_endpoints import SERVICE

    heard: list[tuple[str, object]] = []
    api.on_error = lambda error: heard.append((error.endpoint, error.code))
    fake.always(f"{PAY}/paymentservice/create", {"errno": 60014, "msg": "开发者设置未提交"})
    fake.queue(f"{PAY}/account/auditstatus", httpx.Response(503), {"errno": 0, "data": {}})
    with pytest.raises(BusinessError):
        await api.app("tok").create_payment_service(SERVICE)
    await api.app("tok").get_account_audit_status()
    assert heard[0] == ("paymentservice/create", 60014)
    assert heard[1][0] == "account/auditstatus" and len(heard) == 2

    def broken(error: object) -> None:
        raise RuntimeError("listener bug")

    api.on_error = broken
    with pytest.raises(BusinessError):
        await api.app("tok").create_payment_service(SERVICE)
