"""Numeric fields: each has a documented range, checked before any conversion (spec/numbers.py).

Unit tests for each branch of the rules, the registry that ties every numeric field of a spec
and of smartpay.yaml to a rule and to a row in docs/specs.md, and the CLI on huge numbers.
"""

from __future__ import annotations

import typing
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel

from smartpay_apply.config import CONFIG_NUMBERS, ProjectConfig
from smartpay_apply.spec.models import AppSpec
from smartpay_apply.spec.numbers import (
    INT64_MAX,
    SPEC_NUMBERS,
    ChoiceRule,
    NumberRule,
    as_decimal,
    shown,
)
from tests.spec.conftest import VALID_SPEC, Project

REPO = Path(__file__).resolve().parents[2]
SMALL = NumberRule(Decimal(0), Decimal(10), unit="yuan")
REAL = NumberRule(Decimal("0.5"), Decimal(5), whole=False, unit="seconds")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, Decimal(7)),
        (Decimal("1.5"), Decimal("1.5")),
        (2.5, Decimal("2.5")),
        (" 12 ", Decimal(12)),
        ("1e3", Decimal(1000)),
        ("1e99999999999999999999", Decimal("Infinity")),
        ("-1e99999999999999999999", Decimal("-Infinity")),
        ("abc", None),
        ("0x1F", None),
        ("1" * 1001, None),
        (True, None),
        ([1], None),
        (None, None),
    ],
)
def test_as_decimal(value: object, expected: Decimal | None) -> None:
    assert as_decimal(value) == expected


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (Decimal(5), "5"),
        (Decimal("1E+400"), "1E+400"),
        (Decimal("NaN"), "NaN"),
        (Decimal("Infinity"), "infinity"),
        (Decimal("-Infinity"), "-infinity"),
        (Decimal(10**40), "a number of 41 digits"),
        (Decimal("1.2345678901234567890123456789012345"), "a number of 35 digits"),
    ],
)
def test_shown_quotes_short_numbers_and_describes_huge_ones(number: Decimal, text: str) -> None:
    assert shown(number) == text


def test_number_rule_words() -> None:
    assert SMALL.allowed() == "a whole number of yuan from 0 to 10"
    assert REAL.allowed() == "a number of seconds from 0.5 to 5"
    assert NumberRule(Decimal(0), Decimal(1), whole=False, note="why").allowed() == (
        "a number from 0 to 1; why"
    )


@pytest.mark.parametrize(
    ("rule", "value", "message"),
    [
        (
            SMALL,
            True,
            "expected a number, not true/false (allowed: a whole number of yuan from 0 to 10)",
        ),
        (
            SMALL,
            "ten",
            "expected a number, got text (allowed: a whole number of yuan from 0 to 10)",
        ),
        (
            SMALL,
            {"a": 1},
            "expected a number, got a mapping (allowed: a whole number of yuan from 0 to 10)",
        ),
        (
            SMALL,
            [1],
            "expected a number, got a list (allowed: a whole number of yuan from 0 to 10)",
        ),
        (SMALL, 11, "11 is out of range (allowed: a whole number of yuan from 0 to 10)"),
        (SMALL, -1, "-1 is out of range (allowed: a whole number of yuan from 0 to 10)"),
        (SMALL, "2.5", "2.5 is not a whole number (allowed: a whole number of yuan from 0 to 10)"),
        (
            SMALL,
            Decimal("NaN"),
            "NaN is out of range (allowed: a whole number of yuan from 0 to 10)",
        ),
        (REAL, "0.25", "0.25 is out of range (allowed: a number of seconds from 0.5 to 5)"),
        (
            REAL,
            Decimal("Infinity"),
            "infinity is out of range (allowed: a number of seconds from 0.5 to 5)",
        ),
    ],
)
def test_number_rule_refusals(rule: NumberRule, value: object, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        rule.check(value)
    assert str(caught.value) == message


def test_number_rule_conversions() -> None:
    assert SMALL.check(None) is None
    assert SMALL.whole_number("7") == 7
    assert SMALL.whole_number(None) is None
    amount = SMALL.amount(Decimal("5.00"))
    assert (amount, str(amount)) == (Decimal(5), "5")
    assert SMALL.amount(None) is None
    assert REAL.real(Decimal("0.5")) == 0.5
    assert REAL.real(None) is None
    assert NumberRule(Decimal(0), Decimal(1), whole=False).amount("0.25") == Decimal("0.25")


def test_choice_rule() -> None:
    rule = ChoiceRule((1, 7), "a period")
    assert rule.allowed() == "one of 1, 7"
    assert rule.check("7") == 7
    assert rule.check(Decimal("7.0")) == 7
    assert rule.check(None) is None
    for value, message in [
        (True, "expected a number, not true/false (allowed: 1, 7)"),
        ("week", "expected a number, got text (allowed: 1, 7)"),
        (3, "3 is not a period (allowed: 1, 7)"),
        (Decimal("NaN"), "NaN is not a period (allowed: 1, 7)"),
    ]:
        with pytest.raises(ValueError) as caught:
            rule.check(value)
        assert str(caught.value) == message


def _numeric_fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every field path of `model` whose type is a number (int, float, Decimal)."""
    found: set[str] = set()
    for name, info in model.model_fields.items():
        options = typing.get_args(info.annotation) or (info.annotation,)
        if any(option in (int, float, Decimal) for option in options):
            found.add(prefix + name)
        for option in options:
            if isinstance(option, type) and issubclass(option, BaseModel):
                found |= _numeric_fields(option, f"{prefix}{name}.")
    return found


def test_every_numeric_field_has_a_rule_and_a_documented_range() -> None:
    assert _numeric_fields(AppSpec) == set(SPEC_NUMBERS)
    assert _numeric_fields(ProjectConfig) == set(CONFIG_NUMBERS)
    docs = (REPO / "docs" / "specs.md").read_text(encoding="utf-8")
    for field, rule in {**SPEC_NUMBERS, **CONFIG_NUMBERS}.items():
        assert f"| `{field}` | {rule.allowed()} |" in docs, field


def test_whole_yuan_is_held_in_canonical_form(project: Project) -> None:
    """500.0 is a whole number: accepted, and held as 500 so the request says "500"."""
    project.spec(
        VALID_SPEC.replace("pool_cash_pledge: 1000", "pool_cash_pledge: 500.0").replace(
            "day_max_frozen_amount: 10000", 'day_max_frozen_amount: "2E+3"'
        )
    )
    (spec,) = project.report().specs
    assert spec.payment_service is not None
    assert str(spec.payment_service.pool_cash_pledge) == "500"
    assert str(spec.payment_service.day_max_frozen_amount) == "2000"


def test_the_largest_long_is_accepted(project: Project) -> None:
    project.spec(VALID_SPEC.replace("app_id: 12345678", f"app_id: {INT64_MAX}"))
    (spec,) = project.report().specs
    assert spec.app_id == INT64_MAX
