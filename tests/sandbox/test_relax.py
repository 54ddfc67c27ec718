"""`sandbox: {relax: [rule, ...]}` turns one named rule off for a demo, and only that one;
by default nothing is relaxed. The strict behaviour of each rule is tests/sandbox/test_rules.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from smartpay_apply.errors import ConfigError
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.embedded import embedded_transport
from smartpay_apply.sandbox.rules import RULES
from tests.sandbox.helpers import PNG, call, client, upload_answer
from tests.sandbox.test_rules import (
    ACCEPTED,
    APP,
    BRANCH,
    DATA,
    NEW_BRANCH,
    Scenario,
    Webhook,
    account_fields_in_query,
    account_with,
    config_with_account,
    create_account_with_upload_of,
    create_with,
    create_with_amounts,
    equals,
    errno,
    finance,
    fresh_account_status,
    get_dict,
    service_after_config_change,
    settled_delivery,
    shows,
    update_while,
    upload_with,
    view_after_rejected_update,
)


async def every_no_service_answer(http: Any) -> Any:
    return {
        (await call(http, "GET", "paymentservice/getbindservice", app))["errno"]
        for app in range(8000, 8040)
    }


def with_paging_fields(body: Any) -> bool:
    return errno(0)(body) and {"current_page", "page_size", "total_count"} <= set(body["data"])


#: rule -> [(what the strict sandbox refuses, what it answers once the rule is relaxed)]
RELAXED: dict[str, list[tuple[Scenario, Callable[[Any], bool]]]] = {
    "fresh_nulls": [
        (
            fresh_account_status,
            equals({"errno": 0, "msg": "success", "data": {"status": 0, "verify_message": ""}}),
        )
    ],
    "no_service_shapes": [(every_no_service_answer, equals({60008}))],
    "config_needs_approved_account": [(config_with_account("pending"), ACCEPTED)],
    "service_needs_approved_config": [(create_with("approved", "pending"), ACCEPTED)],
    "no_update_in_review": [(update_while("pending"), ACCEPTED)],
    "upload_tp_token": [
        (upload_with(f"sandbox-{APP}"), ACCEPTED),
        (create_account_with_upload_of("sandbox-tp-424242"), ACCEPTED),
    ],
    "whole_yuan": [
        (create_with_amounts(pool_cash_pledge="500.00"), ACCEPTED),
        (create_with_amounts(pool_cash_pledge="500.5"), errno(60000)),  # still not whole
    ],
    "date_fields": [(account_with(legal_card_end_time="长期"), ACCEPTED)],
    "form_body_only": [(account_fields_in_query, ACCEPTED)],
    "documented_shapes": [
        (get_dict, lambda body: errno(0)(body) and "province_list" in body["data"]),
        (
            finance("financebalance/otherdetail", start_time="2024-03-29", end_time="2024-03-31"),
            with_paging_fields,
        ),
        (
            finance("financebalance/incomedetail", start_time="2024-03-30", end_time="2024-03-31"),
            ACCEPTED,
        ),
    ],
    "approved_values_shown": [(view_after_rejected_update, shows(3, NEW_BRANCH, "支行信息有误"))],
    "config_change_rereview": [(service_after_config_change, shows(2, BRANCH, ""))],
}


CASES = [
    pytest.param(rule, scenario, expect, id=f"{rule}/{index}")
    for rule, cases in RELAXED.items()
    for index, (scenario, expect) in enumerate(cases)
]


@pytest.mark.parametrize(("rule", "scenario", "expect"), CASES)
async def test_relaxing_a_rule_turns_it_off(
    rule: str, scenario: Scenario, expect: Callable[[Any], bool]
) -> None:
    async with client(audit_policy="manual", audit_delay=0, relax=(rule,), **DATA) as http:
        answer = await scenario(http)
    assert expect(answer), answer


async def test_every_rule_can_be_relaxed_and_nothing_is_by_default() -> None:
    assert set(RELAXED) | {"push_success_body"} == set(RULES)
    assert SandboxConfig().relax == ()
    async with client() as http:
        shown = (await http.get("/_sandbox/config")).json()
    async with client(relax=("whole_yuan",), no_service_shape="null") as http:
        relaxed = (await http.get("/_sandbox/config")).json()
    assert (shown["relax"], shown["no_service_shape"]) == ([], None)
    assert (relaxed["relax"], relaxed["no_service_shape"]) == (["whole_yuan"], "null")


async def test_a_relaxed_upload_logs_the_mini_program_it_came_from() -> None:
    async with client(relax=("upload_tp_token",)) as http:
        assert (await upload_answer(http, PNG, f"sandbox-{APP}"))["errno"] == 0
        assert (await upload_answer(http, PNG, "sandbox-tp"))["errno"] == 0
        calls = (await http.get("/_sandbox/calls", params={"path": "upload/image"})).json()
    assert [c["app_id"] for c in calls["calls"]] == [APP, None]


def test_a_relaxed_push_counts_any_2xx(sandbox_factory: Any) -> None:
    webhook = Webhook(200, b"ok")
    try:
        box = sandbox_factory(
            audit_policy="manual",
            webhook=webhook.url,
            plaintext_push=True,
            relax=["push_success_body"],
        )
        box.set_account_status(APP, 2)
        box.approve(APP, "account")
        delivery = settled_delivery(box)
    finally:
        webhook.close()
    assert delivery["delivered"] is True and delivery["attempts"] == 1


def test_relax_names_and_shapes_are_checked_like_user_input(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"sandbox\.relax: unknown rule 'strictness'"):
        embedded_transport(tmp_path, relax=["strictness"])
    with pytest.raises(ConfigError, match=r"sandbox\.relax: expected"):
        embedded_transport(tmp_path, relax="whole_yuan")
    with pytest.raises(ConfigError, match=r"sandbox\.no_service_shape: must be one of 60002"):
        embedded_transport(tmp_path, no_service_shape="60009")
    embedded_transport(tmp_path, relax=["whole_yuan"], no_service_shape=60002)


def test_serve_refuses_an_unknown_rule_in_one_line(run_cli: Any) -> None:
    result = run_cli("sandbox", "serve", "--port", "0", "--relax", "everything")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "sandbox serve.relax: unknown rule 'everything'" in result.stderr
