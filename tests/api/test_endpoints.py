"""Every endpoint's happy path, answered with the API doc's own examples, and what went on
the wire (method, path, query, form body, headers)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import httpx
import pytest

from smartpay_apply import __version__
from smartpay_apply.api.client import OpenApi
from smartpay_apply.api.models import (
    AccountCreateRequest,
    DeveloperConfigRequest,
    PaymentServiceRequest,
    PaymentServiceUpdateRequest,
)
from smartpay_apply.timeutil import SHANGHAI
from tests.api import doc_examples as doc
from tests.api.fake import PAY, FakeBaidu, ok

ACCOUNT = AccountCreateRequest(
    business_scope="软件开发",
    business_province="北京市",
    business_city="北京市",
    business_detail_address="海淀区上地十街10号",
    legal_person="张三",
    legal_id="110101199003071234",
    id_card_front_url="https://img.example.baidu.com/front.png",
    id_card_back_url="https://img.example.baidu.com/back.png",
)
SERVICE = PaymentServiceRequest(
    app_name="测试",
    service_phone="13514310000",
    bank_account="北京百度网讯科技有限公司",
    bank_card="6217000010001234",
    bank_name="招商银行",
    bank_branch="招商银行股份有限公司北京双榆树支行",
    open_province="北京市",
    open_city="海淀区",
    payment_days=1,
    pool_cash_pledge=Decimal("1000.00"),
    day_max_frozen_amount=Decimal("10000"),
)


def only(fake: FakeBaidu, path: str) -> httpx.Request:
    calls = fake.calls(path)
    assert len(calls) == 1, [str(r.url) for r in fake.requests]
    return calls[0]


async def test_dict_bare_example_with_mixed_keys(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/paymentservice/dict", doc.DICT_BARE)
    result = await api.app("tok-1").get_dict()
    assert result.provinces == {"澳门": ["澳门"]}
    assert result.cities("澳门") == ["澳门"]
    assert result.bank_names == ["北京银行"]
    assert result.commission_rates == {6: "千分之六", 10: "百分之一"}
    assert result.payment_day_options == {1: "T+1", 7: "T+7", 14: "T+14", 28: "T+28"}
    request = only(fake, f"{PAY}/paymentservice/dict")
    assert request.method == "GET"
    assert request.url.params["access_token"] == "tok-1"
    assert request.url.host == "openapi.baidu.com"


async def test_dict_enveloped_snake_case(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(
        f"{PAY}/paymentservice/dict",
        ok(
            {
                "province_list": [
                    {
                        "province_id": 1,
                        "province_name": "北京市",
                        "cities": [{"city_id": 2, "city_name": "海淀区"}],
                    }
                ],
                "bank_list": [
                    {"character": "Z", "banks": [{"bank_id": 3, "bank_name": "招商银行"}]}
                ],
                "commission_rate": {"6": "千分之六"},
                "payment_days": {"1": "T+1", "28": "T+28"},
            }
        ),
    )
    result = await api.app("tok").get_dict()
    assert result.cities("北京市") == ["海淀区"]
    assert result.cities("上海市") == []
    assert result.bank_names == ["招商银行"]
    assert result.commission_rates == {6: "千分之六"}
    assert result.payment_day_options == {1: "T+1", 28: "T+28"}


async def test_user_agent_names_tool_and_version(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/account/auditstatus", doc.ACCOUNT_AUDIT)
    await api.app("tok").get_account_audit_status()
    assert fake.requests[0].headers["user-agent"] == f"smartpay-apply/{__version__}"


async def test_upload_image_multipart(fake: FakeBaidu, api: OpenApi) -> None:
    path = "/file/2.0/smartapp/upload/image"
    fake.always(path, doc.UPLOAD_IMAGE)
    url = await api.tp("tp-token").upload_image(b"\x89PNG fake bytes", "front.png")
    assert url == "https://img.example.baidu.com/abc.png"
    request = only(fake, path)
    assert request.method == "POST"
    assert request.url.params["access_token"] == "tp-token"
    assert request.headers["content-type"].startswith("multipart/form-data")
    body = request.content
    assert b'name="multipartFile"; filename="front.png"' in body
    assert b"\x89PNG fake bytes" in body
    assert b'name="type"\r\n\r\n2' in body


async def test_upload_image_refuses_bad_format_and_size_before_sending(
    fake: FakeBaidu, api: OpenApi
) -> None:
    from smartpay_apply.errors import UsageError

    app = api.tp("tp-token")
    with pytest.raises(UsageError, match="format gif is not accepted"):
        await app.upload_image(b"GIF89a", "front.gif")
    with pytest.raises(UsageError, match="over the 2 MB limit of image type 1"):
        await app.upload_image(b"x" * (2 * 1024 * 1024 + 1), "avatar.png", image_type=1)
    assert fake.requests == []


async def test_create_account_form(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/account/create", doc.SUCCESS)
    assert await api.app("tok").create_account(ACCOUNT) is None
    request = only(fake, f"{PAY}/account/create")
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.url.params["access_token"] == "tok"
    assert fake.form(request) == {
        "business_scope": "软件开发",
        "business_province": "北京市",
        "business_city": "北京市",
        "business_detail_address": "海淀区上地十街10号",
        "legal_person": "张三",
        "legal_id": "110101199003071234",
        "id_card_front_url": "https://img.example.baidu.com/front.png",
        "id_card_back_url": "https://img.example.baidu.com/back.png",
    }


async def test_account_extra_fields_pass_through_booleans_as_01(
    fake: FakeBaidu, api: OpenApi
) -> None:
    fake.always(f"{PAY}/account/create", doc.SUCCESS)
    request = ACCOUNT.model_copy(
        update={"benefit_is_legal": True, "license_start_time": "2020-01-01"}
    )
    await api.app("tok").create_account(request)
    form = fake.form(only(fake, f"{PAY}/account/create"))
    assert form["benefit_is_legal"] == "1"
    assert form["license_start_time"] == "2020-01-01"


async def test_account_audit_status(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/account/auditstatus", doc.ACCOUNT_AUDIT)
    status = await api.app("tok").get_account_audit_status()
    assert status.status == 4 == status.APPROVED
    assert status.verify_message == "审核通过"
    assert only(fake, f"{PAY}/account/auditstatus").method == "GET"


async def test_submit_developer_config(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/developconfig/submit", doc.SUCCESS)
    req = DeveloperConfigRequest(
        tp_public_key="MIIBIjANBgkq",
        pay_notify_url="https://tp.example.com/pay/notify",
        refund_audit_url="https://tp.example.com/refund/audit",
        refund_succ_url="https://tp.example.com/refund/done",
    )
    await api.app("tok").submit_developer_config(req)
    assert fake.form(only(fake, f"{PAY}/developconfig/submit")) == {
        "tp_public_key": "MIIBIjANBgkq",
        "pay_notify_url": "https://tp.example.com/pay/notify",
        "refund_audit_url": "https://tp.example.com/refund/audit",
        "refund_succ_url": "https://tp.example.com/refund/done",
    }


async def test_create_payment_service_sends_decimals_as_plain_strings(
    fake: FakeBaidu, api: OpenApi
) -> None:
    fake.always(f"{PAY}/paymentservice/create", doc.SUCCESS)
    await api.app("tok").create_payment_service(SERVICE)
    form = fake.form(only(fake, f"{PAY}/paymentservice/create"))
    assert form == {
        "app_name": "测试",
        "service_phone": "13514310000",
        "bank_account": "北京百度网讯科技有限公司",
        "bank_card": "6217000010001234",
        "bank_name": "招商银行",
        "bank_branch": "招商银行股份有限公司北京双榆树支行",
        "open_province": "北京市",
        "open_city": "海淀区",
        "payment_days": "1",
        "commission_rate": "6",
        "pool_cash_pledge": "1000",
        "day_max_frozen_amount": "10000",
    }


async def test_fractional_yuan_stays_exact(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/paymentservice/update", doc.SUCCESS)
    req = PaymentServiceUpdateRequest(
        app_name="测试", service_phone="13514310000", pool_cash_pledge=Decimal("0.10")
    )
    await api.app("tok").update_payment_service(req)
    assert fake.form(only(fake, f"{PAY}/paymentservice/update")) == {
        "app_name": "测试",
        "service_phone": "13514310000",
        "pool_cash_pledge": "0.1",
    }


def test_update_request_takes_only_its_three_fields() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        PaymentServiceUpdateRequest(
            app_name="a", service_phone="1", pool_cash_pledge=Decimal(1), bank_card="1"
        )


async def test_payment_service_audit_status_fail_reason_is_text(
    fake: FakeBaidu, api: OpenApi
) -> None:
    fake.queue(
        f"{PAY}/paymentservice/auditstatus",
        doc.SERVICE_AUDIT,
        ok({"status": 3, "fail_reason": 1201}),
    )
    app = api.app("tok")
    first = await app.get_payment_service_audit_status()
    assert (first.status, first.fail_reason) == (2, "审核通过")
    second = await app.get_payment_service_audit_status()
    assert (second.status, second.fail_reason) == (3, "1201")


async def test_update_bind_service(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/paymentservice/updatebindservice", doc.SUCCESS)
    await api.app("tok").update_bind_service(SERVICE.model_copy(update={"payment_days": 7}))
    form = fake.form(only(fake, f"{PAY}/paymentservice/updatebindservice"))
    assert form["payment_days"] == "7"
    assert form["bank_card"] == "6217000010001234"


async def test_get_bind_service(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/paymentservice/getbindservice", doc.BIND_SERVICE)
    bound = await api.app("tok").get_bind_service()
    assert bound.pm_app_id == 10896
    assert bound.pm_app_key is not None and bound.pm_app_key.get_secret_value() == "XXX"
    assert bound.platform_public_key == "XXX"
    assert bound.deal_id == "1292243105"
    assert bound.bank_card is not None and bound.bank_card.get_secret_value() == "110902160610510"
    assert "110902160610510" not in repr(bound)
    assert (bound.open_province, bound.open_city) == ("北京市", "海淀区")
    assert (bound.payment_days, bound.commission_rate) == (1, 6)
    assert bound.pool_cash_pledge == Decimal("1")
    assert bound.day_max_frozen_amount == Decimal("10000")
    assert (bound.open_status, bound.fail_reason) == (2, "")


async def test_order_list_amounts_in_fen_times_in_beijing(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/paymentservice/orderlist", doc.ORDER_LIST)
    page = await api.app("tok").order_list(
        start_time=1559232000, end_time=1559318400, current_page=1, page_size=10
    )
    params = only(fake, f"{PAY}/paymentservice/orderlist").url.params
    assert dict(params) == {
        "status": "all",
        "start_time": "1559232000",
        "end_time": "1559318400",
        "current_page": "1",
        "page_size": "10",
        "access_token": "tok",
    }
    assert page.total_money is None  # "-"
    assert (page.total_count, page.total_page) == (101, 1)
    first, second = page.data
    assert first.total_money == Decimal("20") and first.pay_money == Decimal("20")
    assert first.segment_refunded_money is None and first.channel is None
    assert first.create_time == datetime(2019, 5, 30, 21, 37, 53, tzinfo=SHANGHAI)
    assert (
        first.create_time is not None and first.create_time.utcoffset().total_seconds() == 8 * 3600
    )
    assert second.tp_order_id == "ZD1559221562189606834"
    assert second.model_dump(mode="json")["update_time"] == "2019-05-30 21:06:12"
    assert second.model_dump(mode="json")["total_money"] == "1"


async def test_finance_balance_in_yuan(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/paymentservice/financebalance", doc.FINANCE_BALANCE)
    page = await api.app("tok").finance_balance(
        start_date=date(2019, 5, 1), end_date=date(2019, 6, 30), current_page=1, page_size=10
    )
    params = only(fake, f"{PAY}/paymentservice/financebalance").url.params
    assert (params["start_time"], params["end_time"]) == ("2019-05-01", "2019-06-30")
    assert page.income == Decimal("0.32") and page.others == Decimal("-0.02")
    assert page.free_balance == Decimal("1.00") and page.period == 1
    assert page.payment_due == datetime(2019, 6, 13, tzinfo=SHANGHAI)
    assert [d.income for d in page.data] == [
        Decimal(x) for x in ("0.02", "0.01", "0.01", "0.01", "0.18", "0.09")
    ]
    assert page.data[0].operate_time == date(2019, 6, 11)
    assert sum(d.others or 0 for d in page.data) == Decimal("-0.02")


async def test_income_detail_one_day(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/paymentservice/financebalance/incomedetail", doc.INCOME_DETAIL)
    page = await api.app("tok").income_detail(day=date(2019, 3, 21), page_size=10)
    params = only(fake, f"{PAY}/paymentservice/financebalance/incomedetail").url.params
    # One day: the SDKs send start_time only, the public doc lists end_time; both readings
    # are satisfied by the same day in both.
    assert params["start_time"] == "2019-03-21" and params["end_time"] == "2019-03-21"
    assert (page.income, page.quantity, page.refund_amount) == (Decimal("0.05"), 5, Decimal("0.00"))
    assert page.data[0].order_id == "26986351846447"
    assert page.data[0].operate_time == datetime(2019, 3, 21, 19, 7, 41, tzinfo=SHANGHAI)
    assert sum(i.money or 0 for i in page.data) == page.income_amount


async def test_other_detail(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/paymentservice/financebalance/otherdetail", doc.OTHER_DETAIL)
    page = await api.app("tok").other_detail(
        start_date=date(2019, 5, 3), end_date=date(2019, 6, 28)
    )
    assert (page.total_amount, page.order_amount) == (Decimal("-0.04"), Decimal("0.69"))
    assert page.rule_type is not None and "分佣模式" in page.rule_type
    assert page.settlement_end_time == datetime(2019, 6, 28, tzinfo=SHANGHAI)
    assert [i.ref_money for i in page.data] == [Decimal("0.00"), Decimal("0.03")]


async def test_finance_expense_and_pay_detail(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/paymentservice/financeexpense", doc.FINANCE_EXPENSE)
    fake.always(f"{PAY}/paymentservice/financeexpense/paydetail", doc.PAY_DETAIL)
    app = api.app("tok")
    page = await app.finance_expense(start_date=date(2019, 5, 1), end_date=date(2019, 6, 30))
    assert (page.expense_count, page.expense_money, page.total_count) == (5, Decimal("-0.10"), 5)
    assert sum(e.money or 0 for e in page.data) == page.expense_money
    assert page.data[0].task_id == 12688777319
    detail = await app.pay_detail(page.data[0].task_id or 0)
    assert (
        only(fake, f"{PAY}/paymentservice/financeexpense/paydetail").url.params["task_id"]
        == "12688777319"
    )
    (payout,) = detail.data
    assert payout.paid_money == Decimal("0.05")
    assert (
        payout.paid_account is not None and payout.paid_account.get_secret_value() == "621****4964"
    )
    assert (payout.receive_user, payout.payment_status) == ("*若阳", "成功")


async def test_tp_token(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always("/public/2.0/smartapp/auth/tp/token", doc.TP_TOKEN)
    token = await api.tp_token("tp-client-id", "ticket-xyz")
    assert token.access_token.get_secret_value() == "tp-token-1"
    assert token.expires_in == 2592000
    params = only(fake, "/public/2.0/smartapp/auth/tp/token").url.params
    assert dict(params) == {"client_id": "tp-client-id", "ticket": "ticket-xyz"}


async def test_exchange_and_refresh_flat_oauth_answers(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always("/rest/2.0/oauth/token", doc.OAUTH_TOKEN)
    exchanged = await api.exchange_authorization_code("tp-tok", "auth-code-1")
    refreshed = await api.refresh_app_token("tp-tok", "refresh-1")
    for answer in (exchanged, refreshed):
        assert answer.access_token.get_secret_value() == "app-token-2"
        assert answer.refresh_token is not None
        assert answer.refresh_token.get_secret_value() == "refresh-2"
        assert answer.expires_in == 3600
    first, second = fake.calls("/rest/2.0/oauth/token")
    assert dict(first.url.params) == {
        "access_token": "tp-tok",
        "code": "auth-code-1",
        "grant_type": "app_to_tp_authorization_code",
    }
    assert dict(second.url.params) == {
        "access_token": "tp-tok",
        "refresh_token": "refresh-1",
        "grant_type": "app_to_tp_refresh_token",
    }


async def test_retrieve_authorization_code(fake: FakeBaidu, api: OpenApi) -> None:
    path = "/rest/2.0/smartapp/auth/retrieve/authorizationcode"
    fake.queue(path, ok("new-code-1"), ok({"authorization_code": "new-code-2"}))
    assert await api.retrieve_authorization_code("tp-tok", 16000123) == "new-code-1"
    assert await api.retrieve_authorization_code("tp-tok", "16000123") == "new-code-2"
    first = fake.calls(path)[0]
    assert first.method == "POST"
    assert first.url.params["access_token"] == "tp-tok"
    assert fake.form(first) == {"app_id": "16000123"}


async def test_base_url_is_configurable(fake: FakeBaidu) -> None:
    fake.always(f"{PAY}/account/auditstatus", doc.ACCOUNT_AUDIT)
    async with OpenApi("http://127.0.0.1:9/", transport=fake.transport()) as api:
        await api.app("tok").get_account_audit_status()
    assert str(fake.requests[0].url).startswith("http://127.0.0.1:9/rest/2.0/smartapp/pay/")
