"""How many pushes per second the event receiver stores, and what verifying one costs.

    .venv/bin/python bench/bench_events.py [--pushes 2000] [--concurrency 32]

Starts the receiver (uvicorn, a SQLite store in a temp dir) in a child process, sends that many
distinct signed, encrypted audit events through httpx-aiohttp, and prints the wall time, pushes
per second, and whether every event was stored. Then times signature check + decryption +
parsing alone, in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from httpx_aiohttp import AiohttpTransport

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smartpay_apply.events import crypto  # noqa: E402
from smartpay_apply.events.messages import parse_event, parse_json  # noqa: E402

TOKEN = "bench-token"
AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
CLIENT = "bench-client"

SERVER = """
import sys, pathlib, uvicorn
from smartpay_apply.events import crypto
from smartpay_apply.events.app import ReceiverSettings, create_receiver
from smartpay_apply.state import open_store
db = pathlib.Path(sys.argv[1])
store = open_store(str(db), base_dir=db.parent)
settings = ReceiverSettings(sys.argv[3], crypto.aes_key(sys.argv[4]), sys.argv[5])
uvicorn.run(create_receiver(settings, store), host="127.0.0.1", port=int(sys.argv[2]), log_level="error")
"""


def envelope(app_id: int) -> dict[str, str]:
    message = json.dumps(
        {
            "appId": app_id,
            "tpAppId": 1,
            "eventTime": "2026-11-25 10:00:00",
            "event": "APP_PAYMENT_CREATE_ACCOUNT_PASS",
        }
    ).encode()
    encrypted = crypto.encrypt(crypto.aes_key(AES), message, CLIENT)
    return {
        "Nonce": "n",
        "TimeStamp": "1",
        "Encrypt": encrypted,
        "MsgSignature": crypto.signature(TOKEN, "1", "n", encrypted),
    }


async def push_all(url: str, pushes: int, concurrency: int) -> tuple[float, int]:
    bodies = [envelope(100000 + i) for i in range(pushes)]
    slots = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(transport=AiohttpTransport(), base_url=url, timeout=30) as client:

        async def one(body: dict[str, str]) -> bool:
            async with slots:
                response = await client.post("/", json=body)
                return response.text == "success"

        start = time.perf_counter()
        results = await asyncio.gather(*(one(b) for b in bodies))
        return time.perf_counter() - start, sum(results)


def wait_up(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("receiver did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pushes", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    os.environ.setdefault("SMARTPAY_STATE_KEY", "bench-state-key")
    with tempfile.TemporaryDirectory() as tmp:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        db = Path(tmp) / "state.db"
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(db), str(port), TOKEN, AES, CLIENT], cwd=ROOT
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_up(url)
            wall, ok = asyncio.run(push_all(url, args.pushes, args.concurrency))
        finally:
            server.terminate()
            server.wait(30)
        from smartpay_apply.state import open_store

        with open_store(str(db), base_dir=Path(tmp)) as store:
            stored = len(store.list_events())
    print(
        f"receiver: {args.pushes} pushes at concurrency {args.concurrency}: {wall:.2f} s, "
        f"{args.pushes / wall:.0f} pushes/s, answered success {ok}, stored {stored}"
    )

    key = crypto.aes_key(AES)
    bodies = [envelope(i) for i in range(5000)]
    start = time.perf_counter()
    for body in bodies:
        crypto.verify_signature(
            TOKEN, body["MsgSignature"], body["TimeStamp"], body["Nonce"], body["Encrypt"]
        )
        parse_event(parse_json(crypto.decrypt(key, body["Encrypt"], CLIENT)))
    per = (time.perf_counter() - start) / len(bodies)
    print(f"verify + decrypt + parse: {per * 1e6:.0f} µs per push")


if __name__ == "__main__":
    main()
