"""`smartpay-apply schema`: print the JSON Schema of a spec file (for editors)."""

from __future__ import annotations

import json

import click


@click.command()
def schema() -> None:
    """Print the JSON Schema of a spec file.

    \b
    Save it and point yaml-language-server at it from a spec:
      smartpay-apply schema > smartpay-spec.schema.json
      # yaml-language-server: $schema=../smartpay-spec.schema.json
    """
    from smartpay_apply.spec.schema import spec_schema

    click.echo(json.dumps(spec_schema(), ensure_ascii=False, indent=2))
