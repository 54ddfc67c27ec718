"""Numeric fields: every one has a documented range, checked before any conversion.

Why a module of its own: YAML hands over numbers of any size (`1e400`, a 29-digit integer,
`.nan`), and converting them blindly goes wrong in three ways: it crashes
(`Decimal.quantize` raises InvalidOperation past 28 digits), it hangs
(`int(Decimal("1e999999"))` takes most of a minute) or it lets through a number that nothing
downstream can hold (Baidu's Long and SQLite's INTEGER are 64-bit). So each numeric field of a
spec and of smartpay.yaml is compared with its range as a Decimal first (cheap at any size),
and only a value inside the range becomes an int or a float.

A rule raises ValueError with a message that says what is allowed; numbers are never
sensitive, so a short one is quoted back, a huge one only described.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

#: Baidu's Long (Java long, Go int64) and SQLite's INTEGER: the largest id or amount anyone stores.
INT64_MAX = 2**63 - 1
#: Text that reads as a number (the numeric forms YAML and people write).
_NUMBER_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
#: Text longer than this is not worth parsing as a number (a number in range is short).
_MAX_NUMBER_TEXT = 1000


def as_decimal(value: Any) -> Decimal | None:
    """`value` as a Decimal, or None when it is not a number (text, a mapping, a boolean).

    A number too large for Decimal's exponent (`1e99999999999999999999`) is an infinity: it is
    out of every range, which is what the caller needs to know.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_NUMBER_TEXT or not _NUMBER_TEXT.match(text):
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            return Decimal("-Infinity") if text.startswith("-") else Decimal("Infinity")
    return None


def shown(number: Decimal) -> str:
    """A number as a message may quote it: short ones as written, huge ones described."""
    if number.is_nan():
        return "NaN"
    if number.is_infinite():
        return "-infinity" if number < 0 else "infinity"
    text = str(number)
    if len(text) <= 30:
        return text
    digits = len(text.lstrip("-").split("E")[0].replace(".", ""))
    return f"a number of {digits} digits" if "E" not in text else f"{text[:12]}..."


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _plain(number: Decimal) -> str:
    """1E+4 -> '10000', 0.25 -> '0.25' (range bounds in messages and docs)."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class NumberRule:
    """A number from `low` to `high`, both included."""

    low: Decimal
    high: Decimal
    whole: bool = True
    unit: str = ""
    note: str = ""

    def allowed(self) -> str:
        """What the rule allows, in words: 'a whole number of yuan from 0 to 10000'."""
        kind = "a whole number" if self.whole else "a number"
        unit = f" of {self.unit}" if self.unit else ""
        note = f"; {self.note}" if self.note else ""
        return f"{kind}{unit} from {_plain(self.low)} to {_plain(self.high)}{note}"

    def check(self, value: Any) -> Decimal | None:
        """The value as a Decimal inside the range; ValueError saying what is allowed.

        None passes through: whether a field may be left out is the model's business.
        """
        if value is None:
            return None
        if isinstance(value, bool):
            raise ValueError(f"expected a number, not true/false (allowed: {self.allowed()})")
        number = as_decimal(value)
        if number is None:
            raise ValueError(f"expected a number, got {_kind(value)} (allowed: {self.allowed()})")
        if not number.is_finite() or not self.low <= number <= self.high:
            raise ValueError(f"{shown(number)} is out of range (allowed: {self.allowed()})")
        if self.whole and number != number.to_integral_value():
            raise ValueError(f"{shown(number)} is not a whole number (allowed: {self.allowed()})")
        return number

    def whole_number(self, value: Any) -> Any:
        """`check`, then an int (for int fields)."""
        number = self.check(value)
        return None if number is None else int(number)

    def amount(self, value: Any) -> Any:
        """`check`, then a Decimal in canonical form: 500.0 and "500" both become Decimal(500)."""
        number = self.check(value)
        if number is None:
            return None
        return Decimal(int(number)) if self.whole else number

    def real(self, value: Any) -> Any:
        """`check`, then a float (for float settings such as timeouts)."""
        number = self.check(value)
        return None if number is None else float(number)


@dataclass(frozen=True)
class ChoiceRule:
    """One of a few whole numbers (a settlement period, the commission rate)."""

    choices: tuple[int, ...]
    what: str

    def allowed(self) -> str:
        """'one of 1, 7, 14, 28'."""
        return "one of " + ", ".join(str(choice) for choice in self.choices)

    def check(self, value: Any) -> Any:
        """The value as an int if it is one of the choices; ValueError otherwise."""
        if value is None:
            return None
        listed = ", ".join(str(choice) for choice in self.choices)
        if isinstance(value, bool):
            raise ValueError(f"expected a number, not true/false (allowed: {listed})")
        number = as_decimal(value)
        if number is None:
            raise ValueError(f"expected a number, got {_kind(value)} (allowed: {listed})")
        if number.is_nan() or number not in self.choices:
            raise ValueError(f"{shown(number)} is not {self.what} (allowed: {listed})")
        return int(number)


#: The numeric fields of a spec and their ranges (docs/specs.md lists the same).
APP_ID = NumberRule(Decimal(1), Decimal(INT64_MAX), note="Baidu's appid is a Long")
INDUSTRY_ID = NumberRule(
    Decimal(1), Decimal(INT64_MAX), note="an id from getTradeIndustryList, a Long"
)
PAYMENT_DAYS = ChoiceRule((1, 7, 14, 28), "a settlement period")
COMMISSION_RATE = ChoiceRule((6,), "the mini-program rate")
POOL_CASH_PLEDGE = NumberRule(
    Decimal(0), Decimal(INT64_MAX), unit="yuan", note="Baidu's field is a Long: 500, not 500.5"
)
DAY_MAX_FROZEN_AMOUNT = NumberRule(
    Decimal(0), Decimal(10000), unit="yuan", note="Baidu's field is a Long: 500, not 500.5"
)

SPEC_NUMBERS: dict[str, NumberRule | ChoiceRule] = {
    "app_id": APP_ID,
    "account.industry_id": INDUSTRY_ID,
    "payment_service.payment_days": PAYMENT_DAYS,
    "payment_service.commission_rate": COMMISSION_RATE,
    "payment_service.pool_cash_pledge": POOL_CASH_PLEDGE,
    "payment_service.day_max_frozen_amount": DAY_MAX_FROZEN_AMOUNT,
}
