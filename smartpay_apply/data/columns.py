"""The columns of every export, in their documented, stable order, and how a wire value is printed.

Why a table of columns: the order and names of the columns are a public contract (spreadsheets
and scripts index them), money carries its unit in the name (`_fen` for orderlist amounts,
`_yuan` for finance amounts), and every value is printed one way only: exact decimal strings,
ISO 8601 times with +08:00 (Asia/Shanghai), ISO dates. docs/data.md lists the same tables; a
test keeps the two in step.

Why rows are converted straight from the wire (the JSON of a page) and not from the client's
pydantic models: an export of 100,000 orders spends more CPU validating models (mostly
strptime) than the whole I/O budget of the export (bench/README.md). The converters here are
just as strict — a value that is not an amount, a time or a date stops the export with an
error naming the page, row and field — but take a fast path for the canonical forms Baidu
sends.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from smartpay_apply.data import columnar
from smartpay_apply.money import parse_amount
from smartpay_apply.sensitive import display
from smartpay_apply.timeutil import SHANGHAI, parse_baidu_time

#: One formatted row: a text per column, None where the source has no value.
Row = tuple[str | None, ...]
Convert = Callable[[Any], str | None]

_CANONICAL_AMOUNT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
_BAIDU_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_MISSING = (None, "", "-")
_canonical_amount = _CANONICAL_AMOUNT.fullmatch
_baidu_time = _BAIDU_TIME.fullmatch


def text(value: Any) -> str | None:
    """Text as sent (numbers Baidu sends for ids become their digits)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"not a text or id: {value!r}")
    return value if isinstance(value, str) else str(value)


def amount(value: Any) -> str | None:
    """An amount, exactly: "0.10" stays "0.10", "-0.01" keeps its sign, "-"/null -> None."""
    if value.__class__ is str and _canonical_amount(value):
        return value
    parsed = parse_amount(value)
    return None if parsed is None else format(parsed, "f")


def baidu_time(value: Any) -> str | None:
    """ "2019-05-30 21:37:53" (Beijing) -> "2019-05-30T21:37:53+08:00"."""
    if value in _MISSING:
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    if _baidu_time(value):
        datetime.fromisoformat(value)  # a real date and time, or ValueError
        return f"{value[:10]}T{value[11:]}+08:00"
    return parse_baidu_time(value).astimezone(SHANGHAI).isoformat()


def baidu_date(value: Any) -> str | None:
    """ "2019-06-11" (or a date-time: its day) -> "2019-06-11"."""
    if value in _MISSING:
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    return date.fromisoformat(value.strip()[:10]).isoformat()


def masked(field: str) -> Convert:
    """A sensitive value (a bank card) shown as `smartpay_apply.sensitive` says: `****4964`."""

    def convert(value: Any) -> str | None:
        shown = display(field, text(value))
        return None if shown is None else str(shown)

    return convert


@dataclass(frozen=True)
class Column:
    """One output column: its header, the wire field it reads, how, and a width for `table`."""

    name: str
    source: str
    convert: Convert = text
    width: int = 12


ORDERS: tuple[Column, ...] = (
    Column("order_id", "order_id", text, 16),
    Column("id", "id", text, 16),
    Column("tp_order_id", "tp_order_id", text, 22),
    Column("deal_id", "deal_id", text, 12),
    Column("deal_title", "deal_title", text, 24),
    Column("phone", "phone", text, 12),
    Column("sub_status", "sub_status", text, 10),
    Column("create_time", "create_time", baidu_time, 25),
    Column("update_time", "update_time", baidu_time, 25),
    Column("total_money_fen", "total_money", amount, 15),
    Column("pay_money_fen", "pay_money", amount, 13),
    Column("segment_refunded_money_fen", "segment_refunded_money", amount, 26),
    Column("channel", "channel", text, 10),
)

INCOME: tuple[Column, ...] = (
    Column("operate_date", "operate_time", baidu_date, 12),
    Column("income_yuan", "income", amount),
    Column("adjust_amount_yuan", "adjust_amount", amount, 18),
    Column("others_yuan", "others", amount),
)

INCOME_DETAIL: tuple[Column, ...] = (
    Column("operate_time", "operate_time", baidu_time, 25),
    Column("opt_type", "opt_type", text, 8),
    Column("order_id", "order_id", text, 16),
    Column("third_order_id", "third_order_id", text, 22),
    Column("money_yuan", "money", amount),
)

OTHER_DETAIL: tuple[Column, ...] = (
    Column("operate_time", "operate_time", baidu_time, 25),
    Column("opt_type", "opt_type", text, 8),
    Column("order_id", "order_id", text, 16),
    Column("third_order_id", "third_order_id", text, 22),
    Column("ref_money_yuan", "ref_money", amount, 14),
)

EXPENSES: tuple[Column, ...] = (
    Column("task_id", "task_id", text, 14),
    Column("type_id", "type_id", text, 10),
    Column("pay_status", "pay_status", text, 10),
    Column("operate_time", "operate_time", baidu_time, 25),
    Column("start_time", "start_time", baidu_time, 25),
    Column("end_time", "end_time", baidu_time, 25),
    Column("money_yuan", "money", amount),
)

PAYOUT: tuple[Column, ...] = (
    Column("task_id", "task_id", text, 14),
    Column("payment_status", "payment_status", text, 14),
    Column("paid_money_yuan", "paid_money", amount, 15),
    Column("paid_account", "paid_account", masked("paid_account"), 12),
    Column("receive_user", "receive_user", text, 12),
    Column("remark", "remark", text, 24),
)

#: Width of the `app` column that `--all-apps` puts first (table format).
APP_WIDTH = 16


class RowError(ValueError):
    """A wire row whose value cannot be what its column says (names the row and field)."""


def header(columns: Sequence[Column], *, with_app: bool) -> tuple[str, ...]:
    """The header of an export, `app` first when several mini-programs share the output."""
    names = tuple(column.name for column in columns)
    return ("app", *names) if with_app else names


def format_rows(columns: Sequence[Column], items: Sequence[Any]) -> list[Row]:
    """Wire rows (JSON objects) -> output rows in column order; RowError names what is wrong.

    A page in Baidu's canonical forms is converted a column at a time (`columnar`); any other
    page, and every error, goes through the per-row converter, the reference of both.
    """
    columns = tuple(columns)
    rows = columnar.convert_page(*_column_plan(columns), items)
    if rows is not None:
        return rows
    convert = _row_converter(columns)
    try:
        return convert(items)
    except (ValueError, TypeError, ArithmeticError, AttributeError):
        pass
    for index, item in enumerate(items, 1):  # the slow path only to say which row and field
        if not isinstance(item, Mapping):
            raise RowError(f"row {index} is not an object")
        try:
            convert([item])
        except (ValueError, TypeError, ArithmeticError):
            raise RowError(_explain(columns, item, index)) from None
    raise RowError("unreadable rows")  # pragma: no cover - the loop above finds the row


ColumnPlan = tuple[tuple[str, ...], tuple[str, ...], tuple[Convert, ...]]
#: id(columns) -> (columns, plan); the column set is kept, so its id is never another's. Looked
#: up by identity because hashing 13 frozen dataclasses per page cost a tenth of converting it.
_plans: dict[int, tuple[tuple[Column, ...], ColumnPlan]] = {}


def _column_plan(columns: tuple[Column, ...]) -> ColumnPlan:
    """The wire fields, bulk checks (`columnar` kinds) and converters of a column set."""
    known = _plans.get(id(columns))
    if known is not None and known[0] is columns:
        return known[1]
    kinds: dict[Convert, str] = {
        text: columnar.TEXT,
        amount: columnar.AMOUNT,
        baidu_time: columnar.TIME,
    }
    plan = (
        tuple(column.source for column in columns),
        tuple(kinds.get(column.convert, columnar.OTHER) for column in columns),
        tuple(column.convert for column in columns),
    )
    if len(_plans) >= 64:  # only ever a handful (the export kinds); never unbounded
        _plans.clear()
    _plans[id(columns)] = (columns, plan)
    return plan


@functools.cache
def _row_converter(columns: tuple[Column, ...]) -> Callable[[Sequence[Any]], list[Row]]:
    """A function converting a page of wire rows, generated once per column set.

    Why generated: this is the hot loop of a large export (13 fields x 100,000 rows); one
    tuple display per row with the fast paths of `text`, `amount` and `baidu_time` inlined
    costs a fraction of a generic loop calling a converter per field. Inlined or not, a value
    gets exactly what its converter would give (the slow path *is* the converter). The code is built from the column table only
    (names are `repr`-quoted), never from data.
    """
    namespace: dict[str, Any] = {
        "text": text,
        "amount": amount,
        "baidu_time": baidu_time,
        "is_amount": _canonical_amount,
        "is_time": _baidu_time,
        "check_time": datetime.fromisoformat,
    }
    fields = []
    for index, column in enumerate(columns):
        key = repr(column.source)
        if column.convert is text:
            fields.append(
                f"(_v if (_v := get({key})).__class__ is str or _v is None else text(_v))"
            )
        elif column.convert is amount:
            fields.append(
                f"(_v if (_v := get({key})).__class__ is str and is_amount(_v)"
                " else None if _v is None else amount(_v))"
            )
        elif column.convert is baidu_time:
            fields.append(
                f"(f'{{_v[:10]}}T{{_v[11:]}}+08:00' if (_v := get({key})).__class__ is str and is_time(_v)"
                " and check_time(_v) else baidu_time(_v))"
            )
        else:
            namespace[f"c{index}"] = column.convert
            fields.append(f"c{index}(get({key}))")
    source = (
        "def convert(items):\n"
        "    out = []\n"
        "    append = out.append\n"
        "    for item in items:\n"
        "        get = item.get\n"
        f"        append(({', '.join(fields)},))\n"
        "    return out\n"
    )
    exec(source, namespace)  # generated from the column table only, see the docstring
    convert: Callable[[Sequence[Any]], list[Row]] = namespace["convert"]
    return convert


def _explain(columns: Sequence[Column], item: Mapping[str, Any], index: int) -> str:
    """Which field of row `index` failed, and why (values are not shown: they may be sensitive)."""
    for column in columns:
        source, convert = column.source, column.convert
        try:
            convert(item.get(source))
        except (ValueError, TypeError, ArithmeticError) as error:
            kind = getattr(convert, "__name__", "value").replace("_", " ")
            return f"row {index}: field {source}: not a valid {kind} ({type(error).__name__})"
    return f"row {index}: unreadable"
