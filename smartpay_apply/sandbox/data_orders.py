"""orderlist (支付订单流水列表): the app's deterministic orders in a unix-time window, newest
first, paged with total_count and total_page as the doc's sample shows."""

from __future__ import annotations

import functools
import math
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


def _order_row(
    call: Call, service: dict[str, Any], orders: datagen.DayOrders, index: int
) -> dict[str, Any]:
    seed, day = call.config.seed, orders.day
    number = str(datagen.order_number(seed, call.app_id, day, index))
    h = datagen.digest_of("row", seed, call.app_id, day.isoformat(), index)
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
        "deal_id": service["deal_id"],
        "deal_title": datagen.TITLES[h[4] % len(datagen.TITLES)],
        "order_id": number,
        "tp_order_id": f"ZD{created}{int.from_bytes(h[5:10], 'big') % 10**9:09d}",
        "phone": phone,
        "create_time": beijing_text(created),
        "update_time": beijing_text(created + orders.update_delay[index]),
        "sub_status": str(status),
        "total_money": str(orders.total_fen[index]),
        "pay_money": str(orders.pay_fen[index]),
        "segment_refunded_money": str(orders.pay_fen[index]) if status == 5 else None,
        "channel": datagen.CHANNELS[h[10] % len(datagen.CHANNELS)] if paid else None,
    }


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
        for index in range(hi - 1, lo - 1, -1):
            if wanted is not None and orders.statuses[index] != wanted:
                continue
            if skip:
                skip -= 1
                continue
            rows.append(_order_row(call, service, orders, index))
            if len(rows) >= size:
                break
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
