"""`smartpay-apply events serve|list`: the push receiver and what it has stored.

`serve` binds before it says it listens (a busy port is one line and exit 1) and exits 0 after
a clean shutdown on Ctrl-C or SIGTERM (events/serve.py).
"""

from __future__ import annotations

from typing import Any

import click

from smartpay_apply.cli.context import CliContext, pass_cli
from smartpay_apply.cli.listing import dump, format_option, table
from smartpay_apply.cli.stores import known_apps, names_of, reading_store
from smartpay_apply.selection import SPECS_AND_STORE, resolve
from smartpay_apply.timeutil import json_time, text_time


@click.group()
def events() -> None:
    """Receive Baidu's pushed audit events (and TP tickets) and show what arrived."""


@events.command()
@click.option(
    "--host", default=None, help="Address to listen on (default: events.host, 127.0.0.1)."
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Port (default: events.port, 8080)."
)
@click.option(
    "--on-event",
    "on_event",
    metavar="CMD",
    default=None,
    help="Run CMD after each newly stored event, with the event as JSON on stdin.",
)
@click.option("--allow-plaintext", is_flag=True, help="Also accept unencrypted JSON pushes.")
@pass_cli
def serve(
    cli: CliContext, host: str | None, port: int | None, on_event: str | None, allow_plaintext: bool
) -> None:
    """Serve the message-and-event URL (/), the authorization-event URL (/tp/auth) and /healthz.

    The token and EncodingAESKey come from `events:` in smartpay.yaml or from
    SMARTPAY_EVENTS_TOKEN / SMARTPAY_EVENTS_AES_KEY. Events are stored in the state store.
    """
    from smartpay_apply.events.app import create_receiver
    from smartpay_apply.events.hooks import CommandHook
    from smartpay_apply.events.serve import bind, serve
    from smartpay_apply.events.settings import receiver_settings
    from smartpay_apply.runtime import open_state

    config = cli.project()
    settings = receiver_settings(config.events, allow_plaintext=allow_plaintext)
    hook = CommandHook(on_event, cwd=str(config.root)) if on_event else None
    bind_host = host or config.events.host
    bind_port = port or config.events.port
    sock = bind(bind_host, bind_port)  # a busy port is one clear error, before anything else
    try:
        store = open_state(config)
    except BaseException:
        sock.close()
        raise
    try:
        app = create_receiver(settings, store, on_event=hook)
        shown = f"[{bind_host}]" if ":" in bind_host else bind_host
        click.echo(
            f"events: listening on http://{shown}:{sock.getsockname()[1]} "
            "(message URL /, authorization URL /tp/auth, health /healthz)"
            + ("; plaintext pushes accepted" if settings.allow_plaintext else ""),
            err=True,
        )
        serve(app, sock)
    finally:
        store.close()
    click.echo("events: stopped.", err=True)


@events.command("list")
@click.option(
    "--app", "app", metavar="NAME", default=None, help="Only this mini-program (name or app_id)."
)
@format_option()
@pass_cli
def list_events(cli: CliContext, app: str | None, fmt: str) -> None:
    """Show the stored events, oldest first (times in Beijing time)."""
    with reading_store(cli) as (config, store):
        known = known_apps(config, store)
        target = resolve(app, known, option="--app", where=SPECS_AND_STORE) if app else None
        stored = store.list_events(app_id=target.app_id if target else None) if store else []
    names = names_of(known)
    stored.sort(key=lambda event: (event.event_time, event.app_id, event.event))
    rows = [event_row(event, names) for event in stored]
    if fmt == "json":
        click.echo(dump(rows))
        return
    if not rows:
        click.echo(
            "No events stored." if target is None else f"No events stored for {target.label}."
        )
        return
    headers = ["event_time", "app", "app_id", "event", "reason"]
    cells = [
        [
            text_time(event.event_time),
            row["app"] or "-",
            str(row["app_id"]),
            row["event"],
            row["reason"] or "",
        ]
        for row, event in zip(rows, stored, strict=True)
    ]
    click.echo(table(headers, cells))


def event_row(event: Any, names: dict[int, str]) -> dict[str, Any]:
    """One stored event as plain data: the store's JSON shape plus the app's name."""
    return {
        "app": names.get(event.app_id),
        **event.to_json(),
        "event_time": json_time(event.event_time),
        "received_at": json_time(event.received_at),
    }
