"""`smartpay-apply auth add|status|refresh`: mini-program credentials through the TP flow."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any

import click

from smartpay_apply.cli.context import CliContext, pass_cli
from smartpay_apply.cli.listing import dump, format_option, table
from smartpay_apply.cli.stores import existing_store, reading_store
from smartpay_apply.errors import SmartpayError, UsageError
from smartpay_apply.timeutil import text_time

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
    name, app_id = _resolve(app, config, specs, new_ok=True)

    async def run() -> Any:
        async with _session(config) as (api, store):
            source = _tp_source(config, specs.get(app_id), name, app_id, api, store)
            return await source.authorize(code)

    token = asyncio.run(run())
    click.echo(
        f"Stored credentials for {name} (app_id {app_id}); access token valid until {_until(token.expires_at)}."
    )


@auth.command()
@format_option()
@pass_cli
def status(cli: CliContext, fmt: str) -> None:
    """Which mini-programs have working credentials, and until when (never the tokens).

    Exits 1 if any mini-program of the specs has no working credentials. Reads only: with no
    state store yet it answers as for an empty one and creates nothing.
    """
    from smartpay_apply.credentials import source_kind, vault
    from smartpay_apply.credentials.status import app_status, platform_status

    with reading_store(cli) as (config, store):
        specs = _specs(config)
        stored = set(vault.stored_app_ids(store)) if store else set()
        rows = [
            app_status(
                store,
                specs[app_id].app if app_id in specs else None,
                app_id,
                source_kind(specs[app_id], config) if app_id in specs else "tp",
            )
            for app_id in sorted(set(specs) | stored)
        ]
        platform = platform_status(store)
    if fmt == "json":
        document = {"tp": platform.to_json(), "apps": [row.to_json() for row in rows]}
        click.echo(dump(document))
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

    config = cli.project()
    specs = _specs(config)
    if app is not None:
        name, app_id = _resolve(app, config, specs)
        _refuse_non_tp(config, specs.get(app_id), name)
        targets = [(name, app_id)]
    else:
        with existing_store(config) as store:
            stored = set(vault.stored_app_ids(store)) if store else set()
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
    from smartpay_apply.project import load_report

    report = load_report(config)
    return {spec.app_id: spec for spec in report.specs}


def _resolve(
    app: str, config: ProjectConfig, specs: dict[int, AppSpec], *, new_ok: bool = False
) -> tuple[str, int]:
    """APP by the one rule (selection.py) among the specs and the store's mini-programs.

    `new_ok` (auth add): an app_id nobody knows yet is accepted too — a mini-program may
    authorize the TP before its spec is written.
    """
    from smartpay_apply.selection import SPECS_AND_STORE, KnownApp, merged_apps, resolve

    with existing_store(config) as store:
        recorded = store.recorded_apps() if store is not None else {}
    known = merged_apps(specs.values(), recorded)
    try:
        target = resolve(app, known, option="APP", where=SPECS_AND_STORE)
    except UsageError:
        text = app.strip()
        if not (new_ok and text.isascii() and text.isdigit()):
            raise
        target = KnownApp(int(text))
    return target.name or str(target.app_id), target.app_id


def _refuse_non_tp(config: ProjectConfig, spec: AppSpec | None, name: str) -> None:
    """`auth refresh APP` only makes sense for TP credentials: say what the others do instead."""
    from smartpay_apply.credentials import source_kind

    kind = source_kind(spec, config) if spec is not None else "tp"
    if kind == "access_token":
        raise UsageError(
            f"{name} uses a static credentials.access_token: there is nothing to refresh; put a "
            "new token in the spec (or the variable it reads) when it expires, or switch to "
            "`token_command` or `tp` (docs/credentials.md)"
        )
    if kind == "token_command":
        raise UsageError(
            f"{name} gets its token from credentials.token_command, which runs whenever a "
            "fresh token is needed: there is nothing stored to refresh"
        )
    if kind is None:
        raise UsageError(
            f"{name} has no credentials configured (credentials: in its spec or smartpay.yaml)"
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
    return text_time(moment, missing="unknown")


def _status_text(rows: list[Any], platform: Any) -> str:
    lines = [
        "TP: ticket "
        + ("received" if platform.ticket else "not received yet (run `events serve`)")
        + "; TP token "
        + (
            f"valid until {text_time(platform.expires_at)}"
            if platform.expires_at
            else "not obtained yet"
        ),
    ]
    if not rows:
        lines.append("No mini-programs.")
        return "\n".join(lines)
    headers = ["app", "app_id", "source", "state", "refresh_token", "access_token_expires_at"]
    cells = [
        [
            row.app or "-",
            str(row.app_id),
            row.source or "-",
            row.state,
            "stored" if row.refresh_token else "-",
            text_time(row.expires_at),
        ]
        for row in rows
    ]
    lines.append(table(headers, cells))
    if any(row.state == "authorized" for row in rows):
        lines.append(
            "authorized: Baidu pushed an authorization code; it is exchanged for tokens on first use."
        )
    return "\n".join(lines)
