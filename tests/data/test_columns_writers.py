"""Rows and formats: exact money with units, +08:00 times, stable headers, readable tables."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from smartpay_apply.api.models import ExpenseItem, FinanceBalanceDay, Order, PayDetailItem
from smartpay_apply.data.columns import (
    EXPENSES,
    INCOME,
    ORDERS,
    PAYOUT,
    format_row,
    format_value,
    header,
)
from smartpay_apply.data.writers import CsvWriter, JsonlWriter, TableWriter, make_writer

ORDER = Order.model_validate(
    {
        "id": "80048556607063",
        "deal_id": "2055275011",
        "deal_title": "一清测试订单, \"quoted\"",
        "order_id": "80048556607063",
        "tp_order_id": "TEST345671234",
        "phone": "178****2684",
        "create_time": "2019-05-30 21:37:53",
        "update_time": "2019-05-30 21:37:55",
        "sub_status": "2",
        "total_money": "20",
        "pay_money": "19",
        "segment_refunded_money": None,
        "channel": None,
    }
)


def test_order_row_has_units_exact_money_and_shanghai_times() -> None:
    row = dict(zip(header(ORDERS, with_app=False), format_row(ORDERS, ORDER), strict=True))
    assert row["total_money_fen"] == "20"
    assert row["pay_money_fen"] == "19"
    assert row["segment_refunded_money_fen"] is None
    assert row["create_time"] == "2019-05-30T21:37:53+08:00"
    assert row["sub_status"] == "2"


def test_finance_amounts_keep_sign_and_digits() -> None:
    day = FinanceBalanceDay.model_validate(
        {"income": "0.10", "operate_time": "2019-05-21", "adjust_amount": "0.00", "others": "-0.01"}
    )
    assert format_row(INCOME, day) == ("2019-05-21", "0.10", "0.00", "-0.01")


def test_utc_times_are_printed_in_shanghai() -> None:
    assert format_value(datetime(2019, 1, 1, 16, 0, tzinfo=UTC)) == "2019-01-02T00:00:00+08:00"
    assert format_value(Decimal("1E+2")) == "100"


def test_payout_account_is_masked_to_its_tail() -> None:
    item = PayDetailItem.model_validate(
        {"paid_money": "0.05", "paid_account": "6217000010001234", "remark": "ok", "receive_user": "*若阳", "payment_status": "成功"}
    )

    class Wrapped:
        task_id = 12688777319
        paid_money = item.paid_money
        paid_account = item.paid_account
        remark = item.remark
        receive_user = item.receive_user
        payment_status = item.payment_status

    row = format_row(PAYOUT, Wrapped())
    assert row == ("12688777319", "成功", "0.05", "****1234", "*若阳", "ok")


def test_app_column_comes_first() -> None:
    item = ExpenseItem.model_validate({"money": "-0.02", "task_id": 1, "operate_time": "2019-06-12 00:00:00"})
    assert header(EXPENSES, with_app=True)[0] == "app"
    assert format_row(EXPENSES, item, "shop")[:2] == ("shop", "1")


def test_csv_round_trips_through_the_csv_module() -> None:
    names = header(ORDERS, with_app=False)
    writer = CsvWriter(names)
    text = writer.header() + writer.rows([format_row(ORDERS, ORDER)] * 2)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == list(names)
    assert parsed[1][names.index("deal_title")] == "一清测试订单, \"quoted\""
    assert parsed[1][names.index("segment_refunded_money_fen")] == ""
    assert len(parsed) == 3


def test_jsonl_is_one_object_per_line_in_column_order() -> None:
    names = header(ORDERS, with_app=False)
    writer = JsonlWriter(names)
    assert writer.header() == ""
    lines = writer.rows([format_row(ORDERS, ORDER)] * 3).splitlines()
    assert len(lines) == 3
    record = json.loads(lines[0])
    assert list(record) == list(names)
    assert record["total_money_fen"] == "20"
    assert record["channel"] is None


def test_table_aligns_columns_and_cuts_long_text() -> None:
    writer = TableWriter(("a", "title"), (3, 6))
    text = writer.header() + writer.rows([("1", "商品名称很长的"), (None, "ab")])
    lines = text.splitlines()
    assert lines[0] == "a    title"
    assert lines[1] == "---  ------"
    assert lines[2] == "1    商品 …"  # 6 cells: a wide character is never split
    assert lines[3] == "     ab"


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="allowed: csv, jsonl, table"):
        make_writer("xml", ("a",), (1,))
