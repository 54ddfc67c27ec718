"""Sandbox throughput and memory: page 100,000 generated orders, and simple calls per second.

Usage: .venv/bin/python bench/bench_sandbox.py [--orders-per-day 1000] [--days 100]
       [--page-size 100] [--calls 1000]

Prints figures; asserts nothing (see bench/README.md). The sandbox runs as a real uvicorn
server in a thread of this process (running_server), with its world in a temp file, as the
end-to-end tests and `sandbox serve --state` use it.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.server import running_server

PAY = "/rest/2.0/smartapp/pay"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def onboard(http: httpx.Client) -> None:
    url = http.post(
        "/file/2.0/smartapp/upload/image", files={"multipartFile": ("a.png", PNG, "image/png")}
    ).json()["data"]
    http.post(
        f"{PAY}/account/create",
        data={
            "business_scope": "软件开发",
            "business_province": "北京市",
            "business_city": "海淀区",
            "business_detail_address": "上地",
            "legal_person": "张三",
            "legal_id": "11010519491231002X",
            "id_card_front_url": url,
            "id_card_back_url": url,
        },
    )
    http.post(
        f"{PAY}/developconfig/submit",
        data={
            "tp_public_key": "k",
            "pay_notify_url": "https://a.example/1",
            "refund_audit_url": "https://a.example/2",
            "refund_succ_url": "https://a.example/3",
        },
    )
    http.get(f"{PAY}/account/auditstatus")
    body = http.post(
        f"{PAY}/paymentservice/create",
        data={
            "app_name": "bench",
            "service_phone": "13500000000",
            "bank_account": "某公司",
            "bank_card": "6222020000000000",
            "bank_name": "招商银行",
            "bank_branch": "上地支行",
            "open_province": "北京市",
            "open_city": "海淀区",
            "payment_days": "1",
            "commission_rate": "6",
            "pool_cash_pledge": "100",
            "day_max_frozen_amount": "10000",
        },
    ).json()
    assert body["errno"] == 0, body
    http.get(f"{PAY}/paymentservice/auditstatus")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders-per-day", type=int, default=1000)
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    end = date(2024, 6, 30)
    first = end - timedelta(days=args.days - 1)
    zone = ZoneInfo("Asia/Shanghai")
    start_ts = int(datetime(first.year, first.month, first.day, tzinfo=zone).timestamp())
    end_ts = int(datetime(end.year, end.month, end.day, 23, 59, 59, tzinfo=zone).timestamp())
    with tempfile.TemporaryDirectory() as tmp:
        config = SandboxConfig(
            state_file=Path(tmp) / "world.json",
            audit_delay=0,
            orders_per_day=args.orders_per_day,
            data_days=args.days,
            data_end=end.isoformat(),
        )
        with (
            running_server(config) as base,
            httpx.Client(base_url=base, params={"access_token": "sandbox-1"}, timeout=60) as http,
        ):
            onboard(http)
            print(f"rss after start: {rss_mb():.0f} MB")

            t0, c0 = time.perf_counter(), cpu()
            for _ in range(args.calls):
                http.get(f"{PAY}/account/auditstatus")
            wall = time.perf_counter() - t0
            print(
                f"{args.calls} account/auditstatus calls: {wall:.2f} s, {args.calls / wall:.0f}/s, "
                f"{(cpu() - c0) / args.calls * 1000:.2f} ms CPU per call (client + server)"
            )

            t0, c0 = time.perf_counter(), cpu()
            page, seen, total = 1, 0, None
            while True:
                data = http.get(
                    f"{PAY}/paymentservice/orderlist",
                    params={
                        "access_token": "sandbox-1",
                        "status": "all",
                        "start_time": start_ts,
                        "end_time": end_ts,
                        "current_page": page,
                        "page_size": args.page_size,
                    },
                ).json()["data"]
                seen += len(data["data"])
                total = data["total_count"]
                if page >= data["total_page"]:
                    break
                page += 1
            wall = time.perf_counter() - t0
            print(
                f"orderlist: {seen} of {total} orders in {page} pages: {wall:.2f} s, "
                f"{seen / wall:.0f} orders/s, {(cpu() - c0) / page * 1000:.2f} ms CPU per page; "
                f"peak rss {rss_mb():.0f} MB"
            )

            t0 = time.perf_counter()
            paid = http.get(
                f"{PAY}/paymentservice/orderlist",
                params={
                    "access_token": "sandbox-1",
                    "status": "5",
                    "start_time": start_ts,
                    "end_time": end_ts,
                    "current_page": 300,
                    "page_size": args.page_size,
                },
            ).json()["data"]
            print(
                f"orderlist status=5 page 300: {(time.perf_counter() - t0) * 1000:.1f} ms "
                f"({paid['total_count']} matching)"
            )

            t0 = time.perf_counter()
            http.get(
                f"{PAY}/paymentservice/financeexpense",
                params={
                    "access_token": "sandbox-1",
                    "start_time": first.isoformat(),
                    "end_time": end.isoformat(),
                    "current_page": 1,
                    "page_size": 100,
                },
            )
            print(
                f"financeexpense over {args.days} days: {(time.perf_counter() - t0) * 1000:.1f} ms; "
                f"state file {Path(tmp, 'world.json').stat().st_size / 1024:.0f} KB"
            )


if __name__ == "__main__":
    main()
