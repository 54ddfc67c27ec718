"""Helpers for the data tests: a project directory whose specs point at a running sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import httpx

from tests.sandbox import helpers as sandbox_helpers


def write_project(
    root: Path,
    endpoint: str,
    apps: Sequence[tuple[str, int]],
    *,
    concurrency: int = 8,
    extra: str = "",
) -> Path:
    """smartpay.yaml + one spec per (app, app_id), credentials `sandbox-<app_id>`; returns root."""
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / "smartpay.yaml").write_text(
        f"version: 1\nendpoint: {endpoint}\nstate: .smartpay/state.db\nspecs: ['specs/*.yaml']\n"
        f"concurrency: {concurrency}\n{extra}",
        encoding="utf-8",
    )
    for app, app_id in apps:
        (root / "specs" / f"{app}.yaml").write_text(
            f"app: {app}\napp_id: {app_id}\ncredentials:\n  access_token: sandbox-{app_id}\n",
            encoding="utf-8",
        )
    return root


PAY = "/rest/2.0/smartapp/pay"
#: The sandbox tests' payment service, with the card the payout tests expect to see as ****1234.
SERVICE = {**sandbox_helpers.SERVICE, "bank_card": "6217000010001234"}


def onboard(base_url: str, app_id: int) -> None:
    """Open the payment service of `app_id` through the documented API over real HTTP, as the
    sandbox tests do (audit_delay=0 assumed): the sandbox serves payment data only for approved
    services."""

    async def run() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            await sandbox_helpers.onboard(http, app_id, service=SERVICE)

    asyncio.run(run())


def raw_rows(
    base_url: str, app_id: int, path: str, **params: object
) -> tuple[list[dict[str, object]], dict[str, object]]:
    """Every row of a paged endpoint, read directly with httpx (page_size 1000), and page 1's data."""
    rows: list[dict[str, object]] = []
    first: dict[str, object] = {}
    page = 1
    with httpx.Client(base_url=base_url, timeout=10) as http:
        while True:
            body = http.get(
                f"{PAY}/{path}",
                params={
                    "access_token": f"sandbox-{app_id}",
                    **params,
                    "current_page": page,
                    "page_size": 1000,
                },
            ).json()
            assert body["errno"] == 0, body
            data = body["data"]
            first = first or data
            rows.extend(data["data"])
            if not data["data"] or len(rows) >= data["total_count"]:
                return rows, first
            page += 1


#: A small world for export tests: 37 orders a day over 10 days, ending 2024-03-31.
SMALL_EXPORT_SANDBOX = {
    "audit_delay": 0,
    "orders_per_day": 37,
    "data_days": 10,
    "data_end": "2024-03-31",
    "seed": 7,
}
#: Its orders in 10-row pages, two at a time, to a file: 370 rows in 37 pages.
SMALL_EXPORT = [
    "data",
    "orders",
    "shop",
    "--from",
    "2024-03-22",
    "--to",
    "2024-03-31",
    "--page-size",
    "10",
    "--concurrency",
    "2",
    "-o",
    "orders.csv",
]
