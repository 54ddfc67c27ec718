"""orderlist (支付订单流水列表): the app's deterministic orders in a unix-time window, newest
first, paged with total_count and total_page as the doc's sample shows."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from typing import Any

from smartpay_apply.sandbox import datagen
from smartpay_apply.sandbox.data import (
    beijing_text,
    paging_of,
    service_of,
    timestamp_param,
    window_of,
)
from smartpay_apply.sandbox.errors import ApiError, success
from smartpay_apply.sandbox.fields import require
from smartpay_apply.sandbox.handlers import Call
from smartpay_apply.timeutil import day_start_timestamp

#: "0000".."9999": a phone number's tail looked up, not formatted per row.
_FOUR_DIGITS = tuple(f"{n:04d}" for n in range(10_000))


def _day_rows(
    call: Call, service: dict[str, Any], orders: datagen.DayOrders, indices: Iterable[int]
) -> list[dict[str, Any]]:
    """The rows of one day's orders at `indices`, in that order.

    Each row is a pure function of (seed, app, day, index); what the rows of a day share (the
    digest of the leading parts, the first order number, the columns) is looked up once per
    page, not once per row: serving a page was the sandbox's main cost in an export.
    """
    seed, app_id, day = call.config.seed, call.app_id, orders.day
    prefix = datagen.digest_prefix("row", seed, app_id, day.isoformat())
    first_number = datagen.order_number(seed, app_id, day, 0)
    deal_id = service["deal_id"]
    titles, channels = datagen.TITLES, datagen.CHANNELS
    start, offsets, statuses = orders.start, orders.offsets, orders.statuses
    totals, pays, delays = orders.total_fen, orders.pay_fen, orders.update_delay
    rows = []
    for index in indices:
        number = str(first_number + index)
        state = prefix.copy()  # datagen.digest_after, inlined: this loop is the hot one
        state.update(str(index).encode())
        h = state.digest()
        status = statuses[index]
        created = start + offsets[index]
        phone = (
            "未登录用户"
            if h[0] % 10 == 0
            else f"1{30 + h[1] % 60}****{_FOUR_DIGITS[int.from_bytes(h[2:4], 'big') % 10000]}"
        )
        pay = str(pays[index])
        rows.append(
            {
                "id": number,
                "deal_id": deal_id,
                "deal_title": titles[h[4] % len(titles)],
                "order_id": number,
                "tp_order_id": f"ZD{created}{int.from_bytes(h[5:10], 'big') % 10**9:09d}",
                "phone": phone,
                "create_time": beijing_text(created),
                "update_time": beijing_text(created + delays[index]),
                "sub_status": str(status),
                "total_money": str(totals[index]),
                "pay_money": pay,
                "segment_refunded_money": pay if status == 5 else None,
                "channel": None if status in (1, 7) else channels[h[10] % len(channels)],
            }
        )
    return rows


Span = tuple[datagen.DayOrders, int, int, int]


@functools.lru_cache(maxsize=256)
def _spans(
    seed: int, app_id: int, window: datagen.Window, start: int, end: int, wanted: int | None
) -> tuple[Span, ...]:
    """Newest day first: each day's orders, the index range [lo, hi) within [start, end] and
    how many of them match `wanted` (no rows built). A pure function of its arguments, cached:
    every page of one export asks for the same spans (finding them cost ~0.4 ms per page)."""
    spans: list[Span] = []
    for day in reversed(window.days()):
        day_start = day_start_timestamp(day)
        if day_start > end or day_start + datagen.SECONDS_PER_DAY <= start:
            continue
        orders = datagen.day_orders(seed, app_id, day, window.per_day)
        lo, hi = datagen.orders_in_range(orders, start, end)
        count = hi - lo if wanted is None else orders.statuses.count(wanted, lo, hi)
        if count:
            spans.append((orders, lo, hi, count))
    return tuple(spans)


def order_list(call: Call) -> dict[str, Any]:
    service = service_of(call)
    page, size = paging_of(call.params)
    status_text = require(call.params, ("status",))["status"]
    if status_text != "all" and status_text not in {str(s) for s in range(1, 8)}:
        raise ApiError(60000, "status 取值 all, 1-7")
    wanted = None if status_text == "all" else int(status_text)
    start, end = (
        timestamp_param(call.params, "start_time"),
        timestamp_param(call.params, "end_time"),
    )
    if end < start:
        raise ApiError(60000, "end_time 早于 start_time")
    spans = _spans(call.config.seed, call.app_id, window_of(call), start, end, wanted)
    total = sum(span[3] for span in spans)
    skip = (page - 1) * size
    rows: list[dict[str, Any]] = []
    for orders, lo, hi, count in spans:
        if len(rows) >= size:
            break
        if skip >= count:
            skip -= count
            continue
        newest_first = range(hi - 1, lo - 1, -1)
        picked: Sequence[int] = (
            newest_first
            if wanted is None
            else [i for i in newest_first if orders.statuses[i] == wanted]
        )[skip : skip + size - len(rows)]
        skip = 0
        rows.extend(_day_rows(call, service, orders, picked))
    return success(
        {
            "total_money": "-",
            "current_page": page,
            "page_size": size,
            "total_count": total,
            "total_page": math.ceil(total / size),
            "data": rows,
        }
    )
