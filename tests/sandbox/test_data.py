"""Generated orders and finance data: paged as documented, and consistent with each other."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from tests.sandbox.helpers import SERVICE, call, client, onboard

END = date(2024, 3, 31)
DAYS = 10
FIRST = END - timedelta(days=DAYS - 1)
SETTINGS = {
    "audit_delay": 0,
    "orders_per_day": 37,
    "data_days": DAYS,
    "data_end": END.isoformat(),
    "seed": 7,
}


def beijing_ts(day: date, seconds: int = 0) -> str:
    from zoneinfo import ZoneInfo

    return str(
        int(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp())
        + seconds
    )


async def all_orders(
    http: httpx.AsyncClient, app_id: int, status: str = "all", size: int = 50
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        body = await call(
            http,
            "GET",
            "paymentservice/orderlist",
            app_id,
            status=status,
            start_time=beijing_ts(FIRST),
            end_time=beijing_ts(END, 86399),
            current_page=page,
            page_size=size,
        )
        data = body["data"]
        rows.extend(data["data"])
        if page >= data["total_page"]:
            assert len(rows) == data["total_count"]
            return rows
        page += 1


def yuan(text: str) -> Decimal:
    return Decimal(text)


async def test_no_data_before_a_service_is_approved() -> None:
    async with client(**SETTINGS) as http:
        body = await call(
            http,
            "GET",
            "paymentservice/financebalance",
            1,
            current_page=1,
            page_size=10,
            start_time=FIRST.isoformat(),
            end_time=END.isoformat(),
        )
    assert body["errno"] == 60008


async def test_orderlist_pages_filters_and_is_deterministic() -> None:
    async with client(**SETTINGS) as http:
        await onboard(http, 21)
        orders = await all_orders(http, 21)
        again = await all_orders(http, 21, size=7)
        paid = await all_orders(http, 21, status="2")
        one_day = await call(
            http,
            "GET",
            "paymentservice/orderlist",
            21,
            status="all",
            start_time=beijing_ts(END),
            end_time=beijing_ts(END, 86399),
            current_page=1,
            page_size=100,
        )
        bad = await call(
            http,
            "GET",
            "paymentservice/orderlist",
            21,
            status="9",
            start_time=beijing_ts(END),
            end_time=beijing_ts(END, 86399),
            current_page=1,
            page_size=100,
        )
    assert len(orders) == 37 * DAYS
    assert orders == again
    assert len({o["order_id"] for o in orders}) == len(orders)
    times = [o["create_time"] for o in orders]
    assert times == sorted(times, reverse=True)  # newest first
    assert times[-1] >= f"{FIRST} 00:00:00" and times[0] <= f"{END} 23:59:59"
    assert {o["sub_status"] for o in orders} <= {str(s) for s in range(1, 8)}
    assert paid == [o for o in orders if o["sub_status"] == "2"]
    assert one_day["data"]["total_count"] == 37
    assert {o["create_time"][:10] for o in one_day["data"]["data"]} == {END.isoformat()}
    assert bad["errno"] == 60000
    first = orders[0]
    assert set(first) == {
        "id",
        "deal_id",
        "deal_title",
        "order_id",
        "tp_order_id",
        "phone",
        "create_time",
        "update_time",
        "sub_status",
        "total_money",
        "pay_money",
        "segment_refunded_money",
        "channel",
    }
    assert all(int(o["pay_money"]) <= int(o["total_money"]) for o in orders)


async def test_income_commission_and_payouts_reconcile_with_the_orders() -> None:
    async with client(**SETTINGS) as http:
        await onboard(http, 22)
        orders = await all_orders(http, 22)
        balance = await call(
            http,
            "GET",
            "paymentservice/financebalance",
            22,
            current_page=1,
            page_size=100,
            start_time=FIRST.isoformat(),
            end_time=END.isoformat(),
        )
        expense = await call(
            http,
            "GET",
            "paymentservice/financeexpense",
            22,
            current_page=1,
            page_size=100,
            start_time=FIRST.isoformat(),
            end_time=END.isoformat(),
        )
        other = await call(
            http,
            "GET",
            "paymentservice/financebalance/otherdetail",
            22,
            current_page=1,
            page_size=1000,
            start_time=FIRST.isoformat(),
            end_time=END.isoformat(),
        )
        detail = await call(
            http,
            "GET",
            "paymentservice/financebalance/incomedetail",
            22,
            current_page=1,
            page_size=1000,
            start_time=END.isoformat(),
        )
        task = expense["data"]["data"][0]["task_id"]
        pay = await call(
            http, "GET", "paymentservice/financeexpense/paydetail", 22, task_id=str(task)
        )
        missing = await call(
            http, "GET", "paymentservice/financeexpense/paydetail", 22, task_id="12345"
        )

    counted = [o for o in orders if o["sub_status"] in ("2", "3")]
    by_day: dict[str, list[dict[str, Any]]] = {}
    for order in counted:
        by_day.setdefault(order["create_time"][:10], []).append(order)
    rows = {row["operate_time"]: row for row in balance["data"]["data"]}
    assert set(rows) == set(by_day)
    total_net = Decimal(0)
    for day, day_orders in by_day.items():
        income = sum(Decimal(o["pay_money"]) for o in day_orders) / 100
        commission = (
            sum(
                (Decimal(o["pay_money"]) * 6 / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
                for o in day_orders
            )
            / 100
        )
        assert yuan(rows[day]["income"]) == income
        assert yuan(rows[day]["others"]) == -commission
        assert rows[day]["adjust_amount"] == "0.00"
        total_net += income - commission
    data = balance["data"]
    assert yuan(data["income"]) == sum(yuan(r["income"]) for r in rows.values())
    assert yuan(data["others"]) == sum(yuan(r["others"]) for r in rows.values())
    assert data["period"] == 1 and data["total_count"] == len(rows)
    # Everything earned was either paid out or is still in the account.
    paid = -sum(yuan(r["money"]) for r in expense["data"]["data"])
    assert paid + yuan(data["free_balance"]) == total_net
    assert yuan(expense["data"]["expense_money"]) == -paid
    assert (
        expense["data"]["expense_count"]
        == len(expense["data"]["data"])
        == expense["data"]["total_count"]
    )
    assert all(
        r["type_id"] == "自动打款" and r["pay_status"] == "成功" for r in expense["data"]["data"]
    )
    # The first pool_cash_pledge yuan (1) stays in the account; T+1 means the last day is unpaid.
    last_day_net = yuan(rows[END.isoformat()]["income"]) + yuan(rows[END.isoformat()]["others"])
    assert yuan(data["free_balance"]) == Decimal(SERVICE["pool_cash_pledge"]) + last_day_net
    # otherdetail lists each counted order's commission.
    assert yuan(other["data"]["total_amount"]) == sum(yuan(r["others"]) for r in rows.values())
    assert yuan(other["data"]["order_amount"]) == yuan(data["income"])
    # As the doc's sample: no paging fields at all; a client knows the end by a short page.
    assert not {"current_page", "page_size", "total_count", "total_page"} & set(other["data"])
    assert len(other["data"]["data"]) == len(counted)
    assert -sum(yuan(r["ref_money"]) for r in other["data"]["data"]) == yuan(
        other["data"]["total_amount"]
    )
    # incomedetail: one day, each counted order with its money.
    assert (
        detail["data"]["quantity"] == len(by_day[END.isoformat()]) == detail["data"]["total_count"]
    )
    assert sum(yuan(r["money"]) for r in detail["data"]["data"]) == yuan(detail["data"]["income"])
    assert {r["opt_type"] for r in detail["data"]["data"]} <= {"成交", "使用"}
    # paydetail: the payout's money and the masked card.
    (row,) = pay["data"]["data"]
    assert yuan(row["paid_money"]) == -yuan(expense["data"]["data"][0]["money"])
    assert row["paid_account"] == "110****0510"
    assert row["receive_user"].startswith("*") and row["payment_status"] == "成功"
    assert missing["errno"] == 60021


async def test_finance_paging_and_date_checks() -> None:
    async with client(**SETTINGS) as http:
        await onboard(http, 23)
        pages = [
            (
                await call(
                    http,
                    "GET",
                    "paymentservice/financebalance",
                    23,
                    current_page=p,
                    page_size=3,
                    start_time=FIRST.isoformat(),
                    end_time=END.isoformat(),
                )
            )["data"]
            for p in (1, 2, 3, 4)
        ]
        bad_date = await call(
            http,
            "GET",
            "paymentservice/financebalance",
            23,
            current_page=1,
            page_size=3,
            start_time="2024/01/01",
            end_time=END.isoformat(),
        )
        bad_page = await call(
            http,
            "GET",
            "paymentservice/financebalance",
            23,
            current_page=0,
            page_size=3,
            start_time=FIRST.isoformat(),
            end_time=END.isoformat(),
        )
    days = [row["operate_time"] for page in pages for row in page["data"]]
    assert len(days) == DAYS == pages[0]["total_count"]
    assert days == sorted(days, reverse=True) and len(set(days)) == DAYS
    assert [page["current_page"] for page in pages] == [1, 2, 3, 4]
    assert bad_date["errno"] == 60000 and bad_page["errno"] == 60000
