"""`smartpay-apply lock list` and `smartpay-apply unlock APP`: the stuck-lock escape hatch.

A lock whose owner died expires by itself after its ttl; `unlock` is for when waiting is not
an option. It removes the lock whoever holds it, so it says whose lock it removed — and warns
when that process is still alive on this host. Unlocking what is not locked is not an error
(exit 0, like `rm -f`: a cleanup step may run it unconditionally), but it says so.
"""

from __future__ import annotations

import click

from smartpay_apply.cli.context import CliContext, pass_cli
from smartpay_apply.cli.listing import dump, format_option, table, wants_json
from smartpay_apply.cli.stores import known_apps, names_of, reading_store, resolve_app
from smartpay_apply.state.locks import LockInfo, owner_alive
from smartpay_apply.timeutil import json_time, text_time


@click.group("lock")
def lock() -> None:
    """Inspect the per-mini-program locks (see also `smartpay-apply unlock`)."""


def _state(info: LockInfo) -> str:
    if info.expired:
        return "expired"
    if owner_alive(info.owner) is False:
        return "held (owner process gone; expires by itself)"
    return "held"


@lock.command("list", short_help="Every lock with its owner and expiry.")
@format_option(json_alias=True)
@pass_cli
def list_locks(obj: CliContext, fmt: str, as_json: bool) -> None:
    """Every lock: mini-program, owner host and pid, run id, since when, until when, state."""
    with reading_store(obj) as (config, store):
        locks = store.list_locks() if store else []
        names = names_of(known_apps(config, store)) if locks else {}
    rows = [
        {
            "lock": info.name,
            "app_id": info.app_id,
            "app": names.get(info.app_id) if info.app_id is not None else None,
            "host": info.host,
            "pid": info.pid,
            "run_id": info.run_id,
            "acquired_at": json_time(info.acquired_at),
            "expires_at": json_time(info.expires_at),
            "expired": info.expired,
            "state": _state(info),
        }
        for info in locks
    ]
    if wants_json(fmt, as_json):
        click.echo(dump(rows))
        return
    if not locks:
        click.echo("No locks.")
        return
    headers = ["lock", "app", "host", "pid", "run_id", "acquired_at", "expires_at", "state"]
    cells = [
        [
            info.name,
            (names.get(info.app_id) if info.app_id is not None else None) or "-",
            info.host,
            str(info.pid),
            info.run_id,
            text_time(info.acquired_at),
            text_time(info.expires_at),
            _state(info),
        ]
        for info in locks
    ]
    click.echo(table(headers, cells))


@click.command("unlock")
@click.argument("app")
@pass_cli
def unlock(obj: CliContext, app: str) -> None:
    """Remove the lock of APP (app name or app_id) whoever holds it, for a run that died.

    A lock name such as `credentials/123` (shown by `lock list`) removes that lock instead.
    Exit 0 also when it was not locked (it says so).
    """
    with reading_store(obj) as (config, store):  # no store yet: nothing is locked
        if "/" in app:
            key: int | str = app.strip()
            what = app.strip()
        else:
            target, _ = resolve_app(app, config, store)
            key, what = target.app_id, target.label
        held = (
            next((info for info in store.list_locks() if info.name == str(key)), None)
            if store
            else None
        )
        removed = store.force_unlock(key) if store and held else False
    if not removed or held is None:
        click.echo(f"{what} is not locked: nothing to unlock.")
        return
    state = "expired" if held.expired else f"valid until {text_time(held.expires_at)}"
    click.echo(f"Unlocked {what}: the lock of {held.host}:{held.pid} (run {held.run_id}), {state}.")
    if not held.expired and owner_alive(held.owner):
        click.echo(
            f"Warning: process {held.pid} is still running on this host; it may still be writing {what}.",
            err=True,
        )
