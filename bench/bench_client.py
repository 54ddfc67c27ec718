"""How much client CPU one openapi request costs, per transport (prints figures).

A local aiohttp server in a child process answers every request after 50 ms (so its CPU is not
counted); this process sends N GETs at concurrency C through `OpenApi` — the real client path:
token, semaphore, retry loop, JSON decoding, pydantic model — once with httpx's own transport
and once with httpx-aiohttp's AiohttpTransport. The floor is N x 50 ms / C; the ratio to it and
the client's CPU seconds show whether the client keeps up on a small machine.

    .venv/bin/python bench/bench_client.py [--requests 2000] [--concurrency 32] [--delay 0.05]
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


def transports(concurrency: int) -> dict[str, Any]:
    import httpx
    from httpx_aiohttp import AiohttpTransport

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return {
        "httpx default transport": lambda: httpx.AsyncHTTPTransport(limits=limits),
        "httpx-aiohttp AiohttpTransport": lambda: AiohttpTransport(limits=limits),
        "OpenApi default (no transport given)": lambda: None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--delay", type=float, default=0.05)
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
        print(f"{'transport':40} {'wall s':>7} {'ratio':>6} {'CPU s':>6} {'CPU ms/req':>10}")
        for name, make in transports(args.concurrency).items():
            wall, cpu = asyncio.run(
                run(f"http://127.0.0.1:{port}", make(), args.requests, args.concurrency)
            )
            print(
                f"{name:40} {wall:7.2f} {wall / ideal:6.2f} {cpu:6.2f} "
                f"{cpu * 1000 / args.requests:10.2f}"
            )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
