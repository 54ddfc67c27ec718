"""How fast status answers for a big fleet (targets: the overview for 5,000 mini-programs with
50,000 events rendered server-side in under 300 ms; `status` for 5,000 printed in under 1 s
from the process start).

    .venv/bin/python bench/bench_status.py [--apps 5000] [--events 50000] [--runs 5] [--keep DIR]

Builds a project whose SQLite store holds a fleet in a realistic mix (observations written by
the real engine/observation.py from plans with steps and changes: 70% in sync, 10% in review,
8% not started, 6% drifted, 4% blocked, 2% failing; three submissions per started
mini-program; events spread at random over the fleet, one in ten a rejection; the last nightly
apply run touching every mini-program with work; a few suspensions). Rows, events, submissions and runs are bulk-loaded in one
transaction through the store's own backend: the receiver commits each event durably
(synchronous=FULL), which for 50,000 events would take minutes and is not what is measured.

Then measures:
1. the overview (`GET /`, 100 rows per page, default sort) through the status app's ASGI
   interface in this process: the whole server-side handling, from the request to the last
   byte of HTML (median, best and worst of --runs), and its parts (reading the store, building
   the rows, sorting and rendering);
2. a mini-program's page and `/api/status`, for reference;
3. `smartpay-apply status` and `status --format json` as a user runs them: a new process each
   time, stdout to a file, wall time from before the fork to the exit.

Each figure also gives the median CPU time (of this process, or of the child for the CLI): on
the shared 2-core machine, other people's tests make wall times swing 2x; CPU time says what
the code itself costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smartpay_apply.engine.observation import observation  # noqa: E402
from smartpay_apply.engine.steps import Action, AppPlan, Change, Step  # noqa: E402
from smartpay_apply.state import open_store  # noqa: E402
from smartpay_apply.state.records import EVENT_OUTCOMES, Suspension  # noqa: E402
from smartpay_apply.state.sqltime import to_us  # noqa: E402
from smartpay_apply.timeutil import now  # noqa: E402

SECTIONS = ("account", "developer_config", "payment_service")
#: Share of the audit events that are rejections (the rest approvals).
FAIL_SHARE = 0.1
#: The fleet's mix: share of mini-programs per situation (the rest are in sync).
MIX = {"in_review": 0.10, "blocked": 0.04, "failing": 0.02, "drift": 0.06, "not_started": 0.08}
PAYMENT_FIELDS = [
    ("app_name", "北京百货小店{n}"),
    ("service_phone", "010-62881234"),
    ("bank_account", "北京百货小店商贸有限公司{n}"),
    ("bank_card", "****{n:04d}"),
    ("bank_name", "招商银行"),
    ("bank_branch", "招商银行北京上地支行"),
    ("open_province", "北京市"),
    ("open_city", "海淀区"),
    ("payment_days", 7),
    ("commission_rate", 6),
    ("pool_cash_pledge", 500),
    ("day_max_frozen_amount", 5000),
]
ACCOUNT_FIELDS = [
    ("business_scope", "日用百货、文具用品零售 {n}"),
    ("business_province", "北京市"),
    ("business_city", "北京市"),
    ("business_detail_address", "海淀区上地十街{n}号"),
    ("legal_person", "王小明"),
    ("legal_id", "****{n:04d}"),
    ("id_card_front", "(sensitive)"),
    ("id_card_back", "(sensitive)"),
]


def _changes(fields: list[tuple[str, Any]], n: int) -> tuple[Change, ...]:
    return tuple(
        Change(
            name, None, value.format(n=n) if isinstance(value, str) else value, "*" in str(value)
        )
        for name, value in fields
    )


def plan_for(kind: str, app: str, app_id: int, n: int) -> AppPlan:
    """A plan like the engine makes for a mini-program in situation `kind`."""
    done = {s: "synced · approved" for s in SECTIONS}
    if kind == "not_started":
        status = {
            "account": "out of sync · not created",
            "developer_config": "out of sync · not submitted",
            "payment_service": "out of sync · not created",
        }
        steps = (
            Step(Action.CREATE_ACCOUNT, "account", _changes(ACCOUNT_FIELDS, n)),
            Step(Action.WAIT, "account", reason="account audit: the developer config needs it"),
            Step(
                Action.SUBMIT_DEVELOPER_CONFIG,
                "developer_config",
                _changes([("pay_notify_url", "https://pay.example.cn/{n}")], n),
            ),
            Step(Action.CREATE_PAYMENT_SERVICE, "payment_service", _changes(PAYMENT_FIELDS, n)),
        )
        return AppPlan(app=app, app_id=app_id, steps=steps, status=status)
    if kind == "in_review":
        status = {**done, "payment_service": "synced · in review"}
        steps = (
            Step(
                Action.WAIT,
                "payment_service",
                reason="payment service audit in progress (open_status 1)",
            ),
        )
        return AppPlan(app=app, app_id=app_id, steps=steps, status=status)
    if kind == "blocked":
        status = {**done, "payment_service": "synced · rejected"}
        steps = (
            Step(
                Action.BLOCKED,
                "payment_service",
                reason="银行卡号与开户名称不一致,请核实后重新提交",
            ),
        )
        return AppPlan(app=app, app_id=app_id, steps=steps, status=status)
    if kind == "failing":
        return AppPlan(
            app=app,
            app_id=app_id,
            error="paymentservice/getbindservice: errno 110 access token invalid",
        )
    if kind == "drift":
        status = {**done, "payment_service": "out of sync · approved"}
        steps = (
            Step(
                Action.UPDATE_PAYMENT_SERVICE,
                "payment_service",
                (Change("service_phone", "010-62881234", "010-62889999"),),
            ),
        )
        return AppPlan(app=app, app_id=app_id, steps=steps, status=status)
    return AppPlan(app=app, app_id=app_id, status=done)


def build(root: Path, apps: int, events: int) -> None:
    """The project and its store (see the module docstring)."""
    (root / "specs").mkdir(parents=True)
    (root / "smartpay.yaml").write_text("version: 1\nendpoint: sandbox\n", encoding="utf-8")
    rng = random.Random(20261202)
    kinds: list[str] = []
    for kind, share in MIX.items():
        kinds += [kind] * int(apps * share)
    kinds += ["in_sync"] * (apps - len(kinds))
    rng.shuffle(kinds)
    at = now()
    started = at - timedelta(days=30)
    with open_store(".smartpay/state.db", base_dir=root) as store:
        store.record_observations(
            [
                observation(
                    plan_for(kind, f"shop-{n:05d}", 20_000_000 + n, n),
                    source=rng.choice(["plan", "apply", "controller"]),
                    at=at - timedelta(minutes=rng.randint(1, 600)),
                    app_name=f"北京百货小店{n}",
                )
                for n, kind in enumerate(kinds)
            ]
        )
        passes = [name for name in EVENT_OUTCOMES if name.endswith("_PASS")]
        fails = [name for name in EVENT_OUTCOMES if name.endswith("_FAIL")]
        with store._db.transaction(write=True) as tx:  # bulk load: see the module docstring
            for n, kind in enumerate(kinds):
                if kind == "not_started":
                    continue
                app_id = 20_000_000 + n
                for i, section in enumerate(SECTIONS):
                    pending = kind == "in_review" and section == "payment_service"
                    rejected = kind == "blocked" and section == "payment_service"
                    submitted = started + timedelta(hours=rng.randint(0, 24 * 28), seconds=i)
                    tx.execute(
                        "INSERT INTO smartpay_submissions (app_id, section, app, fingerprint, "
                        "submitted_us, outcome, reason, outcome_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            app_id,
                            section,
                            f"shop-{n:05d}",
                            f"{n:064x}",
                            to_us(submitted),
                            "pending" if pending else "rejected" if rejected else "approved",
                            "银行卡号与开户名称不一致" if rejected else None,
                            None if pending else to_us(submitted + timedelta(hours=2)),
                        ),
                    )
            for e in range(events):
                n = rng.randrange(apps)
                event_time = started + timedelta(seconds=e * 30 + rng.randint(0, 29))
                name = rng.choice(fails if rng.random() < FAIL_SHARE else passes)
                tx.execute(
                    "INSERT INTO smartpay_events (app_id, event, event_us, tp_app_id, reason, "
                    "received_us) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        20_000_000 + n,
                        name,
                        to_us(event_time),
                        10000,
                        "资料不全,请补充后重新提交" if name.endswith("_FAIL") else None,
                        to_us(event_time + timedelta(seconds=1)),
                    ),
                )
            nightly = [(f"r-nightly-{d:02d}", started + timedelta(days=d)) for d in range(30)]
            for run_id, when in nightly:
                tx.execute(
                    "INSERT INTO smartpay_runs (run_id, command, run_user, host, plan_checksum, "
                    "started_us, finished_us, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        run_id,
                        "apply --auto-approve",
                        "ci",
                        "runner-1",
                        None,
                        to_us(when),
                        to_us(when + timedelta(minutes=20)),
                        "pending",
                    ),
                )
            seq = 0
            run_id, when = nightly[-1]
            for n, kind in enumerate(kinds):
                if kind in ("in_sync", "not_started"):
                    continue
                seq += 1
                tx.execute(
                    "INSERT INTO smartpay_steps (run_id, seq, app_id, app, action, section, "
                    "result, detail, at_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        run_id,
                        seq,
                        20_000_000 + n,
                        f"shop-{n:05d}",
                        "update_bind_service",
                        "payment_service",
                        "failed" if kind == "failing" else "submitted",
                        "errno 110" if kind == "failing" else None,
                        to_us(when),
                    ),
                )
        for n in range(0, apps, 500):
            store.suspend(
                Suspension(20_000_000 + n, f"shop-{n:05d}", "ops@host", at, "bank change")
            )


#: CPU seconds of each timed run (this process's, or its children's for the CLI runs), so a
#: figure taken on a shared, loaded machine can be told from what the code itself costs.
CPU: list[float] = []


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(runs: int, action: Callable[[], Any]) -> list[float]:
    found = []
    CPU.clear()
    for _ in range(runs):
        began, cpu = time.perf_counter(), _cpu()
        action()
        found.append(time.perf_counter() - began)
        CPU.append(_cpu() - cpu)
    return found


def show(label: str, seconds: list[float], target: float | None = None) -> None:
    median = statistics.median(seconds)
    verdict = "" if target is None else ("  met" if median < target else "  NOT met")
    print(
        f"{label:<44} median {median * 1000:7.1f} ms  best {min(seconds) * 1000:7.1f}  "
        f"worst {max(seconds) * 1000:7.1f}  (cpu median {statistics.median(CPU) * 1000:6.1f})"
        f"{verdict}"
    )


def in_process(root: Path, runs: int) -> None:
    import httpx

    from smartpay_apply.config import load_project_config
    from smartpay_apply.state import open_existing_store
    from smartpay_apply.status.fleet import read_fleet, with_events
    from smartpay_apply.status.rows import build_rows
    from smartpay_apply.status.web import create_status_app
    from smartpay_apply.status.web.serve import SharedStore

    config = load_project_config(root, None)
    opener = SharedStore(config)
    app = create_status_app(config, opener)

    async def get(path: str) -> int:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://s"
        ) as http:
            response = await http.get(path)
            return len(response.content)

    size = asyncio.run(get("/"))  # warm: templates compiled, store opened
    show("overview GET / (100 rows of all)", timed(runs, lambda: asyncio.run(get("/"))), 0.300)
    show(
        "overview GET /?state=in-review", timed(runs, lambda: asyncio.run(get("/?state=in-review")))
    )
    show("overview GET /?q=shop-0421", timed(runs, lambda: asyncio.run(get("/?q=shop-0421"))))
    show(
        "mini-program page GET /app/20000421",
        timed(runs, lambda: asyncio.run(get("/app/20000421"))),
    )
    show("GET /api/status (every row, JSON)", timed(runs, lambda: asyncio.run(get("/api/status"))))
    print(f"  (overview page: {size / 1024:.0f} KiB of HTML)")
    store = open_existing_store(config.state, base_dir=config.root)
    assert store is not None
    partial = read_fleet(store, at=now(), complete=False)
    show(
        "  overview part: read the store (partial)",
        timed(runs, lambda: read_fleet(store, at=now(), complete=False)),
    )
    show("  overview part: build 5,000 rows", timed(runs, lambda: build_rows(partial)))
    show(
        "  overview part: the page's events",
        timed(runs, lambda: with_events(partial, store, list(range(20_000_000, 20_000_100)))),
    )
    for name, query in (
        ("observations", lambda: store.list_observations()),
        ("open submissions", lambda: store.open_submissions()),
        ("submitted apps", lambda: store.submitted_apps()),
        ("apps with events", lambda: store.event_app_ids()),
        ("latest runs", lambda: store.latest_runs()),
        ("every submission (json)", lambda: store.list_submissions()),
        ("latest events, all apps (text, json)", lambda: store.latest_events()),
    ):
        show(f"    store: {name}", timed(runs, query))
    store.close()
    opener.close()


def cli(root: Path, runs: int) -> None:
    command = [str(ROOT / ".venv" / "bin" / "smartpay-apply")]
    if not Path(command[0]).exists():
        command = [sys.executable, "-m", "smartpay_apply"]
    for args, label, target in (
        (["status"], "smartpay-apply status (process)", 1.0),
        (["status", "--format", "json"], "smartpay-apply status --format json", 1.0),
        (["--version"], "smartpay-apply --version (the floor)", None),
    ):

        def run(args: list[str] = args) -> None:
            with open(os.devnull, "w") as sink:
                subprocess.run([*command, *args], cwd=root, stdout=sink, check=True)

        run()
        show(label, timed(runs, run), target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=5000)
    parser.add_argument("--events", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--keep", type=Path, default=None, help="build the project here and keep it"
    )
    options = parser.parse_args()
    root = options.keep or Path(tempfile.mkdtemp(prefix="bench-status-")) / "project"
    try:
        began = time.perf_counter()
        if not (root / ".smartpay" / "state.db").exists():
            build(root, options.apps, options.events)
        print(
            f"fleet: {options.apps} mini-programs, {options.events} events "
            f"(built in {time.perf_counter() - began:.1f} s); load average {os.getloadavg()[0]:.1f}"
        )
        in_process(root, options.runs)
        cli(root, options.runs)
    finally:
        if options.keep is None:
            shutil.rmtree(root.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
