"""`smartpay-apply status [serve]`: the fleet at a glance, in a terminal or on a page.

`status` reads the state store only (instant, no API call) unless `--refresh` observes the
specs first; it prints one row per mini-program the store knows and exits 0. `status serve`
serves the same as a web page (smartpay_apply/status/web). See docs/status.md.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING

import click

from smartpay_apply.cli.context import CliContext
from smartpay_apply.status.states import MEANINGS, STATES

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.status.fleet import Fleet


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


status.help = inspect.cleandoc(status.help or "") + "".join(
    f"\n  {state:<12} {meaning}" for state, meaning in MEANINGS.items()
)


def show_status(
    cli: CliContext, fmt: str, states: tuple[str, ...], apps: tuple[str, ...], refresh: bool
) -> None:
    """Read (after observing, with --refresh), select, print."""
    from smartpay_apply.cli.stores import existing_store
    from smartpay_apply.status.document import render_json, status_document
    from smartpay_apply.status.filters import Selection, select
    from smartpay_apply.status.fleet import read_fleet, with_events
    from smartpay_apply.status.gcpause import collector_paused
    from smartpay_apply.status.rows import build_rows
    from smartpay_apply.status.text import render_status_text
    from smartpay_apply.timeutil import now

    config = cli.project()
    chosen = _refresh(config, apps) if refresh else None
    with collector_paused(), existing_store(config) as store:
        # Text shows no submission times: the open submissions and every last event suffice.
        fleet = read_fleet(store, at=now(), complete=fmt == "json")
        if fmt != "json":
            fleet = with_events(fleet, store)
        if chosen is None and apps:
            chosen = _resolve_in_store(fleet, apps)
        rows = build_rows(fleet)
        selection = Selection(states=states, app_ids=chosen)
        shown = select(rows, selection)
        if fmt == "json":
            output = render_json(status_document(rows, shown, selection, fleet.read_at))
        else:
            output = render_status_text(rows, shown, selection, fleet.read_at)
    click.echo(output, nl=False)


def _refresh(config: ProjectConfig, apps: tuple[str, ...]) -> frozenset[int] | None:
    """Observe the specs (those named by --app); the app_ids chosen, None for all."""
    from smartpay_apply.project import load_specs
    from smartpay_apply.selection import select_specs
    from smartpay_apply.status.refresh import refresh

    specs = select_specs(load_specs(config), apps)
    plan = asyncio.run(refresh(config, specs))
    for app in plan.errors:
        click.echo(f"warning: {app.app}: could not be observed: {app.error}", err=True)
    return frozenset(spec.app_id for spec in specs) if apps else None


def _resolve_in_store(fleet: Fleet, apps: tuple[str, ...]) -> frozenset[int]:
    """The app_ids `--app` names among the mini-programs the store knows (one APP rule)."""
    from smartpay_apply.selection import STORE, KnownApp, select_known

    known = [KnownApp(app_id, fleet.name(app_id)) for app_id in fleet.app_ids()]
    return frozenset(app.app_id for app in select_known(known, apps, where=STORE))


@status.command("serve")
@click.option(
    "--host", default=None, help="Address to listen on (default: status.host, 127.0.0.1)."
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Port (default: status.port, 8090)."
)
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the status page: the overview at / (and /ui/), a page per mini-program, the events
    feed, the runs, and /api/status (the JSON of `status --format json`).

    \b
    Read-only, from the state store. Bound to 127.0.0.1 by default; any other address needs
    status.token (bearer) or status.username/status.password (basic auth) in smartpay.yaml.
    Ctrl-C or SIGTERM stop it cleanly (exit 0).
    """
    from smartpay_apply.events.serve import bind
    from smartpay_apply.events.serve import serve as run_server
    from smartpay_apply.status.web.auth import status_auth
    from smartpay_apply.status.web.serve import SharedStore, standalone_app

    config = ctx.ensure_object(CliContext).project()
    bind_host = host or config.status.host
    bind_port = port or config.status.port
    auth = status_auth(config.status, bind_host)  # before binding: a refusal leaves no socket
    sock = bind(bind_host, bind_port)
    opener = SharedStore(config)
    try:
        shown = f"[{bind_host}]" if ":" in bind_host else bind_host
        click.echo(
            f"status: listening on http://{shown}:{sock.getsockname()[1]}/ "
            f"(also /ui/; JSON at /api/status){'; credentials required' if auth else ''}",
            err=True,
        )
        run_server(standalone_app(config, opener, auth), sock)
    finally:
        opener.close()
    click.echo("status: stopped.", err=True)
