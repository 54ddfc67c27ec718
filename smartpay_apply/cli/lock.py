"""`smartpay-apply lock list` and `smartpay-apply unlock APP`: the stuck-lock escape hatch.

A lock whose owner died expires by itself after its ttl; `unlock` is for when waiting is not
an option. It removes the lock whoever holds it, so it says whose lock it removed — and warns
when that process is still alive on this host.
"""

from __future__ import annotations

import json

import click

from smartpay_apply.cli.context import CliContext, pass_cli
from smartpay_apply.cli.state import iso, known_names, label, project_store, resolve_app, when
from smartpay_apply.state.locks import LockInfo, owner_alive


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
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_cli
def list_locks(obj: CliContext, as_json: bool) -> None:
    """Every lock: mini-program, owner host:pid, run id, since when, until when."""
    with project_store(obj) as (config, store):
        locks = store.list_locks()
        names = known_names(config, store) if locks else {}
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "lock": info.name,
                        "app_id": info.app_id,
                        "app": names.get(info.app_id) if info.app_id is not None else None,
                        "host": info.host,
                        "pid": info.pid,
                        "run_id": info.run_id,
                        "acquired_at": iso(info.acquired_at),
                        "expires_at": iso(info.expires_at),
                        "expired": info.expired,
                    }
                    for info in locks
                ],
                indent=2,
            )
        )
        return
    if not locks:
        click.echo("No locks.")
        return
    for info in locks:
        what = label(info.app_id, names) if info.app_id is not None else info.name
        click.echo(
            f"{what}  {info.host}:{info.pid}  run {info.run_id}  since {when(info.acquired_at)}  "
            f"until {when(info.expires_at)}  {_state(info)}"
        )


@click.command("unlock")
@click.argument("app")
@pass_cli
def unlock(obj: CliContext, app: str) -> None:
    """Remove the lock of APP (app name or app_id) whoever holds it, for a run that died.

    A lock name such as `credentials/123` (shown by `lock list`) removes that lock instead.
    """
    with project_store(obj) as (config, store):
        names = known_names(config, store)
        key: int | str = app.strip() if "/" in app else resolve_app(app, names)
        what = label(key, names) if isinstance(key, int) else key
        held = next((info for info in store.list_locks() if info.name == str(key)), None)
        removed = store.force_unlock(key)
    if not removed or held is None:
        click.echo(f"{what} was not locked.")
        return
    state = "expired" if held.expired else f"valid until {when(held.expires_at)}"
    click.echo(f"Unlocked {what}: the lock of {held.host}:{held.pid} (run {held.run_id}), {state}.")
    if not held.expired and owner_alive(held.owner):
        click.echo(
            f"Warning: process {held.pid} is still running on this host; it may still be writing {what}.",
            err=True,
        )
