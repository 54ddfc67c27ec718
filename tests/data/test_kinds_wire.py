"""Each export through the real client against an httpx.MockTransport speaking Baidu's documented
wire format (shapes from payment-service-api.zh.txt): right endpoint, right parameters, right rows."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any
from urllib.parse import parse_qs

import httpx

from smartpay_apply.api.client import OpenApi
from smartpay_apply.data.columns import header
from smartpay_apply.data.export import AppSource, ExportJob, run_export
from smartpay_apply.data.kinds import COLUMNS, Query, page_fetcher
from smartpay_apply.data.output import StreamOutput
from smartpay_apply.data.writers import make_writer

PAY = "/rest/2.0/smartapp/pay/paymentservice/"


def _order(n: int) -> dict[str, Any]:
    return {
        "id": str(80048556607000 + n),
        "deal_id": "2055275011",
        "deal_title": f"商品 {n}",
        "order_id": str(80048556607000 + n),
        "tp_order_id": f"TP{n}",
        "phone": "178****2684",
        "create_time": "2019-05-30 21:37:53",
        "update_time": "2019-05-30 21:37:53",
        "sub_status": "2",
        "total_money": str(100 + n),
        "pay_money": str(90 + n),
        "segment_refunded_money": None,
        "channel": None,
    }


class Wire:
    """Answers like Baidu: orderlist with 101 rows (and the doc's bogus total_page 1)."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, dict[str, str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        query = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
        name = request.url.path.removeprefix(PAY)
        self.queries.append((name, query))
        assert query["access_token"] == "tok"
        return httpx.Response(
            200, json={"errno": 0, "msg": "success", "data": self.data(name, query)}
        )

    def data(self, name: str, query: dict[str, str]) -> Any:
        if name == "financeexpense/paydetail":
            return {
                "data": [
                    {
                        "paid_money": "0.05",
                        "paid_account": "621****4964",
                        "remark": "交易成功#SUCCESS",
                        "receive_user": "*若阳",
                        "payment_status": "成功",
                    }
                ]
            }
        page, size = int(query["current_page"]), int(query["page_size"])
        if name == "orderlist":
            rows = [_order(n) for n in range((page - 1) * size, min(page * size, 101))]
            return {
                "total_money": "-",
                "current_page": page,
                "page_size": size,
                "total_count": 101,
                "total_page": 1,
                "data": rows,
            }
        if name == "financebalance":
            days = [
                {
                    "income": "0.02",
                    "operate_time": "2019-06-11",
                    "adjust_amount": "0.00",
                    "others": "0.00",
                },
                {
                    "income": "0.18",
                    "operate_time": "2019-05-21",
                    "adjust_amount": "0.00",
                    "others": "-0.01",
                },
            ]
            return {
                "income": "0.20",
                "period": 1,
                "data": days if page == 1 else [],
                "adjustment": "0.00",
                "free_balance": "1.00",
                "payment_due": "2019-06-13 00:00:00",
                "others": "-0.01",
                "page_size": size,
                "total_count": 2,
                "current_page": page,
            }
        raise AssertionError(name)


async def _export(
    what: str, query: Query, page_size: int = 10, fmt: str = "csv"
) -> tuple[str, Wire]:
    wire = Wire()
    stream = io.StringIO()
    async with OpenApi(
        "https://openapi.example", transport=httpx.MockTransport(wire), retries=0
    ) as api:
        app = api.app("tok")
        columns = COLUMNS[what]
        job = ExportJob(
            what, [AppSource("shop", page_fetcher(what, app, query, page_size))], page_size, 4
        )
        names = header(columns, with_app=False)
        await run_export(job, StreamOutput(stream), make_writer(fmt, names, [10] * len(names)))
    return stream.getvalue(), wire


async def test_orders_walk_every_page_with_beijing_day_timestamps() -> None:
    text, wire = await _export(
        "orders", Query(start=date(2019, 5, 30), end=date(2019, 5, 31), status="2")
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["tp_order_id"] for row in rows] == [f"TP{n}" for n in range(101)]
    assert rows[5]["total_money_fen"] == "105"
    assert rows[5]["create_time"] == "2019-05-30T21:37:53+08:00"
    calls = [q for name, q in wire.queries if name == "orderlist"]
    assert sorted(int(q["current_page"]) for q in calls) == list(range(1, 12))
    assert {(q["start_time"], q["end_time"], q["status"]) for q in calls} == {
        ("1559145600", "1559318399", "2")
    }


async def test_income_days_in_yuan() -> None:
    text, wire = await _export("income", Query(start=date(2019, 5, 1), end=date(2019, 6, 30)))
    assert text.splitlines() == [
        "operate_date,income_yuan,adjust_amount_yuan,others_yuan",
        "2019-06-11,0.02,0.00,0.00",
        "2019-05-21,0.18,0.00,-0.01",
    ]
    assert wire.queries[0][1]["start_time"] == "2019-05-01"
    assert wire.queries[0][1]["end_time"] == "2019-06-30"


async def test_payout_rows_carry_the_task_and_a_masked_account() -> None:
    text, wire = await _export("payout", Query(task_id=12688777319), fmt="jsonl")
    assert [json.loads(line) for line in text.splitlines()] == [
        {
            "task_id": "12688777319",
            "payment_status": "成功",
            "paid_money_yuan": "0.05",
            "paid_account": "****4964",
            "receive_user": "*若阳",
            "remark": "交易成功#SUCCESS",
        }
    ]
    assert wire.queries == [
        ("financeexpense/paydetail", {"access_token": "tok", "task_id": "12688777319"})
    ]
