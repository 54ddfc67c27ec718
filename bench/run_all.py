"""Every benchmark of issue 16, from the moment the CLI process starts, in one table.

    .venv/bin/python bench/run_all.py [--only NAME ...] [--runs N] [--apply-apps 500]
        [--plan-apps 1000] [--latency-ms 50] [--markdown]

Each figure spawns the real console script (`smartpay-apply ...`) and times it from the spawn to
its exit: interpreter start, imports, reading the specs, the requests, the output. The sandbox
is served by uvicorn in a separate process (never in this one: its interpreter lock would
distort the client), world in memory, with `--latency-ms` added to every request once the
figure's setup is done. Printed per figure:

- wall (the median of `--runs`, with the range), the ideal computed in the same run, their
  ratio, the target and whether it is met;
- the CPU of the CLI process (`os.wait4`) and of the sandbox process during the run (/proc),
  so a reader can tell a CPU-bound run (CLI + server CPU close to 2 cores x wall) from a
  latency-bound one;
- the peak memory (max RSS) of the CLI process; the requests the sandbox served.

The ideals: `--help`/`--version`/`validate` against a bare `python -c pass` (their targets are
absolute); plan 2 reads x N x latency / concurrency; apply 7 requests x N x latency /
concurrency (the least onboarding needs: 2 reads to plan, account/create, 1 read to see it
approved, developconfig/submit, paymentservice/create, 1 read to see it approved — extra
requests count against the figure); export pages x latency / concurrency. `bare GETs` is a
bare `OpenApi` client in its own process sending 2,000 GETs at 32: what this machine allows
right now, no target.

Not a test: the machines are shared and noisy (the load average is printed before and after).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import support
from support import CliRun, Sandbox, run_cli, scratch, write_project


@dataclass
class Row:
    """One line of the table."""

    figure: str
    walls: list[float]
    ideal: float
    #: ("ratio", 1.2): wall <= 1.2 x ideal; ("seconds", 0.15): wall <= 0.15 s; None: reference.
    target: tuple[str, float] | None
    cli_cpu: float | None = None
    server_cpu: float | None = None
    rss_mb: float | None = None
    requests: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def ratio(self) -> float:
        return self.wall / self.ideal

    def target_text(self) -> str:
        if self.target is None:
            return "-"
        kind, value = self.target
        return f"<= {value:g}x" if kind == "ratio" else f"<= {value:g} s"

    def met(self) -> str:
        if self.target is None:
            return "-"
        kind, value = self.target
        measured = self.ratio if kind == "ratio" else self.wall
        return "yes" if measured <= value else "NO"

    def cells(self) -> list[str]:
        walls = f"{self.wall:.3f} s" if self.wall < 1 else f"{self.wall:.2f} s"
        if len(self.walls) > 1:
            walls += f" ({min(self.walls):.2f}-{max(self.walls):.2f})"

        def opt(value: float | None, fmt: str) -> str:
            return "-" if value is None else fmt.format(value)

        return [
            self.figure,
            walls,
            f"{self.ideal:.3f} s" if self.ideal < 1 else f"{self.ideal:.2f} s",
            f"{self.ratio:.2f}x",
            self.target_text(),
            self.met(),
            opt(self.cli_cpu, "{:.2f} s"),
            opt(self.server_cpu, "{:.2f} s"),
            opt(self.rss_mb, "{:.0f} MB"),
            opt(self.requests, "{:,}"),
        ]


HEADERS = [
    "figure",
    "wall (median, range)",
    "ideal",
    "ratio",
    "target",
    "met",
    "CLI CPU",
    "server CPU",
    "peak RSS",
    "requests",
]


def _rows_from(figure: str, runs: list[CliRun], ideal: float, target: tuple[str, float]) -> Row:
    return Row(
        figure,
        [run.wall for run in runs],
        ideal,
        target,
        cli_cpu=statistics.median(run.cpu for run in runs),
        rss_mb=max(run.max_rss_mb for run in runs),
    )


# ---------------------------------------------------------------- the figures


def start_up(args: argparse.Namespace) -> list[Row]:
    """`--version` and `--help`: nothing but the interpreter, click and the command table."""
    ideal = support.bare_python(max(args.runs, 5))
    rows = []
    with scratch("bench-start-") as cwd:
        for flag in ("--version", "--help"):
            runs = [run_cli([flag], cwd) for _ in range(max(args.runs, 7))]
            row = _rows_from(f"smartpay-apply {flag}", runs, ideal, ("seconds", 0.15))
            row.notes.append("ideal: a bare `python -c pass`")
            rows.append(row)
    return rows


def validate(args: argparse.Namespace) -> list[Row]:
    """`validate` of 2,000 full specs (references, defaults, local images, a dictionary cache)."""
    from smartpay_apply.spec.dictionary import DictCache, PaymentDictData

    ideal = support.bare_python()
    with scratch("bench-validate-") as root:
        write_project(root, "sandbox", [30_000_000 + n for n in range(args.specs)])
        DictCache(root / ".smartpay" / "dict.json").save(
            PaymentDictData(
                provinces={"北京市": ["海淀区", "朝阳区"]},
                banks=["招商银行", "工商银行"],
                commission_rates={6: "千分之六"},
                payment_days={1: "T+1", 7: "T+7", 14: "T+14", 28: "T+28"},
            )
        )
        run_cli(["validate"], root)  # bytecode written, file cache warm: as a second run is
        runs = [run_cli(["validate"], root) for _ in range(max(args.runs, 3))]
    row = _rows_from(f"validate, {args.specs:,} specs", runs, ideal, ("seconds", 1.0))
    row.notes.append("ideal: a bare `python -c pass`")
    return [row]


def plan(args: argparse.Namespace) -> list[Row]:
    """`plan` of N converged mini-programs (onboarded by apply first, without latency)."""
    count, latency, concurrency = args.plan_apps, args.latency_ms, args.concurrency
    with Sandbox(audit_delay=0, audit_policy="approve") as sandbox, scratch("bench-plan-") as root:
        urls = (
            sandbox.upload(support.tiny_png() + b"f"),
            sandbox.upload(support.tiny_png() + b"b"),
        )
        app_ids = [100_000 + n for n in range(count)]
        write_project(root, sandbox.url, app_ids, concurrency=concurrency, image_urls=urls)
        run_cli(["apply", "--auto-approve", "--wait", "--format", "json"], root)
        check = run_cli(["plan", "--detailed-exitcode", "--format", "json"], root, ok=(0, 2))
        if check.returncode != 0:
            sys.exit(f"plan setup: not converged after apply:\n{check.stdout[:2000]}")
        sandbox.latency(latency)
        runs, server, requests = [], [], []
        for _ in range(args.runs):
            sandbox.forget_calls()
            before = sandbox.cpu()
            runs.append(run_cli(["plan", "--format", "json"], root))
            server.append(sandbox.cpu() - before)
            requests.append(len(sandbox.calls()))
    ideal = 2 * count * latency / 1000 / concurrency
    row = _rows_from(f"plan, {count:,} converged, c={concurrency}", runs, ideal, ("ratio", 1.2))
    row.server_cpu = statistics.median(server)
    row.requests = max(requests)
    return [row]


def apply(args: argparse.Namespace) -> list[Row]:
    """`apply --auto-approve --wait`: N mini-programs from nothing, audits approved at once."""
    count, latency, concurrency = args.apply_apps, args.latency_ms, args.concurrency
    runs, server, requests = [], [], []
    for _ in range(args.runs):
        with (
            Sandbox(audit_delay=0, audit_policy="approve") as sandbox,
            scratch("bench-apply-") as root,
        ):
            urls = (
                sandbox.upload(support.tiny_png() + b"f"),
                sandbox.upload(support.tiny_png() + b"b"),
            )
            app_ids = [200_000 + n for n in range(count)]
            write_project(root, sandbox.url, app_ids, concurrency=concurrency, image_urls=urls)
            sandbox.latency(latency)
            sandbox.forget_calls()
            before = sandbox.cpu()
            run = run_cli(["apply", "--auto-approve", "--wait", "--format", "json"], root)
            server.append(sandbox.cpu() - before)
            calls = sandbox.calls()
            requests.append(len(calls))
            runs.append(run)
            check = run_cli(["plan", "--detailed-exitcode"], root, ok=(0, 2))
            if check.returncode != 0:
                sys.exit(f"apply did not converge:\n{check.stdout[:2000]}")
    ideal = 7 * count * latency / 1000 / concurrency
    row = _rows_from(
        f"apply --wait, {count:,} from nothing, c={concurrency}", runs, ideal, ("ratio", 1.3)
    )
    row.server_cpu = statistics.median(server)
    row.requests = max(requests)
    row.notes.append(
        f"requests per mini-program: {statistics.median(requests) / count:.2f} (7 needed)"
    )
    return [row]


END = date(2024, 3, 31)
DAYS = 100
EXPORT_APP = 21


def export(args: argparse.Namespace) -> list[Row]:
    """`data orders` of 100,000 orders in pages of 100 at the project's concurrency 16."""
    concurrency, latency = 16, args.latency_ms
    first = END - timedelta(days=DAYS - 1)
    settings = {
        "audit_delay": 0,
        "orders_per_day": args.orders_per_day,
        "data_days": DAYS,
        "data_end": END.isoformat(),
    }
    command = [
        "data",
        "orders",
        "shop",
        "--from",
        first.isoformat(),
        "--to",
        END.isoformat(),
        "--page-size",
        "100",
        "-o",
        "orders.csv",
    ]
    with Sandbox(**settings) as sandbox, scratch("bench-export-") as root:
        sandbox.onboard(EXPORT_APP, support.public_key_pem())
        (root / "specs").mkdir()
        (root / "smartpay.yaml").write_text(
            f"version: 1\nendpoint: {sandbox.url}\nspecs: ['specs/*.yaml']\n"
            f"concurrency: {concurrency}\n"
        )
        (root / "specs" / "shop.yaml").write_text(
            f"app: shop\napp_id: {EXPORT_APP}\ncredentials:\n  access_token: sandbox-{EXPORT_APP}\n"
        )
        run_cli(command, root)  # warms the sandbox's per-day caches, as earlier figures did
        rows_written = sum(1 for _ in (root / "orders.csv").open("rb")) - 1
        (root / "orders.csv").unlink()
        sandbox.latency(latency)
        runs, server, requests = [], [], []
        for _ in range(args.runs):
            sandbox.forget_calls()
            before = sandbox.cpu()
            runs.append(run_cli(command, root))
            server.append(sandbox.cpu() - before)
            requests.append(len(sandbox.calls()))
            (root / "orders.csv").unlink()
    pages = math.ceil(rows_written / 100)
    ideal = pages * latency / 1000 / concurrency
    row = _rows_from(
        f"data orders, {rows_written:,} rows, page 100, c={concurrency}",
        runs,
        ideal,
        ("ratio", 1.3),
    )
    row.server_cpu = statistics.median(server)
    row.requests = max(requests)
    return [row]


def floor(args: argparse.Namespace) -> list[Row]:
    """A bare client: 2,000 GETs at concurrency 32 through `OpenApi`, in its own process."""
    count, latency, concurrency = 2000, args.latency_ms, args.concurrency
    with Sandbox(audit_delay=0, latency_ms=latency) as sandbox:
        walls, cpus, server = [], [], []
        for _ in range(args.runs):
            before = sandbox.cpu()
            measured = support.bare_gets(
                sandbox.url, count, concurrency, [300_000 + n for n in range(concurrency)]
            )
            server.append(sandbox.cpu() - before)
            walls.append(measured["wall"])
            cpus.append(measured["cpu"])
    row = Row(
        f"bare GETs, {count:,} at c={concurrency} (the floor)",
        walls,
        count * latency / 1000 / concurrency,
        None,
        cli_cpu=statistics.median(cpus),
        server_cpu=statistics.median(server),
        requests=count,
    )
    row.notes.append("wall from the first request (no process start): what this machine allows")
    return [row]


FIGURES: dict[str, Callable[[argparse.Namespace], list[Row]]] = {
    "start": start_up,
    "validate": validate,
    "plan": plan,
    "apply": apply,
    "export": export,
    "floor": floor,
}


def table(rows: list[Row], markdown: bool) -> str:
    cells = [row.cells() for row in rows]
    if markdown:
        lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
        lines += ["| " + " | ".join(line) + " |" for line in cells]
        return "\n".join(lines)
    widths = [max(len(h), *(len(line[i]) for line in cells)) for i, h in enumerate(HEADERS)]
    out = ["  ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True))]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", nargs="+", choices=list(FIGURES), help="these figures only")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median shown)")
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--specs", type=int, default=2000, help="validate: spec files")
    parser.add_argument("--plan-apps", type=int, default=1000)
    parser.add_argument("--apply-apps", type=int, default=500)
    parser.add_argument("--orders-per-day", type=int, default=1000, help="export: x 100 days")
    parser.add_argument("--markdown", action="store_true", help="the table as Markdown")
    args = parser.parse_args()

    started, load_before = time.strftime("%Y-%m-%d %H:%M"), os.getloadavg()
    rows: list[Row] = []
    for name in args.only or list(FIGURES):
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += FIGURES[name](args)
    load_after = os.getloadavg()
    print(
        f"{started}-{time.strftime('%H:%M')}, {os.cpu_count()} CPUs, load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after (1 min); "
        f"latency {args.latency_ms:g} ms; runs per figure {args.runs}"
    )
    print(table(rows, args.markdown))
    for row in rows:
        for note in row.notes:
            print(f"- {row.figure}: {note}")


if __name__ == "__main__":
    main()
