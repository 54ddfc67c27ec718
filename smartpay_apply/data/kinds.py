"""The six exports: which endpoint feeds each, with which parameters, into which columns.

Date semantics (documented in docs/data.md): `--from`/`--to` are calendar days in
Asia/Shanghai, both included. The finance endpoints take those days as they are; orderlist
takes unix timestamps, so a range becomes [00:00:00 of --from, 23:59:59 of --to] Beijing time.
The order status filter is passed to orderlist as is: `all`, or one sub_status 1..7, which
Baidu matches against each order's current status.

Pages are fetched through the shared client's `call` (retries, token refresh, concurrency cap
and rate limit all apply) and converted straight from the wire by `columns.format_rows`; see
there for why not through the client's per-endpoint models.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from smartpay_apply.api import endpoints as ep
from smartpay_apply.api.errors import BusinessError, ErrorCode, ResponseError
from smartpay_apply.data.columns import (
    EXPENSES,
    INCOME,
    INCOME_DETAIL,
    ORDERS,
    OTHER_DETAIL,
    PAYOUT,
    Column,
    RowError,
    format_rows,
)
from smartpay_apply.data.pages import Convert, FetchPage, PageResult
from smartpay_apply.timeutil import day_start_timestamp

if TYPE_CHECKING:
    from smartpay_apply.api.app import AppApi

#: orderlist's status values: all, or 1 unpaid, 2 paid, 3 consumed, 4 refunding, 5 refunded,
#: 6 refund failed, 7 cancelled.
ORDER_STATUSES: tuple[str, ...] = ("all", "1", "2", "3", "4", "5", "6", "7")


@dataclass(frozen=True)
class Kind:
    """One export: its endpoint and columns."""

    endpoint: ep.Endpoint
    columns: tuple[Column, ...]


KINDS: dict[str, Kind] = {
    "orders": Kind(ep.ORDER_LIST, ORDERS),
    "income": Kind(ep.FINANCE_BALANCE, INCOME),
    "income-detail": Kind(ep.INCOME_DETAIL, INCOME_DETAIL),
    "other-detail": Kind(ep.OTHER_DETAIL, OTHER_DETAIL),
    "expenses": Kind(ep.FINANCE_EXPENSE, EXPENSES),
    "payout": Kind(ep.PAY_DETAIL, PAYOUT),
}

#: Export name -> its columns, in the documented order.
COLUMNS: dict[str, tuple[Column, ...]] = {name: kind.columns for name, kind in KINDS.items()}


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


def request_params(what: str, query: Query) -> dict[str, str]:
    """The endpoint's parameters for `query`, without the paging ones."""
    if what == "orders":
        start_time, end_time = order_time_range(
            _required(query.start, "--from"), _required(query.end, "--to")
        )
        return {"status": query.status, "start_time": str(start_time), "end_time": str(end_time)}
    if what == "income-detail":
        return {"start_time": _required(query.day, "--day").isoformat()}
    if what == "payout":
        return {"task_id": str(_required(query.task_id, "TASK_ID"))}
    start, end = _required(query.start, "--from"), _required(query.end, "--to")
    return {"start_time": start.isoformat(), "end_time": end.isoformat()}


def page_fetcher(what: str, app: AppApi, query: Query, page_size: int) -> FetchPage:
    """`page number -> page` for export `what` of one mini-program: the page's conversion
    (`pages.Convert`, rows formatted when it is called), or an empty page for errno 60021."""
    kind = KINDS[what]
    params = request_params(what, query)

    async def fetch(number: int) -> PageResult | Convert:
        paging = (
            {} if what == "payout" else {"current_page": str(number), "page_size": str(page_size)}
        )
        try:
            data = await app.api.call(kind.endpoint, app.tokens, params={**params, **paging})
        except BusinessError as error:
            if error.errno != ErrorCode.NO_DATA:
                raise
            return PageResult(number, [], 0, 0)  # 60021 未获取到有效数据: no rows, not a failure
        return functools.partial(page_from_wire, what, number, data, task_id=query.task_id)

    return fetch


def page_from_wire(what: str, number: int, data: Any, *, task_id: int | None = None) -> PageResult:
    """An answer's `data` -> PageResult; a shape or value that is wrong is a ResponseError."""
    kind = KINDS[what]
    if data is None:
        return PageResult(number, [], None, None, absent=True)
    if not isinstance(data, Mapping):
        raise ResponseError(
            kind.endpoint.name, None, "unexpected answer shape (data is not an object)"
        )
    items = data.get("data") or []
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise ResponseError(
            kind.endpoint.name, None, "unexpected answer shape (data.data is not a list)"
        )
    if what == "payout":
        items = [
            {**item, "task_id": task_id} if isinstance(item, Mapping) else item for item in items
        ]
    try:
        rows = format_rows(kind.columns, items)
    except RowError as error:
        raise ResponseError(kind.endpoint.name, None, str(error)) from None
    if what == "payout":
        return PageResult(number, rows, len(rows), 1)
    return PageResult(
        number,
        rows,
        _count(kind, data, "total_count"),
        _count(kind, data, "total_page"),
    )


def _count(kind: Kind, data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise ResponseError(
            kind.endpoint.name, None, f"unexpected answer shape ({key} is not a number)"
        ) from None
    if count < 0 or isinstance(value, bool):
        raise ResponseError(kind.endpoint.name, None, f"unexpected answer shape ({key} is {count})")
    return count


def _required(value: Any, name: str) -> Any:
    if value is None:
        raise ValueError(f"this export needs {name}")
    return value
