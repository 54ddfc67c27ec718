"""Exports against the sandbox's generated data over real HTTP: the real CLI in a subprocess
where the user's view matters, the Python API where it is only faster.

Expected values are derived here from raw pages read with httpx and from the invariants of
docs/sandbox.md (income = paid orders, commission 6‰ per order half-up, payouts = net after
the reserve), never from the exporter's own code.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from smartpay_apply.api.client import OpenApi
from smartpay_apply.data.columns import header
from smartpay_apply.data.export import AppSource, ExportJob, run_export
from smartpay_apply.data.kinds import COLUMNS, Query, page_fetcher
from smartpay_apply.data.output import StreamOutput
from smartpay_apply.data.writers import make_writer
from tests.data.conftest import onboard, raw_rows, write_project

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
SHOP, CAFE = 21, 22
BEIJING = ZoneInfo("Asia/Shanghai")
ORDER_RANGE = ["--from", FIRST.isoformat(), "--to", END.isoformat()]


@pytest.fixture
def world(sandbox_factory: Any, tmp_path: Path) -> tuple[Any, Path]:
    """A sandbox with two approved mini-programs (shop 21, cafe 22) and a project using it."""
    handle = sandbox_factory(**SETTINGS)
    onboard(handle.base_url, SHOP)
    onboard(handle.base_url, CAFE)
    project = write_project(
        tmp_path / "project", handle.base_url, [("shop", SHOP), ("cafe", CAFE)], concurrency=4
    )
    return handle, project


def _iso(text: str) -> str:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING).isoformat()


def _orderlist(base_url: str, app_id: int, status: str = "all") -> list[dict[str, Any]]:
    start = int(datetime(FIRST.year, FIRST.month, FIRST.day, tzinfo=BEIJING).timestamp())
    end = int(datetime(END.year, END.month, END.day, tzinfo=BEIJING).timestamp()) + 86399
    rows, _ = raw_rows(
        base_url, app_id, "paymentservice/orderlist", status=status, start_time=start, end_time=end
    )
    return rows


async def _export(
    base_url: str, what: str, query: Query, *, page_size: int = 100, app_id: int = SHOP
) -> list[dict[str, Any]]:
    """Export through the Python API (real client, real HTTP) as jsonl; the parsed records."""
    stream = io.StringIO()
    async with OpenApi(base_url, max_concurrency=4) as api:
        fetch = page_fetcher(what, api.app(f"sandbox-{app_id}"), query, page_size)
        job = ExportJob(what, [AppSource("shop", fetch)], page_size, 4)
        names = header(COLUMNS[what], with_app=False)
        await run_export(job, StreamOutput(stream), make_writer("jsonl", names, [10] * len(names)))
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_orders_csv_match_the_sandbox_row_for_row(world: tuple[Any, Path], run_cli: Any) -> None:
    handle, project = world
    result = run_cli(
        "data", "orders", "shop", *ORDER_RANGE, "--page-size", "50", "-o", "orders.csv", cwd=project
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "Wrote orders.csv: 370 rows" in result.stderr
    with (project / "orders.csv").open(newline="", encoding="utf-8") as file:
        reader = csv.reader(file)
        assert next(reader) == [column.name for column in COLUMNS["orders"]]
        exported = list(reader)
    pages = [c for c in handle.calls(app_id=SHOP) if c["path"].endswith("/orderlist")]
    assert len(pages) == 8  # 370 rows / 50, each page once
    expected = [
        [
            o["order_id"],
            o["id"],
            o["tp_order_id"],
            o["deal_id"],
            o["deal_title"],
            o["phone"],
            o["sub_status"],
            _iso(o["create_time"]),
            _iso(o["update_time"]),
            o["total_money"],
            o["pay_money"],
            o["segment_refunded_money"] or "",
            o["channel"] or "",
        ]
        for o in _orderlist(handle.base_url, SHOP)
    ]
    assert len(expected) == 37 * DAYS
    assert exported == expected
    assert not list(project.glob("*.partial*"))


def test_all_apps_adds_the_app_column_and_every_mini_program(
    world: tuple[Any, Path], run_cli: Any
) -> None:
    handle, project = world
    result = run_cli(
        "data",
        "orders",
        "--all-apps",
        *ORDER_RANGE,
        "--status",
        "5",
        "--format",
        "jsonl",
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # nothing on a pipe: no progress bar, no notices
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert list(records[0]) == ["app", *(column.name for column in COLUMNS["orders"])]
    by_app = defaultdict(list)
    for record in records:
        by_app[record["app"]].append(record["order_id"])
    assert list(by_app) == ["cafe", "shop"]  # the specs' order (sorted by app)
    for app, app_id in (("shop", SHOP), ("cafe", CAFE)):
        refunded = _orderlist(handle.base_url, app_id, status="5")
        assert refunded and {o["sub_status"] for o in refunded} == {"5"}
        assert by_app[app] == [o["order_id"] for o in refunded]


async def test_totals_reconcile_orders_income_commission_payouts(world: tuple[Any, Path]) -> None:
    handle, _ = world
    url, period = handle.base_url, Query(start=FIRST, end=END)
    orders = await _export(url, "orders", period, page_size=30)
    income = await _export(url, "income", period, page_size=3)
    others = await _export(url, "other-detail", period, page_size=40)
    expenses = await _export(url, "expenses", period, page_size=4)
    detail = await _export(url, "income-detail", Query(day=END), page_size=7)

    assert len(orders) == 37 * DAYS and len({o["order_id"] for o in orders}) == len(orders)
    paid = [o for o in orders if o["sub_status"] in ("2", "3")]
    fen_by_day: Counter[str] = Counter()
    commission_by_day: Counter[str] = Counter()
    commission_of: dict[str, Decimal] = {}
    for order in paid:
        day, pay = order["create_time"][:10], Decimal(order["pay_money_fen"])
        commission = (pay * 6 / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        fen_by_day[day] += pay
        commission_by_day[day] += commission
        commission_of[order["order_id"]] = commission / 100
    # income per day = the paid orders of the day; others = minus their commissions
    assert {r["operate_date"]: Decimal(r["income_yuan"]) for r in income} == {
        d: f / 100 for d, f in fen_by_day.items()
    }
    assert {r["operate_date"]: -Decimal(r["others_yuan"]) for r in income} == {
        d: c / 100 for d, c in commission_by_day.items()
    }
    # other-detail: one commission row per paid order
    assert {r["order_id"]: Decimal(r["ref_money_yuan"]) for r in others} == commission_of
    # income-detail of one day: its paid orders, summing to that day's income
    assert sorted(r["order_id"] for r in detail) == sorted(
        o["order_id"] for o in paid if o["create_time"][:10] == str(END)
    )
    assert sum(Decimal(r["money_yuan"]) for r in detail) == fen_by_day[str(END)] / 100
    # payouts: T+1, all of the net income except the 1 yuan reserve and what is not yet due
    net = {d: (fen_by_day[d] - commission_by_day[d]) / 100 for d in fen_by_day}
    _, balance_page = raw_rows(
        url, SHOP, "paymentservice/financebalance", start_time=str(FIRST), end_time=str(END)
    )
    paid_out = -sum(Decimal(e["money_yuan"]) for e in expenses)
    assert paid_out + Decimal(str(balance_page["free_balance"])) == sum(net.values())
    for expense in expenses:
        for_day = expense["start_time"][:10]
        assert (
            expense["operate_time"][:10]
            == (date.fromisoformat(for_day) + timedelta(days=1)).isoformat()
        )
        first_day = for_day == min(net)
        assert -Decimal(expense["money_yuan"]) == net[for_day] - (1 if first_day else 0)
    # the payout of one task is that expense, to the masked bank card
    task = expenses[0]
    (payout,) = await _export(url, "payout", Query(task_id=int(task["task_id"])))
    assert payout["task_id"] == task["task_id"]
    assert Decimal(payout["paid_money_yuan"]) == -Decimal(task["money_yuan"])
    assert payout["paid_account"] == "****1234"


def test_payout_for_all_apps_finds_the_task_where_it_is(
    world: tuple[Any, Path], run_cli: Any
) -> None:
    handle, project = world
    expenses, _ = raw_rows(
        handle.base_url,
        SHOP,
        "paymentservice/financeexpense",
        start_time=str(FIRST),
        end_time=str(END),
    )
    task = expenses[0]
    result = run_cli(
        "data", "payout", "--all-apps", str(task["task_id"]), "--format", "table", cwd=project
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "app",
        "task_id",
        "payment_status",
        "paid_money_yuan",
        "paid_account",
        "receive_user",
        "remark",
    ]
    assert set(lines[1]) == {"-", " "}
    assert len(lines) == 3  # only shop has this task
    assert lines[2].split()[:5] == [
        "shop",
        str(task["task_id"]),
        "成功",
        str(-Decimal(task["money"])),
        "****1234",
    ]
    assert result.stderr == f"No payout with task_id {task['task_id']} for cafe\n"


def test_a_reader_that_leaves_early_stops_the_export_quietly(world: tuple[Any, Path]) -> None:
    import os
    import subprocess
    import sys

    _, project = world
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smartpay_apply",
            "data",
            "orders",
            "--all-apps",
            *ORDER_RANGE,
            "--page-size",
            "20",
        ],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith(b"app,order_id,")  # like `| head -1`
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 0  # like `state show | head`: the reader has its rows
    assert stderr == b""  # no traceback, no "internal error"
