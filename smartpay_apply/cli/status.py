"""`smartpay-apply status [serve]`: the fleet at a glance, in a terminal or on a page.

`status` reads the state store only (instant, no API call) unless `--refresh` observes the
specs first; it prints one row per mini-program the store knows and exits 0. `status serve`
serves the same as a web page (smartpay_apply/status/web). See docs/status.md.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

from smartpay_apply.cli.context import CliContext
from smartpay_apply.status.states import MEANINGS, STATES

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.status.fleet import Fleet

#: Where `--app` names are looked up without --refresh (cli/selection.py's `where`).
STORE = "the state store"


@click.group("status", invoke_without_command=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json (versioned, like the plan's) for programs.",
)
@click.option(
    "--filter",
    "states",
    multiple=True,
    type=click.Choice(STATES),
    metavar="STATE",
    help="Only mini-programs in this state (repeatable): " + ", ".join(STATES) + ".",
)
@click.option(
    "--app",
    "apps",
    multiple=True,
    metavar="NAME",
    help="Only this mini-program (name or app_id); repeat for more.",
)
@click.option(
    "--refresh",
    is_flag=True,
    help="Observe the specs live first (read calls only, bounded by concurrency).",
)
@click.pass_context
def status(
    ctx: click.Context, fmt: str, states: tuple[str, ...], apps: tuple[str, ...], refresh: bool
) -> None:
    """One row per mini-program: each section's sync and audit state, how long the oldest
    audit has been in review, the last rejection reason, the last event, the last run.

    \b
    From the state store (what the last plan, apply, controller or status --refresh observed):
    no API call unless --refresh. `status serve` serves the same as a web page. Exit 0.
    States (first match wins; docs/status.md):
    """
    if ctx.invoked_subcommand is not None:
        if states or apps or refresh or fmt != "text":
            raise click.UsageError(
                f"status {ctx.invoked_subcommand} takes its own options, not --format, "
                "--filter, --app or --refresh"
            )
        return
    cli = ctx.ensure_object(CliContext)
    show_status(cli, fmt, states, apps, refresh)


status.help = (status.help or "") + "".join(
    f"\n  {state:<12} {meaning}" for state, meaning in MEANINGS.items()
)


def show_status(
    cli: CliContext, fmt: str, states: tuple[str, ...], apps: tuple[str, ...], refresh: bool
) -> None:
    """Read (after observing, with --refresh), select, print."""
    from smartpay_apply.cli.listing import dump
    from smartpay_apply.cli.stores import existing_store
    from smartpay_apply.status.document import status_document
    from smartpay_apply.status.filters import Selection, select
    from smartpay_apply.status.fleet import read_fleet
    from smartpay_apply.status.rows import build_rows
    from smartpay_apply.status.text import render_status_text
    from smartpay_apply.timeutil import now

    config = cli.project()
    chosen = _refresh(config, apps) if refresh else None
    with existing_store(config) as store:
        fleet = read_fleet(store, at=now())
    if chosen is None and apps:
        chosen = _resolve_in_store(fleet, apps)
    rows = build_rows(fleet)
    selection = Selection(states=states, app_ids=chosen)
    shown = select(rows, selection)
    if fmt == "json":
        click.echo(dump(status_document(rows, shown, selection, fleet.read_at)))
        return
    click.echo(render_status_text(rows, shown, selection, fleet.read_at), nl=False)


def _refresh(config: ProjectConfig, apps: tuple[str, ...]) -> frozenset[int] | None:
    """Observe the specs (those named by --app); the app_ids chosen, None for all."""
    from smartpay_apply.cli.selection import select_specs
    from smartpay_apply.spec.loader import load_specs
    from smartpay_apply.status.refresh import refresh

    specs = select_specs(load_specs(config), apps)
    plan = asyncio.run(refresh(config, specs))
    for app in plan.errors:
        click.echo(f"warning: {app.app}: could not be observed: {app.error}", err=True)
    return frozenset(spec.app_id for spec in specs) if apps else None


def _resolve_in_store(fleet: Fleet, apps: tuple[str, ...]) -> frozenset[int]:
    """The app_ids `--app` names among the mini-programs the store knows (one APP rule)."""
    from smartpay_apply.cli.selection import KnownApp, select_known

    known = [KnownApp(app_id, fleet.name(app_id)) for app_id in fleet.app_ids()]
    return frozenset(app.app_id for app in select_known(known, apps, where=STORE))
