"""`smartpay-apply output APP`: the values a TP needs to integrate payments, from getbindservice.

pm_app_id, pm_app_key, deal_id and platform_public_key exist only at Baidu (they are outputs,
never part of a spec or a diff). pm_app_key is a service key: `--format json` prints it, for a
pipeline to put in its secret store; the text format masks it, so a terminal or a CI log that
shows the command does not show the key.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import click

from smartpay_apply.cli.context import CliContext, pass_cli

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.errors import SmartpayError
    from smartpay_apply.spec.models import AppSpec

OUTPUT_FIELDS = ("pm_app_id", "pm_app_key", "deal_id", "platform_public_key")


@click.command()
@click.argument("app")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json prints pm_app_key in clear (for a secret store); text masks it.",
)
@pass_cli
def output(cli: CliContext, app: str, fmt: str) -> None:
    """Print APP's payment-service outputs: pm_app_id, pm_app_key, deal_id, platform_public_key.

    APP is a mini-program's name or app_id. Exit 1 if it has no payment service yet.
    """
    from smartpay_apply.project import load_specs
    from smartpay_apply.selection import select_spec

    config = cli.project()
    spec = select_spec(load_specs(config), app)
    values = asyncio.run(fetch_outputs(config, spec))
    if fmt == "json":
        click.echo(
            json.dumps(
                {"app": spec.app, "app_id": spec.app_id, **values}, ensure_ascii=False, indent=2
            )
        )
        return
    click.echo(f"{spec.app} (app_id {spec.app_id})")
    for name in OUTPUT_FIELDS:
        value = values[name]
        if name == "pm_app_key" and value is not None:
            value = "(sensitive: shown with --format json)"
        click.echo(f"  {name:<20} {'(none)' if value is None else value}")


async def fetch_outputs(config: ProjectConfig, spec: AppSpec) -> dict[str, Any]:
    """getbindservice's outputs for `spec` (pm_app_key revealed: the caller decides to show it).

    No payment service — any answer the client reads as "none" (errno 60002, 60008 or 60013, or
    a success without any output: AppApi.get_bind_service) — is a SmartpayError saying what it
    would take to get one.
    """
    from pydantic import SecretStr

    from smartpay_apply.credentials import token_source_for
    from smartpay_apply.runtime import open_api, open_state

    with open_state(config) as store:
        async with open_api(config) as api:
            bound = await api.app(token_source_for(spec, config, store, api)).get_bind_service()
    if bound is None:
        raise _no_service(spec, "Baidu reports none")
    values: dict[str, Any] = {}
    for name in OUTPUT_FIELDS:
        value = getattr(bound, name, None)
        values[name] = value.get_secret_value() if isinstance(value, SecretStr) else value
    return values


def _no_service(spec: AppSpec, evidence: str) -> SmartpayError:
    """What to do about a missing payment service, which depends on whether the spec manages one."""
    from smartpay_apply.errors import SmartpayError

    if spec.payment_service is None:
        where = spec.source.document.path if spec.source is not None else "its spec"
        return SmartpayError(
            f"{spec.app}: no payment service is bound ({evidence}), and the spec does not manage "
            f"one: add a payment_service section to {where}, run `smartpay-apply apply`, and "
            "wait for Baidu's audit (it needs an approved account and developer config first)"
        )
    return SmartpayError(
        f"{spec.app}: no payment service is bound yet ({evidence}); "
        "run `smartpay-apply apply` and wait for its audit"
    )
