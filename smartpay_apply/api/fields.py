"""The building blocks of the openapi models: units, Baidu's time strings, the two bases.

Units of money are in the type: `Fen` (orderlist amounts: 分) and `Yuan` (finance amounts and
the payment-service pledge/limit: 元). Both are `Decimal | None` (Baidu sends "-" or null where
there is no value) and never pass through float. Times Baidu sends as Beijing wall-clock
strings are aware `datetime`s in Asia/Shanghai (`BaiduTime`); dumping with `mode="json"`
gives Baidu's string back. Requests become form fields through one function (`form_value`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, SecretStr

from smartpay_apply.money import normalise, parse_amount
from smartpay_apply.timeutil import format_baidu_time, parse_baidu_time


def _amount_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _parse_time(value: object) -> object:
    if value is None or value == "" or value == "-":
        return None
    if isinstance(value, str):
        return parse_baidu_time(value)
    return value


def _parse_day(value: object) -> object:
    if value is None or value == "" or value == "-":
        return None
    if isinstance(value, str):
        return date.fromisoformat(value.strip()[:10])
    return value


def _time_text(value: datetime | None) -> str | None:
    return None if value is None else format_baidu_time(value)


#: An amount in fen (分), e.g. orderlist `total_money` "20" = 0.20 yuan.
Fen = Annotated[
    Decimal | None, BeforeValidator(parse_amount), PlainSerializer(_amount_text, return_type=Any)
]
#: An amount in yuan (元), e.g. financebalance `income` "0.32".
Yuan = Annotated[
    Decimal | None, BeforeValidator(parse_amount), PlainSerializer(_amount_text, return_type=Any)
]
#: A Baidu "yyyy-MM-dd HH:mm:ss" string (Beijing time) as an aware datetime.
BaiduTime = Annotated[
    datetime | None, BeforeValidator(_parse_time), PlainSerializer(_time_text, return_type=Any)
]
#: A Baidu "yyyy-MM-dd" string as a date.
BaiduDate = Annotated[date | None, BeforeValidator(_parse_day)]
#: A text field Baidu documents as int but sends as a string (or the other way round).
LooseText = Annotated[str | None, BeforeValidator(lambda v: None if v is None else str(v))]


class ResponseModel(BaseModel):
    """Responses keep fields Baidu adds later (extra="allow") instead of failing on them.

    Each model's validator is built on its first use (`defer_build`): a run uses a few of
    them, and building all of them took ~8 ms of every network command's start (issue 16).
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


class RequestModel(BaseModel):
    """Requests: the documented fields, plus optional later additions passed through (built
    on first use, as responses)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    def to_form(self) -> dict[str, str]:
        """The form fields to send: secrets revealed, Decimals as plain strings, bools 0/1."""
        form: dict[str, str] = {}
        for name, value in self:  # declared fields, then the extra ones
            text = form_value(value)
            if text is not None:
                form[name] = text
        return form


def form_value(value: object) -> str | None:
    """One form value as Baidu expects it; None means "leave the field out"."""
    if value is None:
        return None
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(normalise(value), "f")
    if isinstance(value, float):
        raise TypeError("money and numbers are sent from Decimal or int, never float")
    return str(value)
