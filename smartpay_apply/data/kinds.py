"""The six exports: which endpoint feeds each, with which parameters, into which columns.

Date semantics (documented in docs/data.md): `--from`/`--to` are calendar days in
Asia/Shanghai, both included. The finance endpoints take those days as they are; orderlist
takes unix timestamps, so a range becomes [00:00:00 of --from, 23:59:59 of --to] Beijing time.
The order status filter is passed to orderlist as is: `all`, or one sub_status 1..7, which
Baidu matches against each order's current status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from smartpay_apply.data.columns import (
    EXPENSES,
    INCOME,
    INCOME_DETAIL,
    ORDERS,
    OTHER_DETAIL,
    PAYOUT,
    Column,
)
from smartpay_apply.data.pages import FetchPage, PageResult
from smartpay_apply.timeutil import day_start_timestamp

if TYPE_CHECKING:
    from smartpay_apply.api.app import AppApi

#: orderlist's status values: all, or 1 unpaid, 2 paid, 3 consumed, 4 refunding, 5 refunded,
#: 6 refund failed, 7 cancelled.
ORDER_STATUSES: tuple[str, ...] = ("all", "1", "2", "3", "4", "5", "6", "7")

#: Export name -> its columns, in the documented order.
COLUMNS: dict[str, tuple[Column, ...]] = {
    "orders": ORDERS,
    "income": INCOME,
    "income-detail": INCOME_DETAIL,
    "other-detail": OTHER_DETAIL,
    "expenses": EXPENSES,
    "payout": PAYOUT,
}


@dataclass(frozen=True)
class Query:
    """The parameters of one export; the ones an export does not use stay None."""

    start: date | None = None
    end: date | None = None
    status: str = "all"
    day: date | None = None
    task_id: int | None = None

    def as_params(self) -> dict[str, Any]:
        """The query as plain JSON values (the resume sidecar compares them)."""
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "status": self.status,
            "day": self.day.isoformat() if self.day else None,
            "task_id": self.task_id,
        }


def order_time_range(start: date, end: date) -> tuple[int, int]:
    """Inclusive Beijing days -> orderlist's [start_time, end_time] unix timestamps."""
    return day_start_timestamp(start), day_start_timestamp(end + timedelta(days=1)) - 1


@dataclass(frozen=True)
class PayoutRow:
    """One paydetail item with the task it belongs to (paydetail rows do not carry it)."""

    task_id: int
    paid_money: object
    paid_account: object
    remark: object
    receive_user: object
    payment_status: object


def page_fetcher(what: str, app: AppApi, query: Query, page_size: int) -> FetchPage:
    """`page number -> PageResult` for export `what` of one mini-program."""
    if what == "orders":
        return _orders(app, query, page_size)
    if what == "payout":
        return _payout(app, query)
    if what == "income-detail":
        return _income_detail(app, query, page_size)
    method: Callable[..., Awaitable[Any]] = {
        "income": app.finance_balance,
        "other-detail": app.other_detail,
        "expenses": app.finance_expense,
    }[what]
    start, end = _required(query.start, "from"), _required(query.end, "to")

    async def fetch(number: int) -> PageResult:
        page = await method(start_date=start, end_date=end, current_page=number, page_size=page_size)
        return _result(number, page.data, page)

    return fetch


def _orders(app: AppApi, query: Query, page_size: int) -> FetchPage:
    start_time, end_time = order_time_range(_required(query.start, "from"), _required(query.end, "to"))

    async def fetch(number: int) -> PageResult:
        page = await app.order_list(
            status=query.status,
            start_time=start_time,
            end_time=end_time,
            current_page=number,
            page_size=page_size,
        )
        return _result(number, page.data, page)

    return fetch


def _income_detail(app: AppApi, query: Query, page_size: int) -> FetchPage:
    day = _required(query.day, "day")

    async def fetch(number: int) -> PageResult:
        page = await app.income_detail(day=day, current_page=number, page_size=page_size)
        return _result(number, page.data, page)

    return fetch


def _payout(app: AppApi, query: Query) -> FetchPage:
    task_id = _required(query.task_id, "task_id")

    async def fetch(number: int) -> PageResult:
        detail = await app.pay_detail(task_id)
        rows = [
            PayoutRow(
                task_id=task_id,
                paid_money=item.paid_money,
                paid_account=item.paid_account,
                remark=item.remark,
                receive_user=item.receive_user,
                payment_status=item.payment_status,
            )
            for item in detail.data
        ]
        return PageResult(number, rows, len(rows), 1)

    return fetch


def _result(number: int, items: Sequence[Any], page: Any) -> PageResult:
    return PageResult(
        number,
        items,
        getattr(page, "total_count", None),
        getattr(page, "total_page", None),
    )


def _required(value: Any, name: str) -> Any:
    if value is None:
        raise ValueError(f"this export needs {name}")
    return value
