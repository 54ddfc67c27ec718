"""Rows and formats: exact money with units, +08:00 times, stable headers, readable tables."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpay_apply.data.columns import (
    EXPENSES,
    INCOME,
    ORDERS,
    PAYOUT,
    Column,
    RowError,
    amount,
    baidu_time,
    format_rows,
    header,
    text,
)
from smartpay_apply.data.writers import CsvWriter, JsonlWriter, TableWriter, make_writer

ORDER = {
    "id": "80048556607063",
    "deal_id": "2055275011",
    "deal_title": '一清测试订单, "quoted"',
    "order_id": 80048556607063,
    "tp_order_id": "TEST345671234",
    "phone": "178****2684",
    "create_time": "2019-05-30 21:37:53",
    "update_time": "2019-05-30 21:37:55",
    "sub_status": "2",
    "total_money": "20",
    "pay_money": 19,
    "segment_refunded_money": None,
    "channel": None,
}


def _one(columns, item):  # type: ignore[no-untyped-def]
    return format_rows(columns, [item])[0]


def test_order_row_has_units_exact_money_and_shanghai_times() -> None:
    row = dict(zip(header(ORDERS, with_app=False), _one(ORDERS, ORDER), strict=True))
    assert row["order_id"] == "80048556607063"  # sent as a number, printed as its digits
    assert row["total_money_fen"] == "20"
    assert row["pay_money_fen"] == "19"
    assert row["segment_refunded_money_fen"] is None
    assert row["create_time"] == "2019-05-30T21:37:53+08:00"
    assert row["sub_status"] == "2"


def test_finance_amounts_keep_sign_and_digits() -> None:
    day = {"income": "0.10", "operate_time": "2019-05-21", "adjust_amount": "-", "others": "-0.01"}
    assert _one(INCOME, day) == ("2019-05-21", "0.10", None, "-0.01")


def test_amounts_in_other_forms_are_printed_exactly() -> None:
    day = {
        "income": "1,234.50",
        "operate_time": "2019-05-21 00:00:00",
        "adjust_amount": 3,
        "others": "+0.5",
    }
    assert _one(INCOME, day) == ("2019-05-21", "1234.50", "3", "0.5")


def test_a_bad_value_names_row_and_field_without_showing_it() -> None:
    bad = {**ORDER, "create_time": "2019-02-30 10:00:00"}
    with pytest.raises(
        RowError, match=r"row 2: field create_time: not a valid baidu time"
    ) as caught:
        format_rows(ORDERS, [ORDER, bad])
    assert "2019-02-30" not in str(caught.value)
    with pytest.raises(RowError, match="row 1: field total_money: not a valid amount"):
        format_rows(ORDERS, [{**ORDER, "total_money": "12元"}])


def test_payout_account_is_masked_to_its_tail() -> None:
    item = {
        "task_id": 12688777319,
        "paid_money": "0.05",
        "paid_account": "6217000010001234",
        "remark": "ok",
        "receive_user": "*若阳",
        "payment_status": "成功",
    }
    assert _one(PAYOUT, item) == ("12688777319", "成功", "0.05", "****1234", "*若阳", "ok")


def test_app_column_comes_first_in_the_header() -> None:
    assert header(EXPENSES, with_app=True)[:2] == ("app", "task_id")


def test_csv_round_trips_through_the_csv_module() -> None:
    names = header(ORDERS, with_app=False)
    writer = CsvWriter(names)
    text = writer.header() + writer.rows(format_rows(ORDERS, [ORDER] * 2))
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == list(names)
    assert parsed[1][names.index("deal_title")] == '一清测试订单, "quoted"'
    assert parsed[1][names.index("segment_refunded_money_fen")] == ""
    assert len(parsed) == 3


def test_jsonl_is_one_object_per_line_in_column_order() -> None:
    names = header(ORDERS, with_app=False)
    writer = JsonlWriter(names)
    assert writer.header() == ""
    lines = writer.rows(format_rows(ORDERS, [ORDER] * 3)).splitlines()
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


_VALUES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "",
            "-",
            "0",
            "-0.01",
            "0.10",
            "007",
            "1,234.5",
            "+3",
            "1e3",
            "NaN",
            "2019-05-30 21:37:53",
            "2019-02-30 10:00:00",
            "2019-05-30",
            "2019-05-30T21:37:53",
            "24:00:00",
            "abc",
        ]
    ),
    st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{1,3})?", fullmatch=True),
    st.from_regex(
        r"20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]", fullmatch=True
    ),
    st.integers(-(10**6), 10**6),
    st.text(max_size=8),
)


def _direct(convert, value):  # type: ignore[no-untyped-def]
    try:
        return ("ok", convert(value))
    except (ValueError, TypeError, ArithmeticError):
        return ("error", None)


@given(_VALUES)
def test_the_generated_fast_path_gives_exactly_what_each_converter_gives(value: object) -> None:
    for convert in (text, amount, baidu_time):
        columns = (Column("x", "x", convert),)
        expected = _direct(convert, value)
        try:
            got = ("ok", format_rows(columns, [{"x": value}])[0][0])
        except RowError:
            got = ("error", None)
        assert got == expected, (convert.__name__, value)
