"""`smartpay-apply data ...`: export payment data (orders, income, expenses, payouts).

Parse, call, print: the export itself lives in `smartpay_apply.data`. Every subcommand takes
APP (a spec's app name or app_id) or `--all-apps`, `--format csv|jsonl|table`, `-o FILE`
(written as FILE.partial and renamed on success; a re-run resumes) and `--page-size`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from smartpay_apply.cli.context import CliContext, pass_cli
from smartpay_apply.data.kinds import ORDER_STATUSES, Query
from smartpay_apply.data.writers import FORMATS
from smartpay_apply.errors import SmartpayError, UsageError

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.data.export import ExportResult
    from smartpay_apply.spec.models import AppSpec

F = TypeVar("F", bound=Callable[..., Any])
DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.group()
def data() -> None:
    """Export payment data (支付数据) as csv, jsonl or an aligned table.

    \b
    Money is exact, with its unit in the column name (_fen for orders, _yuan for finance);
    times are ISO 8601 in Asia/Shanghai (+08:00). Dates are Beijing days, both ends included.
    With -o FILE the export is written to FILE.partial and renamed when complete; running the
    same command again after an interruption resumes it. With --all-apps a mini-program
    without a payment service is skipped (named on stderr) and one that fails does not stop the
    others. Exit codes: 0 done (also when the reader of a pipe left early, `| head`); 1 error
    (a page that kept failing is named; no FILE is written, FILE.partial is kept to resume).
    """


def _common(command: F) -> F:
    """The options every export shares."""
    for option in reversed(
        [
            click.option(
                "--all-apps",
                is_flag=True,
                help="Export for every mini-program in the specs (adds an `app` column).",
            ),
            click.option(
                "--format",
                "fmt",
                type=click.Choice(FORMATS),
                default="csv",
                show_default=True,
                help="Output format.",
            ),
            click.option(
                "-o",
                "--output",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Write to FILE (resumable) instead of stdout.",
            ),
            click.option(
                "--page-size",
                type=click.IntRange(min=1, max=1000),
                default=100,
                show_default=True,
                help="Rows per request.",
            ),
            click.option(
                "--concurrency",
                type=click.IntRange(min=1, max=256),
                help="Pages fetched at once (default: `concurrency` of smartpay.yaml).",
            ),
        ]
    ):
        command = option(command)
    return command


def _range_options(command: F) -> F:
    command = click.option(
        "--to",
        "end",
        type=DAY,
        required=True,
        metavar="DATE",
        help="Last day (YYYY-MM-DD, Beijing time, included).",
    )(command)
    return click.option(
        "--from",
        "start",
        type=DAY,
        required=True,
        metavar="DATE",
        help="First day (YYYY-MM-DD, Beijing time, included).",
    )(command)


APP_ARGUMENT = click.argument("app", required=False)


@data.command("orders")
@APP_ARGUMENT
@_range_options
@click.option(
    "--status",
    type=click.Choice(ORDER_STATUSES),
    default="all",
    show_default=True,
    help="Orders whose current status is this: 1 unpaid, 2 paid, 3 consumed, 4 refunding, "
    "5 refunded, 6 refund failed, 7 cancelled.",
)
@_common
@pass_cli
def orders(
    cli: CliContext, app: str | None, start: datetime, end: datetime, status: str, **options: Any
) -> None:
    """Orders created in a date range (orderlist; amounts in fen)."""
    _run(cli, "orders", app, Query(start=_day(start), end=_day(end), status=status), **options)


@data.command("income")
@APP_ARGUMENT
@_range_options
@_common
@pass_cli
def income(
    cli: CliContext, app: str | None, start: datetime, end: datetime, **options: Any
) -> None:
    """Income per day (financebalance; yuan)."""
    _run(cli, "income", app, Query(start=_day(start), end=_day(end)), **options)


@data.command("income-detail")
@APP_ARGUMENT
@click.option(
    "--day", type=DAY, required=True, metavar="DATE", help="The day (YYYY-MM-DD, Beijing time)."
)
@_common
@pass_cli
def income_detail(cli: CliContext, app: str | None, day: datetime, **options: Any) -> None:
    """The income items of one day (financebalance/incomedetail; yuan)."""
    _run(cli, "income-detail", app, Query(day=day.date()), **options)


@data.command("other-detail")
@APP_ARGUMENT
@_range_options
@_common
@pass_cli
def other_detail(
    cli: CliContext, app: str | None, start: datetime, end: datetime, **options: Any
) -> None:
    """Other items: commission, rebates, marketing (financebalance/otherdetail; yuan)."""
    _run(cli, "other-detail", app, Query(start=_day(start), end=_day(end)), **options)


@data.command("expenses")
@APP_ARGUMENT
@_range_options
@_common
@pass_cli
def expenses(
    cli: CliContext, app: str | None, start: datetime, end: datetime, **options: Any
) -> None:
    """Expenses: payouts to the bank account and other debits (financeexpense; yuan)."""
    _run(cli, "expenses", app, Query(start=_day(start), end=_day(end)), **options)


@data.command("payout")
@click.argument("args", nargs=-1, metavar="APP TASK_ID")
@_common
@pass_cli
def payout(cli: CliContext, args: tuple[str, ...], **options: Any) -> None:
    """The payout of one expense (paydetail; yuan). TASK_ID comes from `data expenses`."""
    wanted = 1 if options["all_apps"] else 2
    if len(args) != wanted:
        raise UsageError("usage: data payout APP TASK_ID  (or: data payout --all-apps TASK_ID)")
    app, task = (None, args[0]) if options["all_apps"] else (args[0], args[1])
    if not task.isdigit():
        raise UsageError(
            f"TASK_ID must be a number (the task_id column of `data expenses`), not {task!r}"
        )
    _run(cli, "payout", app, Query(task_id=int(task)), **options)


def _day(value: datetime) -> date:
    return value.date()


def _run(
    cli: CliContext,
    what: str,
    app: str | None,
    query: Query,
    *,
    all_apps: bool,
    fmt: str,
    output: Path | None,
    page_size: int,
    concurrency: int | None,
) -> None:
    """Pick the mini-programs, then export; summary and notices go to stderr."""
    check_dates(what, query)
    config = cli.project()
    specs = _select(config, app, all_apps)
    import asyncio  # here, not at the top: `data --help` and usage errors need no event loop

    from smartpay_apply.cli.data_export import export

    result = asyncio.run(  # a closed stdout (`| head`) ends it quietly (cli/main.py)
        export(
            config,
            specs,
            what,
            query,
            fmt=fmt,
            output=output,
            page_size=page_size,
            concurrency=concurrency or config.concurrency,
            with_app=all_apps,
        )
    )
    _report(what, specs, query, output, result)


def _report(
    what: str, specs: list[AppSpec], query: Query, output: Path | None, result: ExportResult
) -> None:
    """Skipped and failed mini-programs, payouts not found, and the file written (stderr)."""
    for name, reason in result.skipped.items():
        click.echo(f"Skipped {name}: {reason}", err=True)
    if what == "payout":
        for spec in specs:
            if result.rows.get(spec.app) == 0 and spec.app not in result.failed:
                click.echo(f"No payout with task_id {query.task_id} for {spec.app}", err=True)
    exported = len(specs) - len(result.skipped) - len(result.failed)
    of_apps = (
        f" from {exported} of {len(specs)} mini-programs" if result.skipped or result.failed else ""
    )
    if result.failed:
        where = f"kept {output}.partial: " if output is not None else ""
        click.echo(
            f"{where}{result.total_rows} rows{of_apps}"
            + ("; run the same command again to finish it" if output is not None else ""),
            err=True,
        )
        raise SmartpayError(
            f"{what}: {len(result.failed)} mini-program(s) failed:\n"
            + "\n".join(f"  {name}: {message}" for name, message in result.failed.items())
        )
    if output is not None:
        click.echo(
            f"Wrote {output}: {result.total_rows} rows{of_apps}"
            + (" (resumed)" if result.resumed_from else ""),
            err=True,
        )


#: orderlist takes 10-digit unix timestamps: 00:00 Beijing time of 2001-09-10 is the first
#: day start with 10 digits (1000051200); 2001-09-09 starts at 999964800.
ORDERS_EARLIEST = date(2001, 9, 10)


def check_dates(what: str, query: Query) -> None:
    """Refuse date ranges the API cannot answer, before any call, with the rule broken.

    Both ends are Beijing days: --from <= --to, neither after today (Beijing time), and for
    orders not before 2001-09-10 (orderlist takes 10-digit timestamps). The API documents no
    longest range; a long one is just many pages.
    """
    from smartpay_apply.timeutil import SHANGHAI, now

    today = now().astimezone(SHANGHAI).date()
    named = [("--from", query.start), ("--to", query.end), ("--day", query.day)]
    for option, day in named:
        if day is not None and day > today:
            raise UsageError(f"{option} {day} is after today ({today}, Beijing time)")
        if what == "orders" and day is not None and day < ORDERS_EARLIEST:
            raise UsageError(
                f"{option} {day}: orders can be exported from {ORDERS_EARLIEST} on "
                "(orderlist takes 10-digit unix timestamps)"
            )
    if query.start and query.end and query.end < query.start:
        raise UsageError(f"--to {query.end} is before --from {query.start}")


def _select(config: ProjectConfig, app: str | None, all_apps: bool) -> list[AppSpec]:
    """The specs to export: every one (--all-apps) or the one named by app name or app_id."""
    from smartpay_apply.project import load_specs

    if all_apps and app:
        raise UsageError(f"give APP ({app}) or --all-apps, not both")
    if not all_apps and not app:
        raise UsageError("name a mini-program (APP: its app name or app_id) or use --all-apps")
    from smartpay_apply.selection import select_spec

    specs = load_specs(config)
    if all_apps:
        if not specs:
            raise UsageError(f"--all-apps: no specs found (specs: {', '.join(config.specs)})")
        return specs
    assert app is not None
    return [select_spec(specs, app)]
