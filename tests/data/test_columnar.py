"""The column-at-a-time conversion gives exactly what the per-row converter gives.

`columnar.convert_page` exists for speed only (issue 16): for any page it either declines
(None) or returns the very rows of the reference, the generated per-row converter. Pages here
mix canonical values (which take the fast path) with every kind of value that must not.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartpay_apply.data import columnar
from smartpay_apply.data.columns import (
    INCOME,
    ORDERS,
    PAYOUT,
    Column,
    RowError,
    _column_plan,
    _row_converter,
    format_rows,
)

ROW = {
    "id": "74543897600999",
    "deal_id": "1918335129",
    "deal_title": "门票预订",
    "order_id": "74543897600999",
    "tp_order_id": "ZD1711900794527019318",
    "phone": "未登录用户",
    "create_time": "2024-03-31 23:59:54",
    "update_time": "2024-04-03 10:05:30",
    "sub_status": "3",
    "total_money": "3273",
    "pay_money": "3273",
    "segment_refunded_money": None,
    "channel": "微信支付",
}

_CANONICAL_AMOUNTS = st.from_regex(r"-?(0|[1-9][0-9]{0,8})(\.[0-9]{1,3})?", fullmatch=True)
_CANONICAL_TIMES = st.from_regex(
    r"(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) "
    r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]",
    fullmatch=True,
)
_ODD = st.sampled_from(
    [
        None,
        "",
        "-",
        "--",
        "007",
        "1,234.5",
        "+3",
        "1e3",
        "NaN",
        "1\n2",
        "3273\n",
        "2019-02-30 10:00:00",
        "2019-02-29 10:00:00",
        "2020-02-29 10:00:00",
        "0000-01-01 00:00:00",
        "2019-05-30 24:00:00",
        "2019-05-30 23:60:00",
        "2019-05-30T21:37:53",
        "2019-05-30 21:37:53\n2019-05-30 21:37:53",
        "2019-05-30",
        "abc",
        "a,b",
        'say "hi"',
        "x\ry",
        0,
        -5,
        12345678901234567890123,
        1.5,
        True,
        [],
        {},
    ]
)
_VALUE = st.one_of(_CANONICAL_AMOUNTS, _CANONICAL_TIMES, _ODD, st.text(max_size=6))


def _reference(columns: tuple[Column, ...], items: list[Any]) -> tuple[str, Any]:
    try:
        return ("ok", _row_converter(columns)(items))
    except (ValueError, TypeError, ArithmeticError, AttributeError):
        return ("error", None)


def _canonical_page(draw: Any, columns: tuple[Column, ...], rows: int) -> list[dict[str, Any]]:
    """Rows of canonical values (the fast path's case), a few fields then replaced by odd ones."""
    canonical = {"text": st.text(max_size=6), "amount": _CANONICAL_AMOUNTS}
    canonical["time"] = _CANONICAL_TIMES
    plan = _column_plan(columns)
    page = []
    for _ in range(rows):
        item: dict[str, Any] = {}
        for source, kind in zip(plan[0], plan[1], strict=True):
            if kind == columnar.OTHER:
                item[source] = draw(st.one_of(st.none(), st.text(max_size=8)))
            else:
                item[source] = draw(st.one_of(st.none(), canonical[kind]))
        page.append(item)
    for _ in range(draw(st.integers(0, 2))):
        item = page[draw(st.integers(0, rows - 1))]
        source = draw(st.sampled_from(plan[0]))
        if draw(st.booleans()):
            item[source] = draw(_VALUE)
        else:
            item.pop(source, None)
    return page


@st.composite
def _pages(draw: Any) -> tuple[tuple[Column, ...], list[Any]]:
    columns = draw(st.sampled_from([ORDERS, INCOME, PAYOUT]))
    rows = draw(st.integers(1, 6))
    return columns, _canonical_page(draw, columns, rows)


@pytest.mark.slow  # ~6 s: 400 random pages (the fast subset keeps the examples above)
@settings(max_examples=400)
@given(_pages())
def test_a_page_by_columns_is_the_per_row_conversion(page: tuple[tuple[Column, ...], Any]) -> None:
    columns, items = page
    fast = columnar.convert_page(*_column_plan(columns), items)
    expected = _reference(columns, items)
    if fast is not None:
        assert ("ok", fast) == expected
    try:
        got = ("ok", format_rows(columns, items))
    except RowError:
        got = ("error", None)
    assert got == expected


def test_canonical_pages_take_the_column_path_and_odd_ones_do_not() -> None:
    plan = _column_plan(ORDERS)
    refunded = {**ROW, "segment_refunded_money": "3273", "channel": None, "order_id": 7}
    rows = columnar.convert_page(*plan, [ROW, refunded] * 50)
    assert rows is not None and rows == _row_converter(ORDERS)([ROW, refunded] * 50)
    assert rows[0][7:9] == ("2024-03-31T23:59:54+08:00", "2024-04-03T10:05:30+08:00")
    assert rows[1][3] == "1918335129" and rows[1][0] == "7"  # an id sent as a number: its digits
    for odd in (
        {**ROW, "total_money": "1\n2"},  # two canonical amounts in one value: not an amount
        {**ROW, "create_time": "2019-02-30 10:00:00"},  # no such day
        {**ROW, "phone": 1.5},  # not a text
    ):
        assert columnar.convert_page(*plan, [ROW, odd]) is None
    assert columnar.convert_page(*plan, []) is None
    assert columnar.convert_page(*plan, ({**ROW},)) is None  # only lists take the column path
