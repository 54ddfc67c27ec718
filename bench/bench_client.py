"""How much client CPU one openapi request costs, per transport (prints figures).

A local aiohttp server in a child process answers every request after 50 ms (so its CPU is not
counted); this process sends N GETs at concurrency C through `OpenApi` — the real client path:
token, semaphore, retry loop, interpret, JSON decoding, pydantic model — once per transport
behind the client's `Transport` seam: httpx's own transport and httpx-aiohttp's (both through
the httpx adapter, as tests and the embedded sandbox use it), and the default aiohttp
transport. The floor is N x 50 ms / C; the ratio to it and the client's CPU seconds show
whether the client keeps up on a small machine.

    .venv/bin/python bench/bench_client.py [--requests 2000] [--concurrency 32] [--delay 0.05]
        [--runs 1] [--default-only]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from typing import Any

ANSWER = json.dumps(
    {"errno": 0, "msg": "success", "data": {"status": 4, "verify_message": "审核通过"}}
)


def serve(port: int, delay: float) -> None:
    """The child process: a fake openapi answering after `delay` seconds."""
    from aiohttp import web

    async def audit(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        return web.Response(text=ANSWER, content_type="application/json")

    app = web.Application()
    app.router.add_get("/rest/2.0/smartapp/pay/account/auditstatus", audit)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, backlog=1024)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_listening(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("bench server did not start")


async def run(base: str, transport: Any, requests: int, concurrency: int) -> tuple[float, float]:
    from smartpay_apply.api.client import OpenApi

    async with OpenApi(base, transport=transport, max_concurrency=concurrency, retries=0) as api:
        app = api.app("bench-token")
        await asyncio.gather(*(app.get_account_audit_status() for _ in range(concurrency)))  # warm
        cpu0, wall0 = time.process_time(), time.perf_counter()
        results = await asyncio.gather(*(app.get_account_audit_status() for _ in range(requests)))
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    assert all(r.status == 4 for r in results)
    return wall, cpu


def transports(concurrency: int, default_only: bool) -> dict[str, Any]:
    import httpx
    from httpx_aiohttp import AiohttpTransport

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    rows: dict[str, Any] = {
        "httpx AsyncHTTPTransport (adapter)": lambda: httpx.AsyncHTTPTransport(limits=limits),
        "httpx-aiohttp AiohttpTransport (adapter)": lambda: AiohttpTransport(limits=limits),
        "OpenApi default (aiohttp transport)": lambda: None,
    }
    return {k: v for k, v in rows.items() if "default" in k} if default_only else rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=1, help="repeat the table this many times")
    parser.add_argument("--default-only", action="store_true", help="only the default row")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.delay)
        return
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), "--delay", str(args.delay)]
    )
    try:
        wait_listening(port)
        ideal = args.requests * args.delay / args.concurrency
        print(
            f"{args.requests} GETs via OpenApi, concurrency {args.concurrency}, server delay "
            f"{args.delay * 1000:.0f} ms: ideal {ideal:.2f} s"
        )
        print(f"{'transport':42} {'wall s':>7} {'ratio':>6} {'CPU s':>6} {'CPU ms/req':>10}")
        for _ in range(args.runs):
            for name, make in transports(args.concurrency, args.default_only).items():
                wall, cpu = asyncio.run(
                    run(f"http://127.0.0.1:{port}", make(), args.requests, args.concurrency)
                )
                print(
                    f"{name:42} {wall:7.2f} {wall / ideal:6.2f} {cpu:6.2f} "
                    f"{cpu * 1000 / args.requests:10.2f}",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
