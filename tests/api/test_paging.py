"""Page iterators walk to the end and refuse a server whose pages never end."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest

from smartpay_apply.api.client import OpenApi
from smartpay_apply.api.errors import PaginationError
from tests.api import doc_examples as doc
from tests.api.fake import PAY, FakeBaidu, make_api, ok

ORDERS = f"{PAY}/paymentservice/orderlist"
EXPENSE = f"{PAY}/paymentservice/financeexpense"


def order(n: int) -> dict[str, object]:
    return {
        "id": str(n),
        "order_id": str(n),
        "total_money": str(n * 100),
        "create_time": "2019-05-30 21:37:53",
    }


def order_server(total: int, *, with_total_page: bool = True):
    """Pages of `order(n)` rows following current_page/page_size, like Baidu."""

    def answer(request: httpx.Request) -> dict[str, object]:
        page = int(request.url.params["current_page"])
        size = int(request.url.params["page_size"])
        rows = [order(n) for n in range((page - 1) * size, min(page * size, total))]
        data: dict[str, object] = {
            "total_money": "-",
            "current_page": page,
            "page_size": size,
            "total_count": total,
            "data": rows,
        }
        if with_total_page:
            data["total_page"] = -(-total // size)
        return ok(data)

    return answer


async def test_orders_to_the_end(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(ORDERS, order_server(25))
    rows = [o async for o in api.app("tok").iter_orders(start_time=1, end_time=2, page_size=10)]
    assert [o.id for o in rows] == [str(n) for n in range(25)]
    assert rows[24].total_money == Decimal(2400)
    assert [r.url.params["current_page"] for r in fake.requests] == ["1", "2", "3"]


async def test_exact_multiple_stops_without_an_extra_empty_page(
    fake: FakeBaidu, api: OpenApi
) -> None:
    fake.always(ORDERS, order_server(20, with_total_page=False))
    rows = [o async for o in api.app("tok").iter_orders(start_time=1, end_time=2, page_size=10)]
    assert len(rows) == 20
    assert len(fake.requests) == 2  # total_count reached


async def test_empty_first_page(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(ORDERS, order_server(0))
    rows = [o async for o in api.app("tok").iter_orders(start_time=1, end_time=2)]
    assert rows == []
    assert len(fake.requests) == 1


async def test_doc_example_the_larger_total_wins(fake: FakeBaidu, api: OpenApi) -> None:
    """The doc's example says total_count 101 but total_page 1 (page_size 10): the larger
    total is trusted, so page 2 is asked for; an empty page ends the walk."""
    fake.queue(ORDERS, doc.ORDER_LIST, ok({"total_count": 101, "total_page": 1, "data": []}))
    rows = [o async for o in api.app("tok").iter_orders(start_time=1, end_time=2, page_size=10)]
    assert [o.id for o in rows] == ["80048556607063", "80049190777835"]
    assert [r.url.params["current_page"] for r in fake.requests] == ["1", "2"]


async def test_total_count_beyond_total_page_is_followed(fake: FakeBaidu, api: OpenApi) -> None:
    """A server that says total_page 1 while total_count says 25 rows: all 25 are fetched."""

    def answer(request: httpx.Request) -> dict[str, object]:
        page = int(request.url.params["current_page"])
        rows = [order(n) for n in range((page - 1) * 10, min(page * 10, 25))]
        return ok({"total_count": 25, "total_page": 1, "data": rows})

    fake.always(ORDERS, answer)
    rows = [o async for o in api.app("tok").iter_orders(start_time=1, end_time=2, page_size=10)]
    assert [o.id for o in rows] == [str(n) for n in range(25)]
    assert len(fake.requests) == 3


async def test_no_totals_short_page_ends(fake: FakeBaidu, api: OpenApi) -> None:
    """otherdetail carries no totals: a page shorter than asked is the last one."""
    path = f"{PAY}/paymentservice/financebalance/otherdetail"
    item = {
        "opt_type": "使用",
        "order_id": 1,
        "operate_time": "2019-05-21 23:59:59",
        "ref_money": "0.01",
    }
    fake.queue(path, ok({"data": [dict(item, order_id=i) for i in range(2)]}), ok({"data": [item]}))
    rows = [
        i
        async for i in api.app("tok").iter_other_detail(
            start_date=date(2019, 5, 1), end_date=date(2019, 5, 31), page_size=2
        )
    ]
    assert [r.order_id for r in rows] == ["0", "1", "1"]
    assert len(fake.requests) == 2


async def test_every_iterator_walks_its_endpoint(fake: FakeBaidu, api: OpenApi) -> None:
    fake.always(f"{PAY}/paymentservice/financebalance", doc.FINANCE_BALANCE)
    fake.always(f"{PAY}/paymentservice/financebalance/incomedetail", doc.INCOME_DETAIL)
    fake.always(EXPENSE, doc.FINANCE_EXPENSE)
    app = api.app("tok")
    start, end = date(2019, 5, 1), date(2019, 6, 30)
    balance = [
        d async for d in app.iter_finance_balance(start_date=start, end_date=end, page_size=10)
    ]
    income = [i async for i in app.iter_income_detail(day=date(2019, 3, 21), page_size=10)]
    expense = [
        e async for e in app.iter_finance_expense(start_date=start, end_date=end, page_size=10)
    ]
    assert (len(balance), len(income), len(expense)) == (6, 5, 5)
    assert sum(e.money or 0 for e in expense) == Decimal("-0.10")
    assert len(fake.requests) == 3


async def test_server_repeating_a_page_is_refused(fake: FakeBaidu, api: OpenApi) -> None:
    """A server that ignores current_page and claims more rows would loop forever."""
    rows = [{"money": "-0.01", "task_id": 1}, {"money": "-0.02", "task_id": 2}]
    fake.always(EXPENSE, ok({"expense_count": 9999, "total_count": 9999, "data": rows}))
    app = api.app("tok")
    seen = []
    with pytest.raises(PaginationError) as caught:
        async for row in app.iter_finance_expense(
            start_date=date(2019, 1, 1), end_date=date(2019, 1, 2), page_size=2
        ):
            seen.append(row.task_id)
    assert str(caught.value) == (
        "paymentservice/financeexpense: page 2 repeats page 1: the server ignores paging"
    )
    assert seen == [1, 2]
    assert len(fake.requests) == 2


async def test_page_limit(fake: FakeBaidu) -> None:
    fake.always(ORDERS, order_server(10_000))
    async with make_api(fake, max_pages=3) as api:
        app = api.app("tok")
        with pytest.raises(PaginationError, match="more than 3 pages"):
            async for _ in app.iter_orders(start_time=1, end_time=2, page_size=10):
                pass
        assert len(fake.requests) == 3
        with pytest.raises(PaginationError, match="more than 5 pages"):
            async for _ in app.iter_orders(start_time=1, end_time=2, page_size=10, max_pages=5):
                pass
