"""orderlist answers byte for byte as the straightforward generator wrote them.

The sandbox builds a page's rows with what a day's rows share computed once (issue 16): the
reference below is the generator as it was before (one digest, one order number and two
formatted times per row, the page found by skipping rows one by one), and every page must be
the same bytes, whatever the status filter, page size or time window.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpay_apply.sandbox import datagen
from smartpay_apply.sandbox.data import beijing_text
from smartpay_apply.timeutil import day_start_timestamp
from tests.sandbox.helpers import PAY, client, onboard, token

END = date(2024, 3, 31)
DAYS = 4
PER_DAY = 53
SEED = 11
APP = 21
WINDOW = datagen.Window(END - timedelta(days=DAYS - 1), END, PER_DAY)


def _reference_beijing_text(unix: int) -> str:
    days, seconds = divmod(unix + 8 * 3600, 86400)
    hours, rest = divmod(seconds, 3600)
    day = date.fromordinal(date(1970, 1, 1).toordinal() + days).isoformat()
    return f"{day} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _reference_row(deal_id: Any, orders: datagen.DayOrders, index: int) -> dict[str, Any]:
    day = orders.day
    number = str(datagen.order_number(SEED, APP, day, index))
    h = datagen.digest_of("row", SEED, APP, day.isoformat(), index)
    status = orders.statuses[index]
    created = orders.start + orders.offsets[index]
    phone = (
        "未登录用户"
        if h[0] % 10 == 0
        else f"1{30 + h[1] % 60}****{int.from_bytes(h[2:4], 'big') % 10000:04d}"
    )
    paid = status not in (1, 7)
    return {
        "id": number,
        "deal_id": deal_id,
        "deal_title": datagen.TITLES[h[4] % len(datagen.TITLES)],
        "order_id": number,
        "tp_order_id": f"ZD{created}{int.from_bytes(h[5:10], 'big') % 10**9:09d}",
        "phone": phone,
        "create_time": _reference_beijing_text(created),
        "update_time": _reference_beijing_text(created + orders.update_delay[index]),
        "sub_status": str(status),
        "total_money": str(orders.total_fen[index]),
        "pay_money": str(orders.pay_fen[index]),
        "segment_refunded_money": str(orders.pay_fen[index]) if status == 5 else None,
        "channel": datagen.CHANNELS[h[10] % len(datagen.CHANNELS)] if paid else None,
    }


def _reference_body(
    deal_id: Any, start: int, end: int, wanted: int | None, page: int, size: int
) -> bytes:
    spans = []
    for day in reversed(WINDOW.days()):
        orders = datagen.day_orders(SEED, APP, day, PER_DAY)
        lo, hi = datagen.orders_in_range(orders, start, end)
        count = hi - lo if wanted is None else orders.statuses.count(wanted, lo, hi)
        if count:
            spans.append((orders, lo, hi, count))
    total = sum(span[3] for span in spans)
    skip = (page - 1) * size
    rows: list[dict[str, Any]] = []
    for orders, lo, hi, count in spans:
        if len(rows) >= size:
            break
        if skip >= count:
            skip -= count
            continue
        for index in range(hi - 1, lo - 1, -1):
            if wanted is not None and orders.statuses[index] != wanted:
                continue
            if skip:
                skip -= 1
                continue
            rows.append(_reference_row(deal_id, orders, index))
            if len(rows) >= size:
                break
    data = {
        "total_money": "-",
        "current_page": page,
        "page_size": size,
        "total_count": total,
        "total_page": math.ceil(total / size),
        "data": rows,
    }
    return orderlist_bytes(data)


def orderlist_bytes(data: dict[str, Any]) -> bytes:
    return orjson.dumps({"errno": 0, "msg": "success", "data": data})


async def _page(
    http: httpx.AsyncClient, start: int, end: int, status: str, page: int, size: int
) -> bytes:
    params = {
        **token(APP),
        "status": status,
        "start_time": str(start),
        "end_time": str(end),
        "current_page": str(page),
        "page_size": str(size),
    }
    response = await http.get(f"{PAY}/paymentservice/orderlist", params=params)
    return response.content


def _settings() -> dict[str, Any]:
    return {
        "audit_delay": 0,
        "orders_per_day": PER_DAY,
        "data_days": DAYS,
        "data_end": END.isoformat(),
        "seed": SEED,
    }


@pytest.mark.parametrize("status", ["all", "2", "5", "7"])
@pytest.mark.parametrize("size", [1, 7, 50, 1000])
async def test_every_page_is_the_reference_bytes(status: str, size: int) -> None:
    first, last = WINDOW.first, WINDOW.last
    # Part of the first day and part of the last: pages start and end inside days.
    start = day_start_timestamp(first) + 5 * 3600
    end = day_start_timestamp(last) + 20 * 3600
    wanted = None if status == "all" else int(status)
    async with client(**_settings()) as http:
        await onboard(http, APP)
        first_page = orjson.loads(await _page(http, start, end, status, 1, size))["data"]
        deal_id = first_page["data"][0]["deal_id"]
        pages = first_page["total_page"]
        assert pages >= 1
        for page in [*range(1, min(pages, 12) + 1), pages - 1, pages, pages + 1]:
            if page < 1:
                continue
            served = await _page(http, start, end, status, page, size)
            assert served == _reference_body(deal_id, start, end, wanted, page, size), page


@given(st.integers(-(2**34), 2**34))
def test_beijing_text_is_the_reference_text(unix: int) -> None:
    if date(1, 1, 2) <= date(1970, 1, 1) + timedelta(seconds=unix) <= date(9999, 12, 30):
        assert beijing_text(unix) == _reference_beijing_text(unix)


@given(st.text(max_size=12), st.integers(0, 10**6))
def test_a_digest_prefix_gives_the_digest_of_all_parts(text: str, last: int) -> None:
    prefix = datagen.digest_prefix("row", text, 7)
    assert datagen.digest_after(prefix, last) == datagen.digest_of("row", text, 7, last)
    assert datagen.digest_after(prefix, last) == datagen.digest_of("row", text, 7, last)
