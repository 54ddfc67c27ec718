"""`smartpay-apply auth add|status|refresh`: mini-program credentials through the TP flow."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

import click

from smartpay_apply.cli.context import CliContext, pass_cli
from smartpay_apply.errors import SmartpayError, UsageError

if TYPE_CHECKING:
    from smartpay_apply.api.client import OpenApi
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.credentials.tp import TpAppToken, TpPlatform
    from smartpay_apply.spec.models import AppSpec
    from smartpay_apply.state.base import StateStore


@click.group()
def auth() -> None:
    """Store and refresh mini-program credentials (third-party-platform flow)."""


@auth.command()
@click.argument("app")
@click.option(
    "--authorization-code",
    "code",
    required=True,
    metavar="CODE",
    help="The code from the mini-program's authorization; '-' reads it from stdin.",
)
@pass_cli
def add(cli: CliContext, app: str, code: str) -> None:
    """Exchange APP's authorization CODE and store its tokens (encrypted) in the state store."""
    if code == "-":
        code = sys.stdin.readline().strip()
    if not code:
        raise UsageError("--authorization-code is empty")
    config = cli.project()
    specs = _specs(config)
    name, app_id = _resolve(app, specs)

    async def run() -> Any:
        async with _session(config) as (api, store):
            source = _tp_source(config, specs.get(app_id), name, app_id, api, store)
            return await source.authorize(code)

    token = asyncio.run(run())
    click.echo(
        f"Stored credentials for {name} (app_id {app_id}); access token valid until {_until(token.expires_at)}."
    )


@auth.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@pass_cli
def status(cli: CliContext, fmt: str) -> None:
    """Which mini-programs have working credentials, and until when (never the tokens).

    Exits 1 if any mini-program of the specs has no working credentials.
    """
    from smartpay_apply.credentials import source_kind, vault
    from smartpay_apply.credentials.status import app_status, platform_status
    from smartpay_apply.runtime import open_state

    config = cli.project()
    specs = _specs(config)
    with open_state(config) as store:
        ids = sorted(set(specs) | set(vault.stored_app_ids(store)))
        rows = [
            app_status(
                store,
                specs[app_id].app if app_id in specs else None,
                app_id,
                source_kind(specs[app_id], config) if app_id in specs else "tp",
            )
            for app_id in ids
        ]
        platform = platform_status(store)
    if fmt == "json":
        document = {"tp": platform.to_json(), "apps": [row.to_json() for row in rows]}
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(_status_text(rows, platform))
    if any(not row.working for row in rows if row.app_id in specs):
        raise click.exceptions.Exit(1)


@auth.command()
@click.argument("app", required=False)
@pass_cli
def refresh(cli: CliContext, app: str | None) -> None:
    """Refresh APP's access token now (all TP mini-programs without APP); rotates the refresh token."""
    from smartpay_apply.credentials import source_kind, vault
    from smartpay_apply.runtime import open_state

    config = cli.project()
    specs = _specs(config)
    if app is not None:
        targets = [_resolve(app, specs)]
    else:
        with open_state(config) as store:
            stored = set(vault.stored_app_ids(store))
        tp_specs = {app_id for app_id, spec in specs.items() if source_kind(spec, config) == "tp"}
        targets = [(specs[i].app if i in specs else str(i), i) for i in sorted(tp_specs | stored)]
        if not targets:
            click.echo("No mini-program uses TP credentials.")
            return

    async def run() -> list[str]:
        failures: list[str] = []
        async with _session(config) as (api, store):
            platform = None
            for name, app_id in targets:
                source = _tp_source(config, specs.get(app_id), name, app_id, api, store, platform)
                platform = source.platform
                try:
                    token = await source.force_refresh()
                except SmartpayError as error:
                    failures.append(f"{name}: {error.user_message()}")
                    click.echo(f"{name}: refresh failed", err=True)
                    continue
                click.echo(
                    f"{name} (app_id {app_id}): refreshed; valid until {_until(token.expires_at)}"
                )
        return failures

    failures = asyncio.run(run())
    if failures:
        raise SmartpayError("\n".join(failures))


# -- helpers ------------------------------------------------------------------------------


class _session:
    """`async with _session(config) as (api, store)`: the openapi client and the store."""

    def __init__(self, config: ProjectConfig) -> None:
        self._config = config
        self._api: OpenApi | None = None
        self._store: StateStore | None = None

    async def __aenter__(self) -> tuple[OpenApi, StateStore]:
        from smartpay_apply.runtime import open_api, open_state

        self._store = open_state(self._config)
        self._api = open_api(self._config)
        return self._api, self._store

    async def __aexit__(self, *exc: object) -> None:
        if self._api is not None:
            await self._api.aclose()
        if self._store is not None:
            self._store.close()


def _specs(config: ProjectConfig) -> dict[int, AppSpec]:
    """The specs that load, by app_id (a broken spec elsewhere must not block `auth`)."""
    from smartpay_apply.spec.loader import load_report

    report = load_report(config)
    return {spec.app_id: spec for spec in report.specs}


def _resolve(app: str, specs: dict[int, AppSpec]) -> tuple[str, int]:
    if app.isdigit():
        app_id = int(app)
        return (specs[app_id].app if app_id in specs else app), app_id
    for app_id, spec in specs.items():
        if spec.app == app:
            return spec.app, app_id
    known = ", ".join(sorted(spec.app for spec in specs.values())) or "none found"
    raise UsageError(
        f"no mini-program named {app!r} in the specs (known: {known}); or give its app_id"
    )


def _tp_source(
    config: ProjectConfig,
    spec: AppSpec | None,
    name: str,
    app_id: int,
    api: OpenApi,
    store: StateStore,
    platform: TpPlatform | None = None,
) -> TpAppToken:
    """The TP source of one mini-program: its spec's tp settings, else the project's."""
    from smartpay_apply.credentials import TpAppToken, TpPlatform, tp_client_id, tp_token_given

    tp = spec.credentials.tp if spec is not None and spec.credentials is not None else None
    if platform is None:
        platform = TpPlatform(api, store, tp_client_id(tp, config), tp_token_given(tp, config))
    return TpAppToken(platform, name, app_id)


def _until(moment: float | None) -> str:
    from datetime import UTC, datetime

    if moment is None:
        return "unknown"
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


def _status_text(rows: list[Any], platform: Any) -> str:
    lines = [
        "TP: ticket "
        + ("received" if platform.ticket else "not received yet (run `events serve`)")
        + "; TP token "
        + (
            f"valid until {platform.tp_token_expires_at}"
            if platform.tp_token_expires_at
            else "not obtained yet"
        ),
    ]
    if not rows:
        lines.append("No mini-programs.")
        return "\n".join(lines)
    headers = ["app", "app_id", "source", "state", "refresh token", "access token until"]
    cells = [
        [
            row.app or "-",
            str(row.app_id),
            row.source or "-",
            row.state,
            "stored" if row.refresh_token else "-",
            row.access_token_expires_at or "-",
        ]
        for row in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    lines.extend(
        "  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip() for c in cells
    )
    return "\n".join(lines)
