"""Baidu's payment-service values as a spec holds them: the canonical form plan compares."""

from __future__ import annotations

from smartpay_apply.engine.normalise import normalise_value
from smartpay_apply.importing.values import SPEC_FIELDS, problems, sensitive_fields, spec_values
from tests.engine.factory import BANK_CARD, remote_service


def test_numbers_become_numbers_and_text_its_canonical_form() -> None:
    remote = remote_service(
        payment_days="7",
        commission_rate=" 6 ",
        pool_cash_pledge="1000.00",
        day_max_frozen_amount=10000.0,
        bank_name=" 招商银行 ",
        app_name="北京  小店\t支付 ",
        bank_card=f" {BANK_CARD} ",
    )
    values = spec_values(remote)
    assert values["payment_days"] == 7
    assert values["commission_rate"] == 6
    assert values["pool_cash_pledge"] == 1000
    assert values["day_max_frozen_amount"] == 10000
    assert values["bank_name"] == "招商银行"
    assert values["app_name"] == "北京 小店 支付"
    assert values["bank_card"] == BANK_CARD
    # exactly what plan compares: normalising again changes nothing
    for name, value in values.items():
        assert normalise_value(name, value) == normalise_value(name, remote[name])


def test_only_spec_fields_in_spec_order_and_none_left_out() -> None:
    values = spec_values(remote_service(bank_branch=None))
    assert list(values) == [f for f in SPEC_FIELDS if f not in ("bank_branch", "bank_phone_number")]
    assert "pm_app_key" not in values and "open_status" not in values


def test_the_bank_card_is_the_sensitive_field() -> None:
    assert sensitive_fields(spec_values(remote_service())) == ["bank_card"]


def test_values_the_spec_rules_refuse_are_problems_without_the_secret() -> None:
    values = spec_values(
        remote_service(pool_cash_pledge="500.50", service_phone="1351431XXXX", bank_card="12ab")
    )
    assert values["pool_cash_pledge"] == "500.5"  # not a whole number: stays text
    found = problems(values)
    fields = sorted(line.split(":")[0] for line in found)
    assert fields == [
        "payment_service.bank_card",
        "payment_service.pool_cash_pledge",
        "payment_service.service_phone",
    ]
    assert not any("12ab" in line for line in found)


def test_valid_values_have_no_problems() -> None:
    assert problems(spec_values(remote_service())) == []
