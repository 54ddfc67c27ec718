"""The documented endpoints, their examples and the error table, in process (ASGITransport)."""

from __future__ import annotations

import pytest

from tests.sandbox.helpers import (
    DEVELOPER,
    PNG,
    SERVICE,
    TP_TOKEN,
    Clock,
    account_form,
    call,
    client,
    onboard,
    upload,
)


async def test_dict_has_all_provinces_banks_rates_and_days() -> None:
    async with client() as http:
        data = await call(http, "GET", "paymentservice/dict", 1)
    # The doc's sample: the bare object, no errno/msg/data envelope, its mixed key styles.
    assert list(data) == ["province_list", "bank_list", "commissionRate", "paymentDays"]
    provinces = {
        p["provinceName"]: [c["cityName"] for c in p["cities"]] for p in data["province_list"]
    }
    assert len(provinces) == 34
    assert "海淀区" in provinces["北京市"]
    assert {"广州市", "深圳市"} <= set(provinces["广东省"])
    assert {"香港特别行政区", "澳门特别行政区", "台湾省"} <= set(provinces)
    banks = {
        b["bankName"]: group["character"] for group in data["bank_list"] for b in group["banks"]
    }
    for name in (
        "工商银行",
        "农业银行",
        "中国银行",
        "建设银行",
        "交通银行",
        "招商银行",
        "邮政储蓄银行",
        "北京银行",
    ):
        assert name in banks
    assert banks["招商银行"] == "Z" and banks["北京银行"] == "B"
    assert data["commissionRate"] == {"6": "千分之六", "10": "百分之一"}
    assert data["paymentDays"] == {"1": "T+1", "7": "T+7", "14": "T+14", "28": "T+28"}


@pytest.mark.parametrize("token", ["", "not-a-token", "sandbox-abc"])
async def test_unknown_token_gets_the_gateway_shape(token: str) -> None:
    async with client() as http:
        response = await http.get(
            "/rest/2.0/smartapp/pay/account/auditstatus", params={"access_token": token}
        )
    assert response.json() == {
        "error_code": 110,
        "error_msg": "Access token invalid or no longer valid",
    }


async def test_configured_token_and_auto_tokens_switch() -> None:
    async with client(tokens={"tok-A": 77}, auto_tokens=False) as http:
        ok = await http.get(
            "/rest/2.0/smartapp/pay/account/auditstatus", params={"access_token": "tok-A"}
        )
        auto = await http.get(
            "/rest/2.0/smartapp/pay/account/auditstatus", params={"access_token": "sandbox-77"}
        )
    assert ok.json() == {
        "errno": 0,
        "msg": "success",
        "data": {"status": None, "verify_message": None},
    }
    assert auto.json()["error_code"] == 110


async def test_expired_token_gets_111() -> None:
    async with client() as http:
        await http.post("/_sandbox/tokens/expire", json={"token": "sandbox-5"})
        body = await call(http, "GET", "account/auditstatus", 5)
        other = await call(http, "GET", "account/auditstatus", 6)
    assert body["error_code"] == 111
    assert other["errno"] == 0


async def test_empty_post_body_is_60020() -> None:
    async with client() as http:
        for path in (
            "account/create",
            "developconfig/submit",
            "paymentservice/create",
            "paymentservice/update",
        ):
            assert (await call(http, "POST", path, 1))["errno"] == 60020


async def test_upload_accepts_images_only_and_its_urls_only() -> None:
    async with client(audit_delay=0) as http:
        bad = await http.post(
            "/file/2.0/smartapp/upload/image",
            params={"access_token": TP_TOKEN},
            files={"multipartFile": ("a.gif", b"GIF89a....", "image/gif")},
        )
        big = await http.post(
            "/file/2.0/smartapp/upload/image",
            params={"access_token": TP_TOKEN},
            files={"multipartFile": ("a.png", PNG + b"0" * (2 * 1024 * 1024), "image/png")},
            data={"type": "1"},
        )
        url = await upload(http)
        form = await account_form(http, 1, id_card_back_url="https://example.com/elsewhere.png")
        foreign = await call(http, "POST", "account/create", 1, form)
    assert bad.json()["errno"] == 47000
    assert big.json()["errno"] == 47003
    assert url.startswith("https://") and url.endswith(".png")
    assert foreign["errno"] == 60011


@pytest.mark.parametrize(
    ("change", "errno"),
    [
        ({"legal_person": "张"}, 0),  # 1 汉字 is within "1 - 25 位" (= 2 - 50 characters)
        ({"legal_person": "A"}, 60004),
        ({"legal_person": "张" * 26}, 60004),
        ({"legal_id": "1101051949123100"}, 60005),
        ({"legal_id": "11010519491231002Y"}, 60005),
        ({"business_scope": ""}, 60000),
        ({"business_scope": "软"}, 60000),
    ],
)
async def test_account_field_checks(change: dict[str, str], errno: int) -> None:
    async with client() as http:
        body = await call(http, "POST", "account/create", 1, await account_form(http, 1, **change))
    assert body["errno"] == errno, body


async def test_account_lifecycle_and_its_errors() -> None:
    clock = Clock()
    async with client(
        clock, audit_delay=10, audit_policy="reject", reject_reason="法人信息不符"
    ) as http:
        # Nothing submitted yet: the public doc's sample, nulls in a success envelope.
        assert (await call(http, "GET", "account/auditstatus", 3))["data"] == {
            "status": None,
            "verify_message": None,
        }
        form = await account_form(http, 3)
        assert (await call(http, "POST", "account/create", 3, form)) == {
            "errno": 0,
            "msg": "success",
        }
        assert (await call(http, "GET", "account/auditstatus", 3))["data"]["status"] == 2
        assert (await call(http, "POST", "account/create", 3, form))["errno"] == 60017
        clock.advance(10)
        rejected = (await call(http, "GET", "account/auditstatus", 3))["data"]
        assert rejected == {"status": 3, "verify_message": "法人信息不符"}
        # Resubmission after a rejection is allowed; approved the second time.
        await http.put("/_sandbox/apps/3/policy", json={"policy": "approve"})
        assert (await call(http, "POST", "account/create", 3, form))["errno"] == 0
        clock.advance(10)
        assert (await call(http, "GET", "account/auditstatus", 3))["data"] == {
            "status": 4,
            "verify_message": "审核通过",
        }
        assert (await call(http, "POST", "account/create", 3, form))["errno"] == 60012


async def test_developer_config_needs_an_approved_account_and_is_locked_in_review() -> None:
    async with client(audit_policy="manual") as http:
        assert (await call(http, "POST", "developconfig/submit", 4, DEVELOPER))["errno"] == 60013
        await call(http, "POST", "account/create", 4, await account_form(http, 4))
        # The account step is complete only once approved: in review -> 60016.
        assert (await call(http, "POST", "developconfig/submit", 4, DEVELOPER))["errno"] == 60016
        await http.post("/_sandbox/apps/4/account/approve")
        assert (await call(http, "POST", "developconfig/submit", 4, DEVELOPER))["errno"] == 0
        assert (await call(http, "POST", "developconfig/submit", 4, DEVELOPER))["errno"] == 60018
        bad = {**DEVELOPER, "pay_notify_url": "not a url"}
        assert (await call(http, "POST", "developconfig/submit", 4, bad))["errno"] == 60000
        state = (await http.get("/_sandbox/apps/4")).json()
        assert state["developer_config"]["audit"] == "pending"
        assert state["pending"] == ["developer_config"]


async def test_payment_service_preconditions() -> None:
    async with client(audit_policy="manual") as http:
        assert (await call(http, "POST", "paymentservice/create", 8, SERVICE))["errno"] == 60013
        await call(http, "POST", "account/create", 8, await account_form(http, 8))
        assert (await call(http, "POST", "paymentservice/create", 8, SERVICE))["errno"] == 60016
        await http.post("/_sandbox/apps/8/account/approve")
        assert (await call(http, "POST", "paymentservice/create", 8, SERVICE))["errno"] == 60014
        await call(http, "POST", "developconfig/submit", 8, DEVELOPER)
        # Submitted but in review is not complete yet: still 60014.
        assert (await call(http, "POST", "paymentservice/create", 8, SERVICE))["errno"] == 60014
        await http.post("/_sandbox/apps/8/developer_config/approve")
        assert (await call(http, "GET", "paymentservice/auditstatus", 8)) == {
            "errno": 0,
            "msg": "success",
            "data": {"status": None, "fail_reason": None},
        }
        assert (
            await call(
                http,
                "POST",
                "paymentservice/update",
                8,
                {"app_name": "x", "service_phone": "13500000000", "pool_cash_pledge": "1"},
            )
        )["errno"] == 60008
        assert (await call(http, "POST", "paymentservice/updatebindservice", 8, SERVICE))[
            "errno"
        ] == 60008
        assert (await call(http, "POST", "paymentservice/create", 8, SERVICE))["errno"] == 0
        assert (await call(http, "POST", "paymentservice/create", 8, SERVICE))["errno"] == 60019
        assert (await call(http, "POST", "paymentservice/updatebindservice", 8, SERVICE))[
            "errno"
        ] == 60019
        await http.post("/_sandbox/apps/8/payment_service/approve")
        assert (await call(http, "POST", "paymentservice/create", 8, SERVICE))["errno"] == 60009


@pytest.mark.parametrize(
    "change",
    [
        {"payment_days": "3"},
        {"commission_rate": "10"},
        {"bank_name": "不存在银行"},
        {"open_province": "火星"},
        {"open_city": "广州市"},  # not in 北京市
        {"day_max_frozen_amount": "10001"},
        {"pool_cash_pledge": "1.5"},
        {"bank_card": "abc"},
        {"app_name": ""},
    ],
)
async def test_payment_service_field_checks(change: dict[str, str]) -> None:
    async with client(audit_delay=0) as http:
        await call(http, "POST", "account/create", 9, await account_form(http, 9))
        await call(http, "POST", "developconfig/submit", 9, DEVELOPER)
        await call(http, "GET", "account/auditstatus", 9)
        body = await call(http, "POST", "paymentservice/create", 9, {**SERVICE, **change})
    assert body["errno"] == 60000, body


async def test_getbindservice_matches_the_doc_example_shape() -> None:
    async with client(audit_delay=0) as http:
        await onboard(http, 10)
        body = await call(http, "GET", "paymentservice/getbindservice", 10)
        again = await call(http, "GET", "paymentservice/getbindservice", 10)
        status = await call(http, "GET", "paymentservice/auditstatus", 10)
    data = body["data"]
    assert list(data) == [
        "pm_app_id",
        "app_name",
        "pm_app_key",
        "platform_public_key",
        "deal_id",
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
        "open_status",
        "fail_reason",
    ]
    assert isinstance(data["pm_app_id"], int) and isinstance(data["deal_id"], str)
    assert data["payment_days"] == 1 and data["commission_rate"] == 6
    assert data["pool_cash_pledge"] == 1 and data["day_max_frozen_amount"] == 10000
    assert data["open_status"] == 2 and data["fail_reason"] == ""
    assert again == body  # ids are deterministic
    assert status["data"] == {"status": 2, "fail_reason": "审核通过"}


async def test_update_is_immediate_and_touches_only_its_three_fields() -> None:
    async with client(audit_delay=0) as http:
        await onboard(http, 11)
        change = {
            "app_name": "新名字",
            "service_phone": "01088888888",
            "pool_cash_pledge": "500",
            "bank_card": "999999999999",
        }
        assert (await call(http, "POST", "paymentservice/update", 11, change))["errno"] == 0
        data = (await call(http, "GET", "paymentservice/getbindservice", 11))["data"]
    assert (data["app_name"], data["service_phone"], data["pool_cash_pledge"]) == (
        "新名字",
        "01088888888",
        500,
    )
    assert data["bank_card"] == SERVICE["bank_card"] and data["open_status"] == 2


async def test_updatebindservice_shows_old_values_in_review_and_new_on_approval() -> None:
    async with client(audit_delay=0) as http:
        await onboard(http, 12)
        await http.put("/_sandbox/apps/12/policy", json={"policy": "manual"})
        new = {
            **SERVICE,
            "bank_name": "工商银行",
            "bank_card": "6222020000000000",
            "payment_days": "7",
        }
        assert (await call(http, "POST", "paymentservice/updatebindservice", 12, new))["errno"] == 0
        during = (await call(http, "GET", "paymentservice/getbindservice", 12))["data"]
        assert (during["open_status"], during["bank_name"], during["payment_days"]) == (
            1,
            "招商银行",
            1,
        )
        assert (await call(http, "GET", "paymentservice/auditstatus", 12))["data"]["status"] == 1
        event = (await http.post("/_sandbox/apps/12/payment_service/approve")).json()["event"]
        after = (await call(http, "GET", "paymentservice/getbindservice", 12))["data"]
    assert event["event"] == "APP_PAYMENT_CREATE_PAYMENT_PASS"
    assert (after["open_status"], after["bank_name"], after["payment_days"]) == (2, "工商银行", 7)


async def test_rejected_updatebindservice_shows_the_last_approved_values() -> None:
    """A guess (the doc is silent), the least convenient one: after a rejected update,
    getbindservice shows what is still in force, not what was submitted."""
    async with client(audit_delay=0) as http:
        await onboard(http, 13)
        await http.put("/_sandbox/apps/13/policy", json={"policy": "manual"})
        new = {**SERVICE, "bank_branch": "招商银行北京上地支行"}
        await call(http, "POST", "paymentservice/updatebindservice", 13, new)
        rejected = (
            await http.post(
                "/_sandbox/apps/13/payment_service/reject", json={"reason": "支行信息有误"}
            )
        ).json()
        data = (await call(http, "GET", "paymentservice/getbindservice", 13))["data"]
        status = (await call(http, "GET", "paymentservice/auditstatus", 13))["data"]
        # A rejected service can be resubmitted.
        resubmit = await call(http, "POST", "paymentservice/updatebindservice", 13, new)
    assert rejected["event"]["event"] == "APP_PAYMENT_CREATE_PAYMENT_FAIL"
    assert rejected["event"]["reason"] == "支行信息有误"
    assert (data["open_status"], data["fail_reason"], data["bank_branch"]) == (
        3,
        "支行信息有误",
        SERVICE["bank_branch"],
    )
    assert status == {"status": 3, "fail_reason": "支行信息有误"}
    assert resubmit["errno"] == 0


async def test_values_containing_the_reject_word_are_rejected_with_a_reason() -> None:
    async with client(audit_delay=0) as http:
        form = await account_form(http, 14, business_detail_address="拒绝路1号")
        await call(http, "POST", "account/create", 14, form)
        data = (await call(http, "GET", "account/auditstatus", 14))["data"]
    assert data["status"] == 3
    assert "business_detail_address" in data["verify_message"] and "拒绝" in data["verify_message"]


async def test_admin_decisions_need_a_pending_audit() -> None:
    async with client(audit_policy="manual") as http:
        nothing = await http.post("/_sandbox/apps/15/account/approve")
        wrong = await http.post("/_sandbox/apps/15/accounts/approve")
    assert nothing.status_code == 409
    assert wrong.status_code == 400


async def test_call_log_lists_what_was_called_without_tokens() -> None:
    async with client(audit_delay=0) as http:
        await call(http, "GET", "account/auditstatus", 16)
        await call(http, "GET", "paymentservice/dict", 17)
        calls = (await http.get("/_sandbox/calls", params={"app_id": 16})).json()["calls"]
    assert [(c["method"], c["path"], c["app_id"]) for c in calls] == [
        ("GET", "/rest/2.0/smartapp/pay/account/auditstatus", 16)
    ]
    assert "sandbox-16" not in str(calls)


async def test_an_audit_left_to_the_admin_is_decided_once_its_policy_changes() -> None:
    clock = Clock()
    async with client(clock, audit_delay=5, audit_policy="manual") as http:
        form = await account_form(http, 14)
        assert (await call(http, "POST", "account/create", 14, form))["errno"] == 0
        clock.advance(60)
        for _ in range(3):  # due, but manual: stays in review however often it is asked
            assert (await call(http, "GET", "account/auditstatus", 14))["data"]["status"] == 2
        await http.put("/_sandbox/apps/14/policy", json={"policy": "approve", "section": "account"})
        assert (await call(http, "GET", "account/auditstatus", 14))["data"] == {
            "status": 4,
            "verify_message": "审核通过",
        }


async def test_a_rejected_first_create_shows_the_rejected_submission() -> None:
    async with client(audit_delay=0) as http:
        policy = {"policy": "reject", "section": "payment_service", "reason": "资料不全"}
        await http.put("/_sandbox/apps/17/policy", json=policy)
        await call(http, "POST", "account/create", 17, await account_form(http, 17))
        await call(http, "GET", "account/auditstatus", 17)
        await call(http, "POST", "developconfig/submit", 17, DEVELOPER)
        new = {**SERVICE, "bank_branch": "招商银行北京上地支行"}
        assert (await call(http, "POST", "paymentservice/create", 17, new))["errno"] == 0
        data = (await call(http, "GET", "paymentservice/getbindservice", 17))["data"]
    # No approved version exists: what was submitted, with the rejection.
    assert (data["open_status"], data["fail_reason"], data["bank_branch"]) == (
        3,
        "资料不全",
        "招商银行北京上地支行",
    )
