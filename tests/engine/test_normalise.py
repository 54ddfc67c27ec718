"""Normalisation: an unchanged spec never shows a diff, whatever Baidu's formatting."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from smartpay_apply.engine.normalise import diff, normalise_value


@pytest.mark.parametrize(
    ("field", "remote", "spec"),
    [
        ("payment_days", "1", 1),
        ("payment_days", 7, 7),
        ("commission_rate", " 6 ", 6),
        ("pool_cash_pledge", "10000.00", Decimal("10000")),
        ("pool_cash_pledge", 10000, Decimal("10000.00")),
        ("pool_cash_pledge", "0.50", Decimal("0.5")),
        ("day_max_frozen_amount", "1e4", Decimal("10000")),
        ("bank_branch", "  招商银行北京上地支行 ", "招商银行北京上地支行"),
        ("business_detail_address", "上地十街  10 号", "上地十街 10 号"),
        ("service_phone", 13800138000, "13800138000"),
        ("bank_card", "6217000010009876543", SecretStr("6217000010009876543")),
    ],
)
def test_equal_after_normalisation(field: str, remote: object, spec: object) -> None:
    assert normalise_value(field, remote) == normalise_value(field, spec)
    assert diff({field: remote}, {field: spec}) == ()


@pytest.mark.parametrize(
    ("field", "remote", "spec"),
    [
        ("pool_cash_pledge", "1000.01", Decimal("1000")),
        ("payment_days", "1", 7),
        ("service_phone", "013800138000", "13800138000"),  # not a numeric field: text compare
        ("bank_branch", "招商银行上地支行", "招商银行北京上地支行"),
    ],
)
def test_real_differences_still_show(field: str, remote: object, spec: object) -> None:
    (change,) = diff({field: remote}, {field: spec})
    assert change.field == field


def test_money_never_goes_through_float() -> None:
    assert normalise_value("pool_cash_pledge", "0.1") == "0.1"
    assert normalise_value("pool_cash_pledge", Decimal("0.10")) == "0.1"
    assert normalise_value("pool_cash_pledge", "12345678901234567.89") == "12345678901234567.89"


def test_a_non_number_in_a_numeric_field_is_compared_as_text() -> None:
    (change,) = diff({"payment_days": "T+7"}, {"payment_days": 7})
    assert (change.old, change.new) == ("T+7", "7")


def test_remote_only_fields_are_never_diffs() -> None:
    remote = {
        "app_name": "a",
        "pm_app_id": 1,
        "pm_app_key": "k",
        "deal_id": "d",
        "platform_public_key": "p",
    }
    desired = {
        "app_name": "a",
        "pm_app_id": 2,
        "pm_app_key": "x",
        "deal_id": "e",
        "platform_public_key": "q",
    }
    assert diff(remote, desired) == ()


def test_changes_are_in_display_form() -> None:
    changes = diff(
        {
            "bank_card": "6222020200112233445",
            "legal_id": None,
            "id_card_front_url": "https://a/old.png",
        },
        {
            "bank_card": SecretStr("6217000010009876543"),
            "legal_id": SecretStr("11010519491231002X"),
            "id_card_front_url": SecretStr("https://a/new.png"),
        },
    )
    shown = {c.field: (c.old, c.new, c.sensitive) for c in changes}
    assert shown == {
        "bank_card": ("****3445", "****6543", True),
        "legal_id": (None, "****002X", True),
        "id_card_front_url": ("(sensitive)", "(sensitive)", True),
    }


def test_changes_keep_the_order_of_the_desired_fields() -> None:
    changes = diff({"b": "1", "a": "1", "c": "1"}, {"c": "2", "a": "2", "b": "2"})
    assert [c.field for c in changes] == ["c", "a", "b"]


amounts = st.decimals(
    min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False
)


@given(amounts, st.integers(min_value=0, max_value=4))
def test_any_amount_equals_its_text_with_trailing_zeros(amount: Decimal, zeros: int) -> None:
    text = format(amount, "f") + (
        "0" * zeros if "." in format(amount, "f") else ("." + "0" * zeros if zeros else "")
    )
    assert normalise_value("pool_cash_pledge", text) == normalise_value("pool_cash_pledge", amount)
    assert diff({"pool_cash_pledge": text}, {"pool_cash_pledge": amount}) == ()


@given(
    st.text(min_size=1, max_size=30).filter(lambda t: t.strip()),
    st.sampled_from([" ", "  ", "\t", "\n"]),
)
def test_surrounding_whitespace_never_makes_a_diff(text: str, space: str) -> None:
    assert diff({"bank_branch": space + text + space}, {"bank_branch": text}) == ()


@given(st.integers(min_value=-(10**28) + 1, max_value=10**28 - 1))
def test_an_integer_equals_its_decimal_and_its_text(number: int) -> None:
    # Integers below 27 digits take a shortcut past Decimal, longer ones go through it: either
    # way the same text as the Decimal and as the string.
    expected = normalise_value("pool_cash_pledge", Decimal(number))
    assert normalise_value("pool_cash_pledge", number) == expected
    assert normalise_value("pool_cash_pledge", str(number)) == expected


@pytest.mark.parametrize("space", ["\u3000", "\x1c", "\x85", "\xa0", "\u2028", " \t\r\n\f\v"])
def test_any_unicode_whitespace_run_is_one_space(space: str) -> None:
    assert normalise_value("bank_branch", f"{space}上地{space}{space}十街{space}") == "上地 十街"
    assert normalise_value("bank_branch", "上地\u200b十街") == "上地\u200b十街"  # not whitespace


def test_a_number_beyond_28_digits_compares_instead_of_crashing() -> None:
    """A value Baidu could send in a quirky form (or a typo in a console) must not end plan with
    an internal error: equal huge numbers compare equal, different ones differ."""
    huge = 10**30
    forms = {normalise_value("pool_cash_pledge", v) for v in (huge, str(huge), "1e30", "1E+30")}
    assert forms == {str(huge)}
    assert normalise_value("pool_cash_pledge", huge + 1) != normalise_value(
        "pool_cash_pledge", huge
    )
