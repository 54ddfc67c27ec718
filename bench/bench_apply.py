"""apply to N mini-programs from nothing (no waiting) against the sandbox with added latency.

    .venv/bin/python bench/bench_apply.py [N=500] [--latency-ms 50] [--concurrency 32]

What runs: the real CLI (`smartpay-apply apply --auto-approve --format json`) in a subprocess,
on a project of N specs with local id-card images (so each mini-program uploads two images),
against the sandbox served by uvicorn in *another* process (so the server's CPU does not count
against the client's), with `latency_ms` added to every request; SQLite state store.

Figures printed: wall time of the whole command (process start, spec loading, locks, plan,
the writes, the state store, output), the number of requests the sandbox served (from its call
log), the ideal parallel time (requests x latency / concurrency) and the ratio of the two.
The target is a ratio within 1.5. Not a test: the machines are shared and noisy.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import Sandbox, child_env, write_project


async def bare_requests(base_url: str, count: int, concurrency: int) -> float:
    """Wall time of `count` account/auditstatus GETs through the real client, nothing else."""
    from smartpay_apply.api.client import OpenApi

    async with OpenApi(base_url, max_concurrency=concurrency) as api:
        apps = [api.app(f"sandbox-{100_000 + n % 500}") for n in range(concurrency)]
        queue = list(range(count))
        started = time.perf_counter()

        async def worker(app: object) -> None:
            while queue:
                queue.pop()
                await app.get_account_audit_status()  # type: ignore[attr-defined]

        await asyncio.gather(*(worker(app) for app in apps))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("apps", nargs="?", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--state",
        default=".smartpay/state.db",
        help="state: of the project (e.g. /dev/shm/x.db to leave out disk fsyncs)",
    )
    args = parser.parse_args()

    with Sandbox(audit_policy="manual", latency_ms=args.latency_ms) as sandbox:
        base_url = sandbox.url
        with tempfile.TemporaryDirectory(prefix="bench-apply-") as tmp:
            root = Path(tmp)
            app_ids = [100_000 + number for number in range(args.apps)]
            write_project(root, base_url, app_ids, concurrency=args.concurrency, own_images=True)
            config = (root / "smartpay.yaml").read_text()
            (root / "smartpay.yaml").write_text(
                config.replace("state: .smartpay/state.db", f"state: {json.dumps(args.state)}")
            )
            server0 = sandbox.cpu()
            started = time.perf_counter()
            with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
                child = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "smartpay_apply",
                        "apply",
                        "--auto-approve",
                        "--format",
                        "json",
                    ],
                    cwd=root,
                    env=child_env(),
                    stdout=out,
                    stderr=err,
                )
                _, status, usage = os.wait4(
                    child.pid, 0
                )  # the CLI's own rusage (CPU), not the server's
                wall = time.perf_counter() - started
                server_cpu = sandbox.cpu() - server0
                returncode = os.waitstatus_to_exitcode(status)
                out.seek(0)
                err.seek(0)
                stdout, stderr = out.read().decode(), err.read().decode()
            if returncode not in (0, 2):
                sys.exit(f"apply failed ({returncode}):\n{stderr[-2000:]}")
            result = json.loads(stdout)
            requests = len(sandbox.calls())
            baseline = asyncio.run(bare_requests(base_url, requests, args.concurrency))

    ideal = requests * args.latency_ms / 1000 / args.concurrency
    steps = sum(len(app["steps"]) for app in result["apps"])
    print(f"apps:            {args.apps} (from nothing, no waiting; exit {returncode})")
    print(f"steps recorded:  {steps} ({result['summary']['in_review']} apps now in review)")
    print(f"requests:        {requests} ({requests / args.apps:.1f} per app)")
    print(
        f"latency:         {args.latency_ms:.0f} ms, concurrency {args.concurrency}, state {args.state}"
    )
    print(f"ideal parallel:  {ideal:.2f} s (requests x latency / concurrency)")
    print(f"apply wall time: {wall:.2f} s (whole CLI process)")
    print(f"ratio:           {wall / ideal:.2f} (target <= 1.5)")
    print(
        f"apply CPU:       {usage.ru_utime + usage.ru_stime:.2f} s (the CLI process: user {usage.ru_utime:.2f} + "
        f"system {usage.ru_stime:.2f}), peak RSS {usage.ru_maxrss / 1024:.0f} MB"
    )
    print(
        f"sandbox CPU:     {server_cpu:.2f} s during the apply ({server_cpu / requests * 1000:.2f} ms per request)"
    )
    print(
        f"CPU per request: {(usage.ru_utime + usage.ru_stime + server_cpu) / requests * 1000:.2f} ms, CLI + sandbox "
        f"(2 cores allow {2 * args.latency_ms / args.concurrency:.2f} ms at the ideal, {3 * args.latency_ms / args.concurrency:.2f} at 1.5x)"
    )
    print(
        f"baseline:        {baseline:.2f} s = ratio {baseline / ideal:.2f} "
        "(the same number of bare GETs through OpenApi, same concurrency: the machine's floor now)"
    )


if __name__ == "__main__":
    main()
