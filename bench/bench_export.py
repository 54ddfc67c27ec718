"""Export 100,000 orders from the sandbox through the real CLI (prints wall, ideal, ratio, peak MB).

The sandbox (real uvicorn on 127.0.0.1, in a child process, world in memory)
generates 1,000 orders a day for 100 days for one mini-program and adds 50 ms to every request.
The CLI runs as a child process: `data orders shop --from ... --to ... --page-size 100 -o FILE`;
its own peak RSS and CPU come from os.wait4 (that child's rusage). The ideal is
requests x latency / concurrency; the target is within 1.5x of it and under 150 MB.

Two more figures separate the exporter from the server it talks to:
- `floor`: the same pages fetched by a bare client in a child process (so it does not share
  the sandbox thread's interpreter lock) (httpx + aiohttp transport, JSON decoded,
  nothing else) at the same concurrency: what the server itself allows on this machine;
- `--server static`: the sandbox's pages are fetched once, then served from memory by a
  minimal aiohttp server in a child process with the same latency, so the export is measured
  against a server that costs (almost) nothing per page.

    .venv/bin/python bench/bench_export.py [--server sandbox|static] [--concurrency 16]
        [--latency-ms 50] [--orders-per-day 1000] [--format csv|jsonl|table]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import PAY, Sandbox, child_env, public_key_pem

END = date(2024, 3, 31)
DAYS = 100
APP_ID = 21
ORDERLIST = f"{PAY}/paymentservice/orderlist"


def _params(first: date, page: int, size: int) -> dict[str, str]:
    beijing = ZoneInfo("Asia/Shanghai")
    start = int(datetime(first.year, first.month, first.day, tzinfo=beijing).timestamp())
    end = int(datetime(END.year, END.month, END.day, tzinfo=beijing).timestamp()) + 86399
    return {
        "access_token": f"sandbox-{APP_ID}",
        "status": "all",
        "start_time": str(start),
        "end_time": str(end),
        "current_page": str(page),
        "page_size": str(size),
    }


async def _fetch_all(
    base_url: str, first: date, size: int, concurrency: int, keep: Path | None
) -> tuple[float, int]:
    """Every page with a bare client; returns (seconds, pages); with `keep`, saves each body."""
    from httpx_aiohttp import AiohttpTransport

    async with httpx.AsyncClient(
        transport=AiohttpTransport(), base_url=base_url, timeout=60
    ) as client:
        first_page = (await client.get(ORDERLIST, params=_params(first, 1, size))).json()["data"]
        pages = int(first_page["total_page"])
        gate = asyncio.Semaphore(concurrency)

        async def one(page: int) -> None:
            async with gate:
                response = await client.get(ORDERLIST, params=_params(first, page, size))
                body = response.json()
                assert body["errno"] == 0, body
                if keep is not None:
                    (keep / f"{page}.json").write_bytes(response.content)

        started = time.perf_counter()
        await asyncio.gather(*(one(page) for page in range(1, pages + 1)))
        return time.perf_counter() - started, pages


def _serve_static(pages_dir: str, port: int, latency: float) -> None:
    """Child process: serve saved orderlist pages by current_page after `latency` seconds."""
    from aiohttp import web

    bodies = {int(p.stem): p.read_bytes() for p in Path(pages_dir).glob("*.json")}

    async def orderlist(request: web.Request) -> web.Response:
        await asyncio.sleep(latency)
        return web.Response(
            body=bodies[int(request.query["current_page"])], content_type="application/json"
        )

    app = web.Application()
    app.router.add_get(ORDERLIST, orderlist)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, backlog=1024)


def _floor(base_url: str, first: date, args: argparse.Namespace) -> tuple[float, int]:
    """_fetch_all in a child process: (seconds, pages) of a bare client that has a core to itself."""
    command = [
        sys.executable,
        __file__,
        "--fetch-all",
        base_url,
        first.isoformat(),
        str(args.page_size),
        str(args.concurrency),
    ]
    seconds, pages = subprocess.run(
        command, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(seconds), int(pages)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _export(
    base_url: str, root: Path, first: date, args: argparse.Namespace
) -> tuple[float, int, resource.struct_rusage]:
    project = root / "project"
    (project / "specs").mkdir(parents=True, exist_ok=True)
    (project / "smartpay.yaml").write_text(
        f"version: 1\nendpoint: {base_url}\nspecs: ['specs/*.yaml']\n"
        f"concurrency: {args.concurrency}\n"
    )
    (project / "specs" / "shop.yaml").write_text(
        f"app: shop\napp_id: {APP_ID}\ncredentials:\n  access_token: sandbox-{APP_ID}\n"
    )
    command = [
        sys.executable,
        "-m",
        "smartpay_apply",
        "data",
        "orders",
        "shop",
        "--from",
        first.isoformat(),
        "--to",
        END.isoformat(),
        "--page-size",
        str(args.page_size),
        "--format",
        args.format,
        "-o",
        "orders.out",
    ]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env()
    )
    assert process.stderr is not None
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage, not the server's
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"export failed: {stderr.decode()}")
    lines = sum(1 for _ in (project / "orders.out").open("rb"))
    return wall, lines - {"jsonl": 0, "csv": 1, "table": 2}[args.format], usage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--server", choices=["sandbox", "static"], default="sandbox")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="pages in flight (smartpay.yaml concurrency)"
    )
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--orders-per-day", type=int, default=1000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--format", default="csv", choices=["csv", "jsonl", "table"])
    args = parser.parse_args()

    first = END - timedelta(days=DAYS - 1)
    latency = args.latency_ms / 1000
    settings = {
        "audit_delay": 0,
        "orders_per_day": args.orders_per_day,
        "data_days": DAYS,
        "data_end": END.isoformat(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        root = Path(tmp)
        with Sandbox(**settings) as sandbox:
            sandbox_url = sandbox.url
            sandbox.onboard(APP_ID, public_key_pem())
            keep = root / "pages" if args.server == "static" else None
            if keep:
                keep.mkdir()
            asyncio.run(
                _fetch_all(sandbox_url, first, args.page_size, args.concurrency, keep)
            )  # warms the caches
            sandbox.latency(args.latency_ms)
            if args.server == "sandbox":
                floor, pages = _floor(sandbox_url, first, args)
                wall, rows, usage = _export(sandbox_url, root, first, args)
        if args.server == "static":
            port = _free_port()
            server = subprocess.Popen(
                [sys.executable, __file__, "--serve-static", str(keep), str(port), str(latency)]
            )
            try:
                static_url = f"http://127.0.0.1:{port}"
                for _ in range(200):
                    try:
                        httpx.get(static_url, timeout=1)
                        break
                    except httpx.TransportError:
                        time.sleep(0.05)
                floor, pages = _floor(static_url, first, args)
                wall, rows, usage = _export(static_url, root, first, args)
            finally:
                server.terminate()
                server.wait()
    ideal = math.ceil(rows / args.page_size) * latency / args.concurrency
    print(f"server          {args.server}")
    print(
        f"rows            {rows} in {pages} pages (page_size {args.page_size}, concurrency {args.concurrency}, "
        f"latency {args.latency_ms:g} ms, format {args.format})"
    )
    print(f"ideal           {ideal:.2f} s (requests x latency / concurrency)")
    print(f"floor           {floor:.2f} s (bare client, same pages: what the server allows here)")
    print(f"wall            {wall:.2f} s (CLI start to exit)")
    print(
        f"ratio           {wall / ideal:.2f} to ideal (target <= 1.5), {wall / floor:.2f} to floor"
    )
    print(f"exporter CPU    {usage.ru_utime + usage.ru_stime:.2f} s")
    print(f"peak RSS        {usage.ru_maxrss / 1024:.1f} MB (the CLI process; target < 150)")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve-static":
        _serve_static(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif len(sys.argv) == 6 and sys.argv[1] == "--fetch-all":
        taken, count = asyncio.run(
            _fetch_all(
                sys.argv[2],
                date.fromisoformat(sys.argv[3]),
                int(sys.argv[4]),
                int(sys.argv[5]),
                None,
            )
        )
        print(taken, count)
    else:
        main()
