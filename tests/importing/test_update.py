"""What --update accepts from Baidu: fields to write, reports the user must act on, skips."""

from __future__ import annotations

from typing import Any

from smartpay_apply.engine.observe import Observed
from smartpay_apply.importing.update import accept
from tests.engine.factory import BANK_CARD, OTHER_BANK_CARD, make_spec, remote_service

WRITTEN: dict[str, Any] = {"bank_card": "${env:SMARTPAY_SHOP_A_BANK_CARD}", "app_name": "小店支付"}


def seen(open_status: int = 2, **changes: Any) -> Observed:
    return Observed(account_status=4, payment_service=remote_service(open_status, **changes))


def test_in_sync_whatever_baidus_formatting_accepts_nothing() -> None:
    result = accept(
        make_spec(),
        seen(payment_days="7", pool_cash_pledge="1000.00", bank_name=" 招商银行 "),
        WRITTEN,
    )
    assert (result.writes, result.reports, result.skipped) == ({}, [], None)


def test_changed_fields_are_written_in_canonical_form() -> None:
    result = accept(
        make_spec(),
        seen(app_name=" 新  名字 ", pool_cash_pledge="800.00", bank_branch="招商银行北京海淀支行"),
        WRITTEN,
    )
    assert result.writes == {
        "app_name": "新 名字",
        "bank_branch": "招商银行北京海淀支行",
        "pool_cash_pledge": 800,
    }
    payout = {change.field: change.payout for change in result.changes}
    assert payout == {"app_name": False, "bank_branch": True, "pool_cash_pledge": False}


def test_a_changed_bank_card_is_reported_with_its_variable_never_written() -> None:
    result = accept(make_spec(), seen(bank_card=OTHER_BANK_CARD), WRITTEN)
    assert result.writes == {}
    (report,) = result.reports
    assert report == (
        "payment_service.bank_card changed at Baidu (****6543 -> ****3445): set "
        "SMARTPAY_SHOP_A_BANK_CARD to Baidu's value; a sensitive value is never written into a file"
    )
    assert BANK_CARD not in report and OTHER_BANK_CARD not in report


def test_a_card_written_in_clear_is_reported_too() -> None:
    result = accept(make_spec(), seen(bank_card=OTHER_BANK_CARD), {"bank_card": BANK_CARD})
    assert result.writes == {}
    assert result.reports[0].endswith("never written into a file: change it by hand")


def test_a_field_given_by_a_reference_is_reported_not_replaced() -> None:
    written = {**WRITTEN, "bank_account": "${env:ACCOUNT_NAME}"}
    result = accept(make_spec(), seen(bank_account="新公司"), written)
    assert result.writes == {}
    assert result.reports == [
        "payment_service.bank_account: Baidu has '新公司'; the file takes it from "
        "${env:ACCOUNT_NAME}: update that (a reference is never replaced by a value)"
    ]


def test_a_service_in_review_or_rejected_is_left_alone() -> None:
    for status, word in ((1, "in review"), (3, "rejected")):
        result = accept(make_spec(), seen(status, app_name="新"), WRITTEN)
        assert result.writes == {}
        assert result.skipped == (
            f"the payment service is {word} at Baidu: nothing is accepted until its audit ends"
        )


def test_nothing_to_compare_is_said() -> None:
    assert accept(make_spec(payment_service=None), seen(), None).skipped == (
        "its spec does not manage the payment service"
    )
    assert accept(make_spec(), Observed(account_status=4), WRITTEN).skipped == (
        "Baidu reports no payment service"
    )


def test_values_the_spec_rules_refuse_are_not_written() -> None:
    result = accept(make_spec(), seen(service_phone="1351431XXXX"), WRITTEN)
    assert result.writes == {}
    assert result.skipped is not None
    assert result.skipped.startswith("Baidu's values would not make a valid spec: ")
    assert "payment_service.service_phone" in result.skipped
