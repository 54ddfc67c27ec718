"""One table, one row per rule of the strict sandbox (issue 13): what the doc refuses is
refused with the doc's errno (or answered in the doc's shape), and the accepted counterpart
right beside it. In process over the ASGI app, every audit decided by hand (policy manual).

docs/sandbox.md gives each rule's source; rows are named `<rule>/<situation>`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from smartpay_apply.sandbox.rules import RULES
from tests.sandbox.helpers import (
    DEVELOPER,
    PAY,
    PNG,
    SERVICE,
    TP_TOKEN,
    UPLOAD,
    Clock,
    account_form,
    admin,
    call,
    client,
    given_account,
    given_config,
    given_onboarded,
    given_service,
    upload,
    upload_answer,
)

APP = 7001
UPDATE = {"app_name": "新名字", "service_phone": "01088888888", "pool_cash_pledge": "500"}


def errno(number: int) -> Callable[[Any], bool]:
    return lambda body: isinstance(body, dict) and body.get("errno") == number


def gateway(code: int) -> Callable[[Any], bool]:
    return lambda body: (
        isinstance(body, dict) and body.get("error_code") == code and ("errno" not in body)
    )


def equals(expected: Any) -> Callable[[Any], bool]:
    return lambda body: body == expected


ACCEPTED = errno(0)
Scenario = Callable[[httpx.AsyncClient], Awaitable[Any]]


@dataclass(frozen=True)
class Row:
    """`scenario` arranges the world and returns the answer to its last request, which
    `expect` checks. A row is the accepted counterpart when it expects success (ACCEPTED) or
    says so (`counterpart`); `settings` are sandbox settings of this row only."""

    rule: str
    situation: str
    scenario: Scenario
    expect: Callable[[Any], bool]
    counterpart: bool = False
    settings: tuple[tuple[str, Any], ...] = ()

    @property
    def id(self) -> str:
        return f"{self.rule}/{self.situation}"

    @property
    def accepted(self) -> bool:
        return self.expect is ACCEPTED or self.counterpart


# ------------------------------------------------------------------------ 1, 14: fresh nulls


async def fresh_account_status(http: httpx.AsyncClient) -> Any:
    return await call(http, "GET", "account/auditstatus", APP)


async def fresh_service_status(http: httpx.AsyncClient) -> Any:
    return await call(http, "GET", "paymentservice/auditstatus", APP)


async def created_account_status(http: httpx.AsyncClient) -> Any:
    await given_account(http, APP, "pending")
    return await call(http, "GET", "account/auditstatus", APP)


def status_of(status: int) -> Scenario:
    """The admin puts the account at a documented status; auditstatus answers that int."""

    async def scenario(http: httpx.AsyncClient) -> Any:
        await admin(http, "PUT", f"apps/{APP}/account/status", {"status": status})
        return await call(http, "GET", "account/auditstatus", APP)

    return scenario


# ---------------------------------------------------------------- 2: getbindservice shapes


async def no_service_with_account(http: httpx.AsyncClient) -> Any:
    await given_account(http, APP)
    return await call(http, "GET", "paymentservice/getbindservice", APP)


async def bound_service(http: httpx.AsyncClient) -> Any:
    await given_onboarded(http, APP)
    return await call(http, "GET", "paymentservice/getbindservice", APP)


def has_service(body: Any) -> bool:
    return errno(0)(body) and isinstance(body["data"].get("pm_app_id"), int)


# ------------------------------------------------------- 3: developer config needs account


def config_with_account(outcome: str | None) -> Scenario:
    async def scenario(http: httpx.AsyncClient) -> Any:
        if outcome is not None:
            await given_account(http, APP, outcome)
        return await call(http, "POST", "developconfig/submit", APP, DEVELOPER)

    return scenario


def config_at_status(status: int) -> Scenario:
    async def scenario(http: httpx.AsyncClient) -> Any:
        await admin(http, "PUT", f"apps/{APP}/account/status", {"status": status})
        return await call(http, "POST", "developconfig/submit", APP, DEVELOPER)

    return scenario


# --------------------------------------------------------- 4: service needs an approved config


def create_with(account: str | None, *configs: str) -> Scenario:
    """account outcome (None: no account), then developer-config submissions' outcomes."""

    async def scenario(http: httpx.AsyncClient) -> Any:
        if account is not None:
            await given_account(http, APP, account)
        for outcome in configs:
            await given_config(http, APP, outcome)
        return await call(http, "POST", "paymentservice/create", APP, SERVICE)

    return scenario


# ------------------------------------------------------------------ 5: no update in review


def update_while(outcome: str) -> Scenario:
    async def scenario(http: httpx.AsyncClient) -> Any:
        await given_account(http, APP)
        await given_config(http, APP)
        await given_service(http, APP, outcome)
        return await call(http, "POST", "paymentservice/update", APP, UPDATE)

    return scenario


async def update_during_updatebindservice_review(http: httpx.AsyncClient) -> Any:
    await given_onboarded(http, APP)
    new = {**SERVICE, "bank_name": "工商银行"}
    assert (await call(http, "POST", "paymentservice/updatebindservice", APP, new))["errno"] == 0
    return await call(http, "POST", "paymentservice/update", APP, UPDATE)


# ------------------------------------------------------------------ 6: upload with TP token


def upload_with(token: str) -> Scenario:
    async def scenario(http: httpx.AsyncClient) -> Any:
        return await upload_answer(http, PNG, token)

    return scenario


async def upload_with_issued_tp_token(http: httpx.AsyncClient) -> Any:
    token = (await admin(http, "POST", "tp/token"))["access_token"]
    return await upload_answer(http, PNG, token)


def create_account_with_upload_of(tp_token: str) -> Scenario:
    async def scenario(http: httpx.AsyncClient) -> Any:
        url = await upload(http, PNG + b"front", tp_token)
        form = await account_form(http, APP, id_card_front_url=url)
        return await call(http, "POST", "account/create", APP, form)

    return scenario


# ----------------------------------------------------------------------- 7: whole yuan


def create_with_amounts(**amounts: str) -> Scenario:
    async def scenario(http: httpx.AsyncClient) -> Any:
        await given_account(http, APP)
        await given_config(http, APP)
        return await call(http, "POST", "paymentservice/create", APP, {**SERVICE, **amounts})

    return scenario


def updatebind_with_amounts(**amounts: str) -> Scenario:
    async def scenario(http: httpx.AsyncClient) -> Any:
        await given_onboarded(http, APP)
        body = {**SERVICE, **amounts}
        return await call(http, "POST", "paymentservice/updatebindservice", APP, body)

    return scenario


def update_with_pledge(pledge: str) -> Scenario:
    async def scenario(http: httpx.AsyncClient) -> Any:
        await given_onboarded(http, APP)
        body = {**UPDATE, "pool_cash_pledge": pledge}
        return await call(http, "POST", "paymentservice/update", APP, body)

    return scenario


# -------------------------------------------------------------------------- 8: dates


def account_with(**fields: str) -> Scenario:
    async def scenario(http: httpx.AsyncClient) -> Any:
        form = await account_form(http, APP, **fields)
        return await call(http, "POST", "account/create", APP, form)

    return scenario


# --------------------------------------------------------------------- 9: form body only


async def account_fields_in_query(http: httpx.AsyncClient) -> Any:
    form = await account_form(http, APP)
    response = await http.post(
        f"{PAY}/account/create",
        params={"access_token": f"sandbox-{APP}", **form},
        data={"unrelated": "x"},  # a body, so not 60020
    )
    return response.json()


async def one_account_field_in_query(http: httpx.AsyncClient) -> Any:
    form = await account_form(http, APP)
    legal_id = form.pop("legal_id")
    response = await http.post(
        f"{PAY}/account/create",
        params={"access_token": f"sandbox-{APP}", "legal_id": legal_id},
        data=form,
    )
    return response.json()


async def account_fields_as_json(http: httpx.AsyncClient) -> Any:
    form = await account_form(http, APP)
    response = await http.post(
        f"{PAY}/account/create", params={"access_token": f"sandbox-{APP}"}, json=form
    )
    return response.json()


async def account_fields_as_multipart(http: httpx.AsyncClient) -> Any:
    form = await account_form(http, APP)
    response = await http.post(
        f"{PAY}/account/create",
        params={"access_token": f"sandbox-{APP}"},
        data=form,
        files={"unused": ("x.txt", b"x", "text/plain")},
    )
    return response.json()


async def account_fields_in_form(http: httpx.AsyncClient) -> Any:
    return await account_with()(http)


async def upload_type_in_query_only(http: httpx.AsyncClient) -> Any:
    """`type` 1 (avatar, <= 2 MB) given in the query only is not read: the default 2 applies,
    so a 3 MB image passes (it would be 47003 as a type 1)."""
    response = await http.post(
        UPLOAD,
        params={"access_token": TP_TOKEN, "type": "1"},
        files={"multipartFile": ("a.png", PNG + b"0" * (3 * 1024 * 1024), "image/png")},
    )
    return response.json()


async def upload_type_in_form(http: httpx.AsyncClient) -> Any:
    response = await http.post(
        UPLOAD,
        params={"access_token": TP_TOKEN},
        data={"type": "1"},
        files={"multipartFile": ("a.png", PNG + b"0" * (3 * 1024 * 1024), "image/png")},
    )
    return response.json()


# ------------------------------------------------------------------- 10: documented shapes


async def get_dict(http: httpx.AsyncClient) -> Any:
    return await call(http, "GET", "paymentservice/dict", APP)


def is_bare_dict(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and list(body) == ["province_list", "bank_list", "commissionRate", "paymentDays"]
        and {"provinceId", "provinceName", "cities"} <= set(body["province_list"][0])
        and {"cityId", "cityName"} <= set(body["province_list"][0]["cities"][0])
        and {"character", "banks"} <= set(body["bank_list"][0])
        and {"bankId", "bankName", "logoUrl"} <= set(body["bank_list"][0]["banks"][0])
    )


DATA = {"orders_per_day": 5, "data_days": 3, "data_end": "2024-03-31"}


def finance(path: str, **params: str) -> Scenario:
    async def scenario(http: httpx.AsyncClient) -> Any:
        await given_onboarded(http, APP)
        return await call(
            http, "GET", f"paymentservice/{path}", APP, current_page="1", page_size="10", **params
        )

    return scenario


def without_paging_fields(body: Any) -> bool:
    return errno(0)(body) and not (
        {"current_page", "page_size", "total_count", "total_page"} & set(body["data"])
    )


# ----------------------------------------------------------- 12: what getbindservice shows


async def view_after_rejected_update(http: httpx.AsyncClient) -> Any:
    await given_onboarded(http, APP)
    new = {**SERVICE, "bank_branch": "招商银行北京上地支行"}
    assert (await call(http, "POST", "paymentservice/updatebindservice", APP, new))["errno"] == 0
    await admin(http, "POST", f"apps/{APP}/payment_service/reject", {"reason": "支行信息有误"})
    return await call(http, "GET", "paymentservice/getbindservice", APP)


def shows(open_status: int, branch: str, reason: str) -> Callable[[Any], bool]:
    def check(body: Any) -> bool:
        data = body.get("data") or {}
        return errno(0)(body) and (
            data.get("open_status"),
            data.get("bank_branch"),
            data.get("fail_reason"),
        ) == (open_status, branch, reason)

    return check


async def view_during_update_review(http: httpx.AsyncClient) -> Any:
    await given_onboarded(http, APP)
    new = {**SERVICE, "bank_branch": "招商银行北京上地支行"}
    await call(http, "POST", "paymentservice/updatebindservice", APP, new)
    return await call(http, "GET", "paymentservice/getbindservice", APP)


async def view_after_approved_update(http: httpx.AsyncClient) -> Any:
    await given_onboarded(http, APP)
    new = {**SERVICE, "bank_branch": "招商银行北京上地支行"}
    await call(http, "POST", "paymentservice/updatebindservice", APP, new)
    await admin(http, "POST", f"apps/{APP}/payment_service/approve")
    return await call(http, "GET", "paymentservice/getbindservice", APP)


# -------------------------------------------------------------- 13: config change re-review


async def service_after_config_change(http: httpx.AsyncClient) -> Any:
    await given_onboarded(http, APP)
    changed = {**DEVELOPER, "pay_notify_url": "https://tp.example.com/pay/notify-v2"}
    assert (await call(http, "POST", "developconfig/submit", APP, changed))["errno"] == 0
    return await call(http, "GET", "paymentservice/getbindservice", APP)


async def service_after_config_change_decided(http: httpx.AsyncClient) -> Any:
    await service_after_config_change(http)
    state = await admin(http, "GET", f"apps/{APP}")
    assert state["pending"] == ["developer_config", "payment_service"]
    await admin(http, "POST", f"apps/{APP}/payment_service/approve")
    return await call(http, "GET", "paymentservice/getbindservice", APP)


async def update_after_config_change(http: httpx.AsyncClient) -> Any:
    await service_after_config_change(http)
    return await call(http, "POST", "paymentservice/update", APP, UPDATE)


async def config_change_before_service_approval(http: httpx.AsyncClient) -> Any:
    await given_account(http, APP)
    await given_config(http, APP)
    await given_service(http, APP, "rejected")
    assert (await call(http, "POST", "developconfig/submit", APP, DEVELOPER))["errno"] == 0
    return await call(http, "GET", "paymentservice/auditstatus", APP)


BRANCH = SERVICE["bank_branch"]
NEW_BRANCH = "招商银行北京上地支行"

TABLE: tuple[Row, ...] = (
    # 1 + 14: nulls before anything exists, ints once the account does
    Row(
        "fresh_nulls",
        "account-never-created",
        fresh_account_status,
        equals({"errno": 0, "msg": "success", "data": {"status": None, "verify_message": None}}),
    ),
    Row(
        "fresh_nulls",
        "service-never-created",
        fresh_service_status,
        equals({"errno": 0, "msg": "success", "data": {"status": None, "fail_reason": None}}),
    ),
    Row(
        "fresh_nulls",
        "created-answers-int",
        created_account_status,
        equals({"errno": 0, "msg": "success", "data": {"status": 2, "verify_message": ""}}),
        counterpart=True,
    ),
    *(
        Row(
            "account_statuses",
            f"status-{n}",
            status_of(n),
            lambda body, n=n: body["data"]["status"] == n,
        )
        for n in range(6)
    ),
    # 2: getbindservice without a service (every shape: test_pinned_no_service_shapes)
    Row(
        "no_service_shapes",
        "no-service-60002",
        no_service_with_account,
        errno(60002),
        settings=(("no_service_shape", "60002"),),
    ),
    Row(
        "no_service_shapes",
        "no-service-success-null",
        no_service_with_account,
        equals({"errno": 0, "msg": "success", "data": None}),
        settings=(("no_service_shape", "null"),),
    ),
    Row("no_service_shapes", "service-exists", bound_service, has_service, counterpart=True),
    # 3: developer config before the account is approved
    Row(
        "config_needs_approved_account", "no-account-60013", config_with_account(None), errno(60013)
    ),
    Row(
        "config_needs_approved_account",
        "in-review-60016",
        config_with_account("pending"),
        errno(60016),
    ),
    Row(
        "config_needs_approved_account",
        "rejected-60016",
        config_with_account("rejected"),
        errno(60016),
    ),
    Row("config_needs_approved_account", "status-1-60016", config_at_status(1), errno(60016)),
    Row("config_needs_approved_account", "approved", config_with_account("approved"), ACCEPTED),
    Row("config_needs_approved_account", "status-5", config_at_status(5), ACCEPTED),
    # 4: service before the developer config is approved
    Row("service_needs_approved_config", "no-account-60013", create_with(None), errno(60013)),
    Row(
        "service_needs_approved_config",
        "account-in-review-60016",
        create_with("pending"),
        errno(60016),
    ),
    Row(
        "service_needs_approved_config",
        "account-rejected-60016",
        create_with("rejected"),
        errno(60016),
    ),
    Row(
        "service_needs_approved_config",
        "never-submitted-60014",
        create_with("approved"),
        errno(60014),
    ),
    Row(
        "service_needs_approved_config",
        "in-review-60014",
        create_with("approved", "pending"),
        errno(60014),
    ),
    Row(
        "service_needs_approved_config",
        "rejected-60014",
        create_with("approved", "rejected"),
        errno(60014),
    ),
    Row(
        "service_needs_approved_config",
        "approved",
        create_with("approved", "approved"),
        ACCEPTED,
    ),
    Row(
        "service_needs_approved_config",
        "approved-once-then-in-review",
        create_with("approved", "approved", "pending"),
        ACCEPTED,
    ),
    # 5: paymentservice/update during a review
    Row("no_update_in_review", "create-in-review-60019", update_while("pending"), errno(60019)),
    Row(
        "no_update_in_review",
        "update-in-review-60019",
        update_during_updatebindservice_review,
        errno(60019),
    ),
    Row("no_update_in_review", "approved", update_while("approved"), ACCEPTED),
    Row("no_update_in_review", "rejected", update_while("rejected"), ACCEPTED),
    # 6: uploads with the TP's token, URLs for that TP's apps
    Row("upload_tp_token", "mini-program-token-110", upload_with(f"sandbox-{APP}"), gateway(110)),
    Row("upload_tp_token", "no-token-110", upload_with(""), gateway(110)),
    Row("upload_tp_token", "sandbox-tp", upload_with(TP_TOKEN), ACCEPTED),
    Row("upload_tp_token", "issued-tp-token", upload_with_issued_tp_token, ACCEPTED),
    Row(
        "upload_tp_token",
        "other-tps-url-60011",
        create_account_with_upload_of("sandbox-tp-424242"),
        errno(60011),
    ),
    Row(
        "upload_tp_token",
        "own-tps-url",
        create_account_with_upload_of(TP_TOKEN),
        ACCEPTED,
    ),
    # 7: whole yuan
    Row(
        "whole_yuan",
        "create-pledge-500.5-60000",
        create_with_amounts(pool_cash_pledge="500.5"),
        errno(60000),
    ),
    Row(
        "whole_yuan",
        "create-pledge-500.00-60000",
        create_with_amounts(pool_cash_pledge="500.00"),
        errno(60000),
    ),
    Row(
        "whole_yuan",
        "create-refund-limit-100.00-60000",
        create_with_amounts(day_max_frozen_amount="100.00"),
        errno(60000),
    ),
    Row(
        "whole_yuan",
        "updatebindservice-500.00-60000",
        updatebind_with_amounts(pool_cash_pledge="500.00"),
        errno(60000),
    ),
    Row("whole_yuan", "update-500.00-60000", update_with_pledge("500.00"), errno(60000)),
    Row(
        "whole_yuan",
        "create-integers",
        create_with_amounts(pool_cash_pledge="500", day_max_frozen_amount="100"),
        ACCEPTED,
    ),
    Row(
        "whole_yuan",
        "updatebindservice-integers",
        updatebind_with_amounts(pool_cash_pledge="0"),
        ACCEPTED,
    ),
    Row("whole_yuan", "update-integer", update_with_pledge("500"), ACCEPTED),
    # 8: dates
    Row("date_fields", "long-lived-60000", account_with(legal_card_end_time="长期"), errno(60000)),
    Row(
        "date_fields",
        "licence-long-lived-60000",
        account_with(license_end_time="长期有效"),
        errno(60000),
    ),
    Row(
        "date_fields", "slashes-60000", account_with(license_start_time="2020/01/01"), errno(60000)
    ),
    Row(
        "date_fields",
        "no-such-day-60000",
        account_with(legal_card_start_time="2020-02-30"),
        errno(60000),
    ),
    Row("date_fields", "compact-60000", account_with(license_end_time="20301231"), errno(60000)),
    Row(
        "date_fields",
        "iso-dates",
        account_with(
            legal_card_start_time="2020-01-01",
            legal_card_end_time="9999-12-31",
            license_start_time="2015-06-01",
            license_end_time="9999-12-31",
        ),
        ACCEPTED,
    ),
    Row("date_fields", "absent", account_with(), ACCEPTED),
    # 9: POST fields only from the form body
    Row("form_body_only", "fields-in-query-60000", account_fields_in_query, errno(60000)),
    Row("form_body_only", "one-field-in-query-60000", one_account_field_in_query, errno(60000)),
    Row("form_body_only", "json-body-60000", account_fields_as_json, errno(60000)),
    Row("form_body_only", "multipart-body-60000", account_fields_as_multipart, errno(60000)),
    Row("form_body_only", "form-body", account_fields_in_form, ACCEPTED),
    Row("form_body_only", "upload-type-in-query-ignored", upload_type_in_query_only, ACCEPTED),
    Row("form_body_only", "upload-type-in-form-47003", upload_type_in_form, errno(47003)),
    # 10: the documented answer shapes
    Row("documented_shapes", "dict-bare-object", get_dict, is_bare_dict),
    Row(
        "documented_shapes",
        "dict-sample-values",
        get_dict,
        lambda body: (
            body["commissionRate"] == {"6": "千分之六", "10": "百分之一"}
            and body["paymentDays"] == {"1": "T+1", "7": "T+7", "14": "T+14", "28": "T+28"}
        ),
        counterpart=True,
    ),
    Row(
        "documented_shapes",
        "otherdetail-no-paging-fields",
        finance("financebalance/otherdetail", start_time="2024-03-29", end_time="2024-03-31"),
        without_paging_fields,
    ),
    Row(
        "documented_shapes",
        "incomedetail-two-days-60000",
        finance("financebalance/incomedetail", start_time="2024-03-30", end_time="2024-03-31"),
        errno(60000),
    ),
    Row(
        "documented_shapes",
        "incomedetail-bad-end-60000",
        finance("financebalance/incomedetail", start_time="2024-03-30", end_time="长期"),
        errno(60000),
    ),
    Row(
        "documented_shapes",
        "incomedetail-one-day",
        finance("financebalance/incomedetail", start_time="2024-03-30", end_time="2024-03-30"),
        ACCEPTED,
    ),
    Row(
        "documented_shapes",
        "incomedetail-start-only",
        finance("financebalance/incomedetail", start_time="2024-03-30"),
        ACCEPTED,
    ),
    # 12: getbindservice shows the approved values (a guess)
    Row(
        "approved_values_shown",
        "after-rejected-update",
        view_after_rejected_update,
        shows(3, BRANCH, "支行信息有误"),
    ),
    Row(
        "approved_values_shown",
        "during-update-review",
        view_during_update_review,
        shows(1, BRANCH, ""),
    ),
    Row(
        "approved_values_shown",
        "after-approved-update",
        view_after_approved_update,
        shows(2, NEW_BRANCH, ""),
        counterpart=True,
    ),
    # 13: a developer-config change re-reviews an approved service
    Row(
        "config_change_rereview",
        "service-in-review",
        service_after_config_change,
        shows(1, BRANCH, ""),
    ),
    Row("config_change_rereview", "update-refused-60019", update_after_config_change, errno(60019)),
    Row(
        "config_change_rereview",
        "decided-like-any-audit",
        service_after_config_change_decided,
        shows(2, BRANCH, ""),
        counterpart=True,
    ),
    Row(
        "config_change_rereview",
        "not-approved-service-untouched",
        config_change_before_service_approval,
        lambda body: body["data"]["status"] == 3,
        counterpart=True,
    ),
)


@pytest.mark.parametrize("row", TABLE, ids=[row.id for row in TABLE])
async def test_the_strict_sandbox(row: Row) -> None:
    async with client(audit_policy="manual", audit_delay=0, **DATA, **dict(row.settings)) as http:
        answer = await row.scenario(http)
    assert row.expect(answer), answer


def test_every_rule_has_a_refusal_and_an_accepted_row() -> None:
    """Every named rule is in the table with both kinds of row (the push rule, which needs a
    receiver, is test_a_push_counts_only_when_answered_success)."""
    refusals = {row.rule for row in TABLE if not row.accepted}
    accepted = {row.rule for row in TABLE if row.accepted}
    assert set(RULES) - {"push_success_body"} <= refusals & accepted


# ------------------------------------------------------------------ 2: the no-service shapes

SHAPE_ANSWERS = {
    "60002": {"errno": 60002, "msg": "该账号未绑定支付账号", "data": {}},
    "60008": {"errno": 60008, "msg": "支付服务不存在", "data": {}},
    "60013": {"errno": 60013, "msg": "支付账号不存在,请先创建支付账号", "data": {}},
    "null": {"errno": 0, "msg": "success", "data": None},
    "empty": {"errno": 0, "msg": "success", "data": {}},
}


@pytest.mark.parametrize("shape", list(SHAPE_ANSWERS))
@pytest.mark.parametrize("with_account", [False, True], ids=["no-account", "account"])
async def test_pinned_no_service_shapes(shape: str, with_account: bool) -> None:
    async with client(audit_policy="manual", no_service_shape=shape) as http:
        if with_account:
            await given_account(http, APP)
        answer = await call(http, "GET", "paymentservice/getbindservice", APP)
    assert answer == SHAPE_ANSWERS[shape]


async def test_unpinned_no_service_shapes_vary_by_app_and_fit_the_state() -> None:
    """A guess (undocumented): per app, one of the shapes that fit; the same app always gets
    the same one; over many apps every fitting shape occurs."""
    apps = range(8000, 8040)

    def shape_of(answer: Any) -> str:
        if answer["errno"]:
            return str(answer["errno"])
        return "null" if answer["data"] is None else "empty"

    async with client(audit_policy="manual") as http:
        fresh = {
            app: shape_of(await call(http, "GET", "paymentservice/getbindservice", app))
            for app in apps
        }
        again = {
            app: shape_of(await call(http, "GET", "paymentservice/getbindservice", app))
            for app in apps
        }
        for app in apps:
            await admin(http, "PUT", f"apps/{app}/account/status", {"status": 4})
        with_account = {
            app: shape_of(await call(http, "GET", "paymentservice/getbindservice", app))
            for app in apps
        }
    assert fresh == again
    assert set(fresh.values()) == {"60002", "60013", "null", "empty"}
    assert set(with_account.values()) == {"60008", "60002", "null", "empty"}


# ------------------------------------------------------------------------- 6: TP tokens


async def test_an_expired_tp_token_is_111_at_upload() -> None:
    clock = Clock()
    async with client(clock) as http:
        token = (await admin(http, "POST", "tp/token"))["access_token"]
        assert (await upload_answer(http, PNG, token))["errno"] == 0
        clock.advance(2592000)  # 30 days
        assert gateway(111)(await upload_answer(http, PNG, token))
        assert gateway(110)(await upload_answer(http, PNG, "sandbox-tp-x"))


async def test_auto_tp_tokens_follow_auto_tokens() -> None:
    async with client(auto_tokens=False) as http:
        assert gateway(110)(await upload_answer(http, PNG, TP_TOKEN))
        token = (await admin(http, "POST", "tp/token"))["access_token"]
        assert (await upload_answer(http, PNG, token))["errno"] == 0


# --------------------------------------------------------- 8: what account/create received


async def test_the_optional_fields_sent_are_kept_and_secrets_as_digests() -> None:
    async with client(audit_policy="manual") as http:
        form = await account_form(
            http,
            APP,
            legal_card_end_time="9999-12-31",
            license_start_time="2015-06-01",
            industry_id="12",
            manager_card="110105194912310021",
            auth_capital="",  # the SDKs send unset fields blank: not kept
        )
        assert (await call(http, "POST", "account/create", APP, form))["errno"] == 0
        await admin(http, "POST", f"apps/{APP}/account/approve")
        await given_config(http, APP)
        await given_service(http, APP, "pending", bank_phone_number="13800138000")
        state = await admin(http, "GET", f"apps/{APP}")
    submitted = state["account"]["submitted"]
    assert submitted["legal_card_end_time"] == "9999-12-31"
    assert submitted["license_start_time"] == "2015-06-01" and submitted["industry_id"] == "12"
    assert "auth_capital" not in submitted
    for name in ("legal_id", "id_card_front_url", "id_card_back_url", "manager_card"):
        assert submitted[name].startswith("sha256:") and len(submitted[name]) == 23
    phone = state["payment_service"]["submitted"]["bank_phone_number"]
    assert phone.startswith("sha256:") and "13800138000" not in str(state)


# ---------------------------------------------------------- 13: the re-review's pushed event


async def test_the_re_review_pushes_a_payment_event() -> None:
    async with client(audit_policy="manual") as http:
        await given_onboarded(http, APP)
        await call(http, "POST", "developconfig/submit", APP, DEVELOPER)
        await admin(
            http, "POST", f"apps/{APP}/payment_service/reject", {"reason": "回调地址不可用"}
        )
        status = await call(http, "GET", "paymentservice/auditstatus", APP)
        events = [e["event"] for e in (await admin(http, "GET", f"apps/{APP}"))["events"]]
    assert status["data"] == {"status": 3, "fail_reason": "回调地址不可用"}
    assert events[-1] == "APP_PAYMENT_CREATE_PAYMENT_FAIL"


# ----------------------------------------------------------------------- 11: push answers


class Webhook:
    """A receiver that answers every push with (status, body) and counts the pushes."""

    def __init__(self, status: int, body: bytes) -> None:
        self.count = 0
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                webhook.count += 1
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def settled_delivery(box: Any) -> dict[str, Any]:
    """The one push delivery, once it has an outcome."""
    deadline = time.monotonic() + 20
    while True:
        (delivery,) = box.events()["deliveries"]
        if "delivered" in delivery:
            return dict(delivery)
        assert time.monotonic() < deadline, delivery
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("status", "body", "delivered"),
    [
        (200, b"success", True),
        (200, b"ok", False),
        (200, b"", False),
        (204, b"", False),
        (200, b'{"errno":0}', False),
        (200, b"SUCCESS", False),
        (500, b"success", False),
    ],
    ids=["200-success", "200-ok", "200-empty", "204", "200-json", "200-SUCCESS", "500-success"],
)
def test_a_push_counts_only_when_answered_success(
    sandbox_factory: Any, status: int, body: bytes, delivered: bool
) -> None:
    webhook = Webhook(status, body)
    try:
        box = sandbox_factory(
            audit_policy="manual",
            webhook=webhook.url,
            plaintext_push=True,
            push_attempts=3,
            push_retry_delay=0.01,
        )
        box.set_account_status(APP, 2)
        box.approve(APP, "account")
        delivery = settled_delivery(box)
    finally:
        webhook.close()
    assert delivery["delivered"] is delivered, delivery
    assert delivery["attempts"] == webhook.count == (1 if delivered else 3)
    if not delivered:
        assert delivery["last_error"].startswith(f"HTTP {status}")
