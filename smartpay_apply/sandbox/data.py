"""The payment-data endpoints (支付数据): orderlist and the five finance endpoints.

They serve `datagen`'s deterministic data for apps whose payment service has been approved
(60008 otherwise), paged as documented (current_page from 1, page_size; the answers carry the
paging fields the doc's samples show: total_count, total_page for orderlist, and none at all
for otherdetail). Newest first, like the doc's examples.
"""

from __future__ import annotations

import functools
import math
from datetime import date, datetime, timedelta
from typing import Any

from smartpay_apply.sandbox import datagen
from smartpay_apply.sandbox.errors import ApiError, success
from smartpay_apply.sandbox.fields import require
from smartpay_apply.sandbox.handlers import Call, Handler
from smartpay_apply.sandbox.world import app_record
from smartpay_apply.timeutil import SHANGHAI, day_start_timestamp

MAX_PAGE_SIZE = 1000
RULE_TYPE = (
    '{"commisionLadder":"0.00-9,223,372,036,854,775.00,0.60%;","marketing":"营销模式",'
    '"marketingLadder":"","fixedCostLadder":"","fixedCost":"固定费用","commision":"分佣模式"}'
)
STATUS_NAMES = {2: "成交", 3: "使用"}


def _service(call: Call) -> dict[str, Any]:
    """The approved service values (data exists only once a service was approved)."""
    service = app_record(call.state, call.app_id)["payment_service"]
    if service is None or not service.get("approved"):
        raise ApiError(60008)
    values: dict[str, Any] = service["approved"]
    return {**values, "deal_id": service["deal_id"]}


def _window(call: Call) -> datagen.Window:
    config = call.config
    if config.data_end:
        last = date.fromisoformat(config.data_end)
    else:
        last = datetime.fromtimestamp(call.now, SHANGHAI).date() - timedelta(days=1)
    first = last - timedelta(days=max(config.data_days, 1) - 1)
    return datagen.Window(first, last, max(config.orders_per_day, 0))


def _paging(params: dict[str, str]) -> tuple[int, int]:
    raw = require(params, ("current_page", "page_size"))
    try:
        page, size = int(raw["current_page"]), int(raw["page_size"])
    except ValueError:
        raise ApiError(60000, "current_page/page_size 必须是整数") from None
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError(60000, f"current_page >= 1, page_size 1-{MAX_PAGE_SIZE}")
    return page, size


def _date(params: dict[str, str], name: str) -> date:
    try:
        return date.fromisoformat(require(params, (name,))[name])
    except ValueError:
        raise ApiError(60000, f"{name} 格式为 YYYY-MM-DD") from None


def _timestamp(params: dict[str, str], name: str) -> int:
    text = require(params, (name,))[name]
    if not text.isdigit() or len(text) != 10:
        raise ApiError(60000, f"{name} 是 10 位时间戳")
    return int(text)


BEIJING_OFFSET = 8 * 3600  # Asia/Shanghai has been UTC+8 without DST since 1992
UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@functools.lru_cache(maxsize=8192)
def _day_text(days_since_epoch: int) -> str:
    return date.fromordinal(UNIX_EPOCH_ORDINAL + days_since_epoch).isoformat()


def _fmt(unix: int) -> str:
    """A unix time as Beijing wall-clock text; string arithmetic (hot: two per order row)."""
    days, seconds = divmod(unix + BEIJING_OFFSET, 86400)
    hours, rest = divmod(seconds, 3600)
    return f"{_day_text(days)} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _day_time(day: date) -> str:
    return f"{day.isoformat()} 00:00:00"


# ----------------------------------------------------------------------------- orderlist


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
        "create_time": _fmt(created),
        "update_time": _fmt(created + orders.update_delay[index]),
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
    service = _service(call)
    page, size = _paging(call.params)
    status_text = require(call.params, ("status",))["status"]
    if status_text != "all" and status_text not in {str(s) for s in range(1, 8)}:
        raise ApiError(60000, "status 取值 all, 1-7")
    wanted = None if status_text == "all" else int(status_text)
    start, end = _timestamp(call.params, "start_time"), _timestamp(call.params, "end_time")
    if end < start:
        raise ApiError(60000, "end_time 早于 start_time")
    spans = _spans(call.config.seed, call.app_id, _window(call), start, end, wanted)
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


# ------------------------------------------------------------------------------- finance


def _ledger(call: Call, service: dict[str, Any]) -> datagen.Ledger:
    return datagen.ledger(
        call.config.seed,
        call.app_id,
        _window(call),
        int(service["commission_rate"]),
        int(service["payment_days"]),
        int(service["pool_cash_pledge"]),
    )


def _page(items: list[Any], page: int, size: int) -> list[Any]:
    return items[(page - 1) * size : page * size]


def _range(call: Call) -> tuple[date, date]:
    first, last = _date(call.params, "start_time"), _date(call.params, "end_time")
    if last < first:
        raise ApiError(60000, "end_time 早于 start_time")
    return first, last


def finance_balance(call: Call) -> dict[str, Any]:
    service = _service(call)
    page, size = _paging(call.params)
    first, last = _range(call)
    books = _ledger(call, service)
    days = [d for d in reversed(books.days) if first <= d.day <= last and d.count]
    return success(
        {
            "income": datagen.yuan(sum(d.income for d in days)),
            "period": int(service["payment_days"]),
            "data": [
                {
                    "income": datagen.yuan(d.income),
                    "operate_time": d.day.isoformat(),
                    "adjust_amount": "0.00",
                    "others": datagen.yuan(d.others),
                }
                for d in _page(days, page, size)
            ],
            "adjustment": "0.00",
            "free_balance": datagen.yuan(books.free_balance),
            "payment_due": _day_time(books.next_payment),
            "others": datagen.yuan(sum(d.others for d in days)),
            "page_size": size,
            "total_count": len(days),
            "current_page": page,
        }
    )


def _income_rows(call: Call, day: date) -> tuple[datagen.DayOrders, list[int]]:
    window = _window(call)
    if not window.first <= day <= window.last:
        return datagen.day_orders(call.config.seed, call.app_id, day, 0), []
    orders = datagen.day_orders(call.config.seed, call.app_id, day, window.per_day)
    indices = [
        i for i in range(len(orders) - 1, -1, -1) if orders.statuses[i] in datagen.INCOME_STATUSES
    ]
    return orders, indices


def _detail_row(call: Call, orders: datagen.DayOrders, index: int) -> dict[str, Any]:
    created = orders.start + orders.offsets[index]
    h = datagen.digest_of("row", call.config.seed, call.app_id, orders.day.isoformat(), index)
    return {
        "opt_type": STATUS_NAMES[orders.statuses[index]],
        "order_id": datagen.order_number(call.config.seed, call.app_id, orders.day, index),
        "operate_time": _fmt(created),
        "third_order_id": f"ZD{created}{int.from_bytes(h[5:10], 'big') % 10**9:09d}",
    }


def _one_day(call: Call) -> date:
    """incomedetail's day: start_time; an end_time (the public doc lists one, the SDKs send
    none) must be that same day, "该接口只查询某一天的数据" (`documented_shapes`)."""
    day = _date(call.params, "start_time")
    if "end_time" in call.params and call.config.strict("documented_shapes"):
        try:
            last = date.fromisoformat(call.params["end_time"].strip())
        except ValueError:
            raise ApiError(60000, "end_time 格式为 YYYY-MM-DD") from None
        if last != day:
            raise ApiError(60000, "该接口只查询某一天的数据: end_time 须等于 start_time")
    return day


def income_detail(call: Call) -> dict[str, Any]:
    service = _service(call)
    page, size = _paging(call.params)
    day = _one_day(call)
    window = _window(call)
    books = (
        datagen.day_books(
            call.config.seed, call.app_id, day, window.per_day, int(service["commission_rate"])
        )
        if window.first <= day <= window.last
        else datagen.DayBooks(day, 0, 0, 0, 0)
    )
    orders, indices = _income_rows(call, day)
    rows = []
    for index in _page(indices, page, size):
        row = _detail_row(call, orders, index)
        rows.append({**row, "money": datagen.yuan(orders.pay_fen[index])})
    return success(
        {
            "income": datagen.yuan(books.income),
            "quantity": books.count,
            "data": rows,
            "operate_time": _day_time(day),
            "income_amount": datagen.yuan(books.income),
            "page_size": size,
            "total_count": len(indices),
            "current_page": page,
            "refund_amount": datagen.yuan(books.refunded),
        }
    )


def other_detail(call: Call) -> dict[str, Any]:
    service = _service(call)
    page, size = _paging(call.params)
    first, last = _range(call)
    window = _window(call)
    rate = int(service["commission_rate"])
    spans: list[tuple[datagen.DayOrders, list[int]]] = []
    order_total = commission_total = 0
    day = min(last, window.last)
    while day >= max(first, window.first):
        orders, indices = _income_rows(call, day)
        books = datagen.day_books(call.config.seed, call.app_id, day, window.per_day, rate)
        order_total += books.income
        commission_total += books.others
        spans.append((orders, indices))
        day -= timedelta(days=1)
    total = sum(len(indices) for _, indices in spans)
    skip = (page - 1) * size
    rows: list[dict[str, Any]] = []
    for orders, indices in spans:
        if len(rows) >= size:
            break
        if skip >= len(indices):
            skip -= len(indices)
            continue
        for index in indices[skip : skip + size - len(rows)]:
            rows.append(
                {
                    **_detail_row(call, orders, index),
                    "ref_money": datagen.yuan(datagen.commission_fen(orders.pay_fen[index], rate)),
                }
            )
        skip = 0
    data: dict[str, Any] = {
        "total_amount": datagen.yuan(commission_total),
        "order_amount": datagen.yuan(order_total),
        "data": rows,
        "rule_type": RULE_TYPE,
        "settlement_start_time": _day_time(first),
        "settlement_end_time": _day_time(last + timedelta(days=1)),
    }
    if not call.config.strict("documented_shapes"):
        data.update(page_size=size, total_count=total, current_page=page)
    return success(data)


def finance_expense(call: Call) -> dict[str, Any]:
    service = _service(call)
    page, size = _paging(call.params)
    first, last = _range(call)
    payouts = [p for p in reversed(_ledger(call, service).payouts) if first <= p.paid_on <= last]
    return success(
        {
            "expense_count": len(payouts),
            "data": [
                {
                    "money": datagen.yuan(-p.amount),
                    "operate_time": _day_time(p.paid_on),
                    "start_time": _day_time(p.for_day),
                    "type_id": "自动打款",
                    "end_time": _day_time(p.for_day + timedelta(days=1)),
                    "pay_status": "成功",
                    "task_id": p.task_id,
                }
                for p in _page(payouts, page, size)
            ],
            "expense_money": datagen.yuan(-sum(p.amount for p in payouts)),
            "total_count": len(payouts),
        }
    )


def _mask_card(card: str) -> str:
    return f"{card[:3]}****{card[-4:]}" if len(card) > 7 else "****"


def pay_detail(call: Call) -> dict[str, Any]:
    service = _service(call)
    raw = require(call.params, ("task_id",))["task_id"]
    if not raw.isdigit():
        raise ApiError(60000, "task_id 必须是整数")
    day = datagen.day_of_task(call.config.seed, call.app_id, int(raw))
    payout = next((p for p in _ledger(call, service).payouts if p.paid_on == day), None)
    if payout is None or payout.task_id != int(raw):
        raise ApiError(60021)
    account = str(service["bank_account"])
    return success(
        {
            "data": [
                {
                    "paid_money": datagen.yuan(payout.amount),
                    "paid_account": _mask_card(str(service["bank_card"])),
                    "remark": "交易成功#SUCCESS",
                    "receive_user": "*" + account[1:],
                    "payment_status": "成功",
                }
            ]
        }
    )


DATA_HANDLERS: dict[str, Handler] = {
    "orderlist": order_list,
    "financebalance": finance_balance,
    "financebalance/incomedetail": income_detail,
    "financebalance/otherdetail": other_detail,
    "financeexpense": finance_expense,
    "financeexpense/paydetail": pay_detail,
}
