"""plan at scale: 1,000 mini-programs against the sandbox with 50 ms latency, concurrency 32.

Usage: .venv/bin/python bench/bench_plan.py [--apps 1000] [--onboarded 200] [--latency-ms 50]
       [--concurrency 32]

Prints figures; asserts nothing (see bench/README.md). The sandbox runs as a real uvicorn
server in a child process (so its CPU is not this process's and its memory is not counted),
its world in memory. `--onboarded` mini-programs get an account, developer config and an
approved payment service first (without latency), so the plan mixes creates, adopts and
in-sync apps. Then the latency is switched on and `planner.build_plan` runs once, through the
real path: credentials, `OpenApi` (default transport), the SQLite state store, decide.

Ideal wall time = requests × latency ÷ concurrency, with `requests` counted by the sandbox.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from smartpay_apply.config import ProjectConfig
from smartpay_apply.runtime import build_plan, open_api, open_state
from smartpay_apply.spec.models import AppSpec

PAY = "/rest/2.0/smartapp/pay"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SERVER = """
import sys, threading
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.server import running_server
config = SandboxConfig(state_file=None, audit_delay=0, call_log_limit=1_000_000)
with running_server(config) as base:
    print(base, flush=True)
    sys.stdin.read()
"""


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def public_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def payment(app_id: int) -> dict[str, str]:
    return {
        "app_name": f"店铺{app_id}",
        "service_phone": "13500000000",
        "bank_account": "某某科技有限公司",
        "bank_card": f"62220200{app_id:011d}",
        "bank_name": "招商银行",
        "bank_branch": "招商银行北京上地支行",
        "open_province": "北京市",
        "open_city": "海淀区",
        "payment_days": "7",
        "commission_rate": "6",
        "pool_cash_pledge": "1000",
        "day_max_frozen_amount": "10000",
    }


def make_spec(app_id: int, pem: str, image_url: str) -> AppSpec:
    return AppSpec(
        app=f"shop-{app_id}",
        app_id=app_id,
        credentials={"access_token": f"sandbox-{app_id}"},
        account={
            "business_scope": "日用百货零售",
            "business_province": "北京市",
            "business_city": "北京市",
            "business_detail_address": "海淀区上地十街10号",
            "legal_person": "张三",
            "legal_id": "11010519491231002X",
            "id_card_front_url": image_url,
            "id_card_back_url": image_url,
        },
        developer_config={
            "tp_public_key": pem,
            "pay_notify_url": "https://tp.example.cn/notify",
            "refund_audit_url": "https://tp.example.cn/refund-audit",
            "refund_succ_url": "https://tp.example.cn/refund",
        },
        payment_service={
            **payment(app_id),
            "pool_cash_pledge": Decimal(1000),
            "day_max_frozen_amount": Decimal(10000),
        },
    )


async def onboard(base: str, app_ids: list[int], pem: str) -> str:
    """Create and approve everything for `app_ids` (no latency yet); returns an image URL."""
    image_url = ""

    async def one(client: httpx.AsyncClient, app_id: int) -> None:
        nonlocal image_url
        params = {"access_token": f"sandbox-{app_id}"}
        upload = await client.post(
            "/file/2.0/smartapp/upload/image",
            params=params,
            files={"multipartFile": ("a.png", PNG, "image/png")},
        )
        url = upload.json()["data"]
        image_url = url
        await client.post(
            f"{PAY}/account/create",
            params=params,
            data={
                "business_scope": "日用百货零售",
                "business_province": "北京市",
                "business_city": "北京市",
                "business_detail_address": "海淀区上地十街10号",
                "legal_person": "张三",
                "legal_id": "11010519491231002X",
                "id_card_front_url": url,
                "id_card_back_url": url,
            },
        )
        await client.post(
            f"{PAY}/developconfig/submit",
            params=params,
            data={
                "tp_public_key": pem,
                "pay_notify_url": "https://tp.example.cn/notify",
                "refund_audit_url": "https://tp.example.cn/refund-audit",
                "refund_succ_url": "https://tp.example.cn/refund",
            },
        )
        for section in ("account", "developer_config"):
            await client.post(f"/_sandbox/apps/{app_id}/{section}/approve")
        body = (
            await client.post(f"{PAY}/paymentservice/create", params=params, data=payment(app_id))
        ).json()
        assert body["errno"] == 0, body
        await client.post(f"/_sandbox/apps/{app_id}/payment_service/approve")

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        sem = asyncio.Semaphore(16)

        async def bounded(app_id: int) -> None:
            async with sem:
                await one(client, app_id)

        await asyncio.gather(*(bounded(app_id) for app_id in app_ids))
        if not image_url:  # nothing onboarded: still need an uploaded URL for the specs
            upload = await client.post(
                "/file/2.0/smartapp/upload/image",
                params={"access_token": "sandbox-1"},
                files={"multipartFile": ("a.png", PNG, "image/png")},
            )
            image_url = upload.json()["data"]
    return image_url


async def run_plan(config: ProjectConfig, specs: list[AppSpec]) -> tuple[float, float, int, int]:
    with open_state(config) as store:
        async with open_api(config) as api:
            t0, c0 = time.perf_counter(), cpu()
            plan, _ = await build_plan(config, specs, api, store)
            wall, used = time.perf_counter() - t0, cpu() - c0
    return wall, used, len(plan.errors), sum(1 for app in plan.apps if app.pending)


async def baseline(base: str, requests: int, concurrency: int) -> tuple[float, float]:
    """The same number of bare GETs through OpenApi at the same concurrency: what the client and
    the sandbox manage on this machine right now, without any plan work (for comparison)."""
    from smartpay_apply.api.client import OpenApi

    async with OpenApi(base, max_concurrency=concurrency) as api:
        gate = asyncio.Semaphore(concurrency * 2)

        async def one(n: int) -> None:
            async with gate:
                await api.app(f"sandbox-{100_000 + n % 1000}").get_account_audit_status()

        t0, c0 = time.perf_counter(), cpu()
        await asyncio.gather(*(one(n) for n in range(requests)))
        return time.perf_counter() - t0, cpu() - c0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--onboarded", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        base = server.stdout.readline().strip()
        pem = public_key()
        app_ids = [100_000 + n for n in range(args.apps)]
        image_url = asyncio.run(onboard(base, app_ids[: args.onboarded], pem))
        specs = [make_spec(app_id, pem, image_url) for app_id in app_ids]
        with httpx.Client(base_url=base) as admin:
            admin.delete("/_sandbox/calls")
            admin.put("/_sandbox/faults", json={"latency_ms": args.latency_ms})
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp)
                config = ProjectConfig(
                    root=root,
                    path=root / "smartpay.yaml",
                    endpoint=base,
                    state="state.db",
                    concurrency=args.concurrency,
                )
                print(f"rss before plan: {rss_mb():.0f} MB")
                server0 = proc_cpu(server.pid)
                wall, used, errors, pending = asyncio.run(run_plan(config, specs))
                server_plan = proc_cpu(server.pid) - server0
            requests = len(admin.get("/_sandbox/calls").json()["calls"])
            server0 = proc_cpu(server.pid)
            base_wall, base_cpu = asyncio.run(baseline(base, requests, args.concurrency))
            server_base = proc_cpu(server.pid) - server0
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = children.ru_utime + children.ru_stime  # the whole sandbox process, all phases
    ideal = requests * args.latency_ms / 1000 / args.concurrency
    print(
        f"mini-programs: {args.apps} ({args.onboarded} onboarded), errors: {errors}, with pending steps: {pending}"
    )
    print(
        f"requests: {requests} at {args.latency_ms:.0f} ms latency, concurrency {args.concurrency}"
    )
    print(f"wall: {wall:.2f} s  ideal: {ideal:.2f} s  ratio: {wall / ideal:.2f}")
    print(f"client CPU: {used:.2f} s ({used / max(requests, 1) * 1000:.2f} ms per request)")
    print(
        f"baseline, {requests} bare GETs through OpenApi (no plan work): wall {base_wall:.2f} s, "
        f"ratio {base_wall / ideal:.2f}, client CPU {base_cpu / requests * 1000:.2f} ms per request"
    )
    print(
        f"sandbox server CPU during the plan: {server_plan:.2f} s ({server_plan / requests * 1000:.2f} ms per request), "
        f"during the baseline: {server_base / requests * 1000:.2f} ms per request; whole life {server_cpu:.2f} s"
    )
    print(
        f"client + server CPU per request: plan {(used + server_plan) / requests * 1000:.2f} ms, "
        f"baseline {(base_cpu + server_base) / requests * 1000:.2f} ms (2 cores allow "
        f"{2 * args.latency_ms / args.concurrency:.2f} ms at the ideal, {3 * args.latency_ms / args.concurrency:.2f} at 1.5x)"
    )
    print(f"peak memory (this process, max RSS): {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
