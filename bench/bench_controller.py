"""N mini-programs onboarding through one controller, the sandbox approving after random delays.

    .venv/bin/python bench/bench_controller.py [N=1000] [--latency-ms 50] [--delay-max 5]
        [--concurrency 64] [--state .smartpay/state.db] [--profile FILE]
        [--profile-sandbox FILE]

What runs: the sandbox served by uvicorn in a child process (its CPU does not count against the
controller's), with `latency_ms` added to every request, every audit approved after a delay
drawn from 0..`delay-max` seconds (`audit_delay_max`), and its audit events pushed, encrypted,
to the controller; `smartpay-apply controller --resync 10m` in another child process, on a
project of N specs with local id-card images and the receiver configured. Nothing else: the
controller creates the accounts, and every later write follows a pushed PASS event.

Figures printed:
- event to write: for each account PASS and developer-config PASS event, from its arrival at
  the receiver (`received_at` in the store) to the next write of that mini-program Baidu
  accepted (the sandbox's call log; the write's 50 ms latency included) — p50, p99, max;
- fleet: from the controller's start to the last payment-service PASS event, against the
  critical path: the longest sum of one mini-program's three audit delays (recomputed from the
  sandbox's submission times with its own draw), i.e. the time the fleet would take if the
  controller acted instantly; target 1.5x;
- the controller's CPU (user + system, from wait4) per reconcile (/metrics' count), and the
  requests the sandbox served.
Not a test: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import bisect
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.apply.project import Project  # noqa: E402
from tests.conftest import free_port  # noqa: E402

TOKEN = "bench-token"
AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
CLIENT_ID = "bench-client"
STATE_KEY = "bench-state-key-0123456789"
PAY = "/rest/2.0/smartapp/pay"
WRITES = {f"{PAY}/account/create", f"{PAY}/developconfig/submit", f"{PAY}/paymentservice/create"}

SERVER = """
import sys, time
if len(sys.argv) > 7:  # --profile-sandbox: cProfile the server's thread (uvicorn runs there)
    import cProfile, uvicorn
    profiler, serve = cProfile.Profile(), uvicorn.Server.run
    def profiled(self, *args, **kwargs):
        profiler.enable()
        try:
            return serve(self, *args, **kwargs)
        finally:
            profiler.disable()
            profiler.dump_stats(sys.argv[7])
    uvicorn.Server.run = profiled
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.server import running_server
config = SandboxConfig(state_file=None, audit_delay=0.0, audit_delay_max=float(sys.argv[2]),
                       latency_ms=float(sys.argv[1]), call_log_limit=2_000_000,
                       webhook=sys.argv[3], push_token=sys.argv[4], encoding_aes_key=sys.argv[5],
                       tp_client_id=sys.argv[6])
with running_server(config) as url:
    print(url, flush=True)
    sys.stdin.read()
"""


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def scrape(url: str) -> dict[str, float]:
    found = {}
    for line in httpx.get(f"{url}/metrics", timeout=30).text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("apps", nargs="?", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--delay-max", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--state", default=".smartpay/state.db", help="the project's state:")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument(
        "--profile", metavar="FILE", help="run the controller under cProfile, stats to FILE"
    )
    parser.add_argument(
        "--profile-sandbox", metavar="FILE", help="cProfile the sandbox's server thread, to FILE"
    )
    args = parser.parse_args()

    from smartpay_apply.sandbox.config import SandboxConfig
    from smartpay_apply.sandbox.world import audit_delay
    from smartpay_apply.state import open_store

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SERVER,
            str(args.latency_ms),
            str(args.delay_max),
            f"http://127.0.0.1:{port}/",
            TOKEN,
            AES_KEY,
            CLIENT_ID,
            *([str(Path(args.profile_sandbox).resolve())] if args.profile_sandbox else []),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory(prefix="bench-controller-") as tmp:
            root = Path(tmp)
            events = {"token": TOKEN, "encoding_aes_key": AES_KEY, "tp_client_id": CLIENT_ID}
            project = Project(root, base_url, state=args.state, events=events)
            config = (root / "smartpay.yaml").read_text()
            (root / "smartpay.yaml").write_text(
                config.replace("concurrency: 8", f"concurrency: {args.concurrency}")
            )
            ids = []
            for number in range(args.apps):
                project.add(f"app-{number:04d}", 300_000 + number)
                ids.append(300_000 + number)
            env = {**os.environ, "NO_COLOR": "1", "SMARTPAY_STATE_KEY": STATE_KEY}
            log_path = root / "controller.log"
            server0 = proc_cpu(server.pid)
            started_wall = time.time()
            started = time.perf_counter()
            with log_path.open("wb") as log:
                profile = (
                    ["-m", "cProfile", "-o", str(Path(args.profile).resolve())]
                    if args.profile
                    else []
                )
                child = subprocess.Popen(
                    [
                        sys.executable,
                        *profile,
                        "-m",
                        "smartpay_apply",
                        "controller",
                        "--port",
                        str(port),
                        "--resync",
                        "10m",
                    ],
                    cwd=root,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            url = f"http://127.0.0.1:{port}"
            store = None
            done_at = None
            while time.perf_counter() - started < args.timeout:
                time.sleep(0.5)
                if child.poll() is not None:
                    sys.exit(
                        f"controller exited {child.returncode}:\n{log_path.read_text()[-3000:]}"
                    )
                if store is None:
                    try:
                        store = open_store(args.state, base_dir=root)
                    except Exception:
                        continue
                passed = [
                    e for e in store.list_events() if e.event == "APP_PAYMENT_CREATE_PAYMENT_PASS"
                ]
                if len(passed) >= args.apps:
                    done_at = max(e.received_at.timestamp() for e in passed)
                    break
            if done_at is None:
                child.kill()
                sys.exit(f"not onboarded in {args.timeout} s:\n{log_path.read_text()[-3000:]}")
            wall = done_at - started_wall
            time.sleep(1.0)  # the last events' reconciles (in sync: no write)
            metrics = scrape(url)
            server_cpu = proc_cpu(server.pid) - server0
            child.send_signal(signal.SIGTERM)
            _, status, usage = os.wait4(child.pid, 0)
            controller_cpu = usage.ru_utime + usage.ru_stime
            assert store is not None
            all_events = store.list_events()
            store.close()
            calls = httpx.get(f"{base_url}/_sandbox/calls", timeout=120).json()["calls"]
            sandbox_config = SandboxConfig(audit_delay=0.0, audit_delay_max=args.delay_max)
            chains = []
            for app_id in ids:
                state = httpx.get(f"{base_url}/_sandbox/apps/{app_id}", timeout=30).json()
                chains.append(
                    sum(
                        audit_delay(sandbox_config, app_id, section, state[section]["submitted_at"])
                        for section in ("account", "developer_config", "payment_service")
                    )
                )
            log_text = log_path.read_text()
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=60)

    writes: dict[int, list[float]] = {}
    for call in calls:
        if call["method"] == "POST" and call["path"] in WRITES and call["errno"] == 0:
            writes.setdefault(call["app_id"], []).append(call["time"])
    latencies = []
    missing = 0
    for event in all_events:
        if event.event not in (
            "APP_PAYMENT_CREATE_ACCOUNT_PASS",
            "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS",
        ):
            continue
        times = sorted(writes.get(event.app_id, []))
        received = event.received_at.timestamp()
        index = bisect.bisect_right(times, received)
        if index == len(times):
            missing += 1
            continue
        latencies.append(times[index] - received)
    reconciles = sum(
        value
        for name, value in metrics.items()
        if name.startswith("smartpay_controller_reconciles_total")
    )
    critical = max(chains)
    duplicates = sum(1 for app_id in ids if len(writes.get(app_id, [])) != 3)
    print(
        f"apps:               {args.apps}, audits approved after 0-{args.delay_max:g} s, "
        f"latency {args.latency_ms:g} ms, concurrency {args.concurrency}, state {args.state}"
    )
    print(
        f"requests served:    {len(calls)} ({len(calls) / args.apps:.1f} per app); "
        f"apps without exactly 3 accepted writes: {duplicates}"
    )
    print(
        f"event to write:     p50 {statistics.median(latencies):.3f} s, "
        f"p99 {percentile(latencies, 0.99):.3f} s, max {max(latencies):.3f} s "
        f"({len(latencies)} events; {missing} without a later write) (target p99 < 2 s)"
    )
    print(
        f"fleet onboarded:    {wall:.2f} s from the controller's start to the last payment "
        "service PASS"
    )
    print(
        f"critical path:      {critical:.2f} s (the longest sum of one app's three audit "
        f"delays; mean sum {statistics.mean(chains):.2f} s)"
    )
    print(f"ratio:              {wall / critical:.2f} (target <= 1.5)")
    print(
        f"controller CPU:     {controller_cpu:.2f} s for {reconciles:.0f} reconciles = "
        f"{controller_cpu / max(reconciles, 1) * 1000:.1f} ms per reconcile "
        f"(exit {os.waitstatus_to_exitcode(status)}; peak RSS {usage.ru_maxrss / 1024:.0f} MB)"
    )
    print(
        f"sandbox CPU:        {server_cpu:.2f} s ({server_cpu / max(len(calls), 1) * 1000:.2f} ms "
        "per request)"
    )
    failed = metrics.get('smartpay_controller_reconciles_total{outcome="failed"}', 0)
    print(
        f"failed reconciles:  {failed:.0f}; warnings in the log: "
        f"{sum(1 for line in log_text.splitlines() if ' WARNING ' in line)}"
    )


if __name__ == "__main__":
    main()
