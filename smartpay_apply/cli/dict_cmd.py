"""`smartpay-apply dict [--refresh] [--format text|json]`: the cached payment dictionary.

`--refresh` fetches it from the endpoint with the first valid spec's credentials (or, with no
spec yet, the project-wide `credentials:`) and stores it in `.smartpay/dict.json`, which
`validate` reads offline.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from smartpay_apply.cli.context import CliContext, pass_cli

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.spec.dictionary import PaymentDictData
    from smartpay_apply.spec.models import AppSpec


@click.command("dict")
@click.option(
    "--refresh", is_flag=True, help="Fetch the dictionary from the endpoint and update the cache."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@pass_cli
def dict_command(cli: CliContext, refresh: bool, output_format: str) -> None:
    """Show (or --refresh) the payment dictionary: banks, provinces and cities, payment days, rates.

    Exit codes: 0 shown; 1 no cache yet (run with --refresh) or the refresh failed.
    """
    from smartpay_apply.project import dictionary_cache, load_report
    from smartpay_apply.spec.dictionary import DictionaryError

    config = cli.project()
    cache = dictionary_cache(config)
    if refresh:
        report = load_report(config)
        if not report.specs and report.problems and config.credentials is None:
            raise DictionaryError(
                f"no valid spec to take credentials from ({len(report.problems)} problem(s): run "
                "`smartpay-apply validate`), and no project-wide `credentials:` in smartpay.yaml"
            )
        data = asyncio.run(fetch(config, report.specs))
        cache.save(data)
        click.echo(f"dictionary refreshed: {cache.path}", err=True)
    else:
        cached = cache.load()
        if cached is None:
            raise DictionaryError("no dictionary cache yet: run `smartpay-apply dict --refresh`")
        data = cached
    if output_format == "json":
        click.echo(json.dumps(data.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(data))


async def fetch(config: ProjectConfig, specs: Sequence[AppSpec]) -> PaymentDictData:
    """The dictionary from the endpoint (network I/O: why it lives here, not in `spec`).

    Any mini-program's token will do: the first spec's credentials, or, with no valid spec yet
    (a new project fetches the dictionary before writing its specs), the project-wide
    `credentials:` of smartpay.yaml. The state store is opened, and closed, only when that
    token comes through the `tp:` flow (its refresh tokens live there).
    """
    from smartpay_apply.credentials import project_token_source, token_source_for
    from smartpay_apply.runtime import open_api, open_token_store
    from smartpay_apply.spec.dictionary import PaymentDictData

    first = list(specs[:1])
    with open_token_store(config, first) as store:
        async with open_api(config) as api:
            tokens = (
                token_source_for(first[0], config, store, api)
                if first
                else project_token_source(config)
            )
            answer = await api.app(tokens).get_dict()
    return PaymentDictData.from_api(answer, config.endpoint)


def render_text(data: object) -> str:
    """The dictionary for a human: one line per list, cities grouped by province."""
    from smartpay_apply.spec.dictionary import PaymentDictData

    assert isinstance(data, PaymentDictData)
    days = ", ".join(f"{day} ({label})" for day, label in sorted(data.payment_days.items()))
    rates = ", ".join(f"{rate} ({label})" for rate, label in sorted(data.commission_rates.items()))
    lines = [
        f"Payment dictionary, fetched {data.fetched_at or 'at an unknown time'} from {data.endpoint or '?'}",
        f"payment_days: {days or '-'}",
        f"commission_rate: {rates or '-'}",
        f"bank_name ({len(data.banks)}): {', '.join(data.banks) or '-'}",
        f"open_province / open_city ({len(data.provinces)} provinces):",
    ]
    lines.extend(
        f"  {province}: {', '.join(cities)}" for province, cities in data.provinces.items()
    )
    return "\n".join(lines)
