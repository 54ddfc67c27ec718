"""The finance endpoints (支付收入/支出): balance per day, one day's income detail, other items
(commission), expenses (payouts) and a payout's detail, from datagen's ledger."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from smartpay_apply.sandbox import datagen
from smartpay_apply.sandbox.data import (
    RULE_TYPE,
    STATUS_NAMES,
    beijing_text,
    date_param,
    day_time,
    paging_of,
    service_of,
    window_of,
)
from smartpay_apply.sandbox.errors import ApiError, success
from smartpay_apply.sandbox.fields import require
from smartpay_apply.sandbox.handlers import Call


def _ledger(call: Call, service: dict[str, Any]) -> datagen.Ledger:
    return datagen.ledger(
        call.config.seed,
        call.app_id,
        window_of(call),
        int(service["commission_rate"]),
        int(service["payment_days"]),
        int(service["pool_cash_pledge"]),
    )


def _page(items: list[Any], page: int, size: int) -> list[Any]:
    return items[(page - 1) * size : page * size]


def _range(call: Call) -> tuple[date, date]:
    first, last = date_param(call.params, "start_time"), date_param(call.params, "end_time")
    if last < first:
        raise ApiError(60000, "end_time 早于 start_time")
    return first, last


def finance_balance(call: Call) -> dict[str, Any]:
    service = service_of(call)
    page, size = paging_of(call.params)
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
            "payment_due": day_time(books.next_payment),
            "others": datagen.yuan(sum(d.others for d in days)),
            "page_size": size,
            "total_count": len(days),
            "current_page": page,
        }
    )


def _income_rows(call: Call, day: date) -> tuple[datagen.DayOrders, list[int]]:
    window = window_of(call)
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
        "operate_time": beijing_text(created),
        "third_order_id": f"ZD{created}{int.from_bytes(h[5:10], 'big') % 10**9:09d}",
    }


def _one_day(call: Call) -> date:
    """incomedetail's day: start_time; an end_time (the public doc lists one, the SDKs send
    none) must be that same day, "该接口只查询某一天的数据" (`documented_shapes`)."""
    day = date_param(call.params, "start_time")
    if "end_time" in call.params and call.config.strict("documented_shapes"):
        try:
            last = date.fromisoformat(call.params["end_time"].strip())
        except ValueError:
            raise ApiError(60000, "end_time 格式为 YYYY-MM-DD") from None
        if last != day:
            raise ApiError(60000, "该接口只查询某一天的数据: end_time 须等于 start_time")
    return day


def income_detail(call: Call) -> dict[str, Any]:
    service = service_of(call)
    page, size = paging_of(call.params)
    day = _one_day(call)
    window = window_of(call)
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
            "operate_time": day_time(day),
            "income_amount": datagen.yuan(books.income),
            "page_size": size,
            "total_count": len(indices),
            "current_page": page,
            "refund_amount": datagen.yuan(books.refunded),
        }
    )


def other_detail(call: Call) -> dict[str, Any]:
    service = service_of(call)
    page, size = paging_of(call.params)
    first, last = _range(call)
    window = window_of(call)
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
        "settlement_start_time": day_time(first),
        "settlement_end_time": day_time(last + timedelta(days=1)),
    }
    if not call.config.strict("documented_shapes"):
        data.update(page_size=size, total_count=total, current_page=page)
    return success(data)


def finance_expense(call: Call) -> dict[str, Any]:
    service = service_of(call)
    page, size = paging_of(call.params)
    first, last = _range(call)
    payouts = [p for p in reversed(_ledger(call, service).payouts) if first <= p.paid_on <= last]
    return success(
        {
            "expense_count": len(payouts),
            "data": [
                {
                    "money": datagen.yuan(-p.amount),
                    "operate_time": day_time(p.paid_on),
                    "start_time": day_time(p.for_day),
                    "type_id": "自动打款",
                    "end_time": day_time(p.for_day + timedelta(days=1)),
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
    service = service_of(call)
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
