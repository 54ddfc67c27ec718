"""`smartpay-apply dict [--refresh] [--format text|json]`: the cached payment dictionary.

`--refresh` fetches it from the endpoint with the first valid spec's credentials (or, with no
spec yet, the project-wide `credentials:`) and stores it in `.smartpay/dict.json`, which
`validate` reads offline.
"""

from __future__ import annotations

import asyncio
import json

import click

from smartpay_apply.cli.context import CliContext, pass_cli


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
    from smartpay_apply.spec import dictionary
    from smartpay_apply.spec.loader import load_report

    config = cli.project()
    if refresh:
        report = load_report(config)
        if not report.specs and report.problems and config.credentials is None:
            raise dictionary.DictionaryError(
                f"no valid spec to take credentials from ({len(report.problems)} problem(s): run "
                "`smartpay-apply validate`), and no project-wide `credentials:` in smartpay.yaml"
            )
        data = asyncio.run(dictionary.refresh(config, report.specs))
        click.echo(
            f"dictionary refreshed: {dictionary.DictCache.for_config(config).path}", err=True
        )
    else:
        cached = dictionary.load_cached(config)
        if cached is None:
            raise dictionary.DictionaryError(
                "no dictionary cache yet: run `smartpay-apply dict --refresh`"
            )
        data = cached
    if output_format == "json":
        click.echo(json.dumps(data.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(data))


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
