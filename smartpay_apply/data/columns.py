"""The columns of every export, in their documented, stable order, and how a value is printed.

Why a table of columns instead of dumping the API models: the order and names of the columns
are a public contract (spreadsheets and scripts index them), money carries its unit in the
name (`_fen` for orderlist amounts, `_yuan` for finance amounts), and every value is printed
one way only: exact decimal strings, ISO 8601 times with +08:00 (Asia/Shanghai), ISO dates.
docs/data.md lists the same tables; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import SecretStr

from smartpay_apply.sensitive import display
from smartpay_apply.timeutil import SHANGHAI

#: One formatted row: a text per column, None where the source has no value.
Row = tuple[str | None, ...]


@dataclass(frozen=True)
class Column:
    """One output column: its header, where its value comes from, and a width for `table`."""

    name: str
    get: Callable[[Any], str | None]
    width: int = 12


def format_value(value: object, field: str = "") -> str | None:
    """One value as printed in every format; None stays None (empty in csv, null in jsonl)."""
    if value is None:
        return None
    if isinstance(value, SecretStr):
        shown = display(field, value.get_secret_value())
        return None if shown is None else str(shown)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: times must carry their zone")
        return value.astimezone(SHANGHAI).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _field(name: str) -> Callable[[Any], str | None]:
    """A getter for attribute `name` that also masks it if `name` is sensitive."""

    def get(item: Any) -> str | None:
        return format_value(getattr(item, name, None), name)

    get.__name__ = f"get_{name}"
    return get


def col(name: str, source: str | None = None, width: int = 12) -> Column:
    """A column named `name` reading attribute `source` (default: the same name)."""
    return Column(name, _field(source or name), width)


ORDERS: tuple[Column, ...] = (
    col("order_id", width=16),
    col("id", width=16),
    col("tp_order_id", width=22),
    col("deal_id", width=12),
    col("deal_title", width=24),
    col("phone", width=12),
    col("sub_status", width=10),
    col("create_time", width=25),
    col("update_time", width=25),
    col("total_money_fen", "total_money"),
    col("pay_money_fen", "pay_money"),
    col("segment_refunded_money_fen", "segment_refunded_money"),
    col("channel", width=10),
)

INCOME: tuple[Column, ...] = (
    col("operate_date", "operate_time", width=10),
    col("income_yuan", "income"),
    col("adjust_amount_yuan", "adjust_amount"),
    col("others_yuan", "others"),
)

INCOME_DETAIL: tuple[Column, ...] = (
    col("operate_time", width=25),
    col("opt_type", width=8),
    col("order_id", width=16),
    col("third_order_id", width=22),
    col("money_yuan", "money"),
)

OTHER_DETAIL: tuple[Column, ...] = (
    col("operate_time", width=25),
    col("opt_type", width=8),
    col("order_id", width=16),
    col("third_order_id", width=22),
    col("ref_money_yuan", "ref_money"),
)

EXPENSES: tuple[Column, ...] = (
    col("task_id", width=14),
    col("type_id", width=10),
    col("pay_status", width=10),
    col("operate_time", width=25),
    col("start_time", width=25),
    col("end_time", width=25),
    col("money_yuan", "money"),
)

PAYOUT: tuple[Column, ...] = (
    col("task_id", width=14),
    col("payment_status", width=10),
    col("paid_money_yuan", "paid_money"),
    col("paid_account", width=10),
    col("receive_user", width=10),
    col("remark", width=24),
)

#: Width of the `app` column that `--all-apps` puts first (table format).
APP_WIDTH = 16


def header(columns: Sequence[Column], *, with_app: bool) -> tuple[str, ...]:
    """The header of an export, `app` first when several mini-programs share the output."""
    names = tuple(column.name for column in columns)
    return ("app", *names) if with_app else names


def format_row(columns: Sequence[Column], item: object, app: str | None = None) -> Row:
    """One source item -> one output row in column order (`app` first if given)."""
    values = tuple(column.get(item) for column in columns)
    return (app, *values) if app is not None else values
