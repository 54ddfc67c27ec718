"""`smartpay-apply events serve|list`: the push receiver and what it has stored."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from smartpay_apply.cli.context import CliContext, pass_cli
from smartpay_apply.errors import UsageError

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig


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
    import uvicorn

    from smartpay_apply.events.app import create_receiver
    from smartpay_apply.events.hooks import CommandHook
    from smartpay_apply.events.settings import receiver_settings
    from smartpay_apply.runtime import open_state

    config = cli.project()
    settings = receiver_settings(config.events, allow_plaintext=allow_plaintext)
    hook = CommandHook(on_event, cwd=str(config.root)) if on_event else None
    store = open_state(config)
    app = create_receiver(settings, store, on_event=hook)
    bind_host = host or config.events.host
    bind_port = port or config.events.port
    click.echo(
        f"events: listening on http://{bind_host}:{bind_port} "
        "(message URL /, authorization URL /tp/auth, health /healthz)"
        + ("; plaintext pushes accepted" if settings.allow_plaintext else ""),
        err=True,
    )
    try:
        uvicorn.run(app, host=bind_host, port=bind_port, log_level="warning", access_log=False)
    finally:
        close = getattr(store, "close", None)
        if callable(close):
            close()


@events.command("list")
@click.option(
    "--app", "app", metavar="NAME", default=None, help="Only this mini-program (name or app_id)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@pass_cli
def list_events(cli: CliContext, app: str | None, fmt: str) -> None:
    """Show the stored events, oldest first."""
    from smartpay_apply.runtime import open_state

    config = cli.project()
    names = app_names(config)
    app_id = resolve_app(app, names) if app else None
    store = open_state(config)
    rows = [event_row(event, names) for event in store.list_events(app_id=app_id)]
    rows.sort(key=lambda row: (row["event_time"], row["app_id"], row["event"]))
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No events stored." if app is None else f"No events stored for {app}.")
        return
    click.echo(_table(rows))


def app_names(config: ProjectConfig) -> dict[int, str]:
    """app_id -> app name from the specs that load (a broken spec must not hide the events)."""
    from smartpay_apply.spec.loader import load_report

    try:
        report = load_report(config)
    except Exception:  # names are a convenience here; numeric ids still work
        return {}
    return {spec.app_id: spec.app for spec in report.specs}


def resolve_app(app: str, names: dict[int, str]) -> int:
    """A mini-program given by name or app_id -> its app_id."""
    if app.isdigit():
        return int(app)
    for app_id, name in names.items():
        if name == app:
            return app_id
    known = ", ".join(sorted(names.values())) or "none found"
    raise UsageError(
        f"no mini-program named {app!r} in the specs (known: {known}); or give its app_id"
    )


def event_row(event: Any, names: dict[int, str]) -> dict[str, Any]:
    """One stored event as plain data: the store's JSON shape plus the app's name."""
    return {"app": names.get(event.app_id), **event.to_json()}


def _beijing(iso: str) -> str:
    from datetime import datetime

    from smartpay_apply.timeutil import format_baidu_time

    return format_baidu_time(datetime.fromisoformat(iso))


def _table(rows: list[dict[str, Any]]) -> str:
    headers = ["event_time (Beijing)", "app", "app_id", "event", "reason"]
    cells = [
        [
            _beijing(row["event_time"]),
            row["app"] or "-",
            str(row["app_id"]),
            row["event"],
            row["reason"] or "",
        ]
        for row in rows
    ]
    widths = [max(len(headers[i]), *(len(c[i]) for c in cells)) for i in range(len(headers) - 1)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, [*widths, 0], strict=True)).rstrip()]
    for cell in cells:
        lines.append(
            "  ".join(v.ljust(w) for v, w in zip(cell, [*widths, 0], strict=True)).rstrip()
        )
    return "\n".join(lines)
